/**
 * `irqkitd --auto`: keeps the machine balanced without a client, as irqbalance's daemon mode does,
 * but moving only what measurably pays.
 *
 * Every `every` (on the sampler's clock, so tests step it) a round plans on the last `window` of
 * history with the noise-aware planner and applies the plan as one all-or-nothing batch, when the
 * busiest CPU would gain more than the noise margin. Pinned, banned and kernel-managed IRQs stay
 * where they are, and so does an IRQ the autopilot moved within `cooldown` (unless its CPU went
 * offline), so that traffic that shifts back and forth cannot make it chase its tail. IRQs that
 * appear (driver load, NIC reset) are placed at once on the least-loaded CPU they may use, moving
 * nothing else. Writes go through the pin keeper's system, so the originals are recorded and
 * `irqkit restore` or --restore-on-exit put them back.
 *
 * It never fights irqbalance: while one runs, the autopilot is paused and says so.
 */
import type { AutoMove, AutoOutcome, AutoRound, AutoStatus } from '../api/auto-schemas.ts';
import type { IrqbalanceStatus, Plan } from '../api/schemas.ts';
import { formatCpuList, parseCpuList } from '../core/cpuset.ts';
import { toIrqkitError } from '../core/errors.ts';
import type { WindowSnapshot } from '../core/history.ts';
import { classifyIrqs, plannedCpus } from '../core/irq-classes.ts';
import { isIrqNumber } from '../io/procfs.ts';
import type { AffinityOutcome, SystemAccess } from '../io/system.ts';
import { type AutoSettings, autoSettingsView } from './auto-settings.ts';
import type { PlanQuery } from './service.ts';

/** Rounds kept for GET /api/v1/auto: at the default 30 s, the last 50 minutes. */
const KEPT_ROUNDS = 100;

export const AUTO_OUTCOMES: readonly AutoOutcome[] = [
  'applied',
  'balanced',
  'placed',
  'paused',
  'skipped',
  'failed',
];

export interface AutopilotOptions {
  settings: AutoSettings;
  /** Plans as GET /api/v1/plan does. */
  plan(query: PlanQuery, signal: AbortSignal): Promise<Plan>;
  /** The pin keeper's guarded system: records originals before the first change of an IRQ. */
  system: SystemAccess;
  pinnedIrqs(): readonly string[];
  /** Cached for a few seconds unless `fresh`: rounds and placements look afresh. */
  irqbalance(fresh: boolean): IrqbalanceStatus;
  bannedIrqs: ReadonlySet<string>;
  /** The history as it is now (new IRQs are placed by the loads in the round window). */
  windowNow(ms: number): WindowSnapshot | undefined;
  readOnly: boolean;
  /** The sampler's interval: a round's window starts a whole interval after its last writes. */
  intervalMs: number;
  log(entry: Record<string, unknown>): void;
}

type PauseState = { paused: false } | { paused: true; by: 'operator' | 'irqbalance'; reason: string };

export class Autopilot {
  private settings: AutoSettings;
  private readonly o: AutopilotOptions;
  private operatorPaused = false;
  private lastPause: 'operator' | 'irqbalance' | null = null;
  /** Sample time of the first sample seen, and of the last round. */
  private lastRoundAt: number | null = null;
  private running: Promise<void> | null = null;
  private lastSampleAt: number | null = null;
  /**
   * Where windows stop mixing traffic from before and after the autopilot's last writes. A round
   * writes while samples go on; a window that straddles its writes measures neither placement.
   */
  private cleanFrom: number | null = null;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly rounds: AutoRound[] = [];
  /** IRQ → when the autopilot last moved it and where to: the cooldown. */
  private readonly movedAt = new Map<string, { at: number; cpu: number }>();
  private waiters: Array<{ kind: AutoRound['kind'] | null; resolve: (r: AutoRound) => void }> = [];
  /** Periodic rounds begun (counted when due, before any of their work). */
  roundsStarted = 0;
  readonly outcomes = new Map<AutoOutcome, number>(AUTO_OUTCOMES.map((o) => [o, 0]));
  moves = 0;

