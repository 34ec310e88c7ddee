/**
 * How much a window's interrupt count would differ if it were measured again: the variance the
 * planner needs to tell a real imbalance from measuring noise (issue 12).
 *
 * A count over m sampled intervals of lengths d_1..d_m (seconds, D in all) is x_1..x_m, T in
 * all. Its rate is r = T / D, and each interval's spread around r·d_t, relative to a Poisson
 * process of that rate, is the index of dispersion
 *
 *   φ = Σ (x_t − r·d_t)² / (r·d_t) / (m − 1) = (D·Q / T − T) / (m − 1),   Q = Σ x_t² / d_t.
 *
 * The window total then varies by φ·T = (D·Q − T²) / (m − 1): with equal intervals that is
 * m times the sample variance of the per-interval counts, and unequal intervals (a late or
 * failed sample) are weighed by their length instead of counting as bursts. Interrupts are often
 * burstier than that, rarely smoother, and one or two intervals say little about bursts, so the
 * variance is never less than the Poisson floor, T itself; with a single interval it is T.
 *
 * Q is one running sum per row (and per CPU), so the history keeps no per-interval series.
 */

/** Σ x_t² / d_t, one interval at a time; intervals without length add nothing. */
export function addSquare(squares: number, count: number, seconds: number): number {
  return seconds > 0 ? squares + (count * count) / seconds : squares;
}

/**
 * The variance of a window total `total` from its running sum `squares` (see addSquare), over
 * `intervals` intervals of `seconds` in all: the larger of the empirical one and `total`.
 */
export function countVariance(total: number, squares: number, intervals: number, seconds: number): number {
  if (!(total > 0)) return 0;
  if (intervals < 2 || !(seconds > 0)) return total;
  const empirical = (seconds * squares - total * total) / (intervals - 1);
  return Number.isFinite(empirical) && empirical > total ? empirical : total;
}

/** What a window knows of its own noise (from DeltaHistory.window). */
export interface WindowNoise {
  /** Intervals summed, and their length in seconds. */
  intervals: number;
  seconds: number;
  /** Σ x_t² / d_t of each row's per-interval total (all CPUs), by row key. */
  rowSquares: ReadonlyMap<string, number>;
  /**
   * Σ x_t² / d_t of each CPU's per-interval count over the rows the query picked (by the
   * position of the window's CPUs), or null when it picked none.
   */
  cpuSquares: Float64Array | null;
}

/** The variance of one row's window total. */
export function rowVariance(noise: WindowNoise, key: string, total: number): number {
  return countVariance(total, noise.rowSquares.get(key) ?? 0, noise.intervals, noise.seconds);
}

/** The variance of the CPU at `position` of the window's CPUs, whose picked rows total `total`. */
export function cpuVariance(noise: WindowNoise, position: number, total: number): number {
  return countVariance(total, noise.cpuSquares?.[position] ?? 0, noise.intervals, noise.seconds);
}
