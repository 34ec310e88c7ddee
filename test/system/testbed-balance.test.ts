/**
 * End to end on a real 8-CPU kernel: the QEMU testbed (testbed/) boots Debian's 6.1
 * kernel with five NICs and kernel-managed disk queues, every movable IRQ starting on CPU 0
 * (irqaffinity=0). Inside, the built bundles (no npm) run irqkitd on the real /proc, measure
 * unequal NIC traffic, plan, apply, and measure again (test/system/guest-balance.mjs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { after } from '../helpers/node-test-hooks.ts';
import { repoRoot, testbedRunner } from '../helpers/paths.ts';

const { runGuest, skip } = testbedRunner();

/** NIC queue IRQs of the testbed guest, by name (numbers are looked up, never assumed). */
const NIC = /^(virtio[23]-(input|output)\.\d+|eth[2-4](-rx-0|-tx-0)?)$/;
const MANAGED = /^(virtio4-req\.\d+|nvme0q[1-9])$/;

interface DistIrq {
  irq: string;
  name: string;
  perCpu: number[];
}
interface Distribution {
  cpus: number[];
  irqs: DistIrq[];
  window: { seconds: number };
  cpuTotals: Array<{ cpu: number; share: number }>;
}
interface Results {
  error?: string;
  cpus: number;
  before: {
    api: Distribution;
    summary: { ok: boolean; json?: { cpus: Array<{ cpu: number; share: number }> } };
  };
  after: {
    api: Distribution;
    summary: { ok: boolean };
  };
  apply: {
    ok: boolean;
    json?: {
      plan: {
        assignments: Array<{
          irq: string;
          name: string;
          load: number;
          current: number | null;
          cpu: number;
          moved: boolean;
          fixed: boolean;
        }>;
        moves: Array<{ irq: string; cpu: number }>;
        after: { metrics: { peakToAverage: number } };
      };
      result: { ok: boolean; outcomes: Array<{ irq: string; ok: boolean; pending: boolean }> };
    };
  };
  irqsAfter: {
    ok: boolean;
    json?: { irqs: Array<{ irq: string; name: string; managed: boolean | null; affinity: string }> };
  };
  files: Record<string, { affinity: string | null; effective: string | null }>;
  daemonExit: number | null;
  filesAtStart: Record<string, { affinity: string | null }>;
  pin: { status: number };
  filesWhileDown: Record<string, { affinity: string | null }>;
  filesAfterRestart: Record<string, { affinity: string | null }>;
  pinsAfterRestart: { pins?: Array<{ irq: string; cpu: number; status: string }> };
  restoreExit: number | null;
  filesAfterRestore: Record<string, { affinity: string | null }>;
}

function nicShares(d: Distribution): number[] {
  const totals = d.cpus.map(() => 0);
  for (const i of d.irqs) {
    if (!NIC.test(i.name)) continue;
    i.perCpu.forEach((v, k) => {
      totals[k] = (totals[k] ?? 0) + v;
    });
  }
  const sum = totals.reduce((a, b) => a + b, 0);
  return totals.map((t) => (sum > 0 ? t / sum : 0));
}