  constructor(options: AutopilotOptions) {
    this.o = options;
    this.settings = options.settings;
  }

  get enabled(): boolean {
    return this.settings.enabled && !this.o.readOnly;
  }

  /** SIGHUP: new settings from then on; the round clock restarts if the period changed. */
  reconfigure(settings: AutoSettings): void {
    const wasEnabled = this.settings.enabled;
    if (settings.everyMs !== this.settings.everyMs) this.lastRoundAt = null;
    this.settings = settings;
    if (wasEnabled !== settings.enabled) {
      this.o.log({ level: 'info', msg: settings.enabled ? 'autopilot enabled' : 'autopilot disabled' });
    }
  }

  setPaused(paused: boolean): void {
    if (paused === this.operatorPaused) return;
    this.operatorPaused = paused;
    this.o.log({
      level: 'info',
      msg: paused ? 'autopilot paused by an operator' : 'autopilot resumed by an operator',
    });
  }

  /** Resolves with the next round recorded, of `kind` if given (tests step the sampler, then wait). */
  nextRound(kind: AutoRound['kind'] | null = null): Promise<AutoRound> {
    return new Promise((resolve) => this.waiters.push({ kind, resolve }));
  }

  /** Called after every sample, with the IRQs that appeared or restarted in it. */
  afterSample(at: number, restarted: readonly string[]): void {
    if (!this.enabled || this.closed) return;
    this.lastSampleAt = at;
    if (restarted.length > 0 && !this.pauseState(true).paused) this.placeNew(at, restarted);
    if (this.lastRoundAt === null) {
      // The first round comes one period after the start, when its window has been sampled.
      this.lastRoundAt = at;
      return;
    }
    if (at - this.lastRoundAt < this.settings.everyMs) return;
    this.lastRoundAt = at;
    this.roundsStarted++;
    if (this.running !== null) {
      this.record(this.emptyRound(at, 'round', 'skipped', 'the previous round is still running'));
      return;
    }
    this.running = this.round(at).finally(() => {
      this.running = null;
    });
  }

  status(): AutoStatus {
    const pause = this.pauseState();
    const s = this.settings;
    const reason = !s.enabled
      ? 'not enabled: start irqkitd with --auto (or "auto": {"enabled": true} in --config)'
      : this.o.readOnly
        ? 'irqkitd runs --read-only: the autopilot cannot write'
        : pause.paused
          ? pause.reason
          : null;
    return {
      enabled: this.enabled,
      paused: this.enabled && pause.paused,
      pausedBy: this.enabled && pause.paused ? pause.by : null,
      reason,
      settings: autoSettingsView(s),
      nextRoundAt:
        this.enabled && this.lastRoundAt !== null
          ? new Date(this.lastRoundAt + s.everyMs).toISOString()
          : null,
      rounds: [...this.rounds],
      totals: { rounds: Object.fromEntries(this.outcomes), moves: this.moves },
    };
  }

