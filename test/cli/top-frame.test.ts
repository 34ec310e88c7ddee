import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickStyle, visibleWidth } from '../../src/cli/render/color.ts';
import type { IrqSortKey } from '../../src/cli/render/irq-sort.ts';
import {
  clip,
  formatRate,
  frame,
  KEY_HELP,
  parseSortKey,
  sortIrqs,
  type TopSample,
  type TopState,
} from '../../src/cli/render/top-frame.ts';
import { type FakeIrq, range, sampleOf, skewedIrqs, stripAnsi } from '../helpers/top-fakes.ts';

const plain = pickStyle({}, false, true);
const ansi = pickStyle({ FORCE_COLOR: '1' }, false, false);

function state(sample: TopSample | undefined, over: Partial<TopState> = {}): TopState {
  return {
    url: 'http://127.0.0.1:9640',
    sample,
    sort: { by: 'load' },
    limit: undefined,
    live: true,
    keys: true,
    message: undefined,
    style: plain,
    ...over,
  };
}

const lines = (text: string): string[] => text.split('\n');
const machine = (cpus: number, nics = 12): TopSample => sampleOf(range(cpus), skewedIrqs(cpus, nics));
/** The IRQ column of the table rows: lines that start with an IRQ number. */
const irqColumn = (text: string): string[] =>
  lines(stripAnsi(text))
    .map((l) => /^\s*(\d+)\s{2}\S/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);

describe('top frame: size limits', () => {
  const samples: Array<[string, TopSample | undefined]> = [
    ['waiting', undefined],
    ['1 CPU', machine(1, 3)],
    ['8 CPUs', machine(8)],
    ['24 CPUs', machine(24)],
    ['64 CPUs', machine(64)],
    ['1024 CPUs', machine(1024, 40)],
    ['no IRQs', sampleOf(range(4), [])],
    [
      'long names and sparse CPU ids',
      sampleOf(
        [0, 7, 130, 1023],
        [
          { irq: '1048575', name: 'x'.repeat(90), perCpu: [5e9, 1, 0, 3] },
          { irq: '2', name: 'nvme0q1', perCpu: [0, 0, 0, 0] },
        ],
      ),
    ],
  ];
  const widths = [1, 8, 20, 40, 61, 80, 100, 132, 200, 400];
  const heights = [1, 2, 3, 5, 8, 13, 24, 40, 60];

  for (const [what, sample] of samples) {
    it(`${what}: no line is wider than cols and there are never more lines than rows`, () => {
      for (const style of [plain, ansi]) {
        for (const live of [true, false]) {
          for (const message of [undefined, 'cannot reach irqkitd at http://127.0.0.1:9640; retrying']) {
            for (const cols of widths) {
              for (const rows of heights) {
                const text = frame(state(sample, { style, live, message }), cols, rows);
                const ls = lines(text);
                assert.ok(ls.length <= rows, `${what} ${cols}x${rows}: ${ls.length} lines`);
                for (const l of ls) {
                  assert.ok(
                    visibleWidth(l) <= cols,
                    `${what} ${cols}x${rows}: '${stripAnsi(l)}' is ${visibleWidth(l)} wide`,
                  );
                }
                if (live && rows >= 2) assert.equal(stripAnsi(ls[ls.length - 1] ?? ''), clip(KEY_HELP, cols));
              }
            }
          }
        }
      }
    });
  }

  it('a single frame into a pipe (rows = Infinity) shows every IRQ and no footer', () => {
    const s = machine(8);
    const text = frame(state(s, { live: false }), 120, Number.POSITIVE_INFINITY);
    assert.equal(irqColumn(text).length, s.irqs.length);
    assert.doesNotMatch(text, /more IRQs|hidden|q quit/);
    assert.equal(lines(text).filter((l) => /^CPU\d+ /.test(l)).length, 8, 'one bar per CPU');
  });

  it('rows = 0 or cols = 0 draw nothing', () => {
    assert.equal(frame(state(machine(8)), 80, 0), '');
    assert.equal(frame(state(machine(8)), 0, 24), '');
  });
});

