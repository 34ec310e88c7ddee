/**
 * Lower bounds on the makespan. The textbook bound is max(⌈total/k⌉, largest load); here it is
 * tightened for fixed loads (water-filling: a CPU already above the level takes nothing) and for
 * per-IRQ CPU limits (the IRQs confined to a CPU group must fit in that group alone).
 */
import type { Problem } from './problem.ts';

/** The smallest level T with Σ max(0, T − base[c]) ≥ load over the given CPUs. */
export function waterLevel(bases: number[], load: number): number {
  const sorted = [...bases].sort((a, b) => a - b);
  let filled = 0; // CPUs below the level
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) {
    filled = i + 1;
    sum += sorted[i] as number;
    const level = (sum + load) / filled;
    const nextBase = sorted[i + 1];
    if (nextBase === undefined || level <= nextBase) return level;
  }
  return (sum + load) / Math.max(1, filled);
}

export interface BoundDetail {
  value: number;
  /** Which argument gave the bound: "average", "largest", "fixed" or "group". */
  reason: 'average' | 'largest' | 'fixed' | 'group' | 'count';
}

/**
 * The counting bound. With n IRQs on k CPUs, n = q·k + r, let A be the CPUs that hold more than
 * q IRQs (A is never empty when r > 0). A holds at least max(r + q·|A|, (q+1)·|A|) IRQs, so its
 * busiest CPU carries at least the |A|-th part of that many smallest loads. |A| is unknown, so
 * the bound is the minimum over every possible |A|. It matters when loads are nearly equal and
 * k does not divide n, where ⌈total/k⌉ is far too optimistic.
 * Only for interchangeable CPUs (no per-IRQ limits, equal fixed loads).
 */
export function countingBound(sortedAscending: ArrayLike<number>, k: number, base: number): number {
  const n = sortedAscending.length;
  const q = Math.floor(n / k);
  const r = n - q * k;
  // With r = 0 every CPU may hold exactly q IRQs, and then only the average bound applies.
  if (n === 0 || k <= 1 || r === 0) return base;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] as number) + (sortedAscending[i] as number);
  let bound = Number.POSITIVE_INFINITY;
  for (let a = 1; a <= k; a++) {
    const held = Math.max(r + q * a, (q + 1) * a);
    if (held > n) break;
    bound = Math.min(bound, (prefix[held] as number) / a);
  }
  return bound === Number.POSITIVE_INFINITY ? base : bound + base;
}

export function lowerBound(p: Problem): BoundDetail {
  const round = (x: number): number => (p.integral ? Math.ceil(x - 1e-9) : x);
  let best: BoundDetail = { value: 0, reason: 'fixed' };
  const consider = (value: number, reason: BoundDetail['reason']): void => {
    const v = round(value);
    if (v > best.value) best = { value: v, reason };
  };
  for (let c = 0; c < p.k; c++) consider(p.base[c] as number, 'fixed');

  let total = 0;
  let minBaseAll = Number.POSITIVE_INFINITY;
  for (let c = 0; c < p.k; c++) minBaseAll = Math.min(minBaseAll, p.base[c] as number);
  for (let j = 0; j < p.n; j++) {
    const w = p.w[j] as number;
    total += w;
    // The item lands on some allowed CPU on top of that CPU's fixed load.
    const list = p.allowed[j];
    let minBase = minBaseAll;
    if (list) {
      minBase = Number.POSITIVE_INFINITY;
      for (const c of list) minBase = Math.min(minBase, p.base[c] as number);
    }
    consider(w + minBase, 'largest');
  }
  consider(waterLevel(Array.from(p.base), total), 'average');

  if (p.unconstrained && p.base.every((b) => b === p.base[0])) {
    consider(countingBound(Float64Array.from(p.w).sort(), p.k, p.base[0] ?? 0), 'count');
  }

  if (!p.unconstrained) {
    // Every distinct allowed set S: the items confined to S must fit on S.
    const groups = new Map<Int32Array, number>();
    for (let j = 0; j < p.n; j++) {
      const list = p.allowed[j];
      if (list) groups.set(list, (groups.get(list) ?? 0) + (p.w[j] as number));
    }
    const sets = [...groups.keys()];
    // Pairwise unions catch items split across overlapping groups; capped to stay cheap.
    const limit = Math.min(sets.length, 64);
    for (let a = 0; a < limit; a++) {
      const sa = sets[a] as Int32Array;
      consider(
        waterLevel(
          Array.from(sa, (c) => p.base[c] as number),
          groups.get(sa) ?? 0,
        ),
        'group',
      );
      for (let b = a + 1; b < limit; b++) {
        const sb = sets[b] as Int32Array;
        const union = new Set<number>([...sa, ...sb]);
        let load = 0;
        for (const [s, l] of groups) if (s.every((c) => union.has(c))) load += l;
        consider(
          waterLevel(
            [...union].map((c) => p.base[c] as number),
            load,
          ),
          'group',
        );
      }
    }
  }
  return best;
}
