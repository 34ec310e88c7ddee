/**
 * What irqkitd does, independent of HTTP: distribution over a window, IRQ details, affinity
 * writes and plans. Route handlers are thin adapters over this, so tests can drive it directly.
 */
import type {
  CpuSummary,
  Distribution,
  IrqDetails,
  NumaPolicy,
  Plan,
  PlanApplyResult,
  SamplerHealth,
  WindowInfo,
} from '../api/schemas.ts';
import { formatCpuList } from '../core/cpuset.ts';
import type { WindowSnapshot } from '../core/history.ts';
import {
  classifyIrqs,
  classNotes,
  type IrqFacts,
  planConstraints,
  plannedCpus,
} from '../core/irq-classes.ts';
import { balanceMetrics } from '../core/metrics.ts';
import type { PlanRequest, PlanResult } from '../core/planner/plan.ts';
import { type InterruptRow, rowKey, rowName, type Snapshot } from '../core/snapshot.ts';
import { dominantCpu, planRequestFromSnapshot } from '../core/snapshot-plan.ts';
import { cpuVariance, rowVariance } from '../core/window-noise.ts';
import { readIrqInfos } from '../io/irq-info-slices.ts';
import type { AffinityWrite, BatchResult, CpuTopology, IrqInfo, SystemAccess } from '../io/system.ts';
import { AnswerCache } from './answer-cache.ts';
import type { Sampler } from './sampler.ts';

/** The wire type (the same words as the classification's in core); the routes read it from here. */
export type { NumaPolicy };

export interface ServiceOptions {
  system: SystemAccess;
  sampler: Sampler;
  /** IRQs the operator banned from balancing: plans leave them where they are. */
  bannedIrqs: ReadonlySet<string>;
  /** The longest a window query may wait for history, in ms. */
  maxWaitMs: number;
  /** Runs the planner (in the daemon: a worker thread, one plan at a time; see plan-runner.ts). */
  planner(
    request: PlanRequest,
    signal?: AbortSignal,
    options?: { background?: boolean },
  ): Promise<PlanResult>;
}

function windowInfo(w: WindowSnapshot, requestedMs: number): WindowInfo {
  return {
    start: new Date(w.start).toISOString(),
    end: new Date(w.end).toISOString(),
    seconds: w.seconds,
    complete: w.complete,
    requestedSeconds: requestedMs / 1000,
  };
}

const perSecond = (n: number, seconds: number): number =>
  seconds > 0 ? Math.round((n / seconds) * 1000) / 1000 : 0;

export class IrqService {
  private readonly o: ServiceOptions;
  /** Window answers shared by requests between two samples (exposed in /metrics). */
  readonly answers = new AnswerCache();

  constructor(options: ServiceOptions) {
    this.o = options;
  }

  get system(): SystemAccess {
    return this.o.system;
  }

  samplerHealth(): SamplerHealth {
    return this.o.sampler.health();
  }

  interrupts(): { at: string; snapshot: Snapshot; text: string } {
    const cur = this.o.sampler.current();
    return { at: new Date(cur.at).toISOString(), snapshot: cur.snapshot, text: cur.text };
  }

  async window(
    ms: number,
    wait: boolean,
    signal?: AbortSignal,
    cpuRows?: (row: InterruptRow) => boolean,
  ): Promise<WindowSnapshot> {
    return this.o.sampler.window(ms, {
      wait,
      maxWaitMs: this.o.maxWaitMs,
      ...(signal ? { signal } : {}),
      ...(cpuRows ? { cpuRows } : {}),
    });
  }

  async distribution(ms: number, wait: boolean, signal?: AbortSignal): Promise<Distribution> {
    const at = this.o.sampler.shareableAt(ms, wait);
    // History enough (at most a sample's wait for the window's alignment): the answer is the same
    // for every request until the next sample, so it is computed once, without any one request's
    // signal (its client leaving must not cancel it for the others).
    if (at !== undefined)
      return this.answers.get(at, 'distribution', `${ms}|${wait}`, () => this.computeDistribution(ms, wait));
    return this.computeDistribution(ms, wait, signal);
  }

