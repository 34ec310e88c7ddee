/**
 * The packed history (interned keys, flat typed arrays per interval) against a reference model
 * that keeps every interval's full Delta and sums it the plain way: same windows, coverage,
 * wraps and noise sums on random sequences with hotplug, vanishing rows, global rows and
 * counts beyond 32 bits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DeltaHistory, RowKeys, sparseInterval } from '../../src/core/history.ts';
import { type Delta, diffSnapshots } from '../../src/core/rates.ts';
import { type InterruptRow, rowKey, type Snapshot } from '../../src/core/snapshot.ts';
import { addSquare } from '../../src/core/window-noise.ts';
import { makeRow } from '../helpers/snapshots.ts';

interface RefSum {
  counts: number[];
  global: number;
  squares: number;
  perCpu: boolean;
}

interface ReferenceWindow {
  start: number;
  intervals: number;
  wraps: number;
  counts: Map<string, RefSum>;
  squares: Map<string, number>;
  cpuSquares: number[] | null;
}

interface Stored {
  start: number;
  end: number;
  delta: Delta;
}

/** The reference: every delta kept whole; a window sums each row's perCpu by CPU id. */
class ReferenceHistory {
  intervals: Stored[] = [];
  rowsByKey = new Map<string, InterruptRow>();
  private readonly retentionMs: number;
  constructor(retentionMs: number) {
    this.retentionMs = retentionMs;
  }

  add(s: Stored, current: Snapshot): void {
    this.intervals.push(s);
    for (const row of current.rows) this.rowsByKey.set(rowKey(row), row);
    this.intervals = this.intervals.filter((iv) => iv.start >= s.end - this.retentionMs);
  }

  window(ms: number, current: Snapshot, pick?: (row: InterruptRow) => boolean): ReferenceWindow | undefined {
    const last = this.intervals[this.intervals.length - 1];
    if (!last) return undefined;
    const typical = last.end - last.start;
    const used = this.intervals.filter((iv) => iv.start >= last.end - ms - typical / 2);
    if (used.length === 0) used.push(last);
    const start = (used[0] as Stored).start;
    const cpus = current.cpus;
    const sums = new Map<string, RefSum>();
    const cpuSquares = pick ? new Array<number>(cpus.length).fill(0) : null;
    let wraps = 0;
    for (const iv of used) {
      wraps += iv.delta.wraps;
      const d = (iv.end - iv.start) / 1000;
      const cpuCounts = new Array<number>(cpus.length).fill(0);
      for (const r of iv.delta.rows) {
        if (r.total === 0) continue;
        let acc = sums.get(r.key);
        if (!acc) {
          const row = this.rowsByKey.get(r.key);
          acc = { counts: cpus.map(() => 0), global: 0, squares: 0, perCpu: !!(pick && row && pick(row)) };
          sums.set(r.key, acc);
        }
        let total = 0;
        if (r.global) {
          acc.global += r.total;
          total = r.total;
        } else {
          iv.delta.cpus.forEach((id, j) => {
            const pos = cpus.indexOf(id);
            const n = r.perCpu[j] as number;
            if (pos < 0 || n === 0 || !acc) return;
            acc.counts[pos] = (acc.counts[pos] as number) + n;
            total += n;
            if (acc.perCpu) cpuCounts[pos] = (cpuCounts[pos] as number) + n;
          });
        }
        acc.squares = addSquare(acc.squares, total, d);
      }
      if (cpuSquares)
        cpuCounts.forEach((n, pos) => {
          if (n !== 0) cpuSquares[pos] = addSquare(cpuSquares[pos] as number, n, d);
        });
    }
    const totals = new Map<string, number>();
    for (const [key, acc] of sums) totals.set(key, acc.global + acc.counts.reduce((a, b) => a + b, 0));
    return {
      start,
      intervals: used.length,
      wraps,
      counts: sums,
      squares: new Map([...sums].map(([k, a]) => [k, a.squares])),
      cpuSquares,
    };
  }
}

const LABELS = ['0', '1', '9', '24', 'NMI', 'LOC', 'ERR'];

/** A read: which CPUs are online, which rows exist, and how far each counter moved. */
const stepArb = fc.record({
  cpus: fc.subarray([0, 1, 2, 3, 5, 8], { minLength: 1 }),
  present: fc.subarray(LABELS, { minLength: 0 }),
  ms: fc.integer({ min: 0, max: 3000 }),
  moves: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 4, arbitrary: fc.nat(2000) },
      { weight: 1, arbitrary: fc.constant(4294967290) },
      { weight: 1, arbitrary: fc.constant(2 ** 40) },
    ),
    { minLength: 64, maxLength: 64 },
  ),
});

