/**
 * `irqkit balance` live on this machine's real /proc: the kernel-managed block queue
 * (virtio1-req.0, 0444 since 6.12) is never proposed. The run passes --no-probe, so it writes
 * nothing to /proc/irq (on ≥ 6.12 the file modes tell anyway); the test only keeps the disk busy
 * with writes to a temporary file while the window is open, so the managed queue has interrupts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bundlePath } from '../helpers/cli.ts';
import { liveIrqs, MANAGED_NAME } from '../helpers/live-kernel.ts';

const PROC = '/proc';

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux';
  const release = readFileSync(`${PROC}/sys/kernel/osrelease`, 'utf8');
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m || Number(m[1]) * 1000 + Number(m[2]) < 6012) {
    return `kernel ${release.trim()}: before 6.12 only a write shows managed IRQs, and this test writes none`;
  }
  return liveIrqs(PROC).managed === undefined ? `no IRQ named ${MANAGED_NAME} on this machine` : false;
}

const skip = skipReason();

interface Plan {
  assignments: Array<{ irq: string; moved: boolean; fixed: boolean; reason?: string }>;
  idle: string[];
  classification: { managed: { irqs: string[]; summary: string } };
}

/** Every IRQ's smp_affinity_list, to show that the run changed none. */
function affinities(): Map<string, string> {
  const irqs = liveIrqs(PROC);
  const rows = [irqs.managed, irqs.balloon, irqs.ged].filter((r) => r !== undefined);
  return new Map(
    rows.map((r) => [r.label, readFileSync(`${PROC}/irq/${r.label}/smp_affinity_list`, 'utf8')]),
  );
}

describe('live balance on this machine', { skip }, () => {
  it(`never proposes the kernel-managed ${MANAGED_NAME}, and says it was found from file modes`, async () => {
    const managed = liveIrqs(PROC).managed?.label as string;
    const before = affinities();
    const child = spawn(
      process.execPath,
      [bundlePath(), 'balance', '--interval', '1s', '--no-probe', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let done = false;
    const closed = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        done = true;
        resolve(code);
      }),
    );
    // Disk writes until the CLI answers: each fsync is block I/O on the root disk's queue.
    const dir = mkdtempSync(join(tmpdir(), 'irqkit-disk-'));
    try {
      const file = await open(join(dir, 'busy'), 'w');
      try {
        const chunk = Buffer.alloc(64 * 1024, 1);
        while (!done) {
          await file.write(chunk, 0, chunk.length, 0);
          await file.sync();
        }
      } finally {
        await file.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(await closed, 0, stderr);
    const plan = JSON.parse(stdout) as Plan;
    const a = plan.assignments.find((x) => x.irq === managed);
    if (a === undefined) {
      // No interrupt in the window after all (the disk cache took every write): then it is idle,
      // which a plan leaves where it is too.
      assert.ok(plan.idle.includes(managed), `IRQ ${managed} is neither planned nor idle`);
    } else {
      assert.deepEqual(
        { moved: a.moved, fixed: a.fixed, reason: a.reason },
        { moved: false, fixed: true, reason: 'managed' },
      );
      assert.ok(plan.classification.managed.irqs.includes(managed));
    }
    assert.match(plan.classification.managed.summary, /found from file modes \(kernel ≥ 6\.12\)/);
    assert.deepEqual(affinities(), before, 'no affinity was written');
  });
});
