/**
 * Exact multi-way branch-and-bound for small instances: items largest first, each tried on its
 * allowed CPUs from least loaded up. Prunes on the incumbent, on the average bound of what is
 * left, and (when CPUs are interchangeable) on CPUs with equal load, which are symmetric.
 */
import type { WorkBudget } from './budget.ts';
import { orderByLoadDesc, type Problem } from './problem.ts';

export interface ExactResult {
  /** A better assignment than the incumbent, or null if none was found. */
  assign: Int32Array | null;
  makespan: number;
  /** True when the search finished, proving `makespan` optimal. */
  complete: boolean;
  nodes: number;
}

export function branchAndBound(
  p: Problem,
  incumbentMakespan: number,
  lowerBound: number,
  budget: WorkBudget,
): ExactResult {
  const order = orderByLoadDesc(p);
  const n = p.n;
  const k = p.k;
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--)
    suffix[i] = (suffix[i + 1] as number) + (p.w[order[i] as number] as number);
  const loads = Float64Array.from(p.base);
  let baseSum = 0;
  for (const b of p.base) baseSum += b;
  const symmetric = p.unconstrained;
  const cur = new Int32Array(n);
  let best = incumbentMakespan;
  let bestAssign: Int32Array | null = null;
  let nodes = 0;
  let aborted = false;
  // An improvement must be strictly better; with integer loads that means at most best − 1.
  const better = (m: number): boolean => (p.integral ? m <= best - 1 : m < best - 1e-9);

  const candidates: number[][] = Array.from({ length: n + 1 }, () => []);

  const search = (i: number, curMax: number, placedSum: number): boolean => {
    if (aborted) return false;
    nodes++;
    // A node sorts its candidate CPUs, so it costs about one unit per few CPUs.
    if (!budget.spend(1 + (k >> 2))) {
      aborted = true;
      return false;
    }
    if (i === n) {
      best = curMax;
      bestAssign = new Int32Array(n);
      for (let t = 0; t < n; t++) bestAssign[order[t] as number] = cur[t] as number;
      return best <= lowerBound;
    }
    const avg = (baseSum + placedSum + (suffix[i] as number)) / k;
    const bound = Math.max(curMax, p.integral ? Math.ceil(avg - 1e-9) : avg);
    if (!better(bound)) return false;
    const j = order[i] as number;
    const w = p.w[j] as number;
    const list = p.allowed[j];
    const cands = candidates[i] as number[];
    cands.length = 0;
    if (list) for (const c of list) cands.push(c);
    else for (let c = 0; c < k; c++) cands.push(c);
    cands.sort((a, b) => (loads[a] as number) - (loads[b] as number) || a - b);
    let lastLoad = Number.NaN;
    for (const c of cands) {
      const before = loads[c] as number;
      if (symmetric && before === lastLoad) continue;
      lastLoad = before;
      const after = before + w;
      if (!better(after)) break; // candidates are sorted by load: the rest are no better
      loads[c] = after;
      cur[i] = c;
      const done = search(i + 1, Math.max(curMax, after), placedSum + w);
      loads[c] = before;
      if (done || aborted) return done;
    }
    return false;
  };

  let startMax = 0;
  for (const b of p.base) startMax = Math.max(startMax, b);
  const reachedBound = best <= lowerBound || search(0, startMax, 0);
  return {
    assign: bestAssign,
    makespan: best,
    complete: reachedBound || !aborted,
    nodes,
  };
}
