/**
 * Balance metrics, defined once here and documented in docs/design.md ("Balance metrics").
 * All of them are computed from per-CPU loads, in the unit of the input (interrupts per window).
 */

export interface CpuShare {
  cpu: number;
  load: number;
  /** load / total, in [0, 1]; 0 when the total is 0. */
  share: number;
  /** How many IRQs the CPU holds. */
  irqs: number;
}

export interface BalanceMetrics {
  /** The busiest CPU's load: what the planner minimises. */
  makespan: number;
  /** No placement can have a smaller makespan. */
  lowerBound: number;
  /** makespan − lowerBound, in interrupts. */
  gap: number;
  /** gap / lowerBound × 100 (0 when the bound is 0). */
  gapPercent: number;
  total: number;
  mean: number;
  min: number;
  /** makespan / mean: 1 is perfect, k means one CPU does everything. */
  peakToAverage: number;
  /** (max − min) / mean: 0 is perfect. */
  spread: number;
  /** Population standard deviation / mean (coefficient of variation). */
  cv: number;
}

export function balanceMetrics(loads: readonly number[], lowerBound: number): BalanceMetrics {
  const k = loads.length;
  let total = 0;
  let max = k > 0 ? Number.NEGATIVE_INFINITY : 0;
  let min = k > 0 ? Number.POSITIVE_INFINITY : 0;
  for (const l of loads) {
    total += l;
    if (l > max) max = l;
    if (l < min) min = l;
  }
  const mean = k > 0 ? total / k : 0;
  let sq = 0;
  for (const l of loads) sq += (l - mean) * (l - mean);
  const std = k > 0 ? Math.sqrt(sq / k) : 0;
  const gap = max - lowerBound;
  return {
    makespan: max,
    lowerBound,
    gap,
    gapPercent: lowerBound > 0 ? (gap / lowerBound) * 100 : 0,
    total,
    mean,
    min,
    peakToAverage: mean > 0 ? max / mean : 1,
    spread: mean > 0 ? (max - min) / mean : 0,
    cv: mean > 0 ? std / mean : 0,
  };
}

export function cpuShares(
  cpus: readonly number[],
  loads: readonly number[],
  irqs: readonly number[],
): CpuShare[] {
  const total = loads.reduce((a, b) => a + b, 0);
  return cpus.map((cpu, i) => {
    const load = loads[i] ?? 0;
    return { cpu, load, share: total > 0 ? load / total : 0, irqs: irqs[i] ?? 0 };
  });
}
