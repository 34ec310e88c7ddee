/** Exhaustive optimum for tiny instances: the oracle the planner's claims are checked against. */
export interface TinyItem {
  load: number;
  allowed?: number[];
  fixedOn?: number;
}

export function bruteForceMakespan(
  items: readonly TinyItem[],
  k: number,
  base: readonly number[] = [],
): number {
  const loads = Array.from({ length: k }, (_, c) => base[c] ?? 0);
  for (const it of items)
    if (it.fixedOn !== undefined) loads[it.fixedOn] = (loads[it.fixedOn] as number) + it.load;
  const free = items.filter((it) => it.fixedOn === undefined);
  let best = Number.POSITIVE_INFINITY;
  const rec = (i: number): void => {
    const cur = Math.max(...loads);
    if (cur >= best) return;
    if (i === free.length) {
      best = cur;
      return;
    }
    const it = free[i] as TinyItem;
    for (let c = 0; c < k; c++) {
      if (it.allowed && !it.allowed.includes(c)) continue;
      loads[c] = (loads[c] as number) + it.load;
      rec(i + 1);
      loads[c] = (loads[c] as number) - it.load;
    }
  };
  rec(0);
  return best;
}

/**
 * Whether `loads` fit on `k` CPUs with none above `capacity`, by dynamic programming over subsets
 * (2^n states, so up to about 22 IRQs): for each subset, the fewest CPUs it fills, then the least
 * load on the last one. Independent of the planner's search, so it can check its proofs.
 */
export function fitsUnder(loads: readonly number[], k: number, capacity: number): boolean {
  const n = loads.length;
  if (n > 24) throw new Error(`fitsUnder: ${n} loads is too many for 2^n states`);
  if (loads.some((w) => w > capacity)) return false;
  const full = 2 ** n;
  const bins = new Int32Array(full).fill(0x7fffffff);
  const last = new Float64Array(full);
  bins[0] = 1;
  for (let mask = 1; mask < full; mask++) {
    for (let rest = mask; rest !== 0; rest &= rest - 1) {
      const bit = rest & -rest;
      const j = 31 - Math.clz32(bit);
      const prev = mask ^ bit;
      const w = loads[j] as number;
      let b = bins[prev] as number;
      let l = (last[prev] as number) + w;
      if (l > capacity) {
        b++;
        l = w;
      }
      if (b < (bins[mask] as number) || (b === bins[mask] && l < (last[mask] as number))) {
        bins[mask] = b;
        last[mask] = l;
      }
    }
  }
  return (bins[full - 1] as number) <= k;
}
