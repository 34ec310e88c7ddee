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

/**
 * One sampled interval, packed: the rows that moved, each as a run of (CPU position, count)
 * pairs in shared flat arrays. Row keys are ids into the history's key table (`RowKeys`), and
 * CPU lists are shared between intervals while the CPUs do not change, so an interval costs
 * about 6–12 bytes per non-zero counter and 8 per moving row, plus a fixed ~400 bytes.
 */
export interface Interval {
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
  cpus: readonly number[];
  /** Id (into the key table) of each row with a non-zero delta, in the delta's order. */
  rows: Uint32Array;
  /** Row r's pairs are at [offsets[r], offsets[r+1]) of `cpuIndex` and `counts`. */
  offsets: Uint32Array;
  /** Positions into `cpus`. */
  cpuIndex: Uint16Array | Uint32Array;
  /** Uint32 when every count fits (the usual case: a 32-bit counter's interval delta). */
  counts: Uint32Array | Float64Array;
  /**
   * Rows whose counter is global (ERR, MIS): their positions in `rows` (ascending; they have no
   * pairs) and the single value's delta.
   */
  globalAt: Uint32Array;
  globalCounts: Float64Array;
  wraps: number;
  /** The table `rows` indexes. */
  keys: RowKeys;
}

/** Row keys interned to small integers, shared by every interval of a history. */
export class RowKeys {
  private readonly ids = new Map<string, number>();
  private readonly keys: string[] = [];

  id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      this.ids.set(key, id);
    }
    return id;
  }

  key(id: number): string {
    return this.keys[id] as string;
  }

  get size(): number {
    return this.keys.length;
  }
}

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);

/**
 * Builds one packed interval row by row, into reused scratch arrays (grown to the largest
 * interval so far), then copies the used part. `sparseInterval` (from a Delta) and
 * `diffPackedCounts` (from two reads' counts) both build through it, so both pack alike.
 */
export class IntervalBuilder {
  private readonly rowIds: number[] = [];
  private readonly offsetList: number[] = [0];
  private readonly globalList: number[] = [];
  private readonly globalValues: number[] = [];
  private k = 0;
  private wide = false;

  /** Where the next pair goes: what `dropPairsFrom` takes back to. */
  get mark(): number {
    return this.k;
  }

  /** A non-zero count of the open row at CPU position `pos`. */
  pair(pos: number, v: number): void {
    const k = this.k;
    if (k >= scratch.index.length) scratch.ensure(k, k + 1);
    scratch.index[k] = pos;
    scratch.counts[k] = v;
    if (!(v > 0 && v <= 0xffffffff && v === Math.floor(v))) this.wide = true;
    this.k = k + 1;
  }

  /** Forgets the pairs added since `mark` (a row found reset half-way). */
  dropPairsFrom(mark: number): void {
    this.k = mark;
  }

  /** Ends a per-CPU row whose pairs were just added. */
  perCpuRow(keyId: number): void {
    this.rowIds.push(keyId);
    this.offsetList.push(this.k);
  }

  /** A global row (ERR, MIS): one value, no pairs. */
  globalRow(keyId: number, total: number): void {
    this.globalList.push(this.rowIds.length);
    this.globalValues.push(total);
    this.rowIds.push(keyId);
    this.offsetList.push(this.k);
  }

  finish(
    start: number,
    end: number,
    cpus: readonly number[],
    wraps: number,
    keys: RowKeys,
    previousCpus?: readonly number[],
  ): Interval {
    const k = this.k;
    const cpuIndex = cpus.length <= 0x10000 ? new Uint16Array(k) : new Uint32Array(k);
    cpuIndex.set(scratch.index.subarray(0, k));
    const counts = this.wide ? new Float64Array(k) : new Uint32Array(k);
    counts.set(scratch.counts.subarray(0, k));
    return {
      start,
      end,
      cpus: previousCpus !== undefined && sameCpus(previousCpus, cpus) ? previousCpus : cpus.slice(),
      rows: Uint32Array.from(this.rowIds),
      offsets: Uint32Array.from(this.offsetList),
      cpuIndex,
      counts,
      globalAt: this.globalList.length > 0 ? Uint32Array.from(this.globalList) : EMPTY_U32,
      globalCounts: this.globalValues.length > 0 ? Float64Array.from(this.globalValues) : EMPTY_F64,
      wraps,
      keys,
    };
  }
}