  private async computeDistribution(ms: number, wait: boolean, signal?: AbortSignal): Promise<Distribution> {
    const w = await this.window(ms, wait, signal);
    const s = w.snapshot;
    const cpuTotals = new Array<number>(s.cpus.length).fill(0);
    const irqs = s.rows
      .filter((r) => r.numeric)
      .map((r) => {
        r.counts.forEach((c, i) => {
          if (i < cpuTotals.length) cpuTotals[i] = (cpuTotals[i] as number) + c;
        });
        return {
          irq: r.label,
          name: rowName(r),
          chip: r.chip ?? null,
          perCpu: r.counts,
          total: r.total,
          ratePerSecond: perSecond(r.total, w.seconds),
        };
      });
    const named = s.rows
      .filter((r) => !r.numeric)
      .map((r) => ({
        row: rowKey(r),
        description: r.description ?? '',
        perCpu: r.counts.length === s.cpus.length ? r.counts : null,
        total: r.total,
        ratePerSecond: perSecond(r.total, w.seconds),
      }));
    const total = cpuTotals.reduce((a, b) => a + b, 0);
    let topology: Distribution['topology'] = null;
    try {
      topology = describeTopology(this.o.system.topology());
    } catch {
      // A sysfs that cannot be read leaves the CPUs undescribed, not the answer.
    }
    return {
      topology,
      window: windowInfo(w, ms),
      cpus: s.cpus,
      irqs,
      named,
      cpuTotals: s.cpus.map((cpu, i) => ({
        cpu,
        interrupts: cpuTotals[i] ?? 0,
        share: total > 0 ? (cpuTotals[i] ?? 0) / total : 0,
        ratePerSecond: perSecond(cpuTotals[i] ?? 0, w.seconds),
      })),
      total,
      ratePerSecond: perSecond(total, w.seconds),
    };
  }

  async cpus(ms: number, wait: boolean, signal?: AbortSignal): Promise<CpuSummary> {
    const d = await this.distribution(ms, wait, signal);
    return { window: d.window, cpus: d.cpuTotals, total: d.total, ratePerSecond: d.ratePerSecond };
  }

  /**
   * IRQ details joined with the latest snapshot's names and a recent rate. Shared until the next
   * sample or the next affinity write through irqkitd, whichever comes first: a write made
   * through the API shows at once, one made behind irqkitd's back at the next sample.
   */
  async irqs(rateWindowMs: number): Promise<{ irqs: IrqDetails[] }> {
    const at = this.o.sampler.shareableAt(rateWindowMs, false);
    const compute = async (): Promise<{ irqs: IrqDetails[] }> => {
      const rates = await this.recentRates(rateWindowMs);
      const rows = this.rowsByLabel();
      const infos = await readIrqInfos(this.o.system, this.o.system.listIrqs());
      const irqs: IrqDetails[] = [];
      for (const info of infos) if (info !== null) irqs.push(this.details(info, rows.get(info.irq), rates));
      return { irqs };
    };
    if (at === undefined) return compute();
    return this.answers.get(at, 'irqs', `${rateWindowMs}|${this.o.system.affinityWrites()}`, compute);
  }

  async irq(irq: string, rateWindowMs: number): Promise<IrqDetails> {
    const info = this.o.system.irqInfo(irq);
    const rates = await this.recentRates(rateWindowMs);
    return this.details(info, this.rowsByLabel().get(irq), rates);
  }

  private rowsByLabel(): Map<string, InterruptRow> {
    const m = new Map<string, InterruptRow>();
    for (const r of this.o.sampler.current().snapshot.rows)
      if (r.numeric && r.occurrence === 0) m.set(r.label, r);
    return m;
  }

  /**
   * Each IRQ's rate over the last `ms`, shared between requests until the next sample. The
   * affinities beside it are read fresh per request: a write must show at once.
   */
  private async recentRates(ms: number): Promise<{ rates: Map<string, number>; seconds: number }> {
    const at = this.o.sampler.shareableAt(ms, false);
    if (at === undefined) return { rates: new Map(), seconds: 0 };
    return this.answers.get(at, 'irq-rates', String(ms), () => this.computeRecentRates(ms));
  }

  private async computeRecentRates(ms: number): Promise<{ rates: Map<string, number>; seconds: number }> {
    try {
      const w = await this.o.sampler.window(ms, { wait: false, maxWaitMs: 0 });
      const rates = new Map<string, number>();
      for (const r of w.snapshot.rows) if (r.numeric) rates.set(r.label, perSecond(r.total, w.seconds));
      return { rates, seconds: w.seconds };
    } catch {
      return { rates: new Map(), seconds: 0 };
    }
  }

  private details(
    info: IrqInfo,
    row: InterruptRow | undefined,
    rates: { rates: Map<string, number>; seconds: number },
  ): IrqDetails {
    return {
      irq: info.irq,
      name: row ? rowName(row) : info.actions.join(', '),
      chip: row?.chip ?? null,
      hwirq: row?.hwirq ?? null,
      device: info.device,
      affinity: formatCpuList(info.affinity),
      effectiveAffinity: info.effective === null ? null : formatCpuList(info.effective),
      node: info.node,
      affinityHint: info.hint === null ? null : formatCpuList(info.hint),
      managed: info.managed,
      banned: this.o.bannedIrqs.has(info.irq),
      ratePerSecond: rates.rates.get(info.irq) ?? 0,
      rateWindowSeconds: rates.seconds,
      total: row?.total ?? 0,
    };
  }

