/**
 * How far a measured count may be from the truth, from the counts of equal sub-intervals of
 * its window (live `balance --samples`). Interrupt traffic is bursty, so the spread the
 * sub-intervals show is used whenever it is wider than a Poisson process's (variance = count),
 * and a Poisson process is the floor: even perfectly regular-looking samples are one draw.
 */
import type { Delta } from './rates.ts';
import { addSquare, countVariance } from './window-noise.ts';

/**
 * The variance of a window's count: the larger of the sub-interval counts' sample variance
 * scaled to the whole window (n sub-intervals: n · s²) and the Poisson floor (`total`). With
 * fewer than two sub-intervals the floor alone.
 */
export function windowCountVariance(parts: readonly number[], total: number): number {
  // Equal sub-intervals are the window-noise rule with every length 1.
  let squares = 0;
  for (const p of parts) squares = addSquare(squares, p, 1);
  return countVariance(total, squares, parts.length, parts.length);
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
