/** Prometheus series for pins, the state file and irqbalance: what an alert on drift needs. */
import { type MetricFamily, single } from '../core/metrics-text.ts';
import type { PinKeeper } from './pins.ts';

const STATUSES = ['applied', 'drifted', 'missing', 'cpu-offline', 'mismatch', 'failed', 'unchecked'] as const;

export function pinMetricFamilies(keeper: PinKeeper): MetricFamily[] {
  const counts = new Map<string, number>(STATUSES.map((s) => [s, 0]));
  for (const p of keeper.views()) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  return [
    {
      name: 'irqkit_pins',
      help: 'Pinned IRQs by status (drifted: something else changed the affinity)',
      type: 'gauge',
      // Every status always, so an alert on drifted > 0 has a series to look at.
      samples: STATUSES.map((s) => ({ labels: { status: s }, value: counts.get(s) ?? 0 })),
    },
    single(
      'irqkit_pin_applied_total',
      'Pins applied by irqkitd on its own (start-up, reload, an IRQ or CPU that came back)',
      'counter',
      keeper.counters.applied,
    ),
    single(
      'irqkit_pin_drift_total',
      'Times a pin was found changed by something else',
      'counter',
      keeper.counters.drifts,
    ),
    single(
      'irqkit_state_save_failures_total',
      'State file saves that failed (disk full, read-only, permission)',
      'counter',
      keeper.counters.saveFailures,
    ),
    single(
      'irqkit_irqbalance_running',
      '1 while an irqbalance process is seen (it undoes pins)',
      'gauge',
      keeper.irqbalance().running ? 1 : 0,
    ),
  ];
}
