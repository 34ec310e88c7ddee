/**
 * A bounded history of sampled intervals, so "how were interrupts spread over the last N
 * seconds?" is answered at once from memory instead of by sleeping for N seconds.
 *
 * Each interval keeps only its non-zero per-CPU deltas. Full snapshots would not fit: a
 * 1,152-CPU host has ~1.2 M counters, and 15 minutes of 1 s samples would be gigabytes, while
 * the counters that move in one second are a small fraction of them.
 */
import type { Delta } from './rates.ts';
import { type InterruptRow, rowKey, type Snapshot } from './snapshot.ts';
import { addSquare, type WindowNoise } from './window-noise.ts';

interface SparseRow {
  key: string;
  /** Positions into the interval's `cpus`. */
  cpuIndex: Int32Array;
  counts: Float64Array;
  /** For rows whose counter is global (ERR, MIS): the delta of the single value. */
  global: number;
}

export interface Interval {
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
  cpus: readonly number[];
  rows: SparseRow[];
  wraps: number;
}

export interface WindowCoverage {
  /** Start and end of the intervals actually summed (ms since the epoch). */
  start: number;
  end: number;
  seconds: number;
  intervals: number;
  /** False when the history is shorter than the window asked for. */
  complete: boolean;
}

export interface WindowSnapshot extends WindowCoverage {
  /** The window as a snapshot: each row's counts are its interrupts in the window. */
  snapshot: Snapshot;
  /** Counter wraps undone inside the window. */
  wraps: number;
  /** How much each row's (and each CPU's) count would vary if measured again. */
  noise: WindowNoise;
}

export interface WindowOptions {
  /**
   * The rows whose per-CPU sum gets a variance too (noise.cpuSquares), e.g. the IRQs a plan
   * places, so that each CPU's measured load carries its uncertainty.
   */
  cpuRows?: (row: InterruptRow) => boolean;
}

export function sparseInterval(start: number, end: number, delta: Delta): Interval {
  const rows: SparseRow[] = [];
  for (const r of delta.rows) {
    if (r.total === 0) continue;
    if (r.global) {
      rows.push({ key: r.key, cpuIndex: new Int32Array(0), counts: new Float64Array(0), global: r.total });
      continue;
    }
    let nonZero = 0;
    for (const v of r.perCpu) if (v !== 0) nonZero++;
    const cpuIndex = new Int32Array(nonZero);
    const counts = new Float64Array(nonZero);
    let i = 0;
    r.perCpu.forEach((v, pos) => {
      if (v !== 0) {
        cpuIndex[i] = pos;
        counts[i] = v;
        i++;
      }
    });
    rows.push({ key: r.key, cpuIndex, counts, global: 0 });
  }
  return { start, end, cpus: delta.cpus, rows, wraps: delta.wraps };
}

export class DeltaHistory {
  private intervals: Interval[] = [];
  private readonly retentionMs: number;
  /** Row descriptions (name, chip, …) by key, kept after an IRQ vanishes so old windows can name it. */
  private readonly rowsByKey = new Map<string, InterruptRow>();

  constructor(retentionMs: number) {
    this.retentionMs = retentionMs;
  }

  get length(): number {
    return this.intervals.length;
  }

  /** Oldest covered instant, or undefined when there is no interval yet. */
  get oldest(): number | undefined {
    return this.intervals[0]?.start;
  }

  get newest(): number | undefined {
    return this.intervals[this.intervals.length - 1]?.end;
  }

  add(interval: Interval, current: Snapshot): void {
    this.intervals.push(interval);
    for (const row of current.rows) this.rowsByKey.set(rowKey(row), row);
    const horizon = interval.end - this.retentionMs;
    let drop = 0;
    while (drop < this.intervals.length && (this.intervals[drop] as Interval).start < horizon) drop++;
    if (drop > 0) this.intervals = this.intervals.slice(drop);
  }

  /** Memory held by the deltas, for /healthz and the bench. */
  storedCounters(): number {
    let n = 0;
    for (const iv of this.intervals) for (const r of iv.rows) n += r.counts.length + 1;
    return n;
  }

