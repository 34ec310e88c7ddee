/**
 * Judging a balancer on the QEMU testbed's two-phase schedule (test/system/guest-autopilot.mjs
 * samples; this computes): for a window of the guest's 1 s samples, the busiest CPU's interrupts
 * against the best any placement could have done with the same interrupts, and the affinity
 * changes the guest saw. Used by test/system/testbed-autopilot.test.ts and bench/peers/autopilot.ts.
 *
 * What counts. The autopilot balances every numeric IRQ of /proc/interrupts, so the busiest CPU
 * is the one with the most interrupts of all numeric IRQs in the window (named rows such as LOC
 * and RES are not IRQs and are left out, as the planner leaves them out). The best possible is the
 * repository's planner run exactly (confidence 0, no move count to respect) on that window's
 * measured counts: every IRQ whose affinity the kernel accepts (the guest probes each with a
 * no-op write before the run) may go to any CPU, while the kernel-managed queues and other IRQs
 * the kernel refuses to move keep the interrupts they really had on each CPU. The planner proves
 * its makespan optimal on these sizes (`bestProven`); when it cannot, the best it found is used
 * and the lower bound is reported beside it.
 */
import { type PlanItem, plan } from '../../src/core/planner/plan.ts';

export interface GuestSample {
  /** Guest wall clock, ms. */
  t: number;
  /** Numeric IRQ → per-CPU counts (cumulative, as /proc/interrupts shows them). */
  counts: Record<string, number[]>;
  /** IRQ → smp_affinity_list. */
  affinity: Record<string, string>;
}

export interface AutoRoundRecord {
  at: string;
  kind: 'round' | 'new-irqs';
  outcome: string;
  reason: string;
  busiestBefore: number | null;
  busiestAfter: number | null;
  lowerBound: number | null;
  margin: number | null;
  held: { pinned: number; cooldown: number };
  movesLeftOut: number;
  moves: Array<{
    irq: string;
    name: string;
    from: number | null;
    to: number;
    ratePerSecond: number;
    ok: boolean;
  }>;
}

export interface GuestRun {
  balancer: 'auto' | 'irqbalance' | 'none';
  restored: string[];
  samples: GuestSample[];
  /** Guest wall clock when each phase's traffic started, ms. */
  phaseStarts: number[];
  auto?: { rounds: AutoRoundRecord[]; totals: { rounds: Record<string, number>; moves: number } };
  irqs?: Array<{ irq: string; name: string; managed: boolean | null; affinity: string }>;
  exit?: number | string | null;
  log?: string[];
  error?: string;
  affinityAtEnd?: Record<string, string>;
}

export interface GuestResults {
  error?: string;
  cpus: number;
  kernel: string;
  phaseSeconds: number;
  phases: Array<{ name: string; note: string; traffic: string[] }>;
  autoArgs: string[];
  nics: Array<{ irq: string; nic: string; name: string }>;
  unmovable: Array<{ irq: string; code: string }>;
  names: Record<string, string>;
  startState: Record<string, string>;
  runs: GuestRun[];
  log: string[];
  seconds: number;
}

export interface AffinityChange {
  /** Seconds into the phase (the sample that first showed it). */
  at: number;
  irq: string;
  name: string;
  from: string;
  to: string;
  nic: boolean;
}

export interface WindowFigures {
  /** Seconds into the phase. */
  from: number;
  to: number;
  seconds: number;
  /** Interrupts per second of all numeric IRQs on the busiest CPU. */
  busiest: number;
  busiestCpu: number;
  /** The best possible busiest CPU for these interrupts, per second. */
  best: number;
  bestProven: boolean;
  lowerBound: number;
  /** busiest / best: 1 is the best possible. */
  ratio: number;
  /** All numeric IRQs' interrupts per second, and the NIC IRQs' part. */
  total: number;
  nicTotal: number;
  changes: AffinityChange[];
}

export interface PhaseFigures {
  name: string;
  note: string;
  traffic: string[];
  /** Consecutive slices of `sliceSeconds` over the whole phase. */
  slices: WindowFigures[];
  /** The last `lastSeconds` of the phase. */
  last: WindowFigures;
  /** Every affinity change in the phase. */
  changes: AffinityChange[];
  /** The autopilot's rounds recorded during the phase (auto runs only). */
  rounds: AutoRoundRecord[];
  /** Per NIC IRQ, interrupts per second over the whole phase. */
  nicRates: Array<{ irq: string; name: string; nic: string; rate: number }>;
}

