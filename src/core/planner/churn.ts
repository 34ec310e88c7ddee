/**
 * Churn control: among plans whose makespan is within the tolerance of the best one found,
 * prefer the one that moves the fewest IRQs. Moving an IRQ costs a cache-cold handler and a
 * burst of reordering, so an operator would rather keep a near-optimal placement than reshuffle.
 *
 * Candidates (each then polished by moving IRQs back home while they fit under the limit):
 *  - the best plan itself;
 *  - the best plan with its CPU groups relabelled to match where IRQs are now (only when every
 *    CPU is interchangeable: no per-IRQ limits and equal fixed loads);
 *  - the current placement, repaired by moving IRQs off CPUs above the limit;
 *  - on two CPUs, "free sets": keep most IRQs where they are and re-partition exactly only the
 *    largest few (to fix the coarse imbalance) and the smallest many (to fine-tune it). On the
 *    seed file this keeps the proven optimum with 14 moves instead of 33.
 */
import { SubBudget, type WorkBudget } from './budget.ts';
import { countMoves, isAllowed, loadsOf, maxOf, type Problem } from './problem.ts';
import { partitionTwoWay } from './two-way.ts';

export function churnLimit(p: Problem, bestMakespan: number, tolerance: number): number {
  const raw = bestMakespan * (1 + Math.max(0, tolerance));
  return p.integral ? Math.max(bestMakespan, Math.floor(raw + 1e-9)) : raw;
}

/** Moves IRQs back to their current CPU, smallest first, while every CPU stays within `limit`. */
export function moveBackHome(p: Problem, assign: Int32Array, limit: number): Int32Array {
  const out = Int32Array.from(assign);
  const loads = loadsOf(p, out);
  const away: number[] = [];
  for (let j = 0; j < p.n; j++) {
    const home = p.current[j] as number;
    if (home >= 0 && out[j] !== home && isAllowed(p, j, home)) away.push(j);
  }
  away.sort((a, b) => (p.w[a] as number) - (p.w[b] as number) || a - b);
  for (const j of away) {
    const home = p.current[j] as number;
    const w = p.w[j] as number;
    if ((loads[home] as number) + w <= limit) {
      const from = out[j] as number;
      loads[from] = (loads[from] as number) - w;
      loads[home] = (loads[home] as number) + w;
      out[j] = home;
    }
  }
  return out;
}

/**
 * Renames the best plan's CPU groups so that as many IRQs as possible stay where they are.
 * Greedy matching on the (group, CPU) pairs that keep the most IRQs; exact matching would be
 * O(k³), too slow at 1,152 CPUs, and greedy is within a factor of two of it.
 */
