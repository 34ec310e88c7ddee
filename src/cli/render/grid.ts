/**
 * The IRQ × CPU grid of `irqkit overview`: short numbers for narrow terminals, heat colours, and
 * which CPU columns fit a width. Kept apart from the command so the fitting rules can be read
 * (and tested) on their own.
 */
import type { Style } from './color.ts';
import { formatInt } from './format.ts';

const SUFFIXES = ['', 'k', 'M', 'G', 'T', 'P'];

/**
 * At most 5 characters: exact below 10,000 ("9999"), else three significant digits with an SI
 * suffix ("12.3k", "456M", "1.23G"). Counts since boot reach billions; grouped digits would
 * need 13 characters per CPU column.
 */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs < 10_000) return String(Math.round(n));
  let i = 0;
  let v = abs;
  while (v >= 999.5 && i < SUFFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = v >= 99.95 ? v.toFixed(0) : v >= 9.995 ? v.toFixed(1) : v.toFixed(2);
  return `${n < 0 ? '-' : ''}${digits}${SUFFIXES[i]}`;
}

export type CellFormat = 'full' | 'compact';

export function formatCell(n: number | undefined, format: CellFormat): string {
  if (n === undefined) return '';
  return format === 'full' ? formatInt(n) : formatCompact(n);
}

/**
 * Heat of a cell against the largest cell of its table: half of it or more is hot, a tenth or
 * more is warm, zero is dim. Relative to the table, not the row, so a quiet IRQ's only CPU does
 * not look as busy as the NIC queue that floods CPU 0.
 */
export function heat(value: number | undefined, max: number, style: Style): (s: string) => string {
  if (value === undefined || !(max > 0)) return (s) => s;
  if (value === 0) return style.dim;
  if (value >= max / 2) return (s) => style.bold(style.red(s));
  if (value >= max / 10) return style.yellow;
  return (s) => s;
}

export interface FitInput {
  /** Width available for the whole line; Infinity when there is no terminal to fit. */
  width: number;
  /** Width of everything but the CPU columns, separators included. */
  fixedWidth: number;
  /** Candidate CPU columns in display order, each with its width and how busy it is. */
  columns: ReadonlyArray<{ cpu: number; width: number; load: number }>;
  /** Separator between columns. */
  gap: number;
}

/**
 * The CPU columns to show: all when they fit, else the busiest that fit (ties: lower CPU id
 * first), kept in display order, because on a wide machine the busy CPUs are what one looks for.
 */
export function fitColumns(input: FitInput): number[] {
  const all = input.columns.map((c) => c.cpu);
  const need = (cols: FitInput['columns']): number =>
    input.fixedWidth + cols.reduce((sum, c) => sum + c.width + input.gap, 0);
  if (need(input.columns) <= input.width) return all;
  const byLoad = input.columns.map((c, i) => ({ ...c, i })).sort((a, b) => b.load - a.load || a.cpu - b.cpu);
  let used = input.fixedWidth;
  const keep = new Set<number>();
  for (const c of byLoad) {
    if (used + c.width + input.gap > input.width) break;
    used += c.width + input.gap;
    keep.add(c.i);
  }
  return input.columns.filter((_, i) => keep.has(i)).map((c) => c.cpu);
}

/** Word-wraps `text` to `width` columns; continuation lines get `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  if (!Number.isFinite(width) || text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if (next.length > width && line !== '') {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = next;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
