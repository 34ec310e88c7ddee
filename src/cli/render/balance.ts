/** `irqkit balance`: the assignment, per-CPU load and how good the plan is. */
import type { PlanResult } from '../../core/planner/plan.ts';
import { bar } from './bars.ts';
import type { Style } from './color.ts';
import { formatInt, formatNumber, formatPercent, formatRatio } from './format.ts';
import { renderTable } from './table.ts';

export function renderBalance(
  result: PlanResult,
  names: ReadonlyMap<string, string>,
  style: Style,
  columns: number,
  elapsedMs: number,
  idle: readonly string[] = [],
): string {
  const out: string[] = [];
  const table = renderTable(
    [
      { header: 'IRQ', align: 'right' },
      { header: 'NAME', maxWidth: 32 },
      { header: 'LOAD', align: 'right' },
      { header: 'CURRENT', align: 'right' },
      { header: 'TARGET', align: 'right' },
      { header: '' },
    ],
    result.assignments.map((a) => [
      a.id,
      names.get(a.id) ?? '',
      formatInt(a.load),
      a.current === undefined ? '-' : `CPU${a.current}`,
      a.moved ? style.yellow(`CPU${a.cpu}`) : `CPU${a.cpu}`,
      a.fixed ? 'fixed' : a.moved ? style.yellow('move') : '',
    ]),
  );
  out.push(style.bold(table[0] ?? ''), ...table.slice(1), '');
  if (idle.length > 0) {
    out.push(
      style.dim(`${idle.length} idle IRQs (no interrupts, left where they are): ${idle.join(' ')}`),
      '',
    );
  }

  const m = result.metrics;
  const labels = result.cpus.map((c) => `CPU${c.cpu}`);
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const figures = result.cpus.map((c) => `${formatInt(c.load)}  ${formatPercent(c.share)}  ${c.irqs} IRQs`);
  const figureWidth = Math.max(...figures.map((f) => f.length));
  const barWidth = Math.max(10, Math.min(50, columns - labelWidth - figureWidth - 6));
  out.push(style.bold('Per-CPU load'));
  result.cpus.forEach((c, i) => {
    const b = bar(c.load, m.makespan, barWidth).padEnd(barWidth);
    const painted = c.load === m.makespan ? style.cyan(b) : b;
    out.push(
      `${(labels[i] ?? '').padStart(labelWidth)} ${painted}  ${(figures[i] ?? '').padStart(figureWidth)}`,
    );
  });
  out.push('');

  const verdict = m.provenOptimal
    ? style.green('proven optimal')
    : m.gap === 0
      ? style.green('at the lower bound')
      : style.yellow(
          `not proven optimal (search ${result.search.stoppedBy === 'complete' ? 'finished' : 'stopped: time limit'})`,
        );
  const rows: Array<[string, string]> = [
    ['busiest CPU load (makespan)', `${formatNumber(m.makespan)}  ${verdict}`],
    ['lower bound', `${formatNumber(m.lowerBound)}  (${result.lowerBoundReason})`],
    ['gap to bound', `${formatNumber(m.gap)} interrupts (${m.gapPercent.toPrecision(3)}%)`],
    ['max - min', formatNumber(m.makespan - m.min)],
    ['peak-to-average (max/mean)', formatRatio(m.peakToAverage)],
    ['spread ((max-min)/mean)', formatRatio(m.spread)],
    [
      'moves',
      `${m.moves} of ${result.assignments.length} IRQs${m.tolerance > 0 ? ` (tolerance ${formatPercent(m.tolerance, 2)})` : ''}`,
    ],
    [
      'baselines (makespan)',
      `round-robin ${formatNumber(result.baselines.roundRobin)}, LPT ${formatNumber(result.baselines.lpt)}, KK ${
        result.baselines.kk === null ? 'n/a' : formatNumber(result.baselines.kk)
      }`,
    ],
    ['method', `${result.method}, ${elapsedMs.toFixed(0)} ms`],
  ];
  const keyWidth = Math.max(...rows.map(([k]) => k.length));
  out.push(style.bold('Balance'));
  for (const [k, v] of rows) out.push(`  ${k.padEnd(keyWidth)}  ${v}`);
  return `${out.join('\n')}\n`;
}
