/**
 * Differences between two /proc/interrupts snapshots, and per-second rates from them.
 *
 * Rows are matched by `rowKey()` (label, occurrence) and CPUs by id (`Snapshot.cpus`), never by
 * position: a CPU that went offline removes a column from the middle of the table.
 *
 * ## Rules (each one is a decision; the reasons are kept next to it)
 *
 * **Wrap.** Every count the kernel prints is an `unsigned int` (per-CPU `kstat_irqs`, arch
 * `irq_cpustat_t`) and wraps to 0 after 2^32 − 1. A counter is differenced modulo 2^32
 * (`wrapDelta`); totals are summed in plain numbers (1152 CPUs × 2^32 is far below 2^53).
 *
 * **Reset vs wrap.** A counter that went down either wrapped or restarted from 0 because its
 * descriptor was freed and allocated again (MSI vectors on driver reload). The two are told apart
 * by size: a decrease is a wrap only when the modulo-2^32 delta is below 2^31 (`WRAP_LIMIT`), else
 * it is a reset. Reaching a delta of 2^31 through a real wrap needs over two billion interrupts on
 * one CPU between two reads: 215 M/s for a 10 s interval, and still 1 M/s sustained on one CPU for
 * 36 minutes. Meanwhile a counter that restarted from 0 and is compared with a value below 2^31
 * always lands on the reset side. (A restart compared with a value above 2^31 cannot be told from
 * a wrap; the error is then below 2^31 and the next interval is right. Diffs over hours should be
 * built from shorter intervals, which any rate tool does anyway.) A reset affects the whole
 * descriptor, so one reset CPU makes the whole row a reset. The row's delta is then its current
 * counts: a new descriptor starts at 0, so everything it shows was counted within the interval.
 *
 * Counters printed with more than 32 bits (arm's `Err:` is `unsigned long`) cannot be told from a
 * 32-bit counter by type; a value at or above 2^32 proves a wide counter, and a wide counter that
 * went down is a reset (it would take centuries to wrap).
 *
 * **Identity change = reset.** The kernel reuses IRQ numbers. For numeric rows, if the chip or the
 * hwirq changed (both printed in both reads), or both reads list handlers and they have none in
 * common, the row belongs to a different descriptor: status 'reset', delta = current counts. A
 * handler list that only grew or shrank (`PCIe PME` → `PCIe PME, aerdrv`, or a handler on a
 * previously bare row) is the same descriptor with a shared handler added or removed; its counts
 * carry on and are differenced normally.
 *
 * **Appeared rows** (key only in `curr`): status 'appeared', delta = current counts. Since 2024
 * the kernel lists a descriptor only when it has a handler, and older kernels when it has a handler
 * or a non-zero count; a dynamically allocated descriptor starts at 0, so a row that was absent
 * from `prev` counted everything it shows after `prev` was read. Known overcount: on a 2024+ kernel
 * a legacy IRQ (IO-APIC line, never freed) whose only driver was unloaded and loaded again between
 * the reads reappears with its old cumulative counts.
 *
 * **Vanished rows** (key only in `prev`) are listed in `vanished`; what they counted between
 * `prev` and their removal is lost.
 *
 * **CPUs going offline** (id only in `prev`) have no column in the delta and are listed in
 * `cpusOffline`; their counts are no longer printed, so their last interval is lost.
 *
 * **CPUs coming online** (id only in `curr`) get a column (`Delta.cpus` = `curr.cpus`) listed in
 * `cpusOnline`. For rows that existed in `prev` their delta there is 0: the kernel keeps a CPU's
 * counts while it is offline, so the printed value is cumulative since boot, not since the CPU came
 * up, and using it would report a burst that never happened. The cost is an undercount bounded by
 * one interval; the next delta is complete. For 'appeared' and 'reset' rows the current count is
 * used on every CPU, new ones included (it all happened within the interval).
 *
 * **Rows with fewer counts than CPUs** (x86 `ERR:`/`MIS:` and arm `Err:` print one global
 * counter, arm32 `FIQ:` none): their counts are not per-CPU, so such a named row has `global: true`,
 * `perCpu` all zeros, and `total` = the delta of the printed counts, compared position by position
 * with the same wrap/reset rules. A numeric row whose counts do not match its header (a CPU went
 * on/offline while the file was being read) cannot be placed on CPUs; rather than guess it gets
 * zeros and its key is listed in `unaligned`. The same happens to any row whose count layout
 * changed between the two reads. Non-numeric rows never enter `cpuTotals`, so the sum of
 * `cpuTotals` is always the sum of the numeric rows' totals.
 */

