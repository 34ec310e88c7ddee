/**
 * What irqkitd exposes to Prometheus. Per-CPU and per-IRQ totals by default; IRQ × CPU series
 * only with --metrics-irq-cpu, because they multiply: a 1,152-CPU host with ~1,000 IRQs would
 * publish ~1.2 million series (node_exporter#497 is the cautionary tale). The default is about
 * k + n + 10 series (~2,200 on that host).
 *
 * Counters are 64-bit totals since the daemon started, built from wrap-corrected deltas, so a
 * kernel counter wrapping at 2^32 never looks like a reset to rate().
 */
import type { SamplerHealth } from '../api/schemas.ts';
import type { CounterTotals } from '../core/counter-totals.ts';
import { balanceMetrics } from '../core/metrics.ts';
import { type MetricFamily, single } from '../core/metrics-text.ts';

export interface MetricsInput {
  totals: CounterTotals;
  health: SamplerHealth;
  /** Per-CPU interrupts per second over the recent window, for imbalance gauges. */
  recent: { cpus: number[]; perCpu: number[]; seconds: number } | null;
  startedAtSeconds: number;
  version: string;
}

export function metricFamilies(input: MetricsInput): MetricFamily[] {
  const { totals } = input;
  const families: MetricFamily[] = [
    {
      name: 'irqkit_build_info',
      help: 'irqkitd version (always 1)',
      type: 'gauge',
      samples: [{ labels: { version: input.version }, value: 1 }],
    },
    single(
      'irqkit_start_time_seconds',
      'When irqkitd started, seconds since the epoch',
      'gauge',
      input.startedAtSeconds,
    ),
    single(
      'irqkit_samples_total',
      'Reads of /proc/interrupts that succeeded',
      'counter',
      input.health.samples,
    ),
    single(
      'irqkit_history_seconds',
      'Seconds of interrupt history held for window queries',
      'gauge',
      input.health.historySeconds,
    ),
    {
      name: 'irqkit_cpu_interrupts_total',
      help: 'Device interrupts (numbered IRQs) serviced by each CPU since irqkitd started',
      type: 'counter',
      samples: [...totals.perCpu]
        .sort((a, b) => a[0] - b[0])
        .map(([cpu, value]) => ({ labels: { cpu: String(cpu) }, value })),
    },
    {
      name: 'irqkit_irq_interrupts_total',
      help: 'Interrupts of each numbered IRQ since irqkitd started, all CPUs together',
      type: 'counter',
      samples: [...totals.perIrq.values()].map((t) => ({
        labels: { irq: t.irq, name: t.name },
        value: t.total,
      })),
    },
    {
      name: 'irqkit_named_interrupts_total',
      help: 'Interrupts of the named rows (LOC, NMI, IPIs, ...) since irqkitd started',
      type: 'counter',
      samples: [...totals.namedTotals].map(([row, t]) => ({
        labels: { row, description: t.description },
        value: t.total,
      })),
    },
  ];
  if (totals.perIrqCpu) {
    const samples: MetricFamily['samples'] = [];
    for (const [irq, byCpu] of totals.perIrqCpu) {
      for (const [cpu, value] of byCpu) samples.push({ labels: { irq, cpu: String(cpu) }, value });
    }
    families.push({
      name: 'irqkit_irq_cpu_interrupts_total',
      help: 'Interrupts of each numbered IRQ on each CPU since irqkitd started (--metrics-irq-cpu)',
      type: 'counter',
      samples,
    });
  }
  if (input.recent && input.recent.seconds > 0) {
    const rates = input.recent.perCpu.map((n) => n / (input.recent?.seconds ?? 1));
    const m = balanceMetrics(rates, 0);
    families.push(
      {
        name: 'irqkit_cpu_interrupt_rate',
        help: 'Device interrupts per second on each CPU over the last window',
        type: 'gauge',
        samples: input.recent.cpus.map((cpu, i) => ({ labels: { cpu: String(cpu) }, value: rates[i] ?? 0 })),
      },
      single(
        'irqkit_imbalance_peak_to_average',
        'Busiest CPU rate / mean CPU rate over the last window (1 is perfect)',
        'gauge',
        m.peakToAverage,
      ),
      single(
        'irqkit_imbalance_spread',
        '(max - min) / mean of the per-CPU rates over the last window (0 is perfect)',
        'gauge',
        m.spread,
      ),
    );
  }
  return families;
}
