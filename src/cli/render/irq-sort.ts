/**
 * How the commands that list IRQs (overview, irqs, top) order them: one key type and one
 * comparator. Busiest-first keys fall back to the load and then the IRQ number; IRQ numbers and
 * names sort ascending, names by code unit (the same order in every locale). So equal rows never
 * swap places between two runs or two refreshes.
 *
 * Every command that lists IRQs takes the same --sort words (`SORT_WORDS`): rate, irq, name and
 * cpu:N, plus node and effective where the rows have them (irqs).
 */
import { suggest } from '../../args/command-args.ts';
import { IrqkitError } from '../../core/errors.ts';

export type IrqSortKey =
  /** By IRQ number ("41#1", a repeated label, after "41"). */
  | { by: 'irq' }
  /** Busiest first: the row's rate, or its count where the list shows counts. */
  | { by: 'load' }
  | { by: 'name' }
  /** NUMA node, unknown last. */
  | { by: 'node' }
  /** The CPU the IRQ is delivered to, unknown last. */
  | { by: 'effective-cpu' }
  /** Busiest on that CPU first. */
  | { by: 'cpu'; cpu: number };

/** What the comparator needs of a row; a list provides the fields its keys use. */
export interface IrqSortFields {
  irq: string;
  name: string;
  load: number;
  /** The row's rate or count on one CPU (0 where it has none); for `cpu`. */
  onCpu?: (cpu: number) => number;
  /** For `node`. */
  node?: number | null;
  /** For `effective-cpu`. */
  effectiveCpu?: number | null;
}

