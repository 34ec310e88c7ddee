/**
 * Reads /proc/interrupts every interval into a bounded history. Window queries are answered from
 * that history at once; only when the daemon has run for less time than the window does a
 * query wait (up to a limit), or answer with what there is when the caller says wait=false.
 *
 * Samples fall on absolute deadlines of a monotonic clock (start + n × interval), so neither the
 * cost of a sample nor timer lateness accumulates, and a sample that overruns skips the deadlines
 * it missed instead of bunching. Sample times are the wall clock at start-up advanced by the
 * monotonic clock: a step of the wall clock (NTP, an operator) can neither stop the sampler nor
 * reorder or stretch the history's intervals.
 */
import { performance } from 'node:perf_hooks';
import type { SamplerHealth } from '../api/schemas.ts';
import { IrqkitError } from '../core/errors.ts';
import { DeltaHistory, sparseInterval, type WindowOptions, type WindowSnapshot } from '../core/history.ts';
import { InterruptsTemplate } from '../core/interrupts-template.ts';
import { diffPackedCounts, type RowInfo, rowInfo, type SampledInterval } from '../core/packed-diff.ts';
import { parseInterrupts } from '../core/parse-interrupts.ts';
import { diffSnapshots, type RowDelta } from '../core/rates.ts';
import type { Snapshot } from '../core/snapshot.ts';
import { truncatedRead } from './truncated-read.ts';

export interface SamplerClock {
  /** Wall-clock Unix ms: read once, to anchor the sample times. */
  now(): number;
  /** A clock that never steps (ms, any origin): deadlines, durations and sample times. */
  monotonic(): number;
  /** Runs `fn` after `ms` of monotonic time. */
  setTimeout(fn: () => void, ms: number): { unref?(): void };
  clearTimeout(handle: unknown): void;
}

export const realClock: SamplerClock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SamplerOptions {
  read(): string;
  /**
   * The same read as bytes into a reused buffer (a larger one returned in its place). With it,
   * a read laid out as the last fully parsed one is parsed from the bytes (InterruptsTemplate)
   * and its text is only decoded when asked for.
   */
  readInto?(buffer: Uint8Array): { bytes: Uint8Array; length: number };
  intervalMs: number;
  retentionMs: number;
  clock?: SamplerClock;
  /** Called after every sample. */
  onSample?(): void;
  /**
   * Called with each wrap-corrected interval, e.g. to keep 64-bit totals for /metrics and to
   * re-apply pins of IRQs that came back.
   */
  onInterval?(sampled: SampledInterval): void;
  onError?(error: IrqkitError): void;
}

/** A sample: its time, its parse, and its text (decoded on first use from the read's bytes). */
export interface Sample {
  at: number;
  readonly snapshot: Snapshot;
  readonly text: string;
}

/** A fast-path read: its counts as the template laid them out. */
interface Counted {
  template: InterruptsTemplate;
  counts: Float64Array;
}

/** What the sampler keeps of a sample besides what callers see. */
interface Kept extends Sample {
  /** A snapshot laid out as this read (labels, names, widths), without building its own. */
  readonly shape: Snapshot;
  readonly counted: Counted | null;
}

/**
 * A sample read into one of the sampler's two buffers. Its text is decoded when first asked for;
 * the buffer is read into again two samples later, after which an undecoded text is gone (a
 * caller that wants it reads it while handling the request that fetched the sample). A read the
 * template parsed is kept as counts, and its Snapshot built on first use.
 */
class BufferedSample implements Kept {
  readonly at: number;
  readonly counted: Counted | null;
  private parsed: Snapshot | null;
  private readonly bytes: Uint8Array;
  private readonly length: number;
  private decoded: string | null;
  private stale = false;

  constructor(
    at: number,
    parsed: Snapshot | null,
    counted: Counted | null,
    bytes: Uint8Array,
    length: number,
    text: string | null,
  ) {
    this.at = at;
    this.parsed = parsed;
    this.counted = counted;
    this.bytes = bytes;
    this.length = length;
    this.decoded = text;
  }

  get snapshot(): Snapshot {
    if (this.parsed === null) {
      const c = this.counted as Counted;
      this.parsed = c.template.snapshot(c.counts);
    }
    return this.parsed;
  }

  get shape(): Snapshot {
    return this.parsed ?? (this.counted as Counted).template.shape;
  }

  markStale(): void {
    this.stale = true;
  }

  get text(): string {
    if (this.decoded === null) {
      if (this.stale)
        throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'that read has been replaced by a newer one');
      this.decoded = decodeUtf8(this.bytes, this.length);
    }
    return this.decoded;
  }
}

