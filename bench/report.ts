/** Plain-text report helpers: aligned tables, section titles and number formats. */

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Renders rows under headers, columns padded to their widest cell and separated by two blanks. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const s = cells[i] ?? '';
        const w = widths[i] ?? 0;
        return c.align === 'right' ? s.padStart(w) : s.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}

export function section(title: string): string {
  return `\n== ${title} ${'='.repeat(Math.max(3, 96 - title.length))}`;
}

/** Integer with no separators (makespans must show their last digit). */
export function int(x: number | null): string {
  if (x === null) return '—';
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** Percent with enough digits to show tiny gaps. */
export function pct(x: number): string {
  if (x === 0) return '0%';
  const a = Math.abs(x);
  if (a >= 10) return `${x.toFixed(1)}%`;
  if (a >= 0.01) return `${x.toFixed(3)}%`;
  return `${x.toExponential(1)}%`;
}

export function ms(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 1) return x.toFixed(1);
  if (x >= 0.01) return x.toFixed(3);
  return x.toExponential(1);
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