describe('balancing a real 8-CPU kernel in the QEMU testbed', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-e2e-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let r: Results;

  it('boots the guest and runs measure → plan → apply → measure with the bundles', () => {
    for (const f of ['dist/irqkit.cjs', 'dist/irqkitd.cjs', 'test/system/guest-balance.mjs']) {
      copyFileSync(join(repoRoot(), f), join(dir, f.split('/').pop() as string));
    }
    const run = spawnSync(runGuest, ['--cpus', '8', '--timeout', '600', dir, 'node guest-balance.mjs'], {
      encoding: 'utf8',
      env: { ...process.env, TESTBED_APPEND: 'irqaffinity=0' },
      timeout: 900_000,
    });
    assert.equal(
      run.status,
      0,
      `run-guest.sh exited ${run.status}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`,
    );
    r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.cpus, 8);
    assert.equal(r.daemonExit, 0, 'irqkitd stops cleanly on SIGTERM');
  });

  it('starts unbalanced: CPU 0 services almost every NIC interrupt (API and irqkit summary agree)', () => {
    const before = nicShares(r.before.api);
    assert.ok((before[0] ?? 0) > 0.95, `CPU0 share before: ${before[0]}`);
    assert.ok(r.before.summary.ok, JSON.stringify(r.before.summary));
    // The summary counts every IRQ (the managed disk queues are spread by the kernel): it must
    // agree with the API's per-CPU totals, taken a moment apart over the same 8 s window.
    const api = r.before.api.cpuTotals;
    for (const c of r.before.summary.json?.cpus ?? []) {
      const share = api.find((a) => a.cpu === c.cpu)?.share ?? 0;
      assert.ok(Math.abs(c.share - share) < 0.1, `CPU${c.cpu}: summary ${c.share}, API ${share}`);
    }
  });

  it('applies the plan: every moved NIC IRQ is on its planned CPU, and the kernel routes it there', () => {
    const plan = r.apply.json?.plan;
    assert.ok(r.apply.ok && plan, JSON.stringify(r.apply).slice(0, 2000));
    assert.equal(r.apply.json?.result.ok, true);
    const nicMoves = plan.assignments.filter((a) => NIC.test(a.name) && a.moved);
    // How many move depends on the measured rates (the managed disk queues' load counts too);
    // from everything on CPU 0, balancing needs at least one.
    assert.ok(nicMoves.length >= 1, 'no NIC IRQ moved');
    for (const a of plan.assignments.filter((x) => NIC.test(x.name))) {
      const f = r.files[a.irq];
      assert.equal(f?.affinity, String(a.cpu), `IRQ ${a.irq} (${a.name}) smp_affinity_list`);
      // After the second round of traffic every NIC IRQ has fired, so the move has happened.
      assert.equal(f?.effective, String(a.cpu), `IRQ ${a.irq} (${a.name}) effective_affinity_list`);
    }
  });

  it('leaves the kernel-managed disk queues alone and reports them as managed', () => {
    const plan = r.apply.json?.plan;
    const managed = plan?.assignments.filter((a) => MANAGED.test(a.name)) ?? [];
    assert.ok(managed.length >= 4, 'disk traffic made the managed queues part of the plan');
    for (const a of managed) {
      assert.equal(a.fixed, true, `${a.name} fixed`);
      assert.equal(a.moved, false, `${a.name} not moved`);
    }
    const infos = r.irqsAfter.json?.irqs.filter((i) => managed.some((m) => m.irq === i.irq)) ?? [];
    for (const i of infos) assert.equal(i.managed, true, `${i.name} reported managed`);
  });

  it('spreads the NIC interrupts as the plan predicted', () => {
    const plan = r.apply.json?.plan;
    assert.ok(plan);
    const after = nicShares(r.after.api);
    const predicted = after.map(() => 0);
    let total = 0;
    for (const a of plan.assignments) {
      if (!NIC.test(a.name)) continue;
      predicted[a.cpu] = (predicted[a.cpu] ?? 0) + a.load;
      total += a.load;
    }
    const predictedShares = predicted.map((p) => p / total);
    const table = [
      'CPU  before  predicted  after',
      ...after.map(
        (s, i) =>
          `CPU${i}  ${(nicShares(r.before.api)[i] ?? 0).toFixed(3)}   ${(predictedShares[i] ?? 0).toFixed(3)}      ${s.toFixed(3)}`,
      ),
    ].join('\n');
    mkdirSync(join(repoRoot(), 'test-artifacts'), { recursive: true });
    writeFileSync(join(repoRoot(), 'test-artifacts', 'e2e-nic-shares.txt'), `${table}\n`);
    // The plan balances all IRQs together: when the managed disk queues are busy it may leave
    // two thirds of the NIC interrupts on CPU 0 (0.659 predicted, 0.660 measured in one run), so
    // a fixed NIC-only ceiling below that is wrong. What must hold is the drop from ~100% and the
    // per-CPU agreement with the prediction below.
    const busiestAfter = Math.max(...after);
    assert.ok(busiestAfter < 0.9, `busiest CPU still has ${busiestAfter} of NIC interrupts\n${table}`);
    // TCG timing makes ping rates wobble between runs: each CPU within 12 points of the plan.
    after.forEach((s, i) => {
      assert.ok(
        Math.abs(s - (predictedShares[i] ?? 0)) < 0.12,
        `CPU${i}: measured ${s}, predicted ${predictedShares[i]}\n${table}`,
      );
    });
  });

  it('brings pinned affinities back when irqkitd restarts after they were reset', () => {
    const plan = r.apply.json?.plan as unknown as {
      moves: Array<{ irq: string; cpu: number }>;
      pins: Array<{ irq: string; cpu: number }>;
    };
    const placed = [...plan.moves, ...plan.pins];
    assert.equal(r.pin.status, 200);
    for (const m of placed) {
      assert.equal(r.filesWhileDown[m.irq]?.affinity, '0', `IRQ ${m.irq} reset while the daemon was down`);
      assert.equal(
        r.filesAfterRestart[m.irq]?.affinity,
        String(m.cpu),
        `IRQ ${m.irq} pinned again at start-up`,
      );
    }
    const pins = r.pinsAfterRestart.pins ?? [];
    assert.equal(pins.length, placed.length);
  });

  it('puts the original affinities back on exit with --restore-on-exit', () => {
    assert.equal(r.restoreExit, 0);
    for (const [irq, start] of Object.entries(r.filesAtStart)) {
      assert.equal(r.filesAfterRestore[irq]?.affinity, start.affinity, `IRQ ${irq} restored`);
    }
  });
});
