/**
 * `irqkit top --procfs DIR`: the bundled CLI reads DIR/interrupts itself, twice a --delay apart,
 * with no irqkitd. The reads are served through FIFOs (helpers/fifo-procfs.ts), so the counts
 * between them are known whatever the machine's load; the interval is not, so the checks are on
 * what does not depend on it (shares and ratios).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type CliRun, runCli } from '../helpers/cli.ts';
import { runOverReads } from '../helpers/fifo-procfs.ts';

const HEADER = '           CPU0       CPU1\n';
const irq = (n: number, counts: number[], name: string): string =>
  `${String(n).padStart(3)}: ${counts.map((c) => String(c).padStart(10)).join(' ')}   PCI-MSI ${n}-edge      ${name}\n`;
const named = (label: string, counts: number[], description: string): string =>
  `${label.padStart(3)}: ${counts.map((c) => String(c).padStart(10)).join(' ')}   ${description}\n`;

const FIRST =
  HEADER +
  irq(24, [1000, 0], 'eth0-rx-0') +
  irq(25, [0, 500], 'nvme0q1') +
  irq(26, [7, 7], 'idle-dev') +
  named('LOC', [5000, 5000], 'Local timer interrupts') +
  'ERR:          3\n';
const SECOND =
  HEADER +
  irq(24, [4000, 0], 'eth0-rx-0') +
  irq(25, [0, 1500], 'nvme0q1') +
  irq(26, [7, 7], 'idle-dev') +
  named('LOC', [5200, 5600], 'Local timer interrupts') +
  'ERR:          5\n';

/** `irqkit top --procfs DIR …` over the two reads above. */
async function topOverReads(args: readonly string[]): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-top-'));
  try {
    return await runOverReads(dir, [FIRST, SECOND], ['top', '--procfs', dir, '--delay', '200ms', ...args]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface TopJson {
  url: string;
  source: string;
  window: { seconds: number };
  ratePerSecond: number;
  cpus: Array<{ cpu: number; ratePerSecond: number; share: number }>;
  irqs: Array<{ irq: string; name: string; ratePerSecond: number; perCpuRate: number[] }>;
  named: Array<{ row: string; ratePerSecond: number; perCpuRate: number[] | null }>;
}

describe('irqkit top --procfs: rates from two reads of /proc/interrupts, no daemon', () => {
  it('--json: the rates are the differences of the two reads over the time between them', async () => {
    const r = await topOverReads(['--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const j = JSON.parse(r.stdout) as TopJson;
    assert.match(j.url, /\/interrupts$/);
    assert.equal(j.source, 'procfs');
    assert.ok(j.window.seconds > 0);
    // 3,000 interrupts on CPU0 and 1,000 on CPU1 between the reads: 75% and 25% of them.
    assert.deepEqual(
      j.cpus.map((c) => [c.cpu, c.share]),
      [
        [0, 0.75],
        [1, 0.25],
      ],
    );
    const rate = (id: string): number => j.irqs.find((i) => i.irq === id)?.ratePerSecond ?? Number.NaN;
    assert.deepEqual(
      j.irqs.map((i) => i.irq),
      ['24', '25', '26'],
      'busiest first',
    );
    assert.ok(Math.abs(rate('24') / rate('25') - 3) < 1e-2, `${rate('24')} / ${rate('25')}`);
    assert.equal(rate('26'), 0, 'counts that did not change are no rate, whatever their total');
    assert.ok(
      Math.abs(j.ratePerSecond * j.window.seconds - 4000) < 5,
      `${j.ratePerSecond} × ${j.window.seconds}`,
    );
    const loc = j.named.find((n) => n.row === 'LOC');
    const err = j.named.find((n) => n.row === 'ERR');
    assert.ok(loc && err, r.stdout);
    assert.ok(Math.abs((loc.perCpuRate?.[1] ?? 0) / (loc.perCpuRate?.[0] ?? 1) - 3) < 1e-2);
    assert.equal(err.perCpuRate, null, 'ERR has one counter, not one per CPU');
    assert.ok(Math.abs(err.ratePerSecond * j.window.seconds - 2) < 0.01);
  });

  it('one frame: the source in the header, the IRQs and the named rows with their rates', async () => {
    const r = await topOverReads(['--sort', 'irq']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^irqkit top {2}\S+\/interrupts {2}window \d+\.\d\d s/);
    assert.match(lines[1] ?? '', / {2}sort: irq {2}2 CPUs {2}3 IRQs \+ 2 named rows$/);
    const table = lines
      .slice(lines.findIndex((l) => /^IRQ {2}NAME/.test(l)) + 1)
      .map((l) => l.trim().split(/\s{2,}/)[0]);
    assert.deepEqual(table, ['24', '25', '26', 'ERR', 'LOC']);
  });

  it('options for irqkitd do not go with --procfs; a missing file is one line, exit 66', async () => {
    const clash = runCli(['top', '--procfs', '/proc', '--window', '5s']);
    assert.equal(clash.code, 64);
    assert.equal(
      clash.stderr,
      'irqkit top: --procfs reads /proc/interrupts itself, over the --delay between two reads; --window is for irqkitd\n',
    );
    const dir = mkdtempSync(join(tmpdir(), 'irqkit-top-'));
    try {
      const missing = runCli(['top', '--procfs', dir]);
      assert.equal(missing.code, 66);
      assert.equal(missing.stderr, `irqkit top: ${dir}/interrupts: no such file\n`, 'the path once');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--procfs alone reads /proc: its help shows the optional DIR', () => {
    assert.match(
      runCli(['top', '--help']).stdout,
      /^\s+--procfs \[DIR\]\s+without irqkitd: read DIR\/interrupts \(default \/proc\)/m,
    );
  });
});
