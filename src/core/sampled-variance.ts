/**
 * How far a measured count may be from the truth, from the counts of equal sub-intervals of
 * its window (live `balance --samples`). Interrupt traffic is bursty, so the spread the
 * sub-intervals show is used whenever it is wider than a Poisson process's (variance = count),
 * and a Poisson process is the floor: even perfectly regular-looking samples are one draw.
 */
import type { Delta } from './rates.ts';

/**
 * The variance of a window's count: the larger of the sub-interval counts' sample variance
 * scaled to the whole window (n sub-intervals: n · s²) and the Poisson floor (`total`). With
 * fewer than two sub-intervals the floor alone.
 */
export function windowCountVariance(parts: readonly number[], total: number): number {
  const floor = Math.max(0, total);
  const n = parts.length;
  if (n < 2) return floor;
  let sum = 0;
  for (const p of parts) sum += p;
  const mean = sum / n;
  let squares = 0;
  for (const p of parts) squares += (p - mean) * (p - mean);
  return Math.max((n * squares) / (n - 1), floor);
}

/**
 * Each numbered IRQ's count in every sub-interval (0 where it was absent), keyed by its label.
 * Only first occurrences count: they are the IRQs a plan places.
 */
export function subIntervalCounts(deltas: readonly Delta[]): Map<string, number[]> {
  const counts = new Map<string, number[]>();
  deltas.forEach((delta, i) => {
    for (const row of delta.rows) {
      if (!row.numeric || row.key !== row.label) continue;
      let parts = counts.get(row.label);
      if (parts === undefined) {
        parts = new Array<number>(deltas.length).fill(0);
        counts.set(row.label, parts);
      }
      parts[i] = row.total;
    }
  });
  return counts;
}
