/** Prometheus series for pins, the state file and irqbalance: what an alert on drift needs. */
import type { MetricFamily } from '../core/metrics-text.ts';
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
    {
      name: 'irqkit_pin_applied_total',
      help: 'Pins applied by irqkitd on its own (start-up, reload, an IRQ or CPU that came back)',
      type: 'counter',
      samples: [{ value: keeper.counters.applied }],
    },
    {
      name: 'irqkit_pin_drift_total',
      help: 'Times a pin was found changed by something else',
      type: 'counter',
      samples: [{ value: keeper.counters.drifts }],
    },
    {
      name: 'irqkit_state_save_failures_total',
      help: 'State file saves that failed (disk full, read-only, permission)',
      type: 'counter',
      samples: [{ value: keeper.counters.saveFailures }],
    },
    {
      name: 'irqkit_irqbalance_running',
      help: '1 while an irqbalance process is seen (it undoes pins)',
      type: 'gauge',
      samples: [{ value: keeper.irqbalance().running ? 1 : 0 }],
    },
  ];
}
