/** Plain aligned tables: no box borders, since wide per-CPU data needs every column. */
import { visibleWidth } from './color.ts';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Cut longer cells to this width with an ellipsis. */
  maxWidth?: number;
}

function cut(s: string, max: number | undefined): string {
  if (max === undefined || visibleWidth(s) <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const cells = rows.map((r) => columns.map((c, i) => cut(r[i] ?? '', c.maxWidth)));
  const widths = columns.map((c, i) =>
    Math.max(visibleWidth(c.header), ...cells.map((r) => visibleWidth(r[i] ?? ''))),
  );
  const line = (r: readonly string[]): string =>
    columns
      .map((c, i) => pad(r[i] ?? '', widths[i] ?? 0, c.align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}