  /** Stops: a plan being computed is cancelled and nothing is written after this resolves. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.running;
  }

  private pauseState(fresh = false): PauseState {
    const ib = this.o.irqbalance(fresh);
    let state: PauseState = { paused: false };
    if (ib.running) {
      state = {
        paused: true,
        by: 'irqbalance',
        reason: `irqbalance is running (pid ${ib.pids.join(', ')}) and would fight the autopilot over the same IRQs; stop it (systemctl disable --now irqbalance, or service irqbalance stop and ENABLED=0 in /etc/default/irqbalance) and the autopilot resumes by itself`,
      };
    } else if (this.operatorPaused) {
      state = {
        paused: true,
        by: 'operator',
        reason: 'paused by an operator: `irqkit auto resume` (POST /api/v1/auto {"paused":false}) resumes it',
      };
    }
    const by = state.paused ? state.by : null;
    if (by !== this.lastPause && this.enabled) {
      if (by === 'irqbalance')
        this.o.log({ level: 'warn', msg: 'autopilot paused: irqbalance is running', pids: ib.pids });
      else if (this.lastPause === 'irqbalance')
        this.o.log({ level: 'info', msg: 'irqbalance stopped; autopilot resumes' });
      this.lastPause = by;
    }
    return state;
  }

  private emptyRound(at: number, kind: AutoRound['kind'], outcome: AutoOutcome, reason: string): AutoRound {
    return {
      at: new Date(at).toISOString(),
      kind,
      outcome,
      reason,
      window: null,
      busiestBefore: null,
      busiestAfter: null,
      lowerBound: null,
      margin: null,
      held: { pinned: 0, cooldown: 0 },
      movesLeftOut: 0,
      moves: [],
    };
  }

  private record(r: AutoRound): void {
    // Oldest first, by time: a round skipped while a slow one plans is recorded before it ends.
    let i = this.rounds.length;
    while (i > 0 && (this.rounds[i - 1] as AutoRound).at > r.at) i--;
    this.rounds.splice(i, 0, r);
    if (this.rounds.length > KEPT_ROUNDS) this.rounds.splice(0, this.rounds.length - KEPT_ROUNDS);
    this.outcomes.set(r.outcome, (this.outcomes.get(r.outcome) ?? 0) + 1);
    const written = r.moves.filter((m) => m.ok).length;
    this.moves += written;
    if (r.moves.length > 0 || r.outcome === 'failed') {
      this.o.log({
        level: r.outcome === 'failed' ? 'warn' : 'info',
        msg: `autopilot ${r.kind === 'round' ? 'round' : 'placed new IRQs'}: ${r.outcome}`,
        reason: r.reason,
        moves: r.moves.map(
          (m) => `${m.irq}:${m.from ?? '?'}->${m.to}${m.ok ? '' : ` (${m.error?.code ?? 'failed'})`}`,
        ),
      });
    }
    const waiting = this.waiters;
    this.waiters = waiting.filter((w) => w.kind !== null && w.kind !== r.kind);
    for (const w of waiting) if (w.kind === null || w.kind === r.kind) w.resolve(r);
  }

  /** IRQs held by a cooldown at `at`: moved recently to a CPU that is still online. */
  private cooling(at: number): string[] {
    let online: Set<number> | null = null;
    const held: string[] = [];
    for (const [irq, m] of this.movedAt) {
      if (at - m.at >= this.settings.cooldownMs) {
        this.movedAt.delete(irq);
        continue;
      }
      online ??= new Set(this.o.system.topology().online);
      if (online.has(m.cpu)) held.push(irq);
    }
    return held;
  }