export function relabelToCurrent(p: Problem, assign: Int32Array): Int32Array | null {
  if (!p.unconstrained) return null;
  for (let c = 1; c < p.k; c++) if (p.base[c] !== p.base[0]) return null;
  const counts = new Map<number, number>();
  for (let j = 0; j < p.n; j++) {
    const home = p.current[j] as number;
    if (home < 0) continue;
    const key = (assign[j] as number) * p.k + home;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const pairs = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const groupTo = new Int32Array(p.k).fill(-1);
  const cpuUsed = new Uint8Array(p.k);
  for (const [key] of pairs) {
    const group = Math.floor(key / p.k);
    const cpu = key % p.k;
    if (groupTo[group] === -1 && !cpuUsed[cpu]) {
      groupTo[group] = cpu;
      cpuUsed[cpu] = 1;
    }
  }
  let free = 0;
  for (let g = 0; g < p.k; g++) {
    if (groupTo[g] !== -1) continue;
    while (cpuUsed[free]) free++;
    groupTo[g] = free;
    cpuUsed[free] = 1;
  }
  return assign.map((g) => groupTo[g] as number);
}

/** Starts from where IRQs are now and moves as few as it can until every CPU is within `limit`. */
export function repairCurrent(p: Problem, limit: number, budget: WorkBudget): Int32Array | null {
  const assign = new Int32Array(p.n);
  const loads = Float64Array.from(p.base);
  const homeless: number[] = [];
  for (let j = 0; j < p.n; j++) {
    const home = p.current[j] as number;
    if (home >= 0 && isAllowed(p, j, home)) {
      assign[j] = home;
      loads[home] = (loads[home] as number) + (p.w[j] as number);
    } else homeless.push(j);
  }
  homeless.sort((a, b) => (p.w[b] as number) - (p.w[a] as number) || a - b);
  const leastLoaded = (j: number, except: number): number => {
    let best = -1;
    for (let c = 0; c < p.k; c++) {
      if (c === except || !isAllowed(p, j, c)) continue;
      if (best < 0 || (loads[c] as number) < (loads[best] as number)) best = c;
    }
    return best;
  };
  for (const j of homeless) {
    const c = leastLoaded(j, -1);
    assign[j] = c;
    loads[c] = (loads[c] as number) + (p.w[j] as number);
  }
  const members: number[][] = Array.from({ length: p.k }, () => []);
  for (let j = 0; j < p.n; j++) members[assign[j] as number]?.push(j);

  for (;;) {
    let c = 0;
    for (let i = 1; i < p.k; i++) if ((loads[i] as number) > (loads[c] as number)) c = i;
    const excess = (loads[c] as number) - limit;
    if (excess <= 0) return assign;
    if (!budget.spend(p.k)) return null;
    // One move that clears the excess beats several; otherwise shed the largest IRQ that fits.
    let pick = -1;
    let pickDest = -1;
    let pickClears = false;
    for (const j of members[c] as number[]) {
      const w = p.w[j] as number;
      if (w <= 0) continue;
      const d = leastLoaded(j, c);
      if (d < 0 || (loads[d] as number) + w > limit) continue;
      const clears = w >= excess;
      const pw = pick >= 0 ? (p.w[pick] as number) : 0;
      const better =
        pick < 0 || (clears && !pickClears) || (clears && pickClears ? w < pw : !pickClears && w > pw);
      if (better) {
        pick = j;
        pickDest = d;
        pickClears = clears;
      }
    }
    if (pick < 0) return null;
    const w = p.w[pick] as number;
    loads[c] = (loads[c] as number) - w;
    loads[pickDest] = (loads[pickDest] as number) + w;
    assign[pick] = pickDest;
    members[c] = (members[c] as number[]).filter((j) => j !== pick);
    members[pickDest]?.push(pick);
  }
}

/** How many of the largest IRQs a free set may include. */
const FREE_SET_MAX_LARGE = 24;
const FREE_SET_PAIR_UNITS = 20_000;

/**
 * Two CPUs only. For each count of largest IRQs b, finds (by bisection) the fewest smallest IRQs
 * s that, freed together with them, can be re-partitioned within `limit` while every other IRQ
 * stays put; keeps the feasible result with the fewest moves.
 */
export function freeSetTwoWay(p: Problem, limit: number, budget: WorkBudget): Int32Array | null {
  if (p.k !== 2) return null;
  const pinned = new Int8Array(p.n).fill(-1); // side an IRQ must take when it is not freed
  const candidates: number[] = [];
  for (let j = 0; j < p.n; j++) {
    const list = p.allowed[j];
    if (list && list.length === 1) pinned[j] = list[0] as number;
    else if ((p.current[j] as number) >= 0) {
      pinned[j] = p.current[j] as number;
      candidates.push(j);
    }
  }
  if (candidates.length === 0) return null;
  const asc = [...candidates].sort((a, b) => (p.w[a] as number) - (p.w[b] as number) || a - b);
  const desc = [...asc].reverse();
  const forced = new Int8Array(p.n);
  const attempt = (large: number, small: number): Int32Array | null => {
    forced.set(pinned);
    for (let i = 0; i < large; i++) forced[desc[i] as number] = -1;
    for (let i = 0; i < small; i++) forced[asc[i] as number] = -1;
    const r = partitionTwoWay(
      p.w,
      forced,
      p.base[0] as number,
      p.base[1] as number,
      new SubBudget(budget, FREE_SET_PAIR_UNITS),
    );
    budget.spend(100 + p.n);
    return Math.max(r.load0, r.load1) <= limit ? Int32Array.from(r.side) : null;
  };
  let best: Int32Array | null = null;
  let bestMoves = Number.POSITIVE_INFINITY;
  const m = candidates.length;
  for (let large = 0; large <= Math.min(FREE_SET_MAX_LARGE, m) && !budget.exhausted(); large++) {
    if (!attempt(large, m - large)) continue;
    let lo = 0;
    let hi = m - large; // feasible
    while (lo < hi && !budget.exhausted()) {
      const mid = (lo + hi) >> 1;
      if (attempt(large, mid)) hi = mid;
      else lo = mid + 1;
    }
    // Moves do not fall monotonically as the set grows: every larger set is another exact
    // partition that may keep more IRQs home, and feasible attempts are cheap.
    for (let small = hi; small <= m - large && !budget.exhausted(); small++) {
      const assign = attempt(large, small);
      if (!assign) continue;
      const moves = countMoves(p, assign);
      if (moves < bestMoves) {
        best = assign;
        bestMoves = moves;
      }
    }
  }
  return best;
}

export interface ChurnChoice {
  assign: Int32Array;
  makespan: number;
  moves: number;
  source: 'best' | 'relabelled' | 'repaired' | 'free-set';
}

export function leastChurn(
  p: Problem,
  best: Int32Array,
  bestMakespan: number,
  tolerance: number,
  budget: WorkBudget,
): ChurnChoice {
  const limit = churnLimit(p, bestMakespan, tolerance);
  const candidates: Array<[ChurnChoice['source'], Int32Array | null]> = [
    ['best', best],
    ['relabelled', relabelToCurrent(p, best)],
    ['repaired', repairCurrent(p, limit, budget)],
    ['free-set', freeSetTwoWay(p, limit, budget)],
  ];
  let choice: ChurnChoice | null = null;
  for (const [source, raw] of candidates) {
    if (!raw) continue;
    const assign = moveBackHome(p, raw, limit);
    const makespan = maxOf(loadsOf(p, assign));
    if (makespan > limit) continue;
    const moves = countMoves(p, assign);
    if (!choice || moves < choice.moves || (moves === choice.moves && makespan < choice.makespan)) {
      choice = { assign, makespan, moves, source };
    }
  }
  // The best plan is always within the limit, so a choice exists.
  return choice as ChurnChoice;
}
