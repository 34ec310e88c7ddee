/**
 * How the commands that list IRQs (overview, irqs, top) order them: one key type and one
 * comparator. Busiest-first keys fall back to the load and then the IRQ number; IRQ numbers and
 * names sort ascending, names by code unit (the same order in every locale). So equal rows never
 * swap places between two runs or two refreshes.
 *
 * Each command still takes its own --sort words (`SORT_WORDS`); they all name one of these keys.
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
  /** Words → keys. */
  words: Readonly<Record<string, IrqSortKey>>;
  /** A CPU's column: the pattern's first group is the CPU number. */
  cpu?: RegExp;
  /** What --help and errors list. */
  listed: readonly string[];
}

/**
 * Each command's --sort words, as each has always taken them. One vocabulary for all of them
 * is a later change; until then they differ only here.
 */
export const SORT_WORDS = {
  overview: {
    words: { irq: { by: 'irq' }, total: { by: 'load' }, name: { by: 'name' } },
    cpu: /^cpu:?(\d+)$/,
    listed: ['irq', 'total', 'name', 'cpu:N'],
  },
  irqs: {
    words: {
      irq: { by: 'irq' },
      rate: { by: 'load' },
      name: { by: 'name' },
      node: { by: 'node' },
      cpu: { by: 'effective-cpu' },
    },
    listed: ['irq', 'rate', 'name', 'node', 'cpu'],
  },
  top: {
    words: {
      rate: { by: 'load' },
      total: { by: 'load' },
      t: { by: 'load' },
      irq: { by: 'irq' },
      i: { by: 'irq' },
      name: { by: 'name' },
      n: { by: 'name' },
    },
    cpu: /^cpu(\d+)$/,
    listed: ['rate', 'irq', 'name', 'cpuN'],
  },
} as const satisfies Record<string, SortWords>;

/** A --sort value as one command reads it (case and blanks aside); undefined when it is none of its words. */
export function parseSortWord(vocabulary: SortWords, text: string): IrqSortKey | undefined {
  const t = text.trim().toLowerCase();
  if (Object.hasOwn(vocabulary.words, t)) return vocabulary.words[t];
  const m = vocabulary.cpu?.exec(t);
  return m ? { by: 'cpu', cpu: Number(m[1]) } : undefined;
}

/** --sort as `parseSortWord` reads it; anything else is a usage error naming the words, and the nearest. */
export function sortKeyOrUsage(vocabulary: SortWords, text: string): IrqSortKey {
  const key = parseSortWord(vocabulary, text);
  if (key) return key;
  const near = suggest(text.trim().toLowerCase(), vocabulary.listed);
  throw new IrqkitError(
    'IRQ_ERR_USAGE',
    `--sort takes ${vocabulary.listed.join(', ')}, not '${text}'${near ? ` (did you mean ${near}?)` : ''}`,
  );
}