import { IrqkitError } from './errors.ts';
import { type InterruptRow, rowKey, rowName, type Snapshot } from './snapshot.ts';

/** Per-CPU counters are `unsigned int`: they count modulo 2^32. */
export const COUNTER_MODULUS = 4294967296;
/** A decrease whose modulo-2^32 delta is at or above this is a reset, not a wrap (see above). */
export const WRAP_LIMIT = 2147483648;

export type RowStatus = 'steady' | 'appeared' | 'reset';

export interface RowDelta {
  /** `rowKey(row)`: the label, plus `#n` for a repeated label. */
  key: string;
  label: string;
  numeric: boolean;
  /** `rowName()` of the current row: handler names, or the description of a named row. */
  name: string;
  chip?: string;
  /** Interrupts per CPU during the interval, aligned with `Delta.cpus`. All zeros when `global`. */
  perCpu: number[];
  /** Interrupts during the interval: the sum of `perCpu`, or the global counter's delta. */
  total: number;
  status: RowStatus;
  /**
   * Present on named rows whose counts are not per CPU (x86 `ERR`/`MIS`, arm `Err`, arm32 `FIQ`):
   * `perCpu` is all zeros and `total` is the delta of the printed counter(s).
   */
  global?: true;
}

export interface Delta {
  /** CPU ids, = `curr.cpus` (column order of the current read). */
  cpus: number[];
  /** One entry per row of `curr`, in its order. */
  rows: RowDelta[];
  /** Per-CPU sum over the numeric rows (the IRQs a balancer can move), aligned with `cpus`. */
  cpuTotals: number[];
  /** Keys of rows present in `prev` only, in `prev` order. */
  vanished: string[];
  /** CPU ids in `prev` only (went offline): no column, their last interval is lost. */
  cpusOffline: number[];
  /** CPU ids in `curr` only (came online): steady rows count 0 there for this interval. */
  cpusOnline: number[];
  /** How many counters were found wrapped (and unwrapped) in steady rows. */
  wraps: number;
  /** Length of the interval, when the caller knew it. */
  seconds?: number;
  /**
   * Keys of rows whose counts could not be matched to CPUs or to the previous read (counts not
   * matching the header, or a changed number of counts); their delta is reported as 0.
   * Present only when non-empty.
   */
  unaligned?: string[];
}

export interface DiffOptions {
  /** Seconds between the two reads; carried into `Delta.seconds` for `toRates`. */
  seconds?: number;
}

/** `(curr − prev) mod 2^32`: the increase of a 32-bit counter, assuming at most one wrap. */
export function wrapDelta(prev: number, curr: number): number {
  const d = (curr - prev) % COUNTER_MODULUS;
  if (d < 0) return d + COUNTER_MODULUS;
  return d === 0 ? 0 : d; // never -0
}

/**
 * How much a counter read `prev` then `curr` increased: curr − prev, or across one 32-bit wrap
 * when it went down (then curr < prev); -1 when only a reset explains the decrease.
 */
export function counterIncrease(prev: number, curr: number): number {
  return curr >= prev ? curr - prev : decreaseDelta(prev, curr);
}

/** Interval delta of one counter that went down, or -1 when the decrease can only be a reset. */
function decreaseDelta(prev: number, curr: number): number {
  if (prev >= COUNTER_MODULUS) return -1; // a wide counter went backwards
  const d = curr - prev + COUNTER_MODULUS;
  return d < WRAP_LIMIT ? d : -1;
}