  setAffinity(irq: string, cpu: number): BatchResult {
    return this.o.system.setAffinities([{ irq, cpu }]);
  }

  applyBatch(writes: readonly AffinityWrite[], dryRun: boolean): BatchResult {
    return this.o.system.setAffinities(writes, { dryRun });
  }

  /**
   * A plan from measured rates. Which CPUs are planned and which IRQs stay where they are is
   * decided by `plannedCpus` and `classifyIrqs` (core/irq-classes.ts); here the facts are read
   * (managed IRQs probed first when the plan is going to be applied).
   */
  async plan(request: PlanQuery, signal?: AbortSignal): Promise<Plan> {
    // The rows a plan places are the ones whose per-CPU sum is "before", so they get its noise.
    const w = await this.window(request.windowMs, request.wait, signal, isPlanned);
    const topo = this.o.system.topology();
    const cpus = plannedCpus({
      ...topo,
      columns: w.snapshot.cpus,
      ...(request.cpus ? { requested: request.cpus } : {}),
    });
    const unknownManaged: string[] = [];
    const masks = new Map<string, number[]>();
    const numericRows = w.snapshot.rows.filter(isPlanned);
    const infos = await readIrqInfos(
      this.o.system,
      numericRows.map((r) => r.label),
      { skip: 'any', ...(signal ? { signal } : {}) },
    );
    const facts = numericRows.map((row, i): IrqFacts => {
      let info = infos[i] as IrqInfo | null;
      if (info === null) {
        // No /proc/irq/N (the IRQ went away, or chained): it cannot be moved.
        const busiestCpu = dominantCpu(row, w.snapshot.cpus);
        return { irq: row.label, info: null, ...(busiestCpu !== undefined ? { busiestCpu } : {}) };
      }
      if (info.managed === null && row.total > 0) {
        if (request.probeManaged) {
          info = { ...info, managed: this.o.system.probeManaged(row.label) };
        } else {
          unknownManaged.push(row.label);
        }
      }
      masks.set(row.label, info.affinity);
      return {
        irq: row.label,
        info: {
          affinity: info.affinity,
          effective: info.effective,
          managed: info.managed,
          numaNode: info.device?.numaNode ?? null,
        },
      };
    });
    const classes = classifyIrqs({
      irqs: facts,
      cpus,
      nodes: topo.nodes,
      numa: request.numa,
      banned: this.o.bannedIrqs,
      ...(request.hold ? { pinned: request.hold } : {}),
    });
    const { fixed, current, allowed } = planConstraints(classes);
    const notes = classNotes(classes);
    const {
      request: planRequest,
      rows,
      idle,
    } = planRequestFromSnapshot(
      { ...w.snapshot, cpus: w.snapshot.cpus },
      {
        cpus,
        allowed,
        fixed,
        current,
        ...(request.timeLimitMs !== undefined ? { timeLimitMs: request.timeLimitMs } : {}),
        ...(request.tolerance !== undefined ? { tolerance: request.tolerance } : {}),
      },
    );
    if (unknownManaged.length > 0) {
      notes.push(
        `IRQs ${unknownManaged.join(', ')}: this kernel (before 6.12) does not show which IRQs it manages; apply tests them with a no-op write first and leaves managed ones where they are`,
      );
    }
    // Each load carries the variance of its count over the window's intervals, so the planner
    // can tell an imbalance from measuring noise. The daemon plans no base load (named rows are
    // not balanced), so there is no base variance either.
    const result = await this.o.planner(
      {
        ...planRequest,
        items: planRequest.items.map((it) => ({ ...it, variance: rowVariance(w.noise, it.id, it.load) })),
        ...(request.confidence !== undefined ? { confidence: request.confidence } : {}),
        ...(request.maxMoves !== undefined ? { maxMoves: request.maxMoves } : {}),
      },
      signal,
      { background: request.background === true },
    );
    // "Before" is what the CPUs really serviced in the window, not a model of it.
    const posOf = new Map(w.snapshot.cpus.map((c, i) => [c, i]));
    const before = cpus.map((c) => {
      const pos = posOf.get(c);
      let sum = 0;
      if (pos !== undefined) for (const r of numericRows) sum += r.counts[pos] ?? 0;
      return { load: sum, stddev: pos === undefined ? 0 : Math.sqrt(cpuVariance(w.noise, pos, sum)) };
    });
    const moves = result.assignments.filter((a) => a.moved).map((a) => ({ irq: a.id, cpu: a.cpu }));
    const nothingWorthMoving = moves.length === 0 && result.noise.movesDropped === 0;
    // An IRQ on a CPU it may not use (another NUMA node, a CPU left out) has no home to go back
    // to: it moves whatever its gain, and maxMoves does not count it.
    const forced = result.assignments.filter(
      (a) =>
        a.moved && a.current !== undefined && allowed.has(a.id) && !allowed.get(a.id)?.includes(a.current),
    );
    if (forced.length > 0) {
      notes.push(
        `${forced.length} IRQ${forced.length === 1 ? ' moves' : 's move'} off a CPU ${forced.length === 1 ? 'it' : 'they'} may not use (its NUMA node or --cpus), whatever the gain; maxMoves does not count ${forced.length === 1 ? 'it' : 'them'}: ${forced.map((a) => a.id).join(' ')}`,
      );
    }
    if (result.noise.movesDropped > 0) {
      notes.push(
        `${result.noise.movesDropped} further move${result.noise.movesDropped === 1 ? '' : 's'} left out by maxMoves (the least valuable)`,
      );
    }
    return {
      window: windowInfo(w, request.windowMs),
      cpus,
      numa: request.numa,
      assignments: result.assignments.map((a) => ({
        irq: a.id,
        name: rows.get(a.id) ? rowName(rows.get(a.id) as InterruptRow) : '',
        load: a.load,
        current: a.current ?? null,
        cpu: a.cpu,
        moved: a.moved,
        fixed: a.fixed,
        ...(allowed.has(a.id) ? { allowed: formatCpuList(allowed.get(a.id) as number[]) } : {}),
        ...(a.gain !== undefined ? { gain: a.gain } : {}),
        ...(a.margin !== undefined ? { margin: a.margin } : {}),
      })),
      moves,
      // Already served by their planned CPU, but allowed on others (e.g. 0-7): pinning them is
      // what makes the plan hold, since the kernel may re-route a wide mask at any time.
      pins: result.assignments
        .filter((a) => !a.moved && !a.fixed && !isOnly(masks.get(a.id), a.cpu))
        .map((a) => ({ irq: a.id, cpu: a.cpu })),
      before: {
        cpus: cpus.map((cpu, i) => ({ cpu, load: before[i]?.load ?? 0, stddev: before[i]?.stddev ?? 0 })),
        metrics: balanceMetrics(
          before.map((b) => b.load),
          result.metrics.lowerBound,
        ),
      },
      after: { cpus: result.cpus, metrics: result.metrics },
      noise: result.noise,
      nothingWorthMoving,
      idle,
      method: result.method,
      baselines: result.baselines,
      search: result.search,
      notes,
      topology: describeTopology(topo),
    };
  }