  private async round(at: number): Promise<void> {
    const s = this.settings;
    const pause = this.pauseState(true);
    if (pause.paused) {
      this.record(this.emptyRound(at, 'round', 'paused', pause.reason));
      return;
    }
    const pinned = this.o.pinnedIrqs().filter((irq) => !this.o.bannedIrqs.has(irq));
    const cooling = this.cooling(at).filter((irq) => !pinned.includes(irq));
    const held = { pinned: pinned.length, cooldown: cooling.length };
    const windowMs = Math.min(s.windowMs, this.cleanFrom === null ? s.windowMs : at - this.cleanFrom);
    if (windowMs < 2 * this.o.intervalMs) {
      this.record({
        ...this.emptyRound(at, 'round', 'skipped', 'waiting for two samples of traffic after the last moves'),
        held,
      });
      return;
    }
    let plan: Plan;
    try {
      plan = await this.o.plan(
        {
          windowMs,
          wait: false,
          numa: s.numa,
          ...(s.cpus !== null ? { cpus: s.cpus } : {}),
          maxMoves: s.maxMoves,
          probeManaged: true,
          hold: new Set([...pinned, ...cooling]),
          background: true,
        },
        this.abort.signal,
      );
    } catch (e) {
      if (this.closed) return;
      const err = toIrqkitError(e);
      const busy = err.code === 'IRQ_ERR_BUSY';
      this.record({
        ...this.emptyRound(
          at,
          'round',
          busy ? 'skipped' : 'failed',
          busy
            ? 'a plan asked through the API was being computed, or took its place'
            : `planning failed: ${err.message} (${err.code})`,
        ),
        held,
      });
      return;
    }
    if (this.closed) return;
    const sec = plan.window.seconds > 0 ? plan.window.seconds : 1;
    const perSecond = (n: number): number => Math.round((n / sec) * 1000) / 1000;
    const base: AutoRound = {
      ...this.emptyRound(at, 'round', 'balanced', ''),
      window: plan.window,
      busiestBefore: perSecond(plan.before.metrics.makespan),
      busiestAfter: perSecond(plan.after.metrics.makespan),
      lowerBound: perSecond(plan.after.metrics.lowerBound),
      margin: perSecond(plan.noise.makespanMargin),
      held,
      movesLeftOut: plan.noise.movesDropped,
    };
    if (!plan.window.complete) {
      this.record({
        ...base,
        outcome: 'skipped',
        reason: `only ${plan.window.seconds} s of the ${windowMs / 1000} s window sampled so far`,
      });
      return;
    }
    // An IRQ on a CPU it may not use (left out by --auto-cpus, or off its NUMA node) moves
    // whatever the gain; the planner does not count it against maxMoves, the autopilot does.
    const assignment = assignmentsOf(plan);
    const isForced = (irq: string): boolean => {
      const a = assignment.get(irq);
      return (
        a !== undefined &&
        a.current !== null &&
        a.allowed !== undefined &&
        !parseCpuList(a.allowed).includes(a.current)
      );
    };
    const capped = capMoves(plan, s.maxMoves, isForced);
    if (capped.length < plan.moves.length) {
      base.movesLeftOut += plan.moves.length - capped.length;
      base.busiestAfter = perSecond(busiestAfter(plan, capped));
    }
    // What the busiest CPU needs, no more: the planner also evens out less busy CPUs, which an
    // unattended balancer should not churn IRQs for.
    // Within 5 % of what all of them would give (and within the noise), a move is not worth making.
    const target = busiestAfter(plan, capped);
    const chosen = pruneMoves(plan, capped, isForced, Math.min(plan.noise.makespanMargin, 0.05 * target));
    const spared = capped.length - chosen.length;
    const forced = chosen.filter((m) => isForced(m.irq));
    const gain = (base.busiestBefore ?? 0) - (base.busiestAfter ?? 0);
    if (chosen.length === 0 || (gain <= (base.margin ?? 0) && forced.length === 0)) {
      this.record({
        ...base,
        outcome: 'balanced',
        reason:
          plan.moves.length === 0
            ? 'no move gains more than the noise margin'
            : `the busiest CPU would drop by ${fmt(gain)}/s, within the noise margin of ${fmt(base.margin ?? 0)}/s`,
      });
      return;
    }
    // An operator may have paused, or irqbalance started, while the plan was computed.
    const now = this.pauseState(true);
    if (now.paused) {
      this.record({ ...base, outcome: 'paused', reason: now.reason });
      return;
    }
    const result = this.o.system.setAffinities([...chosen, ...plan.pins]);
    // The writes landed after the newest sample: the next interval is the first clean one.
    this.cleanFrom = (this.lastSampleAt ?? at) + this.o.intervalMs;
    const byIrq = new Map(result.outcomes.map((o) => [o.irq, o]));
    const moves = chosen.map((m) => moveOf(m.irq, m.cpu, assignment.get(m.irq), byIrq.get(m.irq), sec));
    for (const m of moves) if (m.ok) this.movedAt.set(m.irq, { at, cpu: m.to });
    const failed = result.outcomes.find(
      (o) => !o.ok && !o.rolledBack && o.error?.code !== 'IRQ_ERR_NOT_ATTEMPTED',
    );
    this.record({
      ...base,
      outcome: result.ok ? 'applied' : 'failed',
      reason: result.ok
        ? `moved ${moves.length} IRQ${moves.length === 1 ? '' : 's'}: the busiest CPU from ${fmt(base.busiestBefore ?? 0)}/s to ${fmt(base.busiestAfter ?? 0)}/s predicted (noise margin ${fmt(base.margin ?? 0)}/s)${spared > 0 ? `; ${spared} more would only even out less busy CPUs and were not made` : ''}`
        : `the batch failed${failed ? ` at IRQ ${failed.irq}: ${failed.error?.message ?? ''}` : ''}; every write of it was undone`,
      moves,
    });
  }