function checkSeconds(seconds: number | undefined, what: string): void {
  if (seconds === undefined) return;
  if (!(typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0)) {
    throw new IrqkitError('IRQ_ERR_USAGE', `${what}: the interval must be a positive number of seconds`, {
      seconds,
    });
  }
}

function checkCpus(snapshot: Snapshot, which: string): void {
  const seen = new Set<number>();
  for (const id of snapshot.cpus) {
    if (seen.has(id)) {
      throw new IrqkitError('IRQ_ERR_PARSE', `the ${which} snapshot lists CPU${id} twice in its header`, {
        cpu: id,
      });
    }
    seen.add(id);
  }
}

/** True when `curr` is evidently a different descriptor from `prev` under the same IRQ number. */
function identityChanged(prev: InterruptRow, curr: InterruptRow): boolean {
  if (!curr.numeric) return false; // named rows are fixed per architecture
  if (prev.chip !== undefined && curr.chip !== undefined && prev.chip !== curr.chip) return true;
  if (prev.hwirq !== undefined && curr.hwirq !== undefined && prev.hwirq !== curr.hwirq) return true;
  const a = prev.actions ?? [];
  const b = curr.actions ?? [];
  if (a.length === 0 || b.length === 0) return false;
  for (const name of a) if (b.includes(name)) return false;
  return true;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/**
 * The interrupts counted between `prev` and `curr` (see the module comment for every rule).
 * `options.seconds`, when given, must be positive and is carried into the result.
 */
export function diffSnapshots(prev: Snapshot, curr: Snapshot, options: DiffOptions = {}): Delta {
  const { seconds } = options;
  checkSeconds(seconds, 'diffSnapshots');
  checkCpus(prev, 'previous');
  checkCpus(curr, 'current');

  const cpus = curr.cpus.slice();
  const n = cpus.length;
  const prevColumn = new Map<number, number>();
  prev.cpus.forEach((id, j) => {
    prevColumn.set(id, j);
  });
  /** For each current column, the previous column of the same CPU id, or -1. */
  const colMap = new Int32Array(n);
  const cpusOnline: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = cpus[i] as number;
    const j = prevColumn.get(id);
    colMap[i] = j ?? -1;
    if (j === undefined) cpusOnline.push(id);
  }
  const currIds = new Set(cpus);
  const cpusOffline = prev.cpus.filter((id) => !currIds.has(id));

  const prevRows = new Map<string, InterruptRow>();
  for (const row of prev.rows) {
    const key = rowKey(row);
    if (!prevRows.has(key)) prevRows.set(key, row);
  }
  const prevWidth = prev.cpus.length;

  const rows: RowDelta[] = [];
  const cpuTotals = new Array<number>(n).fill(0);
  const seen = new Set<string>();
  const unaligned: string[] = [];
  let wraps = 0;

  for (const row of curr.rows) {
    const key = rowKey(row);
    seen.add(key);
    const before = prevRows.get(key);
    const perCpu = new Array<number>(n).fill(0);
    let total = 0;
    let status: RowStatus = before === undefined ? 'appeared' : 'steady';
    let global = false;

    const perCpuMode =
      row.counts.length === n && (before === undefined || before.counts.length === prevWidth);
    if (perCpuMode) {
      let reset = before !== undefined && identityChanged(before, row);
      // The row's total is summed on the way (same order as sum(perCpu), so the same number).
      let steadyTotal = 0;
      if (before !== undefined && !reset) {
        let rowWraps = 0;
        const prevCounts = before.counts;
        const currCounts = row.counts;
        for (let i = 0; i < n; i++) {
          const j = colMap[i] as number;
          if (j < 0) continue; // CPU came online: no baseline, 0
          const p = prevCounts[j] as number;
          const c = currCounts[i] as number;
          const d = counterIncrease(p, c);
          if (d < 0) {
            reset = true;
            break;
          }
          if (c < p) rowWraps++;
          perCpu[i] = d;
          steadyTotal += d;
        }
        if (!reset) wraps += rowWraps;
      }
      if (reset) status = 'reset';
      if (before === undefined || reset) {
        for (let i = 0; i < n; i++) perCpu[i] = row.counts[i] as number;
        total = sum(perCpu);
      } else {
        total = steadyTotal;
      }
      if (row.numeric) {
        for (let i = 0; i < n; i++) cpuTotals[i] = (cpuTotals[i] as number) + (perCpu[i] as number);
      }
    } else if (!row.numeric && (before === undefined || before.counts.length === row.counts.length)) {
      // A global counter (ERR/MIS/Err/FIQ): compare position by position.
      global = true;
      if (before === undefined) {
        total = sum(row.counts);
      } else {
        let rowWraps = 0;
        let reset = false;
        for (let k = 0; k < row.counts.length; k++) {
          const p = before.counts[k] as number;
          const c = row.counts[k] as number;
          const d = counterIncrease(p, c);
          if (d < 0) {
            reset = true;
            break;
          }
          if (c < p) rowWraps++;
          total += d;
        }
        if (reset) {
          status = 'reset';
          total = sum(row.counts);
        } else {
          wraps += rowWraps;
        }
      }
    } else {
      // Counts that cannot be placed on CPUs or matched with the previous read.
      unaligned.push(key);
    }

    const delta: RowDelta = {
      key,
      label: row.label,
      numeric: row.numeric,
      name: rowName(row),
      perCpu,
      total,
      status,
    };
    if (row.chip !== undefined) delta.chip = row.chip;
    if (global) delta.global = true;
    rows.push(delta);
  }

  const vanished: string[] = [];
  for (const row of prev.rows) {
    const key = rowKey(row);
    if (!seen.has(key)) {
      seen.add(key);
      vanished.push(key);
    }
  }

  const result: Delta = { cpus, rows, cpuTotals, vanished, cpusOffline, cpusOnline, wraps };
  if (seconds !== undefined) result.seconds = seconds;
  if (unaligned.length > 0) result.unaligned = unaligned;
  return result;
}