function delta(a: GuestSample, b: GuestSample): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const [irq, cb] of Object.entries(b.counts)) {
    const ca = a.counts[irq];
    if (!ca) continue;
    m.set(
      irq,
      cb.map((v, i) => (v - (ca[i] ?? 0) + 2 ** 32) % 2 ** 32),
    );
  }
  return m;
}

const sum = (v: readonly number[]): number => v.reduce((x, y) => x + y, 0);

/** The best possible busiest CPU (in window counts) for per-IRQ per-CPU counts. */
export function bestPossible(
  perIrq: ReadonlyMap<string, readonly number[]>,
  cpus: number,
  unmovable: ReadonlySet<string>,
): { makespan: number; proven: boolean; lowerBound: number } {
  const cpuList = Array.from({ length: cpus }, (_, i) => i);
  const baseLoad: Record<number, number> = {};
  const items: PlanItem[] = [];
  for (const [irq, counts] of perIrq) {
    const total = sum(counts);
    if (total === 0) continue;
    if (unmovable.has(irq)) {
      counts.forEach((v, c) => {
        baseLoad[c] = (baseLoad[c] ?? 0) + v;
      });
    } else {
      items.push({ id: irq, load: total });
    }
  }
  const r = plan({ cpus: cpuList, items, baseLoad, confidence: 0, timeLimitMs: 2000 });
  return {
    makespan: r.metrics.bestMakespan,
    proven: r.metrics.provenOptimal,
    lowerBound: r.metrics.lowerBound,
  };
}

/** Affinity changes between consecutive samples i..j (a change shown first by sample s counts at s). */
export function affinityChanges(
  r: GuestResults,
  run: GuestRun,
  i: number,
  j: number,
  phaseStartIndex: number,
): AffinityChange[] {
  const nic = new Set(r.nics.map((n) => n.irq));
  const changes: AffinityChange[] = [];
  for (let s = i + 1; s <= j; s++) {
    const a = run.samples[s - 1];
    const b = run.samples[s];
    if (!a || !b) continue;
    for (const [irq, to] of Object.entries(b.affinity)) {
      const from = a.affinity[irq];
      if (from === undefined || from === to) continue;
      changes.push({
        at: s - phaseStartIndex,
        irq,
        name: r.names[irq] ?? '',
        from,
        to,
        nic: nic.has(irq),
      });
    }
  }
  return changes;
}

export function windowFigures(
  r: GuestResults,
  run: GuestRun,
  i: number,
  j: number,
  phaseStartIndex: number,
): WindowFigures {
  const a = run.samples[i];
  const b = run.samples[j];
  if (!a || !b) throw new Error(`no samples ${i}..${j} (the run has ${run.samples.length})`);
  const seconds = (b.t - a.t) / 1000;
  const perIrq = delta(a, b);
  const perCpu = new Array<number>(r.cpus).fill(0);
  const nic = new Set(r.nics.map((n) => n.irq));
  let nicTotal = 0;
  for (const [irq, counts] of perIrq) {
    counts.forEach((v, c) => {
      perCpu[c] = (perCpu[c] ?? 0) + v;
    });
    if (nic.has(irq)) nicTotal += sum(counts);
  }
  const busiest = Math.max(...perCpu);
  const best = bestPossible(perIrq, r.cpus, new Set(r.unmovable.map((u) => u.irq)));
  return {
    from: i - phaseStartIndex,
    to: j - phaseStartIndex,
    seconds,
    busiest: busiest / seconds,
    busiestCpu: perCpu.indexOf(busiest),
    best: best.makespan / seconds,
    bestProven: best.proven,
    lowerBound: best.lowerBound / seconds,
    ratio: best.makespan > 0 ? busiest / best.makespan : Number.NaN,
    total: sum(perCpu) / seconds,
    nicTotal: nicTotal / seconds,
    changes: affinityChanges(r, run, i, j, phaseStartIndex),
  };
}