/**
 * The delta of one interval, packed (see `Interval`). `keys` interns the row keys and `cpus`
 * (the previous interval's CPU list) is reused when the CPUs are the same, so a history of 900
 * intervals holds one copy of each.
 */
export function sparseInterval(
  start: number,
  end: number,
  delta: Delta,
  keys: RowKeys = new RowKeys(),
  previousCpus?: readonly number[],
): Interval {
  const b = new IntervalBuilder();
  for (const row of delta.rows) {
    if (row.total === 0) continue;
    const id = keys.id(row.key);
    if (row.global) {
      b.globalRow(id, row.total);
      continue;
    }
    const perCpu = row.perCpu;
    for (let pos = 0; pos < perCpu.length; pos++) {
      const v = perCpu[pos] as number;
      if (v !== 0) b.pair(pos, v);
    }
    b.perCpuRow(id);
  }
  return b.finish(start, end, delta.cpus, delta.wraps, keys, previousCpus);
}

/** Scratch space for IntervalBuilder, reused (the sampler packs one interval at a time). */
const scratch = {
  index: new Uint32Array(1024),
  counts: new Float64Array(1024),
  /** Room for `need` entries, keeping the first `used`. */
  ensure(used: number, need: number): void {
    if (this.index.length >= need) return;
    const size = Math.max(need, this.index.length * 2);
    const index = new Uint32Array(size);
    index.set(this.index.subarray(0, used));
    const counts = new Float64Array(size);
    counts.set(this.counts.subarray(0, used));
    this.index = index;
    this.counts = counts;
  },
};

