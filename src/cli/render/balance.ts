/** `irqkit balance`: the assignment, per-CPU load before and after, and how good the plan is. */
import { formatCpuList } from '../../core/cpuset.ts';
import type { FixedReason } from '../../core/irq-classes.ts';
import type { MeasuredLoad } from '../../core/measured-loads.ts';
import type { PlanResult } from '../../core/planner/plan.ts';
import type { ManagedFindings } from '../../io/irq-facts.ts';
import type { LiveRules } from '../balance-live.ts';
import type { SampledSnapshot } from '../input.ts';
import { bar } from './bars.ts';
import type { Style } from './color.ts';
import { formatInt, formatNumber, formatPercent, formatRatio } from './format.ts';
import { renderTable } from './table.ts';

export interface BalanceView {
  result: PlanResult;
  names: ReadonlyMap<string, string>;
  /** What each planned CPU serviced in the window (the file's columns, or the live window). */
  before: readonly MeasuredLoad[];
  /** Why each fixed IRQ stays (`banned`: --fixed). */
  reasons: ReadonlyMap<string, FixedReason>;
  idle: readonly string[];
  elapsedMs: number;
  noise: 'none' | 'poisson' | 'sampled';
  maxMoves: number | null;
  /** The machine's rules, for a live measurement; null for a FILE. */
  live: LiveRules | null;
}

const REASON_LABEL: Record<FixedReason, string> = {
  managed: 'managed',
  banned: 'fixed',
  pinned: 'pinned',
  unreadable: 'fixed (no /proc/irq)',
  'numa-strict': 'fixed (numa strict)',
};

const irqList = (irqs: readonly string[]): string =>
  irqs.length <= 12 ? irqs.join(' ') : `${irqs.slice(0, 12).join(' ')} … (${irqs.length} in all)`;

/** One line for people: which IRQs the kernel manages, and how that was found out. */
export function describeManaged(m: ManagedFindings): string {
  if (m.untestedReason === 'no-proc-irq') {
    return 'not known: there is no /proc/irq to read; IRQs the kernel manages may be proposed';
  }
  const counts = new Map<string, number>();
  for (const how of m.how.values()) counts.set(how, (counts.get(how) ?? 0) + 1);
  const kernel = m.kernel === null ? 'this kernel' : `kernel ${m.kernel}`;
  const ways: string[] = [];
  if (m.modeTells) ways.push('from file modes (kernel ≥ 6.12)');
  else {
    if (counts.get('read-only')) ways.push(`${counts.get('read-only')} from read-only files`);
    if (counts.get('debugfs')) ways.push(`${counts.get('debugfs')} from debugfs`);
    if (counts.get('write'))
      ways.push(`${counts.get('write')} tested by writing their own affinity back (${kernel} < 6.12)`);
  }
  const untested = counts.get('untested') ?? 0;
  const found =
    m.managed.length > 0
      ? `${irqList(m.managed)}, left where they are`
      : untested > 0
        ? 'none found'
        : 'none';
  const why =
    m.untestedReason === 'no-probe'
      ? 'not probed (--no-probe)'
      : m.untestedReason === 'needs-root'
        ? `not probed: needs root (${kernel} shows them only to a write)`
        : 'not known: the test write failed';
  const missing = untested > 0 ? `; ${untested} IRQs ${why}; IRQs the kernel manages may be proposed` : '';
  return `${found}${ways.length > 0 ? `; found ${ways.join(', ')}` : ''}${missing}`;
}

/** What was measured and which of the machine's rules shaped the plan. */
export function renderLiveHeader(sampled: SampledSnapshot, live: LiveRules | null, style: Style): string {
  const out = [
    `Measured ${sampled.source} over ${sampled.seconds.toFixed(2)} s in ${sampled.samples} sample${
      sampled.samples === 1 ? '' : 's'
    }; loads are interrupts in that window.`,
  ];
  if (live !== null) {
    const left: string[] = [];
    if (live.excluded.isolated.length > 0) left.push(`isolated ${formatCpuList(live.excluded.isolated)}`);
    if (live.excluded.nohzFull.length > 0) left.push(`nohz_full ${formatCpuList(live.excluded.nohzFull)}`);
    out.push(
      `Planned CPUs ${formatCpuList(live.cpus)}${
        left.length > 0 ? `; left out: ${left.join(', ')} (name them in --cpus to plan them)` : ''
      }${live.sysfs ? '' : ' (no sysfs read: every CPU column taken as online)'}; NUMA policy ${live.numa}.`,
      `Kernel-managed IRQs: ${describeManaged(live.managed)}.`,
      ...live.notes.map((n) => style.dim(n)),
    );
  }
  return `${out.join('\n')}\n\n`;
}

function withStddev(load: number, stddev: number, exact: boolean): string {
  return exact ? formatInt(load) : `${formatInt(load)} ± ${formatInt(stddev)}`;
}