  /**
   * Which intervals a window of `ms` ending at the newest sample covers: every interval that
   * starts at or after newest − ms, with half an interval of slack so a 5 s window on 1 s samples
   * is five intervals, not four.
   */
  coverage(ms: number): WindowCoverage | undefined {
    const last = this.intervals[this.intervals.length - 1];
    if (!last) return undefined;
    const typical = last.end - last.start;
    const from = last.end - ms - typical / 2;
    let first = this.intervals.length - 1;
    while (first > 0 && (this.intervals[first - 1] as Interval).start >= from) first--;
    const start = (this.intervals[first] as Interval).start;
    return {
      start,
      end: last.end,
      seconds: (last.end - start) / 1000,
      intervals: this.intervals.length - first,
      complete: last.end - start >= ms - typical / 2,
    };
  }

  /**
   * Sums the intervals of the window into one snapshot over the newest interval's CPUs.
   * Rows that vanished inside the window are still reported with what they did before.
   * On the way it sums the squares of each row's per-interval totals (and of each CPU's, over
   * `options.cpuRows`) for the window's noise: running sums, not a series per interval.
   */
  window(ms: number, current: Snapshot, options: WindowOptions = {}): WindowSnapshot | undefined {
    const cov = this.coverage(ms);
    if (!cov) return undefined;
    const used = this.intervals.slice(this.intervals.length - cov.intervals);
    const cpus = [...current.cpus];
    const posOf = new Map(cpus.map((c, i) => [c, i]));
    const sums = new Map<string, { counts: number[]; global: number; squares: number; perCpu: boolean }>();
    const pick = options.cpuRows;
    const cpuSquares = pick ? new Float64Array(cpus.length) : null;
    // This interval's count per CPU over the picked rows, and which positions it touched.
    const cpuCounts = pick ? new Float64Array(cpus.length) : null;
    const touched: number[] = [];
    let wraps = 0;
    let seconds = 0;
    for (const iv of used) {
      wraps += iv.wraps;
      const d = (iv.end - iv.start) / 1000;
      seconds += Math.max(0, d);
      // CPUs can change between intervals (hotplug): map each interval's positions by CPU id.
      const map = iv.cpus.map((c) => posOf.get(c) ?? -1);
      for (const r of iv.rows) {
        let acc = sums.get(r.key);
        if (!acc) {
          const row = pick ? this.rowsByKey.get(r.key) : undefined;
          acc = {
            counts: new Array<number>(cpus.length).fill(0),
            global: 0,
            squares: 0,
            perCpu: row !== undefined && pick?.(row) === true,
          };
          sums.set(r.key, acc);
        }
        acc.global += r.global;
        let total = r.global;
        for (let i = 0; i < r.cpuIndex.length; i++) {
          const pos = map[r.cpuIndex[i] as number] ?? -1;
          if (pos < 0) continue;
          const n = r.counts[i] as number;
          acc.counts[pos] = (acc.counts[pos] as number) + n;
          total += n;
          if (acc.perCpu && cpuCounts) {
            if (cpuCounts[pos] === 0) touched.push(pos);
            cpuCounts[pos] = (cpuCounts[pos] as number) + n;
          }
        }
        acc.squares = addSquare(acc.squares, total, d);
      }
      if (cpuCounts && cpuSquares) {
        for (const pos of touched) {
          cpuSquares[pos] = addSquare(cpuSquares[pos] as number, cpuCounts[pos] as number, d);
          cpuCounts[pos] = 0;
        }
        touched.length = 0;
      }
    }
    const rows: InterruptRow[] = [];
    const seen = new Set<string>();
    const emit = (row: InterruptRow): void => {
      const key = rowKey(row);
      seen.add(key);
      const acc = sums.get(key);
      const globalRow = row.counts.length !== cpus.length;
      const counts = globalRow ? [acc?.global ?? 0] : (acc?.counts ?? new Array<number>(cpus.length).fill(0));
      rows.push({ ...row, counts, total: counts.reduce((a, b) => a + b, 0) });
    };
    for (const row of current.rows) emit(row);
    for (const key of sums.keys()) {
      if (seen.has(key)) continue;
      const row = this.rowsByKey.get(key);
      if (row) emit({ ...row, counts: new Array<number>(cpus.length).fill(0) });
    }
    const rowSquares = new Map<string, number>();
    for (const [key, acc] of sums) rowSquares.set(key, acc.squares);
    return {
      ...cov,
      snapshot: { cpus, rows, warnings: [] },
      wraps,
      noise: { intervals: used.length, seconds, rowSquares, cpuSquares },
    };
  }
}