const IRQ_ID = /^(\d+)(?:#(\d+))?$/;

/** IRQ numbers in numeric order, repeated labels ("41#1") after their first; names after numbers. */
export function compareIrqIds(a: string, b: string): number {
  const ma = IRQ_ID.exec(a);
  const mb = IRQ_ID.exec(b);
  if (ma && mb) return Number(ma[1]) - Number(mb[1]) || Number(ma[2] ?? 0) - Number(mb[2] ?? 0);
  if (ma) return -1;
  if (mb) return 1;
  return byCodeUnit(a, b);
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const unknownLast = (n: number | null | undefined): number => n ?? Number.POSITIVE_INFINITY;

interface Decorated<T> {
  row: T;
  f: IrqSortFields;
  /** The key's value, read once per row. */
  v: number;
}

function primary(key: IrqSortKey, f: IrqSortFields): number {
  switch (key.by) {
    case 'cpu':
      return f.onCpu?.(key.cpu) ?? 0;
    case 'node':
      return unknownLast(f.node);
    case 'effective-cpu':
      return unknownLast(f.effectiveCpu);
    default:
      return 0;
  }
}

function compare(key: IrqSortKey, a: Decorated<unknown>, b: Decorated<unknown>): number {
  const byIrq = compareIrqIds(a.f.irq, b.f.irq);
  switch (key.by) {
    case 'irq':
      return byIrq;
    case 'load':
      return b.f.load - a.f.load || byIrq;
    case 'name':
      return byCodeUnit(a.f.name, b.f.name) || byIrq;
    case 'cpu':
      return b.v - a.v || b.f.load - a.f.load || byIrq;
    case 'node':
    case 'effective-cpu':
      // Infinity - Infinity is NaN: two unknowns tie.
      return (a.v === b.v ? 0 : a.v - b.v) || byIrq;
  }
}

/** `rows` in `key` order (a new array); `fields` is read once per row. */
export function sortIrqRows<T>(rows: readonly T[], key: IrqSortKey, fields: (row: T) => IrqSortFields): T[] {
  const decorated = rows.map((row): Decorated<T> => {
    const f = fields(row);
    return { row, f, v: primary(key, f) };
  });
  decorated.sort((a, b) => compare(key, a, b));
  return decorated.map((d) => d.row);
}

/** The first CPU of a cpulist ("4-7" → 4); null when there is none. */
export function firstCpu(list: string | null | undefined): number | null {
  const m = /^\d+/.exec(list ?? '');
  return m ? Number(m[0]) : null;
}

interface SortWords {
  /** Words → keys, old spellings included so that scripts keep working. */
  words: Readonly<Record<string, IrqSortKey>>;
  /** Whether the rows have a column per CPU, so that cpu:N can sort on one. */
  cpuColumns: boolean;
  /** What --help and errors list. */
  listed: readonly string[];
}

/** The words every list takes, and the old spellings of each (`total`, `t` …). */
const COMMON_WORDS: Readonly<Record<string, IrqSortKey>> = {
  rate: { by: 'load' },
  total: { by: 'load' },
  t: { by: 'load' },
  r: { by: 'load' },
  irq: { by: 'irq' },
  i: { by: 'irq' },
  name: { by: 'name' },
  n: { by: 'name' },
};

const COLUMN_LIST = ['rate', 'irq', 'name', 'cpu:N'] as const;

/**
 * One vocabulary: `rate` (busiest first), `irq`, `name`, and `cpu:N` (that CPU's column, busiest
 * first; `cpuN` as top took it). `irqs` has no per-CPU columns, but a node and an effective CPU
 * (`cpu`, as it always took it, is that effective CPU).
 */
export const SORT_WORDS = {
  overview: { words: COMMON_WORDS, cpuColumns: true, listed: COLUMN_LIST },
  top: { words: COMMON_WORDS, cpuColumns: true, listed: COLUMN_LIST },
  show: { words: COMMON_WORDS, cpuColumns: true, listed: COLUMN_LIST },
  irqs: {
    words: {
      ...COMMON_WORDS,
      node: { by: 'node' },
      effective: { by: 'effective-cpu' },
      cpu: { by: 'effective-cpu' },
    },
    cpuColumns: false,
    listed: ['rate', 'irq', 'name', 'node', 'effective'],
  },
} as const satisfies Record<string, SortWords>;

export type SortCommand = keyof typeof SORT_WORDS;

const CPU_COLUMN = /^cpu\s*:?\s*(\d+)$/;

/** What each word means, as --help explains it. */
const SORT_MEANING: Readonly<Record<string, string>> = {
  rate: 'busiest first',
  'cpu:N': "CPU N's column, busiest first",
  node: 'NUMA node',
  effective: 'the CPU it is delivered to',
};

/** The --sort line of a command's --help, naming its default. */
export function sortHelp(command: SortCommand, defaultWord: string): string {
  const words = SORT_WORDS[command].listed.map((w) => {
    const notes = [SORT_MEANING[w], w === defaultWord ? 'default' : undefined].filter((x) => x !== undefined);
    return notes.length > 0 ? `${w} (${notes.join(', ')})` : w;
  });
  return `row order: ${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** A --sort value as one command reads it (case and blanks aside); undefined when it is none of its words. */
export function parseSortWord(vocabulary: SortWords, text: string): IrqSortKey | undefined {
  const t = text.trim().toLowerCase();
  if (Object.hasOwn(vocabulary.words, t)) return vocabulary.words[t];
  const m = vocabulary.cpuColumns ? CPU_COLUMN.exec(t) : null;
  return m ? { by: 'cpu', cpu: Number(m[1]) } : undefined;
}

/** --sort as `parseSortWord` reads it; anything else is a usage error naming the words, and the nearest. */
export function sortKeyOrUsage(vocabulary: SortWords, text: string): IrqSortKey {
  const key = parseSortWord(vocabulary, text);
  if (key) return key;
  const t = text.trim().toLowerCase();
  const list = `${vocabulary.listed.slice(0, -1).join(', ')} or ${vocabulary.listed[vocabulary.listed.length - 1]}`;
  if (!vocabulary.cpuColumns && CPU_COLUMN.test(t)) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `--sort takes ${list}, not '${text}': these rows have no per-CPU columns (overview, top and show have)`,
    );
  }
  if (vocabulary.cpuColumns && t === 'cpu') {
    throw new IrqkitError('IRQ_ERR_USAGE', `--sort cpu:N names a CPU's column, e.g. cpu:3, not '${text}'`);
  }
  // Old spellings count as near misses too: 'totl' was meant as total, which still works.
  const near = suggest(t, [
    ...vocabulary.listed,
    ...Object.keys(vocabulary.words).filter((w) => w.length > 2),
  ]);
  throw new IrqkitError(
    'IRQ_ERR_USAGE',
    `--sort takes ${list}, not '${text}'${near ? ` (did you mean ${near}?)` : ''}`,
  );
}
