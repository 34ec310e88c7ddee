/**
 * One screen of `irqkit top`, as a pure function of the state and the terminal size, so every
 * layout decision (what fits, what is elided, how it is sorted) is testable without a terminal.
 *
 * The frame never has a line wider than `cols` nor more lines than `rows`: a line that reached
 * the last column would wrap and scroll the whole screen up by one on every refresh.
 */
import { bar } from './bars.ts';
import type { Style } from './color.ts';
import { visibleWidth } from './color.ts';
import { formatInt, formatPercent, count as plural } from './format.ts';
import { type IrqSortKey, parseSortWord, SORT_WORDS, sortIrqRows } from './irq-sort.ts';

export interface TopIrq {
  /** The IRQ number, or a named row's label (LOC, RES, IPI0…). */
  irq: string;
  name: string;
  /** Interrupts per second over the shown CPUs. */
  rate: number;
  /**
   * Interrupts per second on each shown CPU, aligned with `TopSample.cpus`; empty for a named row
   * whose counter is not per CPU (x86 ERR and MIS).
   */
  perCpu: readonly number[];
}

export interface TopSample {
  /** Seconds the daemon's window really covers. */
  windowSeconds: number;
  requestedSeconds: number;
  /** False while the daemon has less history than the window asked for. */
  complete: boolean;
  /** When the window ended, as the header shows it (local wall-clock time). */
  clock: string;
  /** The shown CPUs (all of the daemon's, or --cpus). */
  cpus: readonly number[];
  /** Interrupts per second on each shown CPU. */
  cpuRates: readonly number[];
  /** How many CPUs the daemon has in all, so a --cpus selection can say "4 of 8". */
  allCpus: number;
  irqs: readonly TopIrq[];
  /** The named rows (LOC, RES, CAL, TLB, IPIs…), shown among the IRQs as irqtop shows them. */
  named?: readonly TopIrq[];
}

export interface TopState {
  /** The daemon, as the header names it. */
  url: string;
  sample: TopSample | undefined;
  sort: IrqSortKey;
  /** --top: at most this many IRQ rows. */
  limit: number | undefined;
  /** A live view has a footer of keys; a single frame (--once, no terminal) has none. */
  live: boolean;
  /** Whether keys can be read (stdin is a terminal); without, only Ctrl-C quits. */
  keys: boolean;
  /** A status line, e.g. the daemon went away and top is retrying. */
  message: string | undefined;
  style: Style;
  /** Whether the named rows are in the table (the `a` key toggles it); absent means yes. */
  showNamed?: boolean;
  /** Reading /proc/interrupts itself (--procfs), not asking irqkitd. */
  direct?: boolean;
}

/** CPUs shown one per line up to this many; beyond, a grid is easier to take in. */
const MAX_CPU_LINES = 32;
/** Blank separator lines are only worth their rows on a terminal at least this tall. */
const ROOMY_ROWS = 14;
const NAME_MAX = 24;
const NAME_MIN = 4;
const HEAT = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

const KEYS = 'q quit  t rate  i IRQ  n name  c/C CPU';
/** The keys line while the named rows are shown (the default). */
export const KEY_HELP = `${KEYS}  a hide named rows`;

/** The keys line; the `a` key says what it will do. */
export function keyHelp(state: Pick<TopState, 'showNamed'>): string {
  return state.showNamed === false ? `${KEYS}  a show named rows` : KEY_HELP;
}

/** The rows of the table: the IRQs, and the named rows unless hidden. */
export function tableRows(s: TopSample, state: Pick<TopState, 'showNamed'>): readonly TopIrq[] {
  return state.showNamed === false || !s.named || s.named.length === 0 ? s.irqs : [...s.irqs, ...s.named];
}

/**
 * --top N: the N busiest rows, in `sort` order. The busiest, whatever the order, so that a
 * re-sort by IRQ number shows the same rows as before, as `overview --top` and `irqs --top` do.
 */
