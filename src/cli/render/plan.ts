/** `irqkit plan` and `irqkit apply`: the moves, per-CPU load before and after, and the metrics. */

import type { Plan } from '../../api/schemas.ts';
import { formatCpuList } from '../../core/cpuset.ts';
import type { Style } from './color.ts';
import { fitIrqs, movesToList, renderCpuLoads } from './cpu-loads.ts';
import { count, formatInt, formatPercent, formatRatio } from './format.ts';
import { renderTable } from './table.ts';
import { describeWindow } from './window.ts';

function nothingWorthMoving(p: Plan): string {
  return p.noise.exact || p.noise.confidence === 0
    ? 'Nothing worth moving: no move would lower the busier of its two CPUs.'
    : 'Nothing worth moving: no move would lower the busier of its two CPUs by more than the noise margin.';
}

function describeMargin(n: Plan['noise']): string {
  if (n.exact) return '0: the loads are exact, and so is the plan';
  if (n.confidence === 0) return '0 (--confidence 0): the measured loads are taken as exact';
  return `±${formatInt(n.makespanMargin)} on the busiest CPU (${n.confidence} standard errors of a difference): loads closer than that count as equal`;
}

export function renderPlan(p: Plan, style: Style, o: { all: boolean; columns: number }): string {
  const out: string[] = [
    ...describeWindow('Plan on the interrupts', p.window, style).map((l, i) => (i === 0 ? style.bold(l) : l)),
    `CPUs ${formatCpuList(p.cpus)}, NUMA ${p.numa}, method ${p.method}`,
    '',
  ];
  const moved = p.assignments.filter((a) => a.moved);
  const listed = o.all ? p.assignments : movesToList(moved);
  out.push(style.bold(`Moves: ${moved.length} of ${count(p.assignments.length, 'IRQ')}`));
  if (p.nothingWorthMoving) out.push(style.green(nothingWorthMoving(p)));
  if (listed.length > 0) {
    const table = renderTable(
      [
        { header: 'IRQ', align: 'right' },
        { header: 'NAME', maxWidth: 28 },
        { header: 'LOAD', align: 'right' },
        { header: 'FROM', align: 'right' },
        { header: 'TO', align: 'right' },
        { header: 'GAIN', align: 'right' },
        { header: 'MARGIN', align: 'right' },
        { header: 'ALLOWED' },
        { header: '' },
      ],
      listed.map((a) => [
        a.irq,
        a.name,
        formatInt(a.load),
        a.current === null ? '-' : `CPU${a.current}`,
        a.moved ? style.yellow(`CPU${a.cpu}`) : `CPU${a.cpu}`,
        // A move without a gain leaves a CPU the IRQ may not use: it has no home to weigh against.
        a.gain === undefined ? (a.moved ? '-' : '') : formatInt(a.gain),
        a.margin === undefined ? (a.moved ? '-' : '') : formatInt(a.margin),
        a.allowed ?? '',
        a.fixed ? 'fixed' : a.moved ? style.yellow(a.gain === undefined ? 'must move' : 'move') : '',
      ]),
    );
    out.push(style.bold(table[0] ?? ''), ...table.slice(1));
  }
  if (listed.length < moved.length) {
    out.push(
      style.dim(
        `… ${count(moved.length - listed.length, 'more move')}, with smaller gains (--all lists every IRQ)`,
      ),
    );
  }
  out.push('');

  const after = new Map(p.after.cpus.map((c) => [c.cpu, c] as const));
  const touched = new Set<number>();
  for (const m of moved) {
    touched.add(m.cpu);
    if (m.current !== null) touched.add(m.current);
  }
  out.push(
    style.bold('Per-CPU load (interrupts in the window ± one standard deviation; after = predicted)'),
    ...renderCpuLoads(
      p.before.cpus.map((c) => ({
        cpu: c.cpu,
        before: c.load,
        beforeStddev: c.stddev,
        after: after.get(c.cpu)?.load ?? 0,
        afterStddev: after.get(c.cpu)?.stddev ?? 0,
        irqs: after.get(c.cpu)?.irqs,
      })),
      { all: o.all, noise: true, columns: o.columns, style, touched },
    ),
    '',
  );

  const b = p.before.metrics;
  const a = p.after.metrics;
  const metricRows = [
    ['busiest CPU load (makespan)', formatInt(b.makespan), formatInt(a.makespan)],
    ['lower bound', formatInt(b.lowerBound), formatInt(a.lowerBound)],
    ['gap to bound', formatPercent(b.gapPercent / 100), formatPercent(a.gapPercent / 100)],
    ['peak-to-average', formatRatio(b.peakToAverage), formatRatio(a.peakToAverage)],
    ['spread ((max-min)/mean)', formatRatio(b.spread), formatRatio(a.spread)],
    ['cv', formatRatio(b.cv), formatRatio(a.cv)],
  ];
  const metricTable = renderTable(
    [{ header: 'METRIC' }, { header: 'BEFORE', align: 'right' }, { header: 'AFTER', align: 'right' }],
    metricRows,
  );
  out.push(style.bold(metricTable[0] ?? ''), ...metricTable.slice(1), '');
  const fixed = p.assignments.filter((x) => x.fixed).length;
  const verdict = a.provenOptimal
    ? style.green('proven optimal')
    : a.gap === 0
      ? style.green('at the lower bound')
      : '';
  const dropped = p.noise.movesDropped;
  const limits = [
    ...(a.tolerance > 0 ? [`tolerance ${formatPercent(a.tolerance, 2)}`] : []),
    ...(dropped > 0 ? [`${dropped} more left out by --max-moves`] : []),
  ];
  out.push(
    `moves        ${a.moves}${limits.length > 0 ? ` (${limits.join('; ')})` : ''}${verdict ? `; ${verdict}` : ''}`,
    `margin       ${describeMargin(p.noise)}`,
  );
  if (fixed > 0)
    out.push(
      `fixed        ${count(fixed, 'IRQ')} ${fixed === 1 ? 'stays where it is' : 'stay where they are'} (kernel-managed, banned or not movable)`,
    );
  if (p.idle.length > 0) {
    const lead = `idle         ${count(p.idle.length, 'IRQ')} had no interrupts, left where ${p.idle.length === 1 ? 'it is' : 'they are'}: `;
    out.push(
      lead +
        (o.all ? p.idle.join(' ') : fitIrqs(p.idle, Math.max(24, Math.min(o.columns, 100) - lead.length))),
    );
  }
  for (const n of p.notes) out.push(style.yellow(`note: ${n}`));
  return `${out.join('\n')}\n`;
}
