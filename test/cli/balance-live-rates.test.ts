import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type CliRun, runCli } from '../helpers/cli.ts';
import { runOverReads } from '../helpers/fifo-procfs.ts';

const HEADER = '           CPU0       CPU1       CPU2\n';
const line = (irq: number, counts: number[], name: string): string =>
  `${String(irq).padStart(3)}: ${counts.map((c) => String(c).padStart(10)).join(' ')}   PCI-MSI ${irq}-edge      ${name}\n`;

/**
 * `irqkit balance --procfs DIR` on a fake procfs whose reads of DIR/interrupts are `first`, then
 * `second` (every later read too), whatever the machine's load (helpers/fifo-procfs.ts).
 */
async function balanceOverReads(first: string, second: string, args: readonly string[]): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-live-'));
  try {
    return await runOverReads(dir, [first, second], ['balance', '--procfs', dir, ...args]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface QuietError {
  code: string;
  message: string;
  details: { source: string; window: { seconds: number }; cpus: number[] };
}

describe('irqkit balance without FILE measures live rates', () => {
  it('plans on the interrupts of the window, undoing a 32-bit wrap', async () => {
    // IRQ 30 wraps past 2^32 on CPU0 between the two reads.
    const r = await balanceOverReads(
      HEADER +
        line(30, [4294967000, 0, 0], 'eth0-rx-0') +
        line(31, [100, 0, 0], 'eth0-tx-0') +
        line(32, [0, 500, 0], 'nvme0q1') +
        line(33, [7, 7, 7], 'idle-dev'),
      HEADER +
        line(30, [1000, 0, 0], 'eth0-rx-0') +
        line(31, [400, 0, 0], 'eth0-tx-0') +
        line(32, [0, 1100, 0], 'nvme0q1') +
        line(33, [7, 7, 7], 'idle-dev'),
      // Exact planning: this test is about the window's counts, not about their noise.
      ['--interval', '1500ms', '--confidence', '0', '--json'],
    );
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
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
  });

  it('a window in which no IRQ fired: exit 65 IRQ_ERR_EMPTY naming the window, with the advice to measure longer', async () => {
    const quiet = HEADER + line(30, [5, 0, 0], 'eth0-rx-0') + line(31, [0, 9, 0], 'nvme0q1');
    const r = await balanceOverReads(quiet, quiet, ['--interval', '200ms', '--json']);
    assert.equal(r.code, 65, r.stderr);
    const e = (JSON.parse(r.stdout) as { error: QuietError }).error;
    assert.equal(e.code, 'IRQ_ERR_EMPTY');
    assert.match(e.message, /none of the 2 IRQs had any interrupts/);
    assert.match(e.message, /measure longer with --interval/);
    assert.match(e.details.source, /\/interrupts$/);
    assert.ok(e.details.window.seconds >= 0.19, `window ${e.details.window.seconds}`);
    assert.deepEqual(e.details.cpus, [0, 1, 2]);
    assert.match(
      r.stderr,
      /^irqkit balance: none of the 2 IRQs .* s window of .*interrupts\); measure longer with --interval\n$/,
    );
  });

  it('measures the real kernel: a window of the asked length over the online CPUs', () => {
    const online = (readFileSync('/proc/interrupts', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .map((c) => Number(c.replace(/^CPU/, '')));
    const r = runCli(['balance', '--interval', '300ms', '--no-probe', '--json']);
    // A quiet machine may see no device interrupt in 300 ms: then the answer is the documented
    // IRQ_ERR_EMPTY, which names the same window, so both answers are checked alike.
    const j = JSON.parse(r.stdout) as {
      source?: string;
      window?: { seconds: number };
      cpus?: Array<{ cpu: number }>;
      classification?: { excluded: { isolated: number[]; nohzFull: number[] } };
      error?: QuietError;
    };
    // A plan leaves isolated and nohz_full CPUs out, and says so.
    const left = j.classification
      ? [...j.classification.excluded.isolated, ...j.classification.excluded.nohzFull]
      : [];
    const seen =
      r.code === 0
        ? {
            source: j.source,
            seconds: j.window?.seconds,
            cpus: [...(j.cpus ?? []).map((c) => c.cpu), ...left].sort((a, b) => a - b),
          }
        : {
            source: j.error?.details.source,
            seconds: j.error?.details.window.seconds,
            cpus: j.error?.details.cpus,
          };
    assert.ok(
      r.code === 0 || (r.code === 65 && j.error?.code === 'IRQ_ERR_EMPTY'),
      `exit ${r.code}: ${r.stderr}`,
    );
    assert.equal(seen.source, '/proc/interrupts');
    assert.ok((seen.seconds ?? 0) >= 0.29, `window ${seen.seconds}`);
    assert.deepEqual(seen.cpus, online);
  });

  it('refuses --interval together with a FILE', () => {
    const r = runCli(['balance', 'examples/interrupts-per-day.txt', '--interval', '1s']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /do not go with a FILE/);
  });
});
