import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bundlePath, runCli } from '../helpers/cli.ts';

const HEADER = '           CPU0       CPU1       CPU2\n';
const line = (irq: number, counts: number[], name: string): string =>
  `${String(irq).padStart(3)}: ${counts.map((c) => String(c).padStart(10)).join(' ')}   PCI-MSI ${irq}-edge      ${name}\n`;

describe('irqkit balance without FILE measures live rates', () => {
  it('plans on the interrupts of the window, undoing a 32-bit wrap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irqkit-live-'));
    try {
      const file = join(dir, 'interrupts');
      writeFileSync(
        file,
        HEADER +
          line(30, [4294967000, 0, 0], 'eth0-rx-0') +
          line(31, [100, 0, 0], 'eth0-tx-0') +
          line(32, [0, 500, 0], 'nvme0q1') +
          line(33, [7, 7, 7], 'idle-dev'),
      );
      const child = spawn(
        process.execPath,
        [bundlePath(), 'balance', '--procfs', dir, '--interval', '1500ms', '--json'],
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
      // Change the counters while the window is open: IRQ 30 wraps past 2^32 on CPU0.
      await new Promise((r) => setTimeout(r, 500));
      writeFileSync(
        file,
        HEADER +
          line(30, [1000, 0, 0], 'eth0-rx-0') +
          line(31, [400, 0, 0], 'eth0-tx-0') +
          line(32, [0, 1100, 0], 'nvme0q1') +
          line(33, [7, 7, 7], 'idle-dev'),
      );
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.equal(code, 0, stderr);
      const j = JSON.parse(stdout) as {
        window: { seconds: number };
        assignments: Array<{ irq: string; load: number; current: number }>;
        idle: string[];
        metrics: { makespan: number; provenOptimal: boolean };
      };
      assert.ok(j.window.seconds >= 1.4, `window ${j.window.seconds}`);
      const loads = Object.fromEntries(j.assignments.map((a) => [a.irq, a.load]));
      assert.deepEqual(loads, { '30': 2 ** 32 - 4294967000 + 1000, '31': 300, '32': 600 });
      assert.equal(j.assignments.find((a) => a.irq === '32')?.current, 1);
      assert.deepEqual(j.idle, ['33']);
      assert.equal(j.metrics.makespan, 1296);
      assert.equal(j.metrics.provenOptimal, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('measures the real kernel: a window of the asked length over the online CPUs', () => {
    const r = runCli(['balance', '--interval', '300ms', '--json']);
    // An idle VM may see no device interrupt in 300 ms; that is the documented empty result.
    if (r.code === 65) {
      assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'IRQ_ERR_EMPTY');
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      source: string;
      window: { seconds: number };
      cpus: Array<{ cpu: number }>;
    };
    assert.equal(j.source, '/proc/interrupts');
    assert.ok(j.window.seconds >= 0.29);
    assert.ok(j.cpus.some((c) => c.cpu === 0));
  });

  it('refuses --interval together with a FILE', () => {
    const r = runCli(['balance', 'examples/interrupts-per-day.txt', '--interval', '1s']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /do not go with a FILE/);
  });
});