/** A `Delta` turned into interrupts per second: every count divided by `seconds`. */
export interface Rates extends Omit<Delta, 'seconds'> {
  /** The interval the rates were computed over. */
  seconds: number;
}

/**
 * Per-second figures: `perCpu`, `total` and `cpuTotals` divided by the interval; `wraps` stays a
 * count. The interval is `seconds` if given, else `delta.seconds`; without either (or with a
 * non-positive one) this throws IRQ_ERR_USAGE, because a rate without a time base is a guess.
 */
export function toRates(delta: Delta, seconds: number | undefined = delta.seconds): Rates {
  if (seconds === undefined) {
    throw new IrqkitError('IRQ_ERR_USAGE', 'toRates: the interval between the two snapshots is unknown');
  }
  checkSeconds(seconds, 'toRates');
  const per = (v: number): number => v / seconds;
  const rates: Rates = {
    cpus: delta.cpus.slice(),
    rows: delta.rows.map((r) => ({ ...r, perCpu: r.perCpu.map(per), total: per(r.total) })),
    cpuTotals: delta.cpuTotals.map(per),
    vanished: delta.vanished.slice(),
    cpusOffline: delta.cpusOffline.slice(),
    cpusOnline: delta.cpusOnline.slice(),
    wraps: delta.wraps,
    seconds,
  };
  if (delta.unaligned !== undefined) rates.unaligned = delta.unaligned.slice();
  return rates;
}

/**
 * The interval as a snapshot: `curr`'s rows (names, chips, …) with their counts replaced by the
 * interval's deltas, so everything that reads snapshots (planner input, renderers) reads a
 * measured window the same way it reads a file of rates. Rows whose counter is global (`ERR`)
 * keep a single count.
 */
export function deltaAsSnapshot(curr: Snapshot, delta: Delta): Snapshot {
  return {
    cpus: [...delta.cpus],
    rows: curr.rows.map((row, i) => {
      const d = delta.rows[i];
      if (!d) return { ...row, counts: row.counts.map(() => 0), total: 0 };
      return { ...row, counts: d.global ? [d.total] : [...d.perCpu], total: d.total };
    }),
    warnings: [...curr.warnings],
  };
}
