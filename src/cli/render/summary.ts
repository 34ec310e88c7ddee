/** `irqkit summary`: interrupts per CPU over a window, with share, rate and a bar. */
import type { CpuSummary } from '../../api/schemas.ts';
import { bar } from './bars.ts';
import type { Style } from './color.ts';
import { formatInt, formatPercent, formatRate, formatRatio } from './format.ts';
import { renderTable } from './table.ts';
import { describeWindow } from './window.ts';

export function renderSummary(s: CpuSummary, style: Style, columns: number): string {
  const cpus = [...s.cpus].sort((a, b) => a.cpu - b.cpu);
  const max = Math.max(0, ...cpus.map((c) => c.interrupts));
  const cells = cpus.map((c) => [
    `CPU${c.cpu}`,
    formatInt(c.interrupts),
    formatPercent(c.share),
    formatRate(c.ratePerSecond),
  ]);
  const textWidth = renderTable(
    [{ header: 'CPU' }, { header: 'INTERRUPTS' }, { header: 'SHARE' }, { header: 'RATE/S' }],
    cells,
  ).reduce((w, l) => Math.max(w, l.length), 0);
  const barWidth = Math.max(10, Math.min(50, columns - textWidth - 3));
  const table = renderTable(
    [
      { header: 'CPU' },
      { header: 'INTERRUPTS', align: 'right' },
      { header: 'SHARE', align: 'right' },
      { header: 'RATE/S', align: 'right' },
      { header: '' },
    ],
    cpus.map((c, i) => {
      const b = bar(c.interrupts, max, barWidth);
      return [...(cells[i] ?? []), c.interrupts === max && max > 0 ? style.cyan(b) : b];
    }),
  );
  const out = [
    ...describeWindow('Interrupts per CPU', s.window, style).map((l, i) => (i === 0 ? style.bold(l) : l)),
    '',
    style.bold(table[0] ?? ''),
    ...table.slice(1),
    '',
  ];
  const busiest = cpus.find((c) => c.interrupts === max);
  const mean = cpus.length > 0 ? s.total / cpus.length : 0;
  out.push(`total        ${formatInt(s.total)} interrupts, ${formatRate(s.ratePerSecond)}/s`);
  if (busiest && s.total > 0) {
    out.push(
      `busiest      CPU${busiest.cpu}, ${formatPercent(busiest.share)} of the interrupts`,
      `peak/average ${formatRatio(max / mean)}  (1 is even; ${cpus.length} would be one CPU doing everything)`,
    );
  }
  return `${out.join('\n')}\n`;
}