describe('top frame: layout', () => {
  it('header: URL, window, total rate, peak-to-average with the busiest CPU, sort key', () => {
    const s = sampleOf(range(4), [
      { irq: '30', name: 'eth0', perCpu: [3000, 0, 0, 0] },
      { irq: '31', name: 'eth1', perCpu: [0, 1000, 0, 0] },
    ]);
    const [h1, h2] = lines(frame(state(s), 120, 30));
    assert.match(h1 ?? '', /^irqkit top {2}http:\/\/127\.0\.0\.1:9640 {2}window 1\.00 s {2}12:00:00$/);
    // mean 1,000/s, peak 3,000/s on CPU0
    assert.equal(h2, 'total 4,000/s  peak/avg 3.00 (CPU0)  sort: rate  4 CPUs  2 IRQs');
  });

  it('a --cpus selection says how many of the machine it shows; an incomplete window says so', () => {
    const s = { ...machine(4), allCpus: 16, complete: false, windowSeconds: 0.4, requestedSeconds: 2 };
    const text = frame(state(s), 160, 30);
    assert.match(text, /4 of 16 CPUs/);
    assert.match(text, /window 0\.40 s of 2 s \(the daemon's history is still short\)/);
  });

  it('one bar per CPU, the busiest filling the bar, rates and shares beside', () => {
    const text = frame(state(machine(8)), 100, 40);
    const cpuLines = lines(text).filter((l) => /^CPU\d /.test(l));
    assert.equal(cpuLines.length, 8);
    const bar0 = (/█+/.exec(cpuLines[0] ?? '') ?? [''])[0];
    assert.ok(bar0.length >= 30, cpuLines[0]);
    assert.match(cpuLines[0] ?? '', /\d[\d,]*\/s +\d+\.\d%$/);
    for (const l of cpuLines) assert.ok(l.length <= 100);
  });

  it('many CPUs become a grid of small bars, and very many a heat strip of one character each', () => {
    const grid = frame(state(machine(64)), 120, 40);
    const gridLines = lines(grid).filter((l) => /^CPU\d+ /.test(l));
    assert.ok(gridLines.length > 1 && gridLines.length < 64, `${gridLines.length} grid lines`);
    assert.ok(gridLines.every((l) => (l.match(/CPU\d+/g) ?? []).length > 1));

    const strip = frame(state(machine(1024, 40)), 200, 60);
    const stripLines = lines(strip).filter((l) => /^CPU\d+-\d+ /.test(l));
    assert.ok(stripLines.length >= 2, strip);
    assert.match(strip, /one character per CPU: \. idle, █ = /);
    // Every CPU is drawn: the strips' cells add up to 1024.
    const cells = stripLines.reduce((n, l) => n + (l.split(' ').pop() ?? '').length, 0);
    assert.equal(cells, 1024);
  });

  it('when even the heat strip does not fit, it says how many CPUs are left out', () => {
    const text = frame(state(machine(1024, 40)), 80, 24);
    assert.match(text, /… \d+ more CPUs do not fit; enlarge the terminal or use --cpus|CPUs do not fit/);
  });

  it('per-CPU columns that do not fit are elided, the busiest kept, and the frame says so', () => {
    const s = machine(64);
    const text = frame(state(s), 100, 40);
    assert.match(text, /\d+ of 64 CPU columns hidden, the busiest shown \(widen or use --cpus\)/);
    const head = lines(text).find((l) => l.startsWith('IRQ')) ?? '';
    assert.match(head, /CPU0\b/, 'the busiest CPU keeps its column');
    const wide = frame(state(s), 64 * 6 + 60, 40);
    assert.doesNotMatch(wide, /columns hidden/);
  });

  it('the CPU being sorted on keeps its column even when it is not among the busiest', () => {
    const text = frame(state(machine(64), { sort: { by: 'cpu', cpu: 63 } }), 100, 40);
    const head = lines(text).find((l) => l.startsWith('IRQ')) ?? '';
    assert.match(head, /CPU63\b/);
    assert.match(head, /CPU0\b/);
  });

  it('IRQ rows that do not fit are counted; --top limits them and says so', () => {
    const s = machine(8);
    const short = frame(state(s), 100, 24);
    const shown = irqColumn(short).length;
    assert.ok(shown > 3 && shown < s.irqs.length, `${shown} rows`);
    assert.match(short, new RegExp(`${s.irqs.length - shown} more IRQs below`));

    const limited = frame(state(s, { limit: 5 }), 100, 60);
    assert.equal(irqColumn(limited).length, 5);
    assert.match(limited, new RegExp(`top 5 of ${s.irqs.length} IRQs`));
  });

  it('long names are cut with an ellipsis', () => {
    const s = sampleOf([0], [{ irq: '40', name: 'a-very-long-interrupt-handler-name-indeed', perCpu: [10] }]);
    const text = frame(state(s), 100, 20);
    assert.match(text, / a-very-long-interrupt-h… /);
  });

  it('zero cells are dots; rates are compact in the CPU columns and exact in RATE/s', () => {
    const s = sampleOf([0, 1], [{ irq: '40', name: 'eth0', perCpu: [19_074, 0] }]);
    const row = lines(frame(state(s), 100, 20)).find((l) => /^ 40 /.test(l)) ?? '';
    assert.match(row, /^ 40 {2}eth0 {2}19,074 +19k +\.$/);
  });

  it('a status message (the daemon went away) stays on screen above the keys', () => {
    const text = frame(state(machine(64), { message: 'cannot reach irqkitd; retrying' }), 100, 10);
    const ls = lines(text);
    assert.equal(ls[ls.length - 2], 'cannot reach irqkitd; retrying');
    assert.equal(ls[ls.length - 1], KEY_HELP);
  });

  it('without readable keys the footer only offers Ctrl-C; a single frame has no footer', () => {
    assert.match(frame(state(machine(2), { keys: false }), 80, 24), /Ctrl-C quit$/);
    assert.doesNotMatch(frame(state(machine(2), { live: false }), 80, 24), /quit/);
  });

  it('before the first sample it says what it is waiting for', () => {
    assert.match(
      frame(state(undefined), 100, 10),
      /waiting for the first sample from irqkitd at http:\/\/127\.0\.0\.1:9640/,
    );
  });
});

describe('top frame: colour', () => {
  it('no escapes without colour (NO_COLOR, --no-color, a pipe)', () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escapes
    assert.doesNotMatch(frame(state(machine(8)), 100, 40), /\u001b/);
    const noColor = pickStyle({ NO_COLOR: '1', FORCE_COLOR: '1' }, true, false);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escapes
    assert.doesNotMatch(frame(state(machine(8), { style: noColor }), 100, 40), /\u001b/);
  });

  it('heavy cells are red: an IRQ that alone carries an average CPU', () => {
    const s = sampleOf(range(4), [
      { irq: '30', name: 'eth0', perCpu: [4000, 0, 0, 0] },
      { irq: '31', name: 'eth1', perCpu: [0, 100, 100, 100] },
    ]);
    const text = frame(state(s, { style: ansi }), 100, 20);
    const row30 = lines(text).find((l) => stripAnsi(l).startsWith(' 30')) ?? '';
    const row31 = lines(text).find((l) => stripAnsi(l).startsWith(' 31')) ?? '';
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for the red escape
    assert.match(row30, /\u001b\[31m +4\.0k\u001b\[39m/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for the red escape
    assert.doesNotMatch(row31, /\u001b\[31m/);
  });
});

describe('top frame: sort orders', () => {
  const irqs: FakeIrq[] = [
    { irq: '100', name: 'b-dev', perCpu: [5, 0] },
    { irq: '2', name: 'c-dev', perCpu: [0, 50] },
    { irq: '10', name: 'a-dev', perCpu: [30, 0] },
    { irq: '7', name: 'a-dev', perCpu: [30, 0] },
    { irq: '9', name: 'idle', perCpu: [0, 0] },
  ];
  const s = sampleOf([0, 1], irqs);
  const order = (sort: IrqSortKey): string[] => sortIrqs(s.irqs, sort, s.cpus).map((r) => r.irq);

  it('rate: busiest first, ties by IRQ number', () => {
    assert.deepEqual(order({ by: 'load' }), ['2', '7', '10', '100', '9']);
  });
  it('irq: numerically, not as text', () => {
    assert.deepEqual(order({ by: 'irq' }), ['2', '7', '9', '10', '100']);
  });
  it('name: alphabetically, ties by IRQ number', () => {
    assert.deepEqual(order({ by: 'name' }), ['7', '10', '100', '2', '9']);
  });
  it("cpuN: that CPU's rate first, then the total rate", () => {
    assert.deepEqual(order({ by: 'cpu', cpu: 0 }), ['7', '10', '100', '2', '9']);
    assert.deepEqual(order({ by: 'cpu', cpu: 1 }), ['2', '7', '10', '100', '9']);
  });
  it('the frame lists rows in the sort order and names the key in the header', () => {
    const named: Array<[IrqSortKey, string]> = [
      [{ by: 'load' }, 'rate'],
      [{ by: 'irq' }, 'irq'],
      [{ by: 'name' }, 'name'],
      [{ by: 'cpu', cpu: 1 }, 'CPU1'],
    ];
    for (const [sort, name] of named) {
      const text = frame(state(s, { sort }), 100, 30);
      assert.deepEqual(irqColumn(text), order(sort));
      assert.match(text, new RegExp(`sort: ${name}  `));
    }
  });
  it('--sort values', () => {
    assert.deepEqual(parseSortKey('rate'), { by: 'load' });
    assert.deepEqual(parseSortKey('IRQ'), { by: 'irq' });
    assert.deepEqual(parseSortKey('name'), { by: 'name' });
    assert.deepEqual(parseSortKey('cpu12'), { by: 'cpu', cpu: 12 });
    assert.equal(parseSortKey('cpu'), undefined);
    assert.equal(parseSortKey('load'), undefined);
  });
});

describe('top frame: helpers', () => {
  it('formatRate fits five columns', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [0.44, '0.4'],
      [7, '7'],
      [999, '999'],
      [999.6, '1.0k'],
      [1234, '1.2k'],
      [19_074, '19k'],
      [999_400, '999k'],
      [3_400_000, '3.4M'],
      [5e9, '5.0G'],
    ];
    for (const [n, text] of cases) assert.equal(formatRate(n), text, String(n));
    for (let n = 0.1; n < 1e15; n *= 1.37) assert.ok(formatRate(n).length <= 5, `${n} → ${formatRate(n)}`);
  });

  it('clip cuts visible text, keeps escapes, marks the cut and resets the style', () => {
    assert.equal(clip('abcdef', 6), 'abcdef');
    assert.equal(clip('abcdef', 4), 'abc…');
    const red = '\u001b[31mabcdef\u001b[39m';
    const cut = clip(red, 4);
    assert.equal(visibleWidth(cut), 4);
    assert.equal(cut, '\u001b[31mabc…\u001b[0m');
    assert.equal(clip('abc', 0), '');
  });
});

describe('top frame: named rows and --top', () => {
  const withNamed = (): TopSample => ({
    ...sampleOf(range(2), [
      { irq: '24', name: 'eth0', perCpu: [900, 0] },
      { irq: '25', name: 'nvme0q1', perCpu: [0, 10] },
    ]),
    named: [
      { irq: 'LOC', name: 'Local timer interrupts', rate: 500, perCpu: [250, 250] },
      { irq: 'ERR', name: '', rate: 1, perCpu: [] },
    ],
  });
  const table = (text: string): string[] =>
    lines(stripAnsi(text))
      .slice(lines(stripAnsi(text)).findIndex((l) => /^IRQ {2}NAME/.test(l)) + 1)
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((k) => /^(\d+|[A-Z]+)$/.test(k) && k !== 'q');

  it('are sorted among the IRQs, as irqtop shows them; hidden, the keys line offers them back', () => {
    const shown = frame(state(withNamed()), 100, 30);
    assert.deepEqual(table(shown), ['24', 'LOC', '25', 'ERR']);
    assert.equal(lines(shown).at(-1), KEY_HELP);
    assert.match(KEY_HELP, / {2}a hide named rows$/);
    assert.match(shown, /2 IRQs \+ 2 named rows/);
    // A counter that is not per CPU (ERR) has no cells, not zeros.
    assert.match(lines(shown).find((l) => /^ERR/.test(l)) ?? '', /^ERR\s+1$/);
    const hidden = frame(state(withNamed(), { showNamed: false }), 100, 30);
    assert.deepEqual(table(hidden), ['24', '25']);
    assert.match(lines(hidden).at(-1) ?? '', / {2}a show named rows$/);
    assert.match(hidden, /2 IRQs \+ 2 named rows \(hidden\)/);
  });

  it('--top N keeps the N busiest rows whatever the sort, then sorts them', () => {
    assert.deepEqual(table(frame(state(withNamed(), { limit: 2, sort: { by: 'irq' } }), 100, 30)), [
      '24',
      'LOC',
    ]);
    assert.deepEqual(table(frame(state(withNamed(), { limit: 2 }), 100, 30)), ['24', 'LOC']);
  });
});
