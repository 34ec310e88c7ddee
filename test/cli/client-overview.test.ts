import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Distribution, InterruptsDoc } from '../../src/api/schemas.ts';
import { fitColumns, formatCompact } from '../../src/cli/render/grid.ts';
import {
  assertOneLineError,
  cells,
  getJson,
  type Irqkit,
  irqkitAt,
  num,
  rowOf,
} from '../helpers/client-cli.ts';
import { type DaemonProcess, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

/** The header line of the grid and the column index of each header cell. */
function header(text: string): string[] {
  const line = text.split('\n').find((l) => /^\s*IRQ\s/.test(l));
  assert.ok(line, `no header in:\n${text}`);
  return cells(line);
}

/** IRQ labels of the grid's numeric rows, in printed order. */
function irqRows(text: string): string[] {
  const lines = text.split('\n');
  return lines
    .slice(lines.findIndex((l) => /^\s*IRQ\s/.test(l)) + 1)
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((k) => /^\d+$/.test(k));
}

describe('irqkit overview against a real irqkitd', () => {
  let d: DaemonProcess;
  let irqkit: Irqkit;
  before(async () => {
    d = await startDaemon(simArgs('8cpu,2node'));
    irqkit = irqkitAt(d);
  });
  after(async () => {
    await d?.stop();
  });

  it('prints every IRQ and named row with counts between two daemon reads (counters only grow)', async () => {
    const before = await getJson<InterruptsDoc>(d, '/api/v1/interrupts');
    const r = irqkit(['overview'], { COLUMNS: '250' });
    const later = await getJson<InterruptsDoc>(d, '/api/v1/interrupts');
    assert.equal(r.code, 0, r.stderr);
    const head = header(r.stdout);
    assert.deepEqual(
      head.slice(0, 10),
      ['IRQ', ...before.cpus.map((c) => `CPU${c}`), 'TOTAL'],
      'one column per CPU and the total',
    );
    assert.deepEqual(head.slice(10), ['CHIP', 'DEVICE', 'NAME']);
    for (const row of before.rows) {
      const key = row.occurrence === 0 ? row.label : `${row.label}#${row.occurrence}`;
      const line = rowOf(r.stdout, key);
      assert.ok(line, `row ${key} missing`);
      const printed = cells(line)
        .slice(1, 1 + before.cpus.length)
        .map(num);
      const after = later.rows.find((x) => x.label === row.label && x.occurrence === row.occurrence);
      printed.forEach((v, i) => {
        assert.ok(v >= (row.counts[i] ?? 0) && v <= (after?.counts[i] ?? 0), `${key} CPU${i}: ${v}`);
      });
    }
    assert.match(rowOf(r.stdout, '26') ?? '', /PCI-MSIX\s+0000:3b:00\.0\s+eth0-TxRx-2$/);
    assert.match(rowOf(r.stdout, 'LOC') ?? '', /Local timer interrupts$/);
    assert.match(r.stdout, /8 CPUs \(0-7\), 21 IRQs, 2 named rows/);
    assert.equal(r.stderr, '');
  });

  it('fits the terminal: all 8 CPUs at COLUMNS=200, fewer and shortened at 80 with a note', () => {
    const wide = irqkit(['overview'], { COLUMNS: '200' });
    assert.equal(wide.code, 0, wide.stderr);
    assert.equal(header(wide.stdout).filter((h) => h.startsWith('CPU')).length, 8);
    assert.doesNotMatch(wide.stdout, /left out/);
    assert.ok(wide.stdout.split('\n').every((l) => l.length <= 200));

    const narrow = irqkit(['overview'], { COLUMNS: '80' });
    assert.equal(narrow.code, 0, narrow.stderr);
    const shown = header(narrow.stdout).filter((h) => h.startsWith('CPU'));
    assert.ok(shown.length >= 1 && shown.length < 8, `CPU columns at 80: ${shown.join(' ')}`);
    // CPU 0 carries every movable IRQ, so it is the busiest and always kept.
    assert.ok(shown.includes('CPU0'));
    const leftOut = 8 - shown.length;
    assert.match(narrow.stdout, new RegExp(`${leftOut} of 8 columns do not fit in 80`));
    assert.match(narrow.stdout, /numbers shortened/);
    for (const line of narrow.stdout.split('\n')) assert.ok([...line].length <= 80, `too wide: ${line}`);
    // Shortened numbers: 15.5M, 203k …
    assert.match(rowOf(narrow.stdout, '26') ?? '', /\d(\.\d+)?[kMG]\s/);
  });

  it('--cpus picks the columns; an unknown CPU is a usage error', () => {
    const r = irqkit(['overview', '--cpus', '1,5-6']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      header(r.stdout).filter((h) => h.startsWith('CPU')),
      ['CPU1', 'CPU5', 'CPU6'],
    );
    assertOneLineError(
      irqkit(['overview', '--cpus', '12']),
      64,
      /CPU 12 is not in the daemon's data \(CPUs 0-7\)/,
    );
    assertOneLineError(irqkit(['overview', '--cpus', 'x']), 64, /invalid CPU list/);
  });

  it('--top N keeps the N busiest IRQs; --sort orders them', async () => {
    const r = irqkit(['overview', '--top', '3', '--sort', 'total']);
    assert.equal(r.code, 0, r.stderr);
    const rows = irqRows(r.stdout);
    assert.equal(rows.length, 3, r.stdout);
    const totals = rows.map((k) => num(cells(rowOf(r.stdout, k) ?? '')[9]));
    assert.deepEqual(
      totals,
      [...totals].sort((a, b) => b - a),
    );
    const doc = await getJson<InterruptsDoc>(d, '/api/v1/interrupts');
    const busiest = doc.rows
      .filter((x) => x.numeric)
      .sort((a, b) => b.total - a.total)
      .slice(0, 3)
      .map((x) => x.label);
    assert.deepEqual(rows, busiest);
    assert.match(r.stdout, /showing the 3 of 21 IRQs/);

    const byCpu = irqkit(['overview', '--sort', 'cpu:1']);
    assert.equal(byCpu.code, 0, byCpu.stderr);
    // nvme0q2 (IRQ 33) is kernel-managed on CPU 1: the top of a CPU1 ordering.
    assert.equal(irqRows(byCpu.stdout)[0], '33');
    const byIrq = irqRows(irqkit(['overview']).stdout);
    assert.deepEqual(
      byIrq,
      [...byIrq].sort((a, b) => Number(a) - Number(b)),
    );
    assertOneLineError(irqkit(['overview', '--sort', 'totl']), 64, /did you mean total/);
    assertOneLineError(irqkit(['overview', '--top', '0']), 64, /--top takes a whole number/);
  });

  it('--window shows the interrupts of the window, matching /api/v1/distribution', async () => {
    const r = irqkit(['overview', '--window', '1s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Distribution;
    assert.equal(j.window.requestedSeconds, 1);
    assert.equal(j.irqs.length, 21);
    const text = irqkit(['overview', '--window', '1s'], { COLUMNS: '250' });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Interrupts from \S+Z to \S+Z \(\d\.\d\d s\)$/m);
    const dist = await getJson<Distribution>(d, '/api/v1/distribution?window=1s');
    // Windows move between two reads; a 1 s window of a 40,000/s queue differs by a few percent.
    const printed = num(cells(rowOf(text.stdout, '26') ?? '')[1]);
    const expected = dist.irqs.find((x) => x.irq === '26')?.perCpu[0] ?? 0;
    assert.ok(Math.abs(printed - expected) <= expected * 0.2, `${printed} vs ${expected}`);
    // The named rows are there too, and the windowed counts are far below the totals since boot.
    assert.ok(rowOf(text.stdout, 'LOC'));
    assert.ok(printed < 100_000);
  });

  it('--raw prints the kernel text as it is; it does not go with --json or --window', async () => {
    const r = irqkit(['overview', '--raw']);
    assert.equal(r.code, 0, r.stderr);
    const raw = (await d.request({ path: '/api/v1/interrupts?format=text' })).text;
    assert.match(r.stdout, /^\s+CPU0\s+CPU1/);
    const labels = (t: string): string[] => t.split('\n').map((l) => l.split(':')[0]?.trim() ?? '');
    assert.deepEqual(labels(r.stdout), labels(raw));
    assert.match(r.stdout, /^\s*24:\s+\d+(\s+0){7}\s+PCI-MSIX-0000:3b:00\.0\s+0-edge\s+eth0-TxRx-0$/m);
    assertOneLineError(irqkit(['overview', '--raw', '--json']), 64, /--raw .* does not go with --json/);
    assertOneLineError(irqkit(['overview', '--raw', '--window', '2s']), 64, /--window/);
  });

  it('--json prints the daemon snapshot; colours only with a terminal or FORCE_COLOR, never with NO_COLOR', () => {
    const r = irqkit(['overview', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as InterruptsDoc;
    assert.deepEqual(j.cpus, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.ok(j.rows.some((x) => x.label === 'LOC'));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes
    const ansi = /\u001b\[/;
    assert.doesNotMatch(irqkit(['overview']).stdout, ansi);
    const forced = irqkit(['overview'], { FORCE_COLOR: '1' });
    // The heaviest cell (IRQ 26 on CPU 0) is bold red.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes
    assert.match(forced.stdout, /\u001b\[1m\u001b\[31m[\d,]+\u001b\[39m\u001b\[22m/);
    assert.doesNotMatch(irqkit(['overview'], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout, ansi);
    assert.doesNotMatch(irqkit(['overview', '--no-color'], { FORCE_COLOR: '1' }).stdout, ansi);
  });

  it('short numbers stay within 5 characters; fitting keeps the busiest columns in order', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [9999, '9999'],
      [10_000, '10.0k'],
      [123_456, '123k'],
      [999_499, '999k'],
      [999_500, '1.00M'],
      [15_538_871, '15.5M'],
      [4_294_967_295, '4.29G'],
      [1.2e15, '1.20P'],
    ];
    for (const [n, text] of cases) assert.equal(formatCompact(n), text, String(n));
    const columns = [0, 1, 2, 3].map((cpu) => ({ cpu, width: 5, load: [5, 50, 1, 50][cpu] ?? 0 }));
    assert.deepEqual(fitColumns({ width: 100, fixedWidth: 10, columns, gap: 2 }), [0, 1, 2, 3]);
    assert.deepEqual(fitColumns({ width: 24, fixedWidth: 10, columns, gap: 2 }), [1, 3]);
    assert.deepEqual(fitColumns({ width: 5, fixedWidth: 10, columns, gap: 2 }), []);
  });
});