describe('DeltaHistory (packed) answers as a history that keeps every delta whole', () => {
  it('gives the same window sums, coverage, wraps and noise sums on random reads', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 2, maxLength: 14 }),
        fc.integer({ min: 1000, max: 20_000 }),
        fc.array(fc.integer({ min: 1, max: 25_000 }), { minLength: 1, maxLength: 4 }),
        (steps, retention, windows) => {
          const cumulative = new Map<string, Map<number, number>>();
          const read = (s: (typeof steps)[number]): Snapshot => {
            let m = 0;
            const rows = s.present.map((label) => {
              const per = cumulative.get(label) ?? new Map<number, number>();
              cumulative.set(label, per);
              const ids = label === 'ERR' ? [0] : s.cpus;
              const counts = ids.map((id) => {
                const v = ((per.get(id) ?? 0) + (s.moves[m++ % 64] as number)) % 2 ** 41;
                per.set(id, v);
                return v;
              });
              return makeRow(label, counts);
            });
            return { cpus: [...s.cpus], rows, warnings: [] };
          };
          const packed = new DeltaHistory(retention);
          const ref = new ReferenceHistory(retention);
          let prev = read(steps[0] as (typeof steps)[number]);
          let t = 0;
          for (const s of steps.slice(1)) {
            const next = read(s);
            const delta = diffSnapshots(prev, next);
            packed.addDelta(t, t + s.ms, delta, next);
            ref.add({ start: t, end: t + s.ms, delta }, next);
            prev = next;
            t += s.ms;
          }
          assert.equal(packed.length, ref.intervals.length);
          for (const ms of windows) {
            const pick = (r: InterruptRow): boolean => r.numeric && r.label !== '9';
            const got = packed.window(ms, prev, { cpuRows: pick });
            const want = ref.window(ms, prev, pick);
            if (!want) {
              assert.equal(got, undefined);
              continue;
            }
            assert.ok(got);
            assert.equal(got.start, want.start);
            assert.equal(got.intervals, want.intervals);
            assert.equal(got.wraps, want.wraps);
            assert.deepEqual([...got.noise.rowSquares.keys()].sort(), [...want.squares.keys()].sort());
            for (const [key, sq] of want.squares) assert.equal(got.noise.rowSquares.get(key), sq, key);
            assert.deepEqual(got.noise.cpuSquares ? [...got.noise.cpuSquares] : null, want.cpuSquares);
            for (const r of got.snapshot.rows) {
              const acc: RefSum | undefined = want.counts.get(rowKey(r));
              const expected: number[] =
                r.counts.length === prev.cpus.length
                  ? (acc?.counts ?? prev.cpus.map(() => 0))
                  : [acc?.global ?? 0];
              assert.deepEqual(r.counts, expected, rowKey(r));
            }
            for (const key of want.counts.keys()) {
              assert.ok(
                got.snapshot.rows.some((r) => rowKey(r) === key),
                `row ${key} kept after it vanished`,
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('re-keys an interval packed against another key table', () => {
    const a: Snapshot = { cpus: [0, 1], rows: [makeRow('5', [1, 2]), makeRow('7', [0, 0])], warnings: [] };
    const b: Snapshot = { cpus: [0, 1], rows: [makeRow('5', [4, 2]), makeRow('7', [0, 9])], warnings: [] };
    const other = new RowKeys();
    other.id('unrelated');
    const history = new DeltaHistory(60_000);
    history.add(sparseInterval(0, 1000, diffSnapshots(a, b), other), b);
    const w = history.window(1000, b);
    assert.deepEqual(
      w?.snapshot.rows.map((r) => [r.label, r.counts]),
      [
        ['5', [3, 0]],
        ['7', [0, 9]],
      ],
    );
  });

  it('stores counts that do not fit 32 bits exactly, and shares one CPU list while the CPUs stay', () => {
    const a: Snapshot = { cpus: [0, 1], rows: [makeRow('5', [0, 0])], warnings: [] };
    const b: Snapshot = { cpus: [0, 1], rows: [makeRow('5', [2 ** 40, 3])], warnings: [] };
    const c: Snapshot = { cpus: [0, 1], rows: [makeRow('5', [2 ** 40 + 1, 3])], warnings: [] };
    const history = new DeltaHistory(60_000);
    const b6: Snapshot = { ...b, rows: [{ ...(b.rows[0] as InterruptRow), label: '6' }] };
    history.addDelta(0, 1000, diffSnapshots(a, b6), b6);
    history.addDelta(1000, 2000, diffSnapshots(b, c), c);
    const w = history.window(2000, c);
    assert.deepEqual(w?.snapshot.rows.find((r) => r.label === '6')?.counts, [2 ** 40, 3]);
    assert.equal(history.storedCounters(), 2 + 1 + 1 + 1);
  });
});
