/**
 * The planner: put each IRQ on one allowed CPU so that the busiest CPU's load is as small as
 * possible, prove optimality when it can, and move as few IRQs as the tolerance allows.
 *
 *  1. Baselines: round-robin, LPT, Karmarkar–Karp.
 *  2. Two CPUs: Complete Karmarkar–Karp, exact whenever it finishes.
 *     More CPUs: exact pair re-partitioning from the LPT and KK starts, then an exact search for
 *     small instances (sequential partitioning up to 40 IRQs, branch-and-bound up to 200), all
 *     inside one deterministic work budget.
 *  3. Churn: among plans within `tolerance` of the best makespan, the fewest moves.
 *  4. Evenness and noise (refine.ts): the other CPUs evened out too, moves that pay for
 *     themselves only, and a balanced current placement left alone (docs/design.md).
 */
import { IrqkitError } from '../errors.ts';
import { type BalanceMetrics, balanceMetrics, type CpuShare, cpuShares } from '../metrics.ts';
import { karmarkarKarp, longestProcessingTime, MinLoadTree, roundRobin } from './baselines.ts';
import { lowerBound } from './bounds.ts';
import { branchAndBound } from './branch-and-bound.ts';
import { Budget, type StopReason } from './budget.ts';
import { churnLimit, leastChurn } from './churn.ts';
import { improveByPairs } from './improve.ts';
import { buildNoise, makespanMargin, variancesOf } from './noise.ts';
import {
  buildProblem,
  countMoves,
  loadsOf,
  maxOf,
  orderByLoadDesc,
  type PlanItem,
  type Problem,
} from './problem.ts';
import { refine, refineTolerant } from './refine.ts';
import { canPartitionSequentially, sequentialPartition } from './sequential-partition.ts';
import { partitionTwoWay } from './two-way.ts';

export type { PlanItem } from './problem.ts';

/** The default search effort, for up to 2,000 movable IRQs. */
export const DEFAULT_TIME_LIMIT_MS = 250;
/** The most the default effort grows to on large inputs. */
export const MAX_DEFAULT_TIME_LIMIT_MS = 1000;

/**
 * The search effort when the request names none. Evening out k CPUs takes a number of pair
 * re-partitions that grows with k, each over about 2n/k IRQs, so the work to converge grows with
 * the IRQ count n and hardly with k: 250 ms of work units up to 2,000 IRQs (2,000 on 256 CPUs end
 * within 0.002 % of the bound), then in proportion, up to 1 s from 8,000 IRQs. Small inputs keep
 * 250 ms: the exact search proves them in a few milliseconds.
 */
export function defaultTimeLimitMs(movableIrqs: number): number {
  const scaled = (DEFAULT_TIME_LIMIT_MS * movableIrqs) / 2000;
  return Math.round(Math.min(MAX_DEFAULT_TIME_LIMIT_MS, Math.max(DEFAULT_TIME_LIMIT_MS, scaled)));
}

/** Two standard errors of a difference: loads closer than that count as equal. */
export const DEFAULT_CONFIDENCE = 2;

/** Branch-and-bound only pays off while the tree is small enough to finish. */
const EXACT_MAX_ITEMS = 200;

export interface PlanRequest {
  cpus: readonly number[];
  items: readonly PlanItem[];
  /** Load on CPUs that no listed IRQ explains (named rows, unlisted IRQs). */
  baseLoad?: Readonly<Record<number, number>>;
  /** The variance of each CPU's `baseLoad` (absent: exact). */
  baseVariance?: Readonly<Record<number, number>>;
  /**
   * How many standard errors of a difference count as noise (default 2). Loads that differ by
   * less than that margin count as equal, and a move must gain more than it. 0 plans exactly.
   */
  confidence?: number;
  /** At most this many moves, the most valuable first (default: no cap). */
  maxMoves?: number;
  /** Search effort, in milliseconds at the nominal rate (see budget.ts); default `defaultTimeLimitMs`. */
  timeLimitMs?: number;
  /** Accept a makespan up to (1 + tolerance) × the best found, for fewer moves. */
  tolerance?: number;
  /** Injected clock for the safety net; Date.now by default. */
  now?: () => number;
}