  /** New IRQs, each on the least-loaded CPU it may use; nothing else moves. */
  private placeNew(at: number, restarted: readonly string[]): void {
    const pinned = new Set(this.o.pinnedIrqs());
    const fresh = restarted.filter(
      (irq) => isIrqNumber(irq) && !pinned.has(irq) && !this.o.bannedIrqs.has(irq),
    );
    if (fresh.length === 0) return;
    const w = this.o.windowNow(this.settings.windowMs);
    if (w === undefined) return;
    const system = this.o.system;
    let topo: ReturnType<SystemAccess['topology']>;
    let cpus: number[];
    try {
      topo = system.topology();
      cpus = plannedCpus({
        ...topo,
        columns: w.snapshot.cpus,
        ...(this.settings.cpus !== null ? { requested: this.settings.cpus } : {}),
      });
    } catch {
      return;
    }
    const load = new Map<number, number>(cpus.map((c) => [c, 0]));
    const isFresh = new Set(fresh);
    let total = 0;
    let busy = 0;
    w.snapshot.cpus.forEach((cpu, pos) => {
      if (!load.has(cpu)) return;
      let sum = 0;
      for (const r of w.snapshot.rows) if (r.numeric && !isFresh.has(r.label)) sum += r.counts[pos] ?? 0;
      load.set(cpu, sum);
    });
    for (const r of w.snapshot.rows) {
      if (!r.numeric || r.total <= 0) continue;
      total += r.total;
      busy++;
    }
    // A new IRQ has no history yet: count it as an average one, so a NIC reset's queues spread.
    const typical = busy > 0 ? total / busy : 1;
    const moves: AutoMove[] = [];
    for (const irq of fresh) {
      let info: ReturnType<SystemAccess['irqInfo']>;
      try {
        info = system.irqInfo(irq);
      } catch {
        continue;
      }
      const managed = info.managed ?? system.probeManaged(irq);
      if (managed === true) continue;
      const [cls] = classifyIrqs({
        irqs: [
          {
            irq,
            info: {
              affinity: info.affinity,
              effective: info.effective,
              managed,
              numaNode: info.device?.numaNode ?? null,
            },
          },
        ],
        cpus,
        nodes: topo.nodes,
        numa: this.settings.numa,
        banned: this.o.bannedIrqs,
      });
      if (cls === undefined || cls.kind !== 'movable' || cls.allowed.length === 0) continue;
      let best = cls.allowed[0] as number;
      for (const c of cls.allowed) if ((load.get(c) ?? 0) < (load.get(best) ?? 0)) best = c;
      load.set(best, (load.get(best) ?? 0) + typical);
      if (info.affinity.length === 1 && info.affinity[0] === best) continue;
      const outcome = system.setAffinities([{ irq, cpu: best }]).outcomes[0];
      const move = moveOf(
        irq,
        best,
        { name: info.actions.join(', '), current: info.effective?.[0] ?? info.affinity[0] ?? null, load: 0 },
        outcome,
        1,
      );
      if (move.ok) this.movedAt.set(irq, { at, cpu: best });
      moves.push(move);
    }
    if (moves.length === 0) return;
    // Written right after the sample at `at`: windows from `at` on see the new placement.
    this.cleanFrom = Math.max(this.cleanFrom ?? at, at);
    const ok = moves.every((m) => m.ok);
    this.record({
      ...this.emptyRound(at, 'new-irqs', ok ? 'placed' : 'failed', ''),
      reason: `${moves.length} IRQ${moves.length === 1 ? '' : 's'} appeared (driver load or reset); each went to the least-loaded CPU it may use (${formatCpuList([...new Set(moves.map((m) => m.to))])}), nothing else moved`,
      moves,
    });
  }
}