export function phaseFigures(
  r: GuestResults,
  run: GuestRun,
  phase: number,
  sliceSeconds = 5,
  lastSeconds = 15,
): PhaseFigures {
  const p = r.phases[phase];
  if (!p) throw new Error(`no phase ${phase}`);
  const start = phase * r.phaseSeconds;
  const end = start + r.phaseSeconds;
  const slices: WindowFigures[] = [];
  for (let s = start; s + sliceSeconds <= end; s += sliceSeconds) {
    slices.push(windowFigures(r, run, s, s + sliceSeconds, start));
  }
  const t0 = run.phaseStarts[phase] ?? run.samples[start]?.t ?? 0;
  const t1 = run.samples[end]?.t ?? Number.POSITIVE_INFINITY;
  // By the sample each round ran after: a round skipped while a slow one still planned is
  // recorded before that one, so the API's order is the order of recording.
  const rounds = (run.auto?.rounds ?? [])
    .filter((x) => {
      const t = Date.parse(x.at);
      return t >= t0 && t < t1;
    })
    .sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
  const a = run.samples[start];
  const b = run.samples[end];
  const whole = a && b ? delta(a, b) : new Map<string, number[]>();
  const seconds = a && b ? (b.t - a.t) / 1000 : Number.NaN;
  return {
    name: p.name,
    note: p.note,
    traffic: p.traffic,
    slices,
    last: windowFigures(r, run, end - lastSeconds, end, start),
    changes: affinityChanges(r, run, start, end, start),
    rounds,
    nicRates: r.nics
      .map((n) => ({ ...n, rate: sum(whole.get(n.irq) ?? []) / seconds }))
      .filter((n) => n.rate > 0.5),
  };
}

const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '—');
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');

function pad(rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** A human-readable account of one run: per phase, busiest vs best over time, moves, rounds. */
export function formatRun(r: GuestResults, run: GuestRun, phases: readonly PhaseFigures[]): string {
  const lines: string[] = [];
  const t0 = run.samples[0]?.t ?? 0;
  for (const ph of phases) {
    lines.push('');
    lines.push(`Phase ${ph.name} (${r.phaseSeconds} s): ${ph.note}; tb-traffic ${ph.traffic.join(' ')}`);
    lines.push(
      `  NIC IRQ rates (interrupts/s over the phase): ${ph.nicRates.map((n) => `${n.name} ${f0(n.rate)}`).join(', ')}`,
    );
    const rows: string[][] = [
      [
        'seconds',
        'busiest CPU',
        'busiest/s',
        'best/s',
        'busiest/best',
        'all IRQs/s',
        'NIC/s',
        'affinity changes',
      ],
    ];
    const row = (w: WindowFigures, label: string): string[] => [
      label,
      `CPU${w.busiestCpu}`,
      f0(w.busiest),
      `${f0(w.best)}${w.bestProven ? '' : ` (bound ${f0(w.lowerBound)})`}`,
      f3(w.ratio),
      f0(w.total),
      f0(w.nicTotal),
      w.changes.length === 0
        ? '0'
        : `${w.changes.length}: ${w.changes.map((c) => `${c.irq} ${c.from}→${c.to}`).join(', ')}`,
    ];
    for (const w of ph.slices) rows.push(row(w, `${w.from}-${w.to}`));
    rows.push(row(ph.last, `last ${ph.last.to - ph.last.from} s (${ph.last.from}-${ph.last.to})`));
    lines.push(...pad(rows, new Set([2, 3, 4, 5, 6])).map((l) => `  ${l}`));
    if (run.balancer === 'auto') {
      lines.push(`  autopilot rounds in phase ${ph.name} (seconds since phase A started):`);
      if (ph.rounds.length === 0) lines.push('    none');
      const rr: string[][] = [
        ['at', 'outcome', 'busiest/s before', 'after', 'bound', 'margin', 'moves / reason'],
      ];
      for (const x of ph.rounds) {
        rr.push([
          `+${((Date.parse(x.at) - t0) / 1000).toFixed(1)}`,
          x.outcome,
          x.busiestBefore === null ? '—' : f0(x.busiestBefore),
          x.busiestAfter === null ? '—' : f0(x.busiestAfter),
          x.lowerBound === null ? '—' : f0(x.lowerBound),
          x.margin === null ? '—' : f0(x.margin),
          x.moves.length > 0
            ? x.moves
                .map(
                  (m) =>
                    `${m.irq} ${m.name} ${m.from ?? '?'}→${m.to} (${f0(m.ratePerSecond)}/s)${m.ok ? '' : ' FAILED'}`,
                )
                .join(', ')
            : x.reason,
        ]);
      }
      if (ph.rounds.length > 0) lines.push(...pad(rr, new Set([2, 3, 4, 5])).map((l) => `    ${l}`));
    }
  }
  return lines.join('\n');
}
