/**
 * Local improvement: repeatedly take the busiest CPU and re-partition its IRQs together with
 * another CPU's, exactly (CKK), trying partners from the least loaded up. An exact pair
 * re-partition includes every single move and swap between the two CPUs, so no separate
 * move/swap pass is needed. Stops at a local optimum, at the lower bound, or when the budget ends.
 */
import type { WorkBudget } from './budget.ts';
import { SubBudget } from './budget.ts';
import { isAllowed, type Problem } from './problem.ts';
import { partitionTwoWay } from './two-way.ts';

/** Work cap for one pair re-partition, so one hard pair cannot eat the whole budget. */
const PAIR_UNITS = 20_000;

export interface ImproveResult {
  assign: Int32Array;
  loads: Float64Array;
  /** Pair re-partitions that lowered the busiest CPU. */
  improvements: number;
}

export function improveByPairs(
  p: Problem,
  start: Int32Array,
  lowerBound: number,
  budget: WorkBudget,
): ImproveResult {
  const assign = Int32Array.from(start);
  const loads = Float64Array.from(p.base);
  const members: number[][] = Array.from({ length: p.k }, () => []);
  for (let j = 0; j < p.n; j++) {
    const c = assign[j] as number;
    loads[c] = (loads[c] as number) + (p.w[j] as number);
    members[c]?.push(j);
  }
  const order = Array.from({ length: p.k }, (_, i) => i);
  let improvements = 0;

  while (!budget.exhausted()) {
    let c = 0;
    for (let i = 1; i < p.k; i++) if ((loads[i] as number) > (loads[c] as number)) c = i;
    const top = loads[c] as number;
    if (top <= lowerBound) break;
    order.sort((a, b) => (loads[a] as number) - (loads[b] as number) || a - b);
    budget.spend(p.k);
    let improved = false;
    for (const d of order) {
      if (d === c) continue;
      if ((loads[d] as number) >= top) break;
      const pool = [...(members[c] as number[]), ...(members[d] as number[])];
      if (pool.length === 0) continue;
      const weights = new Float64Array(pool.length);
      const forced = new Int8Array(pool.length);
      let movable = false;
      for (let i = 0; i < pool.length; i++) {
        const j = pool[i] as number;
        weights[i] = p.w[j] as number;
        const okC = isAllowed(p, j, c);
        const okD = isAllowed(p, j, d);
        forced[i] = okC && okD ? -1 : okC ? 0 : 1;
        if (okC && okD && (p.w[j] as number) > 0) movable = true;
      }
      if (!movable) continue;
      const r = partitionTwoWay(
        weights,
        forced,
        p.base[c] as number,
        p.base[d] as number,
        new SubBudget(budget, PAIR_UNITS),
      );
      budget.spend(pool.length);
      if (Math.max(r.load0, r.load1) < top) {
        const onC: number[] = [];
        const onD: number[] = [];
        for (let i = 0; i < pool.length; i++) {
          const j = pool[i] as number;
          if (r.side[i] === 0) {
            assign[j] = c;
            onC.push(j);
          } else {
            assign[j] = d;
            onD.push(j);
          }
        }
        members[c] = onC;
        members[d] = onD;
        loads[c] = r.load0;
        loads[d] = r.load1;
        improvements++;
        improved = true;
        break;
      }
      if (budget.exhausted()) break;
    }
    if (!improved) break;
  }
  return { assign, loads, improvements };
}
