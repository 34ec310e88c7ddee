/** The noise of a window's counts: the variance formula, and the history's running sums for it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DeltaHistory, sparseInterval } from '../../src/core/history.ts';
import { diffSnapshots } from '../../src/core/rates.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import { addSquare, countVariance, cpuVariance, rowVariance } from '../../src/core/window-noise.ts';
import { makeRow, makeSnapshot } from '../helpers/snapshots.ts';

/** countVariance from a series of per-interval counts and lengths (seconds). */
function varianceOf(counts: readonly number[], seconds: readonly number[]): number {
  let squares = 0;
  counts.forEach((x, t) => {
    squares = addSquare(squares, x, seconds[t] as number);
  });
  const total = counts.reduce((a, b) => a + b, 0);
  return countVariance(
    total,
    squares,
    counts.length,
    seconds.reduce((a, b) => a + b, 0),
  );
}

/** m times the sample variance of the counts: the textbook figure for equal intervals. */
function textbook(counts: readonly number[]): number {
  const m = counts.length;
  const mean = counts.reduce((a, b) => a + b, 0) / m;
  return (m * counts.reduce((a, x) => a + (x - mean) ** 2, 0)) / (m - 1);
}

const close = (a: number, b: number): boolean =>
  Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

const counts = fc.array(fc.nat(1_000_000), { minLength: 1, maxLength: 40 });

describe('countVariance: the larger of the empirical variance and the Poisson floor', () => {
  it('with equal intervals it is max(count, m × the sample variance of the per-interval counts)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1_000_000), { minLength: 2, maxLength: 40 }),
        fc.integer({ min: 1, max: 10_000 }),
        (xs, ms) => {
          const total = xs.reduce((a, b) => a + b, 0);
          const v = varianceOf(
            xs,
            xs.map(() => ms / 1000),
          );
          assert.ok(close(v, Math.max(total, textbook(xs))), `${v} vs ${Math.max(total, textbook(xs))}`);
        },
      ),
    );
  });

  it('is never below the count (the Poisson floor), and 0 only for no interrupts at all', () => {
    fc.assert(
      fc.property(
        counts,
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 40, maxLength: 40 }),
        (xs, ms) => {
          const total = xs.reduce((a, b) => a + b, 0);
          const v = varianceOf(
            xs,
            xs.map((_, t) => (ms[t] as number) / 1000),
          );
          assert.ok(v >= total, `${v} < ${total}`);
          assert.equal(v === 0, total === 0);
        },
      ),
    );
  });

  it('a single interval has the Poisson floor alone, however large its count', () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.double({ min: 0.001, max: 3600, noNaN: true }), (x, s) => {
        assert.equal(varianceOf([x], [s]), x);
      }),
    );
  });

  it('counts exactly in proportion to the intervals are steady: the floor, not a burst', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 2, maxLength: 30 }),
        (rate, tenths) => {
          const xs = tenths.map((d) => rate * d);
          const total = xs.reduce((a, b) => a + b, 0);
          // Uneven sampling alone (a late sample) is not burstiness.
          assert.equal(
            varianceOf(
              xs,
              tenths.map((d) => d / 10),
            ),
            total,
          );
        },
      ),
    );
  });

  it('does not depend on the unit of time: every interval twice as long gives the same variance', () => {
    fc.assert(
      fc.property(
        counts,
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 40, maxLength: 40 }),
        (xs, ms) => {
          const secs = xs.map((_, t) => (ms[t] as number) / 1000);
          assert.ok(
            close(
              varianceOf(xs, secs),
              varianceOf(
                xs,
                secs.map((s) => s * 2),
              ),
            ),
          );
        },
      ),
    );
  });

  it('a burst in one interval of five gives far more than the floor', () => {
    const v = varianceOf([0, 0, 1000, 0, 0], [1, 1, 1, 1, 1]);
    // m·s² = 5 · (1000² − 1000²/5) / 4 = 1,000,000
    assert.equal(v, 1_000_000);
  });
});

/** Per interval: per row label, per CPU position, the interrupts. */
type Series = Array<{ ms: number; counts: Record<string, number[]> }>;

const LABELS = ['30', '31', '32', 'LOC'];

