/**
 * How long the event loop was held: the delay between when a timer should have run and when it
 * ran, as Node measures it (perf_hooks.monitorEventLoopDelay). Everything irqkitd serves and
 * samples waits behind a held loop, so this is the number that says whether it is responsive.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export const EVENT_LOOP_QUANTILES = [0.5, 0.9, 0.99] as const;

/** 10 ms sampling: finer costs wake-ups for nothing; delays that matter here are longer. */
const RESOLUTION_MS = 10;

export interface EventLoopDelay {
  /** Seconds, by quantile, since the daemon started. */
  quantiles: Array<{ quantile: number; seconds: number }>;
  maxSeconds: number;
  meanSeconds: number;
}

export class EventLoopMonitor {
  private readonly histogram: IntervalHistogram;

  constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
  }

  read(): EventLoopDelay {
    const h = this.histogram;
    // Node records the whole time between two ticks of its sampling timer, resolution included:
    // the delay is what is beyond it. Before the first tick the mean is NaN: say 0.
    const s = (ns: number): number =>
      Number.isFinite(ns) && h.max > 0 ? Math.max(0, ns - RESOLUTION_MS * 1e6) / 1e9 : 0;
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