/** Row infos of a template's rows, made once per template. */
const infosByTemplate = new WeakMap<InterruptsTemplate, RowInfo[]>();

function templateInfos(t: InterruptsTemplate): RowInfo[] {
  let infos = infosByTemplate.get(t);
  if (!infos) {
    infos = t.shape.rows.map(rowInfo);
    infosByTemplate.set(t, infos);
  }
  return infos;
}

/** As readTextFile decodes (Buffer's UTF-8, invalid bytes as U+FFFD). */
function decodeUtf8(bytes: Uint8Array, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('utf8');
}

export class Sampler {
  private readonly options: SamplerOptions;
  private readonly clock: SamplerClock;
  private readonly history: DeltaHistory;
  private latest: Kept | null = null;
  /** Two read buffers: the latest sample's bytes stay intact while the next read fills the other. */
  private readonly buffers: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  private readonly owners: [BufferedSample | null, BufferedSample | null] = [null, null];
  private slot = 0;
  private template: InterruptsTemplate | null = null;
  private timer: unknown = null;
  private samples = 0;
  private failures = 0;
  private waiting = 0;
  private lastError: SamplerHealth['lastError'] = null;
  private waiters: Array<() => void> = [];
  private running = false;
  /** Wall-clock ms at monotonic 0: sample times are `epoch + monotonic()`. */
  private readonly epoch: number;
  /** The monotonic time of the first scheduled deadline; the n-th falls n intervals later. */
  private origin = 0;
  private skipped = 0;

  constructor(options: SamplerOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.history = new DeltaHistory(options.retentionMs);
    this.epoch = this.clock.now() - this.clock.monotonic();
  }

  /** Unix ms on the sampler's time line (see the file comment). */
  private timeNow(): number {
    return this.epoch + this.clock.monotonic();
  }

