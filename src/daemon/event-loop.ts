/**
 * How long the event loop was held: the delay between when a timer should have run and when it
 * ran, as Node measures it (perf_hooks.monitorEventLoopDelay). Everything irqkitd serves and
 * samples waits behind a held loop, so this is the number that says whether it is responsive.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export const EVENT_LOOP_QUANTILES = [0.5, 0.9, 0.99] as const;

export interface EventLoopDelay {
  /** Seconds, by quantile, since the daemon started. */
  quantiles: Array<{ quantile: number; seconds: number }>;
  maxSeconds: number;
  meanSeconds: number;
}

export class EventLoopMonitor {
  private readonly histogram: IntervalHistogram;

  constructor() {
    // 10 ms sampling: finer costs wake-ups for nothing; delays that matter here are longer.
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
  }

  read(): EventLoopDelay {
    const h = this.histogram;
    // Before the first sample the histogram reports NaN mean and huge minimums: say 0.
    const s = (ns: number): number => (Number.isFinite(ns) && h.max > 0 ? ns / 1e9 : 0);
    return {
      quantiles: EVENT_LOOP_QUANTILES.map((q) => ({ quantile: q, seconds: s(h.percentile(q * 100)) })),
      maxSeconds: s(h.max),
      meanSeconds: s(h.mean),
    };
  }

  stop(): void {
    this.histogram.disable();
  }
}
