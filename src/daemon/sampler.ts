/**
 * Reads /proc/interrupts every interval into a bounded history. Window queries are answered from
 * that history at once; only when the daemon has run for less time than the window does a
 * query wait (up to a limit), or answer with what there is when the caller says wait=false.
 */
import type { SamplerHealth } from '../api/schemas.ts';
import { IrqkitError } from '../core/errors.ts';
import { DeltaHistory, type WindowOptions, type WindowSnapshot } from '../core/history.ts';
import { parseInterrupts } from '../core/parse-interrupts.ts';
import { type Delta, diffSnapshots } from '../core/rates.ts';
import type { Snapshot } from '../core/snapshot.ts';
import { truncatedRead } from './truncated-read.ts';

export interface SamplerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): void };
  clearTimeout(handle: unknown): void;
}

export const realClock: SamplerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SamplerOptions {
  read(): string;
  intervalMs: number;
  retentionMs: number;
  clock?: SamplerClock;
  /** Called after every sample, e.g. to re-apply pins. */
  onSample?(snapshot: Snapshot): void;
  /** Called with each interval's wrap-corrected delta, e.g. to keep 64-bit totals for /metrics. */
  onDelta?(delta: Delta): void;
  onError?(error: IrqkitError): void;
}

export class Sampler {
  private readonly options: SamplerOptions;
  private readonly clock: SamplerClock;
  private readonly history: DeltaHistory;
  private latest: { at: number; snapshot: Snapshot; text: string } | null = null;
  private timer: unknown = null;
  private samples = 0;
  private failures = 0;
  private waiting = 0;
  private lastError: SamplerHealth['lastError'] = null;
  private waiters: Array<() => void> = [];
  private running = false;

  constructor(options: SamplerOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.history = new DeltaHistory(options.retentionMs);
  }

  /** Takes the first sample synchronously (so a bad procfs fails start-up), then keeps sampling. */
  start(): void {
    this.sampleOnce();
    if (!this.latest) throw this.lastErrorAsError();
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiters.splice(0)) w();
  }

  private schedule(): void {
    if (!this.running) return;
    const handle = this.clock.setTimeout(() => {
      this.sampleOnce();
      this.schedule();
    }, this.options.intervalMs);
    handle.unref?.();
    this.timer = handle;
  }

  private lastErrorAsError(): IrqkitError {
    const e = this.lastError;
    return new IrqkitError(
      (e?.code as IrqkitError['code'] | undefined) ?? 'IRQ_ERR_FILE_READ',
      e?.message ?? 'no sample yet',
    );
  }

  /** One read, parse and diff. Failures are recorded and reported, never thrown to the timer. */
  sampleOnce(): void {
    const at = this.clock.now();
    let text: string;
    let snapshot: Snapshot;
    let delta: Delta | undefined;
    const prev = this.latest;
    try {
      text = this.options.read();
      snapshot = parseInterrupts(text);
      const cut = prev ? truncatedRead(prev, text, snapshot) : null;
      if (cut !== null) throw new IrqkitError('IRQ_ERR_PARSE', cut);
      // Inside the try: diffSnapshots throws on a header that names a CPU twice, and a throw
      // from here would escape the sampling timer and kill the daemon.
      if (prev) delta = diffSnapshots(prev.snapshot, snapshot, { seconds: (at - prev.at) / 1000 });
    } catch (e) {
      const err =
        e instanceof IrqkitError
          ? e
          : new IrqkitError('IRQ_ERR_FILE_READ', `reading interrupts failed: ${String(e)}`);
      this.lastError = { code: err.code, message: err.message, at };
      this.failures++;
      this.options.onError?.(err);
      return;
    }
    if (prev && delta !== undefined) {
      this.history.addDelta(prev.at, at, delta, snapshot);
      this.options.onDelta?.(delta);
    }
    this.latest = { at, snapshot, text };
    this.samples++;
    this.options.onSample?.(snapshot);
    for (const w of this.waiters.splice(0)) w();
  }

  current(): { at: number; snapshot: Snapshot; text: string } {
    if (!this.latest) throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'no sample has been taken yet');
    return this.latest;
  }

  health(): SamplerHealth {
    const oldest = this.history.oldest;
    const newest = this.history.newest;
    return {
      samples: this.samples,
      failures: this.failures,
      lastSampleAt: this.latest?.at ?? null,
      lastError: this.lastError,
      historySeconds: oldest !== undefined && newest !== undefined ? (newest - oldest) / 1000 : 0,
      intervals: this.history.length,
      storedCounters: this.history.storedCounters(),
      waiting: this.waiting,
    };
  }

  /** The window from the history as it is now, without waiting; undefined before two samples. */
  windowNow(ms: number): WindowSnapshot | undefined {
    return this.latest ? this.history.window(ms, this.latest.snapshot) : undefined;
  }

  /**
   * The interrupts of the last `ms` milliseconds. With `wait`, a window longer than the history
   * so far waits for enough samples, at most `maxWaitMs`; without it (or after the wait), the
   * answer covers what there is and says so (`complete: false`).
   */
  async window(
    ms: number,
    options: { wait: boolean; maxWaitMs: number; signal?: AbortSignal } & WindowOptions,
  ): Promise<WindowSnapshot> {
    if (ms > this.options.retentionMs) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `a window of ${ms / 1000} s is longer than the ${this.options.retentionMs / 1000} s of history kept (--retention)`,
      );
    }
    const deadline = this.clock.now() + options.maxWaitMs;
    for (;;) {
      const latest = this.latest;
      const win = latest ? this.history.window(ms, latest.snapshot, options) : undefined;
      if (win && (win.complete || !options.wait)) return win;
      if (!options.wait && !win) {
        throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'no interval has been sampled yet; retry in a moment', {
          retryAfterSeconds: Math.ceil(this.options.intervalMs / 1000),
        });
      }
      if (!this.running || this.clock.now() >= deadline || options.signal?.aborted) {
        if (win) return win;
        throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'no interval has been sampled yet; retry in a moment', {
          retryAfterSeconds: Math.ceil(this.options.intervalMs / 1000),
        });
      }
      this.waiting++;
      try {
        await new Promise<void>((resolve) => {
          this.waiters.push(resolve);
          const left = Math.max(0, deadline - this.clock.now());
          this.clock.setTimeout(resolve, left).unref?.();
        });
      } finally {
        this.waiting--;
      }
    }
  }
}