  /** Takes the first sample synchronously (so a bad procfs fails start-up), then keeps sampling. */
  start(): void {
    this.sampleOnce();
    if (!this.latest) throw this.lastErrorAsError();
    this.running = true;
    this.origin = this.clock.monotonic();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Arms the timer for the next deadline after now. Deadlines come from the origin, not from the
   * previous sample, so a late or slow sample does not push the next ones back; the deadlines a
   * sample overran are skipped (counted in health) rather than taken back to back.
   */
  private schedule(): void {
    if (!this.running) return;
    const interval = this.options.intervalMs;
    const now = this.clock.monotonic();
    const next = nextDeadline(this.origin, interval, now, this.lastDeadline);
    if (this.lastDeadline !== null)
      this.skipped += Math.max(0, Math.round((next - this.lastDeadline) / interval) - 1);
    this.lastDeadline = next;
    const handle = this.clock.setTimeout(() => {
      this.sampleOnce();
      this.schedule();
    }, next - now);
    handle.unref?.();
    this.timer = handle;
  }

  private lastDeadline: number | null = null;

  private lastErrorAsError(): IrqkitError {
    const e = this.lastError;
    return new IrqkitError(
      (e?.code as IrqkitError['code'] | undefined) ?? 'IRQ_ERR_FILE_READ',
      e?.message ?? 'no sample yet',
    );
  }

  /** One read, parse and diff. Failures are recorded and reported, never thrown to the timer. */
  sampleOnce(): void {
    const at = this.timeNow();
    let sample: Kept;
    let sampled: SampledInterval | undefined;
    let template: InterruptsTemplate | null = null;
    const prev = this.latest;
    try {
      if (this.options.readInto) {
        const slot = this.slot;
        this.owners[slot]?.markStale();
        this.owners[slot] = null;
        const { bytes, length } = this.options.readInto(this.buffers[slot] as Uint8Array);
        this.buffers[slot] = bytes;
        const counts = this.template?.parseCounts(bytes, length) ?? null;
        let buffered: BufferedSample;
        if (counts !== null) {
          // Same lines, named rows and final newline as the read the template came from, which
          // passed truncatedRead: nothing here can be a cut read.
          buffered = new BufferedSample(
            at,
            null,
            { template: this.template as InterruptsTemplate, counts },
            bytes,
            length,
            null,
          );
        } else {
          const text = decodeUtf8(bytes, length);
          const snapshot = parseInterrupts(text);
          const cut = prev ? truncatedRead({ text: prev.text, snapshot: prev.shape }, text, snapshot) : null;
          if (cut !== null) throw new IrqkitError('IRQ_ERR_PARSE', cut);
          buffered = new BufferedSample(at, snapshot, null, bytes, length, text);
        }
        sample = buffered;
        // Inside the try: diffSnapshots throws on a header that names a CPU twice, and a throw
        // from here would escape the sampling timer and kill the daemon.
        if (prev) sampled = this.diff(prev, buffered);
        this.owners[slot] = buffered;
        this.slot = slot === 0 ? 1 : 0;
        template =
          counts !== null ? this.template : InterruptsTemplate.from(bytes, length, buffered.snapshot);
      } else {
        const text = this.options.read();
        const snapshot = parseInterrupts(text);
        const cut = prev ? truncatedRead({ text: prev.text, snapshot: prev.shape }, text, snapshot) : null;
        if (cut !== null) throw new IrqkitError('IRQ_ERR_PARSE', cut);
        sample = { at, snapshot, text, shape: snapshot, counted: null };
        if (prev) sampled = this.diff(prev, sample);
      }
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
    this.template = template;
    if (sampled !== undefined) {
      this.history.add(sampled.interval, sample.shape);
      this.options.onInterval?.(sampled);
    }
    this.latest = sample;
    this.samples++;
    this.options.onSample?.();
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * The interval from `prev` to `curr`, packed against the history's key table. Two reads the
   * same template parsed are diffed as counts (diffPackedCounts); any other pair as Snapshots.
   */
  private diff(prev: Kept, curr: Kept): SampledInterval {
    const keys = this.history.keyTable;
    const lastCpus = this.history.lastCpus;
    const a = prev.counted;
    const b = curr.counted;
    if (a !== null && b !== null && a.template === b.template) {
      const d = diffPackedCounts(b.template, a.counts, b.counts, prev.at, curr.at, keys, lastCpus);
      const all = templateInfos(b.template);
      return {
        interval: d.interval,
        rows: d.rowIndex.map((r) => all[r] as RowInfo),
        all,
        restarted: d.reset,
      };
    }
    const delta = diffSnapshots(prev.snapshot, curr.snapshot, { seconds: (curr.at - prev.at) / 1000 });
    const counted = delta.rows.filter((r) => r.total !== 0);
    const info = (r: RowDelta): RowInfo => ({ key: r.key, label: r.label, numeric: r.numeric, name: r.name });
    return {
      interval: sparseInterval(prev.at, curr.at, delta, keys, lastCpus),
      rows: counted.map(info),
      all: delta.rows.map(info),
      restarted: delta.rows
        .filter((r) => r.numeric && (r.status === 'appeared' || r.status === 'reset'))
        .map((r) => r.label),
    };
  }

  current(): Sample {
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
      skipped: this.skipped,
    };
  }

  /**
   * The newest sample's time when a window of `ms` can be answered from the history now without
   * waiting (it covers `ms`, or the caller does not wait): the key under which such answers can be
   * shared. Undefined when the answer would have to wait for samples.
   */
  shareableAt(ms: number, wait: boolean): number | undefined {
    const latest = this.latest;
    if (!latest) return undefined;
    const oldest = this.history.oldest;
    const newest = this.history.newest;
    const covered = oldest !== undefined && newest !== undefined && newest - oldest >= ms;
    return covered || !wait ? latest.at : undefined;
  }

  /** The window from the history as it is now, without waiting; undefined before two samples. */
  windowNow(ms: number): WindowSnapshot | undefined {
    return this.latest ? this.history.window(ms, this.latest.shape) : undefined;
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
    const deadline = this.clock.monotonic() + options.maxWaitMs;
    for (;;) {
      const latest = this.latest;
      const win = latest ? this.history.window(ms, latest.shape, options) : undefined;
      if (win && (win.complete || !options.wait)) return win;
      if (!options.wait && !win) {
        throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'no interval has been sampled yet; retry in a moment', {
          retryAfterSeconds: Math.ceil(this.options.intervalMs / 1000),
        });
      }
      if (!this.running || this.clock.monotonic() >= deadline || options.signal?.aborted) {
        if (win) return win;
        throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'no interval has been sampled yet; retry in a moment', {
          retryAfterSeconds: Math.ceil(this.options.intervalMs / 1000),
        });
      }
      this.waiting++;
      try {
        await new Promise<void>((resolve) => {
          this.waiters.push(resolve);
          const left = Math.max(0, deadline - this.clock.monotonic());
          this.clock.setTimeout(resolve, left).unref?.();
        });
      } finally {
        this.waiting--;
      }
    }
  }
}

/**
 * The first deadline `origin + n × interval` (n ≥ 1) that is after `now` and after `previous`.
 * A timer that fires a little early (clock granularity) still gets the deadline it was armed for
 * next time round, never the same one twice.
 */
export function nextDeadline(origin: number, interval: number, now: number, previous: number | null): number {
  const after = previous === null ? now : Math.max(now, previous);
  const n = Math.max(1, Math.floor((after - origin) / interval) + 1);
  return origin + n * interval;
}