type Assignment = Plan['assignments'][number];
const assignmentMaps = new WeakMap<Plan, Map<string, Assignment>>();

/** The plan's assignments by IRQ, built once per plan: a round looks them up move by move. */
function assignmentsOf(plan: Plan): Map<string, Assignment> {
  let m = assignmentMaps.get(plan);
  if (m === undefined) {
    m = new Map(plan.assignments.map((x) => [x.irq, x]));
    assignmentMaps.set(plan, m);
  }
  return m;
}

/** What a move is worth: the gain the planner gave it, else the load it takes off its CPU. */
function moveValue(plan: Plan): (irq: string) => number {
  const a = assignmentsOf(plan);
  return (irq) => a.get(irq)?.gain ?? a.get(irq)?.load ?? 0;
}

/**
 * At most `max` of the plan's moves: forced ones first (they have nowhere to stay), then by the
 * gain the planner gave each (else the load it takes off its CPU).
 */
function capMoves(plan: Plan, max: number, isForced: (irq: string) => boolean): Plan['moves'] {
  if (plan.moves.length <= max) return plan.moves;
  const value = moveValue(plan);
  return [...plan.moves]
    .sort((x, y) => Number(isForced(y.irq)) - Number(isForced(x.irq)) || value(y.irq) - value(x.irq))
    .slice(0, max);
}

/**
 * Drops, least valuable first, every move without which the busiest CPU would be no busier than
 * with all of them, give or take `slack` (window counts). Forced moves stay.
 */
export function pruneMoves(
  plan: Plan,
  moves: Plan['moves'],
  isForced: (irq: string) => boolean,
  slack = 0,
): Plan['moves'] {
  const target = busiestAfter(plan, moves) + slack;
  const value = moveValue(plan);
  let kept = moves;
  for (const m of [...moves].sort((x, y) => value(x.irq) - value(y.irq))) {
    if (isForced(m.irq)) continue;
    const without = kept.filter((k) => k !== m);
    if (busiestAfter(plan, without) <= target) kept = without;
  }
  return kept;
}

/** The busiest planned CPU's load (window counts) after only `moves` of the plan. */
export function busiestAfter(plan: Plan, moves: Plan['moves']): number {
  const load = new Map(plan.before.cpus.map((c) => [c.cpu, c.load]));
  const a = assignmentsOf(plan);
  for (const m of moves) {
    const x = a.get(m.irq);
    if (x === undefined) continue;
    if (x.current !== null && load.has(x.current)) load.set(x.current, (load.get(x.current) ?? 0) - x.load);
    load.set(m.cpu, (load.get(m.cpu) ?? 0) + x.load);
  }
  return Math.max(0, ...load.values());
}

function moveOf(
  irq: string,
  cpu: number,
  a: { name: string; current: number | null; load: number } | undefined,
  outcome: AffinityOutcome | undefined,
  seconds: number,
): AutoMove {
  return {
    irq,
    name: a?.name ?? '',
    from: a?.current ?? null,
    to: cpu,
    ratePerSecond: Math.round(((a?.load ?? 0) / seconds) * 1000) / 1000,
    ok: outcome?.ok === true,
    ...(outcome?.ok === true || outcome === undefined
      ? {}
      : {
          error: {
            code: outcome.error?.code ?? 'IRQ_ERR_INTERNAL',
            message: outcome.error?.message ?? 'not written',
          },
        }),
  };
}

function fmt(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}