function sameCpus(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

interface RowSum {
  counts: number[];
  global: number;
  squares: number;
  perCpu: boolean;
}

export class DeltaHistory {
  private intervals: Interval[] = [];
  private readonly retentionMs: number;
  /** Row keys of every interval held (ids are never reused, so old intervals stay readable). */
  private readonly keys = new RowKeys();
  /** Row descriptions (name, chip, …) by key, kept after an IRQ vanishes so old windows can name it. */
  private readonly rowsByKey = new Map<string, InterruptRow>();
  private lastRows: readonly InterruptRow[] | null = null;

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

  /** Packs `delta` (start..end) with this history's key table and adds it. */
  addDelta(start: number, end: number, delta: Delta, current: Snapshot): void {
    this.add(sparseInterval(start, end, delta, this.keys, this.lastCpus), current);
  }

  /** The table new intervals should be packed against (then `add` takes them as they are). */
  get keyTable(): RowKeys {
    return this.keys;
  }

  /** The newest interval's CPU list, to share with the next one when the CPUs stay. */
  get lastCpus(): readonly number[] | undefined {
    return this.intervals[this.intervals.length - 1]?.cpus;
  }

  /**
   * Adds an interval; `current` is the newer read, or any read laid out as it is (only its rows'
   * labels, names and widths are used).
   */
  add(interval: Interval, current: Snapshot): void {
    this.intervals.push(interval.keys === this.keys ? interval : this.adopt(interval));
    // The same rows as last time (the sampler's fast path passes its template's): nothing new.
    if (current.rows !== this.lastRows) {
      for (const row of current.rows) this.rowsByKey.set(rowKey(row), row);
      this.lastRows = current.rows;
    }
    const horizon = interval.end - this.retentionMs;
    let drop = 0;
    while (drop < this.intervals.length && (this.intervals[drop] as Interval).start < horizon) drop++;
    if (drop > 0) this.intervals = this.intervals.slice(drop);
  }

  /** An interval packed against another key table, re-keyed to this one. */
  private adopt(interval: Interval): Interval {
    const rows = new Uint32Array(interval.rows.length);
    for (let r = 0; r < rows.length; r++)
      rows[r] = this.keys.id(interval.keys.key(interval.rows[r] as number));
    return { ...interval, rows, keys: this.keys };
  }

  /** Memory held by the deltas, for /healthz and the bench: stored counts plus one per moving row. */
  storedCounters(): number {
    let n = 0;
    for (const iv of this.intervals) n += iv.counts.length + iv.rows.length;
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
    // Sums by key id, and the ids in the order first seen (the order rows are reported in).
    const sums: Array<RowSum | undefined> = new Array(this.keys.size);
    const order: number[] = [];
    const pick = options.cpuRows;
    const cpuSquares = pick ? new Float64Array(cpus.length) : null;
    // This interval's count per CPU over the picked rows, and which positions it touched.
    const cpuCounts = pick ? new Float64Array(cpus.length) : null;
    const touched: number[] = [];
    let wraps = 0;
    let seconds = 0;
    let map = new Int32Array(0);
    let mapped: readonly number[] | null = null;
    for (const iv of used) {
      wraps += iv.wraps;
      const d = (iv.end - iv.start) / 1000;
      seconds += Math.max(0, d);
      // CPUs can change between intervals (hotplug): map each interval's positions by CPU id.
      if (iv.cpus !== mapped) {
        map = Int32Array.from(iv.cpus, (c) => posOf.get(c) ?? -1);
        mapped = iv.cpus;
      }
      const { rows, offsets, cpuIndex, counts, globalAt, globalCounts } = iv;
      let g = 0;
      for (let r = 0; r < rows.length; r++) {
        const id = rows[r] as number;
        let acc = sums[id];
        if (!acc) {
          const row = pick ? this.rowsByKey.get(this.keys.key(id)) : undefined;
          acc = {
            counts: new Array<number>(cpus.length).fill(0),
            global: 0,
            squares: 0,
            perCpu: row !== undefined && pick?.(row) === true,
          };
          sums[id] = acc;
          order.push(id);
        }
        let total = 0;
        if (g < globalAt.length && globalAt[g] === r) {
          const v = globalCounts[g] as number;
          acc.global += v;
          total = v;
          g++;
        }
        const accCounts = acc.counts;
        const end = offsets[r + 1] as number;
        for (let i = offsets[r] as number; i < end; i++) {
          const pos = map[cpuIndex[i] as number] ?? -1;
          if (pos < 0) continue;
          const n = counts[i] as number;
          accCounts[pos] = (accCounts[pos] as number) + n;
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
    const byKey = new Map<string, RowSum>();
    for (const id of order) byKey.set(this.keys.key(id), sums[id] as RowSum);
    const rows: InterruptRow[] = [];
    const seen = new Set<string>();
    const emit = (row: InterruptRow): void => {
      const key = rowKey(row);
      seen.add(key);
      const acc = byKey.get(key);
      const globalRow = row.counts.length !== cpus.length;
      const counts = globalRow ? [acc?.global ?? 0] : (acc?.counts ?? new Array<number>(cpus.length).fill(0));
      rows.push({ ...row, counts, total: counts.reduce((a, b) => a + b, 0) });
    };
    for (const row of current.rows) emit(row);
    for (const key of byKey.keys()) {
      if (seen.has(key)) continue;
      const row = this.rowsByKey.get(key);
      if (row) emit({ ...row, counts: new Array<number>(cpus.length).fill(0) });
    }
    const rowSquares = new Map<string, number>();
    for (const [key, acc] of byKey) rowSquares.set(key, acc.squares);
    return {
      ...cov,
      snapshot: { cpus, rows, warnings: [] },
      wraps,
      noise: { intervals: used.length, seconds, rowSquares, cpuSquares },
    };
  }
}
