/** /metrics families of the autopilot. */
import { type MetricFamily, single } from '../core/metrics-text.ts';
import type { Autopilot } from './autopilot.ts';

export function autoMetricFamilies(auto: Autopilot): MetricFamily[] {
  const s = auto.status();
  return [
    single('irqkit_auto_enabled', 'The autopilot runs (irqkitd --auto)', 'gauge', s.enabled ? 1 : 0),
    single(
      'irqkit_auto_paused',
      'The autopilot is paused (by an operator, or because irqbalance runs)',
      'gauge',
      s.paused ? 1 : 0,
    ),
    {
      name: 'irqkit_auto_rounds_total',
      help: 'Autopilot rounds by outcome (applied, balanced, placed, paused, skipped, failed)',
      type: 'counter',
      samples: [...auto.outcomes].map(([outcome, value]) => ({ labels: { outcome }, value })),
    },
    single('irqkit_auto_moves_total', 'Affinity moves the autopilot wrote', 'counter', auto.moves),
  ];
}
