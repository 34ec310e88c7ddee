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