export function limitRows(
  rows: readonly TopIrq[],
  sort: IrqSortKey,
  cpus: readonly number[],
  limit: number | undefined,
): TopIrq[] {
  const kept =
    limit !== undefined && limit < rows.length ? sortIrqs(rows, { by: 'load' }, cpus).slice(0, limit) : rows;
  return sortIrqs(kept, sort, cpus);
}

/** The key as the header and --json name it: rate, irq, name or CPU3. */
export function sortName(sort: IrqSortKey): string {
  return sort.by === 'cpu' ? `CPU${sort.cpu}` : sort.by === 'load' ? 'rate' : sort.by;
}

/** Parses --sort: rate, irq, name or cpuN. */
export function parseSortKey(text: string): IrqSortKey | undefined {
  return parseSortWord(SORT_WORDS.top, text);
}

/** The shown rows in `sort` order; a CPU's column is looked up among the shown `cpus`. */
export function sortIrqs(irqs: readonly TopIrq[], sort: IrqSortKey, cpus: readonly number[]): TopIrq[] {
  return sortIrqRows(irqs, sort, (r) => ({
    irq: r.irq,
    name: r.name,
    load: r.rate,
    onCpu: (cpu) => r.perCpu[cpus.indexOf(cpu)] ?? 0,
  }));
}

/** A rate in at most 5 columns: 999, 1.2k, 19k, 3.4M. */
export function formatRate(n: number): string {
  if (!(n > 0)) return '0';
  if (n < 10 && !Number.isInteger(Math.round(n * 10) / 10)) return n.toFixed(1);
  if (n < 999.5) return String(Math.round(n));
  for (const [limit, unit] of [
    [1e3, 'k'],
    [1e6, 'M'],
    [1e9, 'G'],
  ] as const) {
    const v = n / limit;
    if (v < 9.95) return `${v.toFixed(1)}${unit}`;
    if (v < 999.5) return `${Math.round(v)}${unit}`;
  }
  return `${Math.round(n / 1e12)}T`;
}

/** Cuts a line that may hold ANSI escapes to `width` visible columns, marking the cut with '…'. */
export function clip(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  if (width <= 0) return '';
  let out = '';
  let seen = 0;
  let styled = false;
  for (let i = 0; i < line.length; ) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are copied, not counted
    const esc = /^\u001b\[[0-9;]*m/.exec(line.slice(i));
    if (esc) {
      out += esc[0];
      styled = true;
      i += esc[0].length;
      continue;
    }
    if (seen === width - 1) break;
    out += line[i];
    seen++;
    i++;
  }
  return `${out}…${styled ? '\u001b[0m' : ''}`;
}

interface Stats {
  total: number;
  mean: number;
  peak: number;
  busiest: number | undefined;
}

function stats(s: TopSample): Stats {
  const total = s.cpuRates.reduce((a, b) => a + b, 0);
  let peak = 0;
  let busiest: number | undefined;
  s.cpuRates.forEach((r, i) => {
    if (r > peak) {
      peak = r;
      busiest = s.cpus[i];
    }
  });
  return { total, mean: s.cpus.length > 0 ? total / s.cpus.length : 0, peak, busiest };
}

/**
 * Parts of a header line, as many as fit in `cols`: a narrow terminal loses the least
 * important figures whole instead of getting one cut in half.
 */
function fitParts(parts: readonly string[], cols: number): string {
  let line = parts[0] ?? '';
  for (const part of parts.slice(1)) {
    if (visibleWidth(line) + 2 + visibleWidth(part) > cols) break;
    line += `  ${part}`;
  }
  return line;
}

