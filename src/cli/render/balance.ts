/** `irqkit balance`: the assignment, per-CPU load before and after, and how good the plan is. */
import { formatCpuList } from '../../core/cpuset.ts';
import type { FixedReason } from '../../core/irq-classes.ts';
import type { MeasuredLoad } from '../../core/measured-loads.ts';
import { balanceMetrics } from '../../core/metrics.ts';
import type { PlanResult } from '../../core/planner/plan.ts';
import type { ManagedFindings } from '../../io/irq-facts.ts';
import type { LiveRules } from '../balance-live.ts';
import type { SampledSnapshot } from '../input.ts';
import type { Style } from './color.ts';
import { fitIrqs, irqList, movesToList, renderCpuLoads } from './cpu-loads.ts';
import { count, formatInt, formatNumber, formatPercent, formatRatio } from './format.ts';
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
  /** --all: every IRQ and every CPU on its own line. */
  all?: boolean;
  /** The counts are this machine's (a live window, or /proc/interrupts itself). */
  thisMachine?: boolean;
}

const REASON_LABEL: Record<FixedReason, string> = {
  managed: 'managed',
  banned: 'fixed',
  pinned: 'pinned',
  unreadable: 'fixed (no /proc/irq)',
  'numa-strict': 'fixed (numa strict)',
};

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
      ? `${irqList(m.managed, false)}, left where they are`
      : untested > 0
        ? 'none found'
        : 'none';
  const why =
    m.untestedReason === 'no-probe'
      ? 'not probed (--no-probe)'
      : m.untestedReason === 'needs-root'
        ? `not probed: needs root (${kernel} shows them only to a write)`
        : 'not known: the test write failed';
  const missing =
    untested > 0 ? `; ${count(untested, 'IRQ')} ${why}; IRQs the kernel manages may be proposed` : '';
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

/** How a balance's moves can be applied: `irqkit set` through irqkitd, as one batch. */
export function setCommandLines(moves: ReadonlyArray<{ id: string; cpu: number }>, width: number): string[] {
  const words = ['irqkit', 'set', ...moves.map((m) => `${m.id}=${m.cpu}`)];
  // A shell line wrapped with backslashes, so that it can be pasted whole.
  const lines: string[] = [];
  let line = '  ';
  for (const w of words) {
    if (line.trim() !== '' && line.length + 1 + w.length + 2 > width) {
      lines.push(`${line} \\`);
      line = `    ${w}`;
    } else {
      line = line.trim() === '' ? `${line}${w}` : `${line} ${w}`;
    }
  }
  lines.push(line);
  return lines;
}