const seriesArb = (cpus: number): fc.Arbitrary<Series> =>
  fc.array(
    fc.record({
      ms: fc.integer({ min: 200, max: 3000 }),
      counts: fc.record(
        Object.fromEntries(
          LABELS.map((l) => [
            l,
            fc.array(fc.oneof(fc.constant(0), fc.nat(5000)), { minLength: cpus, maxLength: cpus }),
          ]),
        ),
      ),
    }),
    { minLength: 1, maxLength: 12 },
  );

/** Runs the series through diffSnapshots and DeltaHistory as the sampler does. */
function historyOf(cpuIds: number[], series: Series): { history: DeltaHistory; last: Snapshot; ms: number } {
  const history = new DeltaHistory(1e9);
  const cumulative = Object.fromEntries(LABELS.map((l) => [l, cpuIds.map(() => 0)]));
  const snap = (): Snapshot =>
    makeSnapshot(
      cpuIds,
      LABELS.map((l) => makeRow(l, [...(cumulative[l] as number[])])),
    );
  let prev = snap();
  let t = 0;
  for (const iv of series) {
    for (const l of LABELS) {
      (cumulative[l] as number[]).forEach((_, i, arr) => {
        arr[i] = (arr[i] as number) + ((iv.counts[l] as number[])[i] as number);
      });
    }
    const next = snap();
    history.add(sparseInterval(t, t + iv.ms, diffSnapshots(prev, next)), next);
    prev = next;
    t += iv.ms;
  }
  return { history, last: prev, ms: t };
}

describe('DeltaHistory.window: the noise of each row and CPU from running sums', () => {
  it('gives each row, and each CPU over the picked rows, the variance of its per-interval series', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((k) => fc.tuple(fc.constant(k), seriesArb(k))),
        ([k, series]) => {
          const cpuIds = Array.from({ length: k }, (_, i) => i * 2);
          const { history, last, ms } = historyOf(cpuIds, series);
          const w = history.window(ms, last, { cpuRows: (row) => row.numeric });
          assert.ok(w);
          assert.equal(w.noise.intervals, series.length);
          const secs = series.map((iv) => iv.ms / 1000);
          assert.ok(close(w.noise.seconds, ms / 1000));
          for (const label of LABELS) {
            const perInterval = series.map((iv) => (iv.counts[label] as number[]).reduce((a, b) => a + b, 0));
            const row = w.snapshot.rows.find((r) => r.label === label);
            assert.ok(row);
            assert.ok(close(rowVariance(w.noise, label, row.total), varianceOf(perInterval, secs)), label);
          }
          cpuIds.forEach((_, pos) => {
            const perInterval = series.map((iv) =>
              ['30', '31', '32'].reduce((a, l) => a + ((iv.counts[l] as number[])[pos] as number), 0),
            );
            const total = perInterval.reduce((a, b) => a + b, 0);
            assert.ok(
              close(cpuVariance(w.noise, pos, total), varianceOf(perInterval, secs)),
              `CPU position ${pos}`,
            );
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a window of an IRQ that never interrupted has no noise, and one of one interval only the floor', () => {
    const cpuIds = [0, 1];
    const { history, last } = historyOf(cpuIds, [
      { ms: 1000, counts: { '30': [0, 0], '31': [400, 0], '32': [0, 9], LOC: [250, 250] } },
      { ms: 1000, counts: { '30': [0, 0], '31': [0, 0], '32': [0, 1], LOC: [250, 250] } },
    ]);
    const one = history.window(1000, last, { cpuRows: (r) => r.numeric });
    assert.ok(one);
    assert.equal(one.noise.intervals, 1);
    assert.equal(rowVariance(one.noise, '32', 1), 1);
    const two = history.window(2000, last, { cpuRows: (r) => r.numeric });
    assert.ok(two);
    assert.equal(rowVariance(two.noise, '30', 0), 0);
    // 400 then 0: m·s² = 2 · 80,000 = 160,000, far above the floor of 400.
    assert.equal(rowVariance(two.noise, '31', 400), 160_000);
    assert.equal(cpuVariance(two.noise, 0, 400), 160_000);
    // Without picked rows there is no per-CPU figure, only the floor.
    const plain = history.window(2000, last);
    assert.equal(plain?.noise.cpuSquares, null);
  });
});