function header(state: TopState, st: Stats | undefined, cols: number): string[] {
  const { style, sample: s } = state;
  const first = [style.bold('irqkit top'), state.url];
  if (!s || !st) return [fitParts(first, cols)];
  const seconds = `window ${s.windowSeconds.toFixed(2)} s`;
  const window = s.complete
    ? seconds
    : style.yellow(`${seconds} of ${s.requestedSeconds} s (the daemon's history is still short)`);
  const cpus =
    s.cpus.length === s.allCpus
      ? plural(s.cpus.length, 'CPU')
      : `${s.cpus.length} of ${plural(s.allCpus, 'CPU')}`;
  const named = s.named?.length ?? 0;
  const rows =
    named === 0
      ? plural(s.irqs.length, 'IRQ')
      : `${plural(s.irqs.length, 'IRQ')} + ${plural(named, 'named row')}${state.showNamed === false ? ' (hidden)' : ''}`;
  const ratio = st.mean > 0 ? (st.peak / st.mean).toFixed(2) : '-';
  const busiest = st.busiest === undefined ? '' : ` (CPU${st.busiest})`;
  return [
    fitParts([...first, window, s.clock], cols),
    fitParts(
      [
        `total ${style.bold(`${formatInt(st.total)}/s`)}`,
        `peak/avg ${style.bold(ratio)}${busiest}`,
        `sort: ${sortName(state.sort)}`,
        cpus,
        rows,
      ],
      cols,
    ),
  ];
}

/** Load colour relative to the mean CPU: what needs attention stands out, balance stays plain. */
function heat(style: Style, value: number, mean: number): (s: string) => string {
  if (mean > 0 && value >= 2 * mean) return style.red;
  if (mean > 0 && value >= 1.25 * mean) return style.yellow;
  return (s) => s;
}

/** One IRQ on one CPU: heavy when it alone is a whole average CPU's load, warm at half of that. */
function cellHeat(style: Style, value: number, mean: number): (s: string) => string {
  if (mean > 0 && value >= mean) return style.red;
  if (mean > 0 && value >= mean / 2) return style.yellow;
  return (s) => s;
}

/**
 * The per-CPU section in at most `budget` lines: one bar per CPU while they fit, then a grid of
 * small bars, then a heat strip of one character per CPU (a thousand CPUs in a dozen lines), and
 * past that as many strip lines as fit and how many CPUs are left out.
 */
function cpuSection(s: TopSample, st: Stats, cols: number, budget: number, style: Style): string[] {
  const k = s.cpus.length;
  if (budget <= 0 || k === 0) return [];
  const labels = s.cpus.map((c) => `CPU${c}`);
  const labelWidth = Math.max(...labels.map((l) => l.length));

  if (k <= Math.min(budget, MAX_CPU_LINES)) {
    const figures = s.cpuRates.map(
      (r) => `${formatInt(r)}/s ${formatPercent(st.total > 0 ? r / st.total : 0).padStart(6)}`,
    );
    const figureWidth = Math.max(...figures.map((f) => f.length));
    const barWidth = Math.min(60, cols - labelWidth - figureWidth - 4);
    return s.cpus.map((_, i) => {
      const rate = s.cpuRates[i] ?? 0;
      const b =
        barWidth >= 4 ? `${heat(style, rate, st.mean)(bar(rate, st.peak, barWidth).padEnd(barWidth))}  ` : '';
      return `${(labels[i] ?? '').padEnd(labelWidth)} ${b}${(figures[i] ?? '').padStart(figureWidth)}`;
    });
  }

  for (const barWidth of [8, 6, 4, 2]) {
    const cellWidth = labelWidth + 1 + barWidth + 1 + 5;
    const perLine = Math.floor((cols + 2) / (cellWidth + 2));
    if (perLine < 1 || Math.ceil(k / perLine) > budget) continue;
    const lines: string[] = [];
    for (let start = 0; start < k; start += perLine) {
      const cells: string[] = [];
      for (let i = start; i < Math.min(k, start + perLine); i++) {
        const rate = s.cpuRates[i] ?? 0;
        const b = heat(style, rate, st.mean)(bar(rate, st.peak, barWidth).padEnd(barWidth));
        cells.push(`${(labels[i] ?? '').padEnd(labelWidth)} ${b} ${formatRate(rate).padStart(5)}`);
      }
      lines.push(cells.join('  '));
    }
    return lines;
  }

  // Heat strip: a label naming the line's first and last CPU, then one character per CPU.
  const rangeWidth = 2 * labelWidth - 2;
  const room = cols - rangeWidth - 1;
  const perLine = room >= 16 ? room - (room % 8) : Math.max(1, room);
  const strips: string[] = [];
  for (let start = 0; start < k; start += perLine) {
    const end = Math.min(k, start + perLine) - 1;
    const label = `CPU${s.cpus[start]}-${s.cpus[end]}`.padEnd(rangeWidth);
    let cells = '';
    for (let i = start; i <= end; i++) {
      const rate = s.cpuRates[i] ?? 0;
      const level = st.peak > 0 && rate > 0 ? Math.min(7, Math.ceil((rate / st.peak) * 8) - 1) : -1;
      cells += level < 0 ? '.' : heat(style, rate, st.mean)(HEAT[level] ?? '█');
    }
    strips.push(`${label} ${cells}`);
  }
  const legend = style.dim(`one character per CPU: . idle, █ = ${formatRate(st.peak)}/s`);
  if (strips.length + 1 <= budget) return [...strips, legend];
  if (budget === 1)
    return [
      style.dim(`${plural(k, 'CPU')} do${k === 1 ? 'es' : ''} not fit; enlarge the terminal or use --cpus`),
    ];
  const shown = strips.slice(0, budget - 1);
  const hidden = k - Math.min(k, shown.length * perLine);
  return [
    ...shown,
    style.dim(
      `… ${plural(hidden, 'more CPU')} do${hidden === 1 ? 'es' : ''} not fit; enlarge the terminal or use --cpus`,
    ),
  ];
}