  async applyPlan(
    request: PlanQuery,
    dryRun: boolean,
    signal?: AbortSignal,
  ): Promise<PlanApplyResult & { result: BatchResult }> {
    // A plan that is going to be written first learns which IRQs the kernel manages, so the
    // batch does not fail on them; a dry run must not write at all, so it does not probe.
    const p = await this.plan({ ...request, probeManaged: !dryRun }, signal);
    // Nothing worth moving is a normal outcome, and applying it changes nothing: not even the
    // pins, which only make a plan's moves hold.
    const writes = p.moves.length > 0 ? [...p.moves, ...p.pins] : [];
    return { plan: p, result: this.o.system.setAffinities(writes, { dryRun }) };
  }
}

function isPlanned(row: InterruptRow): boolean {
  return row.numeric && row.occurrence === 0;
}

function isOnly(mask: readonly number[] | undefined, cpu: number): boolean {
  return mask !== undefined && mask.length === 1 && mask[0] === cpu;
}

function describeTopology(t: CpuTopology): Plan['topology'] {
  return {
    online: formatCpuList(t.online),
    isolated: formatCpuList(t.isolated),
    nohzFull: formatCpuList(t.nohzFull),
    nodes: [...t.nodes].map(([node, cpus]) => ({ node, cpus: formatCpuList(cpus) })),
  };
}

export interface PlanQuery {
  windowMs: number;
  /** Test unknown IRQs for kernel management with a no-op write (apply does; GET /plan does not). */
  probeManaged?: boolean;
  wait: boolean;
  cpus?: number[];
  numa: NumaPolicy;
  timeLimitMs?: number;
  tolerance?: number;
  /** Standard errors of a difference that count as noise (the planner's default when absent). */
  confidence?: number;
  maxMoves?: number;
  /** IRQs to leave where they are, as pinned ones (the autopilot: pins and its cooldowns). */
  hold?: ReadonlySet<string>;
  /** The autopilot's: a plan asked through the API cancels it rather than waiting (plan-runner.ts). */
  background?: boolean;
}