export function renderBalance(view: BalanceView, style: Style, columns: number): string {
  const { result, names } = view;
  const out: string[] = [];
  const exact = result.noise.exact;
  const showGain = result.assignments.some((a) => a.moved && a.gain !== undefined);
  const table = renderTable(
    [
      { header: 'IRQ', align: 'right' },
      { header: 'NAME', maxWidth: 32 },
      { header: 'LOAD', align: 'right' },
      { header: 'CURRENT', align: 'right' },
      { header: 'TARGET', align: 'right' },
      ...(showGain ? [{ header: 'GAIN', align: 'right' as const }] : []),
      { header: '' },
    ],
    result.assignments.map((a) => [
      a.id,
      names.get(a.id) ?? '',
      formatInt(a.load),
      a.current === undefined ? '-' : `CPU${a.current}`,
      a.moved ? style.yellow(`CPU${a.cpu}`) : `CPU${a.cpu}`,
      ...(showGain ? [a.moved && a.gain !== undefined ? formatInt(a.gain) : ''] : []),
      a.fixed ? REASON_LABEL[view.reasons.get(a.id) ?? 'banned'] : a.moved ? style.yellow('move') : '',
    ]),
  );
  out.push(style.bold(table[0] ?? ''), ...table.slice(1), '');
  if (view.idle.length > 0) {
    out.push(
      style.dim(`${view.idle.length} idle IRQs (no interrupts, left where they are): ${view.idle.join(' ')}`),
      '',
    );
  }

  const m = result.metrics;
  const before = new Map(view.before.map((b) => [b.cpu, b]));
  // Columns after the bar: load (± stddev), share, IRQ count, load before; each right-aligned.
  const cells = result.cpus.map((c) => {
    const b = before.get(c.cpu);
    return [
      `CPU${c.cpu}`,
      withStddev(c.load, c.stddev, exact),
      formatPercent(c.share),
      `${c.irqs} IRQs`,
      b === undefined ? '' : `before ${withStddev(b.load, b.stddev, exact)}`,
    ];
  });
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const used = widths.reduce((a, w) => a + w, 0) + 10;
  const barWidth = Math.max(10, Math.min(50, columns - used));
  out.push(style.bold('Per-CPU load after the plan (before: as measured)'));
  result.cpus.forEach((c, i) => {
    const [label, after, share, irqs, was] = (cells[i] ?? []).map((cell, col) =>
      cell.padStart(widths[col] ?? 0),
    );
    const b = bar(c.load, m.makespan, barWidth).padEnd(barWidth);
    const painted = c.load === m.makespan ? style.cyan(b) : b;
    out.push(`${label} ${painted}  ${after}  ${share}  ${irqs}  ${style.dim(was ?? '')}`.trimEnd());
  });
  out.push('');

  const verdict = m.provenOptimal
    ? style.green('proven optimal')
    : m.gap === 0
      ? style.green('at the lower bound')
      : style.yellow(
          `not proven optimal (search ${result.search.stoppedBy === 'complete' ? 'finished' : 'stopped: time limit'})`,
        );
  const n = result.noise;
  // The planner calls a plan exact for either reason; say which one.
  const margin =
    n.confidence === 0
      ? 'none: --confidence 0 plans exactly'
      : n.exact
        ? `none: the loads are exact${view.noise === 'none' ? ' (--noise poisson treats counts as noisy)' : ''}`
        : `± ${formatNumber(Math.round(n.makespanMargin))} on the busiest CPU (${n.confidence} standard errors; closer loads count as equal)`;
  const dropped =
    n.movesDropped > 0 ? `, ${n.movesDropped} more left out by --max-moves ${view.maxMoves}` : '';
  const rows: Array<[string, string]> = [
    ['busiest CPU load (makespan)', `${formatNumber(m.makespan)}  ${verdict}`],
    ['lower bound', `${formatNumber(m.lowerBound)}  (${result.lowerBoundReason})`],
    ['gap to bound', `${formatNumber(m.gap)} interrupts (${m.gapPercent.toPrecision(3)}%)`],
    ['max - min', formatNumber(m.makespan - m.min)],
    ['peak-to-average (max/mean)', formatRatio(m.peakToAverage)],
    ['spread ((max-min)/mean)', formatRatio(m.spread)],
    ['noise margin', margin],
    [
      'moves',
      `${m.moves} of ${result.assignments.length} IRQs${m.tolerance > 0 ? ` (tolerance ${formatPercent(m.tolerance, 2)})` : ''}${dropped}`,
    ],
    [
      'baselines (makespan)',
      `round-robin ${formatNumber(result.baselines.roundRobin)}, LPT ${formatNumber(result.baselines.lpt)}, KK ${
        result.baselines.kk === null ? 'n/a' : formatNumber(result.baselines.kk)
      }`,
    ],
    ['method', `${result.method}, ${view.elapsedMs.toFixed(0)} ms`],
  ];
  const keyWidth = Math.max(...rows.map(([k]) => k.length));
  out.push(style.bold('Balance'));
  for (const [k, v] of rows) out.push(`  ${k.padEnd(keyWidth)}  ${v}`);
  if (m.moves === 0) {
    out.push(
      '',
      style.green(
        n.exact || n.confidence === 0
          ? 'Nothing worth moving: every IRQ is already where the best plan found puts it.'
          : 'Nothing worth moving: no move would lower the busier of its two CPUs by more than the noise margin.',
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