interface IrqTable {
  lines: string[];
  hiddenCpus: number;
}

/**
 * The IRQ table with as many per-CPU columns as fit beside IRQ, NAME and RATE. When some do not
 * fit, the busiest CPUs are shown (they are where the load is), and always the CPU being sorted
 * on, in CPU order.
 */
function irqTable(state: TopState, s: TopSample, rows: readonly TopIrq[], cols: number, st: Stats): IrqTable {
  const { style } = state;
  const irqWidth = Math.max(3, ...rows.map((r) => r.irq.length));
  const rates = rows.map((r) => formatInt(r.rate));
  const rateWidth = Math.max('RATE/s'.length, ...rates.map((r) => r.length));
  const longestName = Math.max(4, ...rows.map((r) => r.name.length));
  let nameWidth = Math.min(NAME_MAX, longestName);
  const fixed = (): number => irqWidth + 2 + nameWidth + 2 + rateWidth;
  if (fixed() > cols) nameWidth = Math.max(NAME_MIN, nameWidth - (fixed() - cols));

  const cellWidth = Math.max(5, ...s.cpus.map((c) => `CPU${c}`.length));
  const fit = Math.max(0, Math.floor((cols - fixed()) / (cellWidth + 1)));
  const focus = state.sort.by === 'cpu' ? s.cpus.indexOf(state.sort.cpu) : -1;
  let shown: number[];
  if (fit >= s.cpus.length) {
    shown = s.cpus.map((_, i) => i);
  } else {
    const busiest = s.cpus
      .map((_, i) => i)
      .filter((i) => i !== focus)
      .sort((a, b) => (s.cpuRates[b] ?? 0) - (s.cpuRates[a] ?? 0) || a - b);
    shown = [...(focus >= 0 ? [focus] : []), ...busiest].slice(0, fit).sort((a, b) => a - b);
  }

  // The column the rows are sorted on is marked in colour (and the header says which it is).
  const mark = (text: string, on: boolean): string => (on ? style.cyan(text) : text);
  const head =
    `${mark('IRQ'.padStart(irqWidth), state.sort.by === 'irq')}  ` +
    `${mark('NAME'.padEnd(nameWidth), state.sort.by === 'name')}  ` +
    mark('RATE/s'.padStart(rateWidth), state.sort.by === 'load') +
    shown.map((i) => ` ${mark(`CPU${s.cpus[i]}`.padStart(cellWidth), i === focus)}`).join('');
  const lines = [style.bold(head)];
  rows.forEach((r, n) => {
    const name = r.name.length > nameWidth ? `${r.name.slice(0, nameWidth - 1)}…` : r.name.padEnd(nameWidth);
    // Named rows are not IRQs a plan can move: no heat, and a dim label, so the IRQs stand out.
    const isNamed = !/^\d/.test(r.irq);
    const cells = shown.map((i) => {
      if (r.perCpu.length === 0) return ` ${''.padStart(cellWidth)}`;
      const v = r.perCpu[i] ?? 0;
      const text = (v > 0 ? formatRate(v) : '.').padStart(cellWidth);
      if (v === 0) return ` ${style.dim(text)}`;
      return ` ${isNamed ? text : cellHeat(style, v, st.mean)(text)}`;
    });
    const label = r.irq.padStart(irqWidth);
    lines.push(
      `${isNamed ? style.dim(label) : label}  ${name}  ${(rates[n] ?? '').padStart(rateWidth)}${cells.join('')}`.trimEnd(),
    );
  });
  return { lines, hiddenCpus: s.cpus.length - shown.length };
}