export function renderBalance(view: BalanceView, style: Style, columns: number): string {
  const { result, names } = view;
  const all = view.all === true;
  const out: string[] = [];
  const exact = result.noise.exact;
  const m = result.metrics;
  const n = result.noise;
  const moved = result.assignments.filter((a) => a.moved);

  out.push(style.bold(`Moves: ${moved.length} of ${count(result.assignments.length, 'IRQ')}`));
  if (m.moves === 0) {
    out.push(
      style.green(
        n.exact || n.confidence === 0
          ? 'Nothing worth moving: every IRQ is already where the best plan found puts it.'
          : 'Nothing worth moving: no move would lower the busier of its two CPUs by more than the noise margin.',
      ),
    );
  }
  const listed = all ? result.assignments : movesToList(moved);
  const showGain = listed.some((a) => a.moved && a.gain !== undefined);
  if (listed.length > 0) {
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
      listed.map((a) => [
        a.id,
        names.get(a.id) ?? '',
        formatInt(a.load),
        a.current === undefined ? '-' : `CPU${a.current}`,
        a.moved ? style.yellow(`CPU${a.cpu}`) : `CPU${a.cpu}`,
        ...(showGain ? [a.moved && a.gain !== undefined ? formatInt(a.gain) : ''] : []),
        a.fixed ? REASON_LABEL[view.reasons.get(a.id) ?? 'banned'] : a.moved ? style.yellow('move') : '',
      ]),
    );
    out.push(style.bold(table[0] ?? ''), ...table.slice(1).map((l) => l.trimEnd()));
  }
  if (listed.length < moved.length) {
    const more = moved.length - listed.length;
    out.push(style.dim(`… ${count(more, 'more move')}, with smaller gains (--all lists every IRQ)`));
  }
  if (!all) {
    const stay = result.assignments.length - moved.length;
    const held = new Map<string, string[]>();
    for (const a of result.assignments) {
      if (!a.fixed) continue;
      const label = REASON_LABEL[view.reasons.get(a.id) ?? 'banned'];
      held.set(label, [...(held.get(label) ?? []), a.id]);
    }
    const heldText = [...held].map(([label, irqs]) => `${label} ${irqList(irqs, false)}`).join('; ');
    if (stay > 0) {
      out.push(
        style.dim(
          `${count(stay, 'IRQ')} ${stay === 1 ? 'stays where it is' : 'stay where they are'}` +
            `${heldText === '' ? '' : ` (${heldText})`}; --all lists every IRQ`,
        ),
      );
    }
  }
  if (view.idle.length > 0) {
    const lead = `${count(view.idle.length, 'idle IRQ')} (no interrupts, left where ${
      view.idle.length === 1 ? 'it is' : 'they are'
    }): `;
    const text = all
      ? lead + view.idle.join(' ')
      : lead + fitIrqs(view.idle, Math.min(columns, 100) - lead.length);
    out.push(...wrapWords(text, Math.min(columns, 100), '  ').map((l) => style.dim(l)));
  }
  out.push('');

  const before = new Map(view.before.map((b) => [b.cpu, b]));
  const touched = new Set<number>();
  for (const a of moved) {
    touched.add(a.cpu);
    if (a.current !== undefined) touched.add(a.current);
  }
  out.push(
    style.bold(
      `Per-CPU load (before: as measured; after: as planned${exact ? '' : '; ± one standard deviation'})`,
    ),
    ...renderCpuLoads(
      result.cpus.map((c) => ({
        cpu: c.cpu,
        before: before.get(c.cpu)?.load ?? 0,
        beforeStddev: before.get(c.cpu)?.stddev ?? 0,
        after: c.load,
        afterStddev: c.stddev,
        irqs: c.irqs,
      })),
      { all, noise: !exact, columns, style, touched },
    ),
    '',
  );

  const b = balanceMetrics(
    view.before.map((x) => x.load),
    m.lowerBound,
  );
  const metricTable = renderTable(
    [{ header: 'METRIC' }, { header: 'BEFORE', align: 'right' }, { header: 'AFTER', align: 'right' }],
    [
      ['busiest CPU load (makespan)', formatNumber(b.makespan), formatNumber(m.makespan)],
      ['gap to bound', formatPercent(b.gapPercent / 100, 2), formatPercent(m.gapPercent / 100, 2)],
      ['max - min', formatNumber(b.makespan - b.min), formatNumber(m.makespan - m.min)],
      ['peak-to-average (max/mean)', formatRatio(b.peakToAverage), formatRatio(m.peakToAverage)],
      ['spread ((max-min)/mean)', formatRatio(b.spread), formatRatio(m.spread)],
    ],
  );
  out.push(style.bold(metricTable[0] ?? ''), ...metricTable.slice(1), '');

  const verdict = m.provenOptimal
    ? style.green('proven optimal')
    : m.gap === 0
      ? style.green('at the lower bound')
      : style.yellow(
          `not proven optimal (search ${result.search.stoppedBy === 'complete' ? 'finished' : 'stopped: time limit'})`,
        );
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
    ['plan', verdict],
    ['lower bound', `${formatNumber(m.lowerBound)}  (${result.lowerBoundReason})`],
    ['noise margin', margin],
    [
      'moves',
      `${m.moves} of ${count(result.assignments.length, 'IRQ')}${m.tolerance > 0 ? ` (tolerance ${formatPercent(m.tolerance, 2)})` : ''}${dropped}`,
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

  if (moved.length > 0) {
    const width = Math.min(columns, 100);
    out.push(
      '',
      view.live === null && view.thisMachine !== true
        ? 'Apply on the machine these counts come from (one batch through irqkitd; --persist keeps it):'
        : 'Apply through irqkitd (one batch; --persist keeps it across restarts):',
      ...setCommandLines(
        moved.map((a) => ({ id: a.id, cpu: a.cpu })),
        width,
      ),
    );
    if (view.live !== null)
      out.push(style.dim("or let irqkitd measure and plan again, and apply that: 'irqkit apply'"));
  }
  return `${out.join('\n')}\n`;
}

/** Words wrapped at `width`, continuation lines indented. */
function wrapWords(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
