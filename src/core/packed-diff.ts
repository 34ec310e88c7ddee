/**
 * The sampler's fast diff: two reads laid out as the same template (`InterruptsTemplate`), as
 * typed arrays of counts, straight into the packed interval the history keeps. No Snapshot,
 * Delta or per-row array is made on the way; on a 256-CPU, 2,000-IRQ machine that is half a
 * million numbers a second that never reach the heap.
 *
 * The rules are `diffSnapshots`'s for rows whose layout did not change: per-CPU rows count each
 * counter's increase, undoing one 32-bit wrap; a counter that went down by more than a wrap can
 * explain resets the row, whose counts since then are its current ones; global rows (ERR, MIS)
 * compare value by value; a numeric row whose counts cannot be placed on CPUs counts 0. The
 * result equals `sparseInterval(start, end, diffSnapshots(prev, curr))` (see the tests).
 */
import { type Interval, IntervalBuilder, type RowKeys } from './history.ts';
import type { InterruptsTemplate } from './interrupts-template.ts';
import { counterIncrease } from './rates.ts';
import { type InterruptRow, rowKey, rowName } from './snapshot.ts';

export interface PackedDelta {
  interval: Interval;
  /** For each row of `interval.rows`, its index in the template's rows. */
  rowIndex: number[];
  /** Labels of IRQs whose counters were reset: a new descriptor, whose pins may need applying. */
  reset: string[];
}

/** What the consumers of an interval need to know of a row besides its counts. */
export interface RowInfo {
  key: string;
  label: string;
  numeric: boolean;
  name: string;
}

export function rowInfo(row: InterruptRow): RowInfo {
  return { key: rowKey(row), label: row.label, numeric: row.numeric, name: rowName(row) };
}

/** One sampled interval as the sampler hands it on (history, 64-bit totals, pins). */
export interface SampledInterval {
  interval: Interval;
  /** The rows of `interval.rows`, in order. */
  rows: readonly RowInfo[];
  /** Every row of the newer read, counted or not (the same array while its layout stays). */
  all: readonly RowInfo[];
  /** Labels of IRQs that appeared or whose counters were reset since the previous read. */
  restarted: readonly string[];
}

/**
 * The interval between `prev` and `curr`, both from `template.parseCounts`. `previousCpus` is
 * the history's last CPU list, shared when the CPUs are the same.
 */
export function diffPackedCounts(
  template: InterruptsTemplate,
  prev: Float64Array,
  curr: Float64Array,
  start: number,
  end: number,
  keys: RowKeys,
  previousCpus?: readonly number[],
): PackedDelta {
  const shape = template.shape;
  const n = shape.cpus.length;
  const offsets = template.offsets;
  const b = new IntervalBuilder();
  const rowIndex: number[] = [];
  const reset: string[] = [];
  let wraps = 0;
  for (let r = 0; r < shape.rows.length; r++) {
    const row = shape.rows[r] as InterruptRow;
    const from = offsets[r] as number;
    const to = offsets[r + 1] as number;
    // One count per CPU; otherwise a global row (ERR, MIS) compared value by value, or a
    // numeric row whose counts cannot be placed on CPUs, which counts 0.
    const perCpu = to - from === n;
    if (!perCpu && row.numeric) continue;
    const mark = b.mark;
    let total = 0;
    let rowWraps = 0;
    let wasReset = false;
    for (let i = from; i < to; i++) {
      const p = prev[i] as number;
      const c = curr[i] as number;
      const d = counterIncrease(p, c);
      if (d < 0) {
        wasReset = true;
        break;
      }
      if (c < p) rowWraps++;
      if (d !== 0) {
        if (perCpu) b.pair(i - from, d);
        total += d;
      }
    }
    if (wasReset) {
      // Counted from zero again: the counts since the reset are the current ones.
      b.dropPairsFrom(mark);
      total = 0;
      for (let i = from; i < to; i++) {
        const c = curr[i] as number;
        if (c !== 0) {
          if (perCpu) b.pair(i - from, c);
          total += c;
        }
      }
      if (row.numeric) reset.push(row.label);
    } else wraps += rowWraps;
    if (total === 0) continue;
    const id = keys.id(template.keys[r] as string);
    if (perCpu) b.perCpuRow(id);
    else b.globalRow(id, total);
    rowIndex.push(r);
  }
  return { interval: b.finish(start, end, shape.cpus, wraps, keys, previousCpus), rowIndex, reset };
}