/**
 * The whole screen: header, per-CPU section, IRQ table, a line saying what was left out, the
 * status message and (live) the keys. `rows` may be Infinity (a single frame into a pipe).
 */
export function frame(state: TopState, cols: number, rows: number): string {
  if (rows < 1 || cols < 1) return '';
  const { style, sample: s } = state;
  const st = s ? stats(s) : undefined;
  const top = header(state, st, cols);
  const footer = state.live ? [style.dim(state.keys ? keyHelp(state) : 'Ctrl-C quit')] : [];
  const message = state.message === undefined ? [] : [style.yellow(state.message)];
  let body: string[];

  if (!s || !st) {
    body = [
      '',
      state.direct
        ? `waiting for a second read of ${state.url} …`
        : `waiting for the first sample from irqkitd at ${state.url} …`,
    ];
  } else {
    let avail = rows - top.length - footer.length - message.length;
    const roomy = avail >= ROOMY_ROWS;
    if (roomy) avail -= 2;
    const all = tableRows(s, state);
    const noun = all.length > s.irqs.length ? 'row' : 'IRQ';
    const wanted = Math.min(state.limit ?? Number.POSITIVE_INFINITY, all.length);
    // The IRQ table keeps a header, a few rows and its elision line; the CPUs get at most half.
    const cpuBudget = Math.max(0, Math.min(avail - (2 + Math.min(wanted, 3)), Math.ceil(avail / 2)));
    const cpus = cpuSection(s, st, cols, cpuBudget, style);
    avail -= cpus.length;

    const sorted = limitRows(all, state.sort, s.cpus, state.limit);
    let count = Math.max(0, Math.min(wanted, avail - 1));
    let table = irqTable(state, s, sorted.slice(0, count), cols, st);
    const noteNeeded = (): boolean => count < all.length || table.hiddenCpus > 0;
    if (noteNeeded() && count + 2 > avail && count > 0) {
      count = Math.max(0, avail - 2);
      table = irqTable(state, s, sorted.slice(0, count), cols, st);
    }
    const showNote = noteNeeded() && count + 2 <= avail;
    const notes: string[] = [];
    if (count < all.length) {
      notes.push(
        count === wanted && state.limit !== undefined
          ? `top ${count} of ${plural(all.length, noun)}`
          : `${plural(all.length - count, `more ${noun}`)} below`,
      );
    }
    if (table.hiddenCpus > 0) {
      notes.push(
        `${table.hiddenCpus} of ${plural(s.cpus.length, 'CPU column')} hidden, the busiest shown (widen or use --cpus)`,
      );
    }
    body = [
      ...(roomy ? [''] : []),
      ...cpus,
      ...(roomy && cpus.length > 0 ? [''] : []),
      ...(avail >= 1 ? table.lines : []),
      ...(showNote ? [style.dim(notes.join('; '))] : []),
    ];
  }

  // The layout above aims to fit; this makes sure of it, keeping the keys on the last line.
  const head = [...top, ...body, ...message].slice(0, Math.max(0, rows - footer.length));
  return [...head, ...footer]
    .slice(0, rows)
    .map((line) => clip(line, cols))
    .join('\n');
}
