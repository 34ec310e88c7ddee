/**
 * What each planned CPU really serviced in the window ("before" a plan), with the uncertainty of
 * those counts. The numbered rows are summed per CPU column, as the daemon's plans do, so an IRQ
 * whose interrupts were spread over several CPUs loads each of them with its share.
 */
import type { Snapshot } from './snapshot.ts';

export interface MeasuredLoad {
  cpu: number;
  load: number;
  /** Standard deviation of `load`; 0 when the counts are exact. */
  stddev: number;
}

/**
 * `variance` per IRQ label (absent: exact). An IRQ's variance is split over CPUs in proportion
 * to its counts there, which keeps its dispersion (variance per interrupt) on every CPU and is
 * exact for a Poisson count.
 */
export function measuredLoads(
  snapshot: Snapshot,
  cpus: readonly number[],
  variance?: ReadonlyMap<string, number>,
): MeasuredLoad[] {
  const column = new Map(snapshot.cpus.map((c, i) => [c, i]));
  const loads = cpus.map(() => 0);
  const variances = cpus.map(() => 0);
  for (const row of snapshot.rows) {
    if (!row.numeric) continue;
    const v = row.occurrence === 0 ? (variance?.get(row.label) ?? 0) : 0;
    cpus.forEach((cpu, i) => {
      const pos = column.get(cpu);
      const count = pos === undefined ? 0 : (row.counts[pos] ?? 0);
      loads[i] = (loads[i] as number) + count;
      if (v > 0 && row.total > 0) variances[i] = (variances[i] as number) + (v * count) / row.total;
    });
  }
  return cpus.map((cpu, i) => ({ cpu, load: loads[i] as number, stddev: Math.sqrt(variances[i] as number) }));
}