export interface Assignment {
  id: string;
  load: number;
  cpu: number;
  /** Where it is now, when known. */
  current?: number;
  moved: boolean;
  fixed: boolean;
  /**
   * For a moved IRQ: how much the move lowers the higher of its two CPUs' loads (source and
   * target) against leaving this one IRQ where it is, the rest of the plan unchanged.
   */
  gain?: number;
  /**
   * For a moved IRQ: the noise margin of that pair of CPUs, which `gain` exceeds (unless putting
   * the IRQ back would break the evenness floor, docs/design.md).
   */
  margin?: number;
}

export interface NoiseSummary {
  /** Standard errors of a difference that count as noise (the request's `confidence`). */
  confidence: number;
  /** True when every variance is 0 or the confidence is 0: the plan treats the loads as exact. */
  exact: boolean;
  /**
   * How much lower another plan's busiest CPU must be to count as better than this plan's, for
   * a busiest CPU of the same variance V: 2·z_F·√V, with z_F the confidence corrected for the
   * k(k−1)/2 CPU pairs (noise.ts), plus the tolerance's allowance. 0 when exact. A balanced
   * current placement is left only for a plan that beats it by this (docs/design.md).
   */
  makespanMargin: number;
  /** Moves left out by `maxMoves` (the least valuable). */
  movesDropped: number;
}

export type Method =
  | 'trivial'
  | 'round-robin'
  | 'lpt'
  | 'kk'
  | 'ckk'
  | 'pair-repartition'
  | 'branch-and-bound'
  | 'sequential';

export interface PlanResult {
  assignments: Assignment[];
  /** Per CPU, with `stddev`: the standard deviation of its load (0 when exact). */
  cpus: Array<CpuShare & { stddev: number }>;
  noise: NoiseSummary;
  metrics: BalanceMetrics & {
    /** True when no placement has a smaller makespan (this one's makespan is the optimum). */
    provenOptimal: boolean;
    /** The smallest makespan found before trading some of it for fewer moves. */
    bestMakespan: number;
    moves: number;
    tolerance: number;
  };
  lowerBoundReason: string;
  /** Which step produced the best makespan. */
  method: Method;
  /** Makespans of the baselines on the same input (kk is null when per-IRQ limits rule it out). */
  baselines: { roundRobin: number; lpt: number; kk: number | null };
  /**
   * Why the search ended: 'bound' (reached the lower bound), 'complete' (an exact search
   * finished), 'converged' (no step could improve further and no exact search applies),
   * 'budget' (the time limit) or 'clock' (the safety net).
   */
  search: { units: number; stoppedBy: StopReason | 'bound' | 'converged' };
}

interface Candidate {
  assign: Int32Array;
  makespan: number;
  method: Method;
}

function twoWay(p: Problem, budget: Budget): { cand: Candidate; optimal: boolean } {
  const forced = new Int8Array(p.n);
  for (let j = 0; j < p.n; j++) {
    const list = p.allowed[j];
    forced[j] = list && list.length === 1 ? (list[0] as number) : -1;
  }
  const r = partitionTwoWay(p.w, forced, p.base[0] as number, p.base[1] as number, budget);
  return {
    cand: { assign: Int32Array.from(r.side), makespan: Math.max(r.load0, r.load1), method: 'ckk' },
    optimal: r.optimal,
  };
}

/**
 * With nearly equal loads and n = q·k + r (r > 0), the optimum is about counts: r CPUs carry
 * q + 1 IRQs. This start puts the r·(q+1) smallest IRQs on r CPUs and the rest on the others
 * (LPT within each group), which local search cannot easily discover from LPT or KK.
 * Only for interchangeable CPUs.
 */
function countSplit(p: Problem): Int32Array | null {
  const q = Math.floor(p.n / p.k);
  const r = p.n - q * p.k;
  if (r === 0 || q === 0 || !p.unconstrained || !p.base.every((b) => b === p.base[0])) return null;
  const ascending = Array.from(orderByLoadDesc(p)).reverse();
  const small = ascending.slice(0, r * (q + 1));
  const assign = new Int32Array(p.n);
  const place = (items: number[], first: number, count: number): void => {
    const loads = new Float64Array(count);
    const tree = new MinLoadTree(loads);
    // Largest first onto the least-loaded CPU of the group.
    for (let i = items.length - 1; i >= 0; i--) {
      const j = items[i] as number;
      const c = tree.minPos;
      assign[j] = first + c;
      loads[c] = (loads[c] as number) + (p.w[j] as number);
      tree.set(c, loads[c] as number);
    }
  };
  place(small, 0, r);
  place(ascending.slice(r * (q + 1)), r, p.k - r);
  return assign;
}

export function plan(request: PlanRequest): PlanResult {
  const p = buildProblem(request.cpus, request.items, request.baseLoad);
  const timeLimitMs = request.timeLimitMs ?? defaultTimeLimitMs(p.n);
  if (!(timeLimitMs > 0)) throw new IrqkitError('IRQ_ERR_USAGE', 'the time limit must be a positive number');
  const tolerance = request.tolerance ?? 0;
  if (!(tolerance >= 0)) throw new IrqkitError('IRQ_ERR_USAGE', 'the tolerance must be 0 or more');
  const bound = lowerBound(p);
  const evaluate = (assign: Int32Array, method: Method): Candidate => ({
    assign,
    makespan: maxOf(loadsOf(p, assign)),
    method,
  });

  const rr = evaluate(roundRobin(p), 'round-robin');
  const lpt = evaluate(longestProcessingTime(p), 'lpt');
  // KK costs O(n·k log k) at large k; when LPT already meets the bound nothing can beat it.
  const kkAssign = lpt.makespan > bound.value ? karmarkarKarp(p) : null;
  const kk = kkAssign ? evaluate(kkAssign, 'kk') : null;
  let best = kk && kk.makespan < lpt.makespan ? kk : lpt;
  if (rr.makespan < best.makespan) best = rr;
  let optimal = best.makespan <= bound.value;
  // The budget (and its safety clock) starts after the baselines, which always run in full.
  const budget = new Budget(timeLimitMs, request.now);
  let converged = false;
  const consider = (c: Candidate): void => {
    if (c.makespan < best.makespan) best = c;
  };
  const atBound = (): boolean => best.makespan <= bound.value;

  if (p.n === 0 || p.k === 1) {
    best = { ...best, method: 'trivial' };
    optimal = true;
  } else if (!optimal && p.k === 2) {
    const r = twoWay(p, budget);
    consider(r.cand);
    optimal = r.optimal || atBound();
  } else if (!optimal) {
    // Cheap first: every start to a pair-local optimum; then balancing sweeps to escape local
    // optima; then exact search with whatever is left, from the best incumbent.
    const split = countSplit(p);
    const starts = [lpt, ...(kk ? [kk] : []), ...(split ? [evaluate(split, 'lpt')] : [])];
    for (const start of starts) {
      const r = improveByPairs(p, start.assign, bound.value, budget.slice(0.2), { sweep: false });
      const makespan = maxOf(r.loads);
      if (makespan < start.makespan) consider({ assign: r.assign, makespan, method: 'pair-repartition' });
      else consider(start);
      if (atBound()) break;
    }
    // Sequential partitioning proves small instances outright; the sweeps would only spend its budget.
    const sequential = canPartitionSequentially(p);
    if (!sequential && !atBound() && !budget.exhausted()) {
      const r = improveByPairs(p, best.assign, bound.value, budget.slice(p.n <= EXACT_MAX_ITEMS ? 0.3 : 1), {
        sweep: true,
      });
      const makespan = maxOf(r.loads);
      if (makespan < best.makespan) consider({ assign: r.assign, makespan, method: 'pair-repartition' });
    }
    optimal = atBound();
    if (!optimal && sequential && !budget.exhausted()) {
      const r = sequentialPartition(p, best.makespan, bound.value, budget);
      if (r.assign && r.makespan < best.makespan)
        consider({ assign: r.assign, makespan: r.makespan, method: 'sequential' });
      optimal = r.complete || atBound();
    } else if (!optimal && p.n <= EXACT_MAX_ITEMS && !budget.exhausted()) {
      const r = branchAndBound(p, best.makespan, bound.value, budget);
      if (r.assign) consider({ assign: r.assign, makespan: r.makespan, method: 'branch-and-bound' });
      optimal = r.complete || atBound();
    }
    converged = !optimal && !budget.exhausted();
  }
  const stoppedBy: PlanResult['search']['stoppedBy'] = optimal
    ? best.makespan <= bound.value
      ? 'bound'
      : 'complete'
    : converged
      ? 'converged'
      : budget.reason;

  const hasCurrent = p.current.some((c) => c >= 0);
  // Churn gets its own budget, as large as the search's: it must run even when the search used
  // everything, and fewer moves are worth as much to an operator as a slightly better makespan.
  const chosen = hasCurrent
    ? leastChurn(p, best.assign, best.makespan, tolerance, new Budget(Math.max(1, timeLimitMs), request.now))
    : { assign: best.assign, makespan: best.makespan, moves: countMoves(p, best.assign) };
  // Repairing the current placement can, rarely, beat the search; then it is the best found.
  if (chosen.makespan < best.makespan)
    best = { assign: chosen.assign, makespan: chosen.makespan, method: best.method };

  // Evenness and noise: the floor, moves that pay for themselves, the cap (refine.ts).
  if (request.maxMoves !== undefined && !(Number.isInteger(request.maxMoves) && request.maxMoves >= 0)) {
    throw new IrqkitError('IRQ_ERR_USAGE', 'the move cap must be a whole number, 0 or more');
  }
  const confidence = request.confidence ?? DEFAULT_CONFIDENCE;
  const strictNoise = buildNoise(p, request.items, request.baseVariance, confidence);
  const refineBudget = (): Budget => new Budget(Math.max(1, timeLimitMs), request.now);
  const refined =
    tolerance > 0
      ? refineTolerant(
          p,
          {
            strict: strictNoise,
            loose: buildNoise(p, request.items, request.baseVariance, confidence, {
              allowance: tolerance * best.makespan,
              ceiling: churnLimit(p, best.makespan, tolerance),
            }),
          },
          {
            loose: [best.assign, chosen.assign],
            strict: [
              best.assign,
              hasCurrent ? leastChurn(p, best.assign, best.makespan, 0, refineBudget()).assign : best.assign,
            ],
          },
          refineBudget,
          request.maxMoves,
        )
      : refine(p, strictNoise, [best.assign, chosen.assign], refineBudget(), request.maxMoves);
  const noise = refined.noise;
  const finalAssign = refined.assign;
  const loads = Array.from(loadsOf(p, finalAssign));
  const finalMakespan = maxOf(loads);
  if (finalMakespan < best.makespan)
    best = { assign: finalAssign, makespan: finalMakespan, method: best.method };

  const irqCount = new Array<number>(p.k).fill(0);
  const assignments: Assignment[] = request.items.map((it) => ({
    id: it.id,
    load: it.load,
    cpu: it.current ?? -1,
    ...(it.current === undefined ? {} : { current: it.current }),
    moved: false,
    fixed: it.fixed === true,
  }));
  for (let j = 0; j < p.n; j++) {
    const a = assignments[p.itemIndex[j] as number] as Assignment;
    const pos = finalAssign[j] as number;
    a.cpu = p.cpus[pos] as number;
    a.moved = a.current !== a.cpu;
    const value = refined.values[j];
    if (value) {
      a.gain = value.gain;
      a.margin = value.margin;
    }
  }
  const posOf = new Map(p.cpus.map((c, i) => [c, i]));
  for (const a of assignments) {
    const pos = posOf.get(a.cpu);
    if (pos !== undefined) irqCount[pos] = (irqCount[pos] as number) + 1;
  }
  const metrics = balanceMetrics(loads, bound.value);
  const variances = variancesOf(p, noise, finalAssign);
  return {
    assignments,
    cpus: cpuShares(p.cpus, loads, irqCount).map((c, i) => ({ ...c, stddev: Math.sqrt(variances[i] ?? 0) })),
    noise: {
      confidence: noise.z,
      exact: noise.exact,
      makespanMargin: makespanMargin(noise, loads, variances),
      movesDropped: refined.dropped,
    },
    metrics: {
      ...metrics,
      provenOptimal: optimal && finalMakespan <= best.makespan,
      bestMakespan: best.makespan,
      moves: countMoves(p, finalAssign),
      tolerance,
    },
    lowerBoundReason: bound.reason,
    method: best.method,
    baselines: { roundRobin: rr.makespan, lpt: lpt.makespan, kk: kk ? kk.makespan : null },
    search: { units: budget.spent, stoppedBy },
  };
}
