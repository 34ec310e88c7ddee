import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { measuredLoads } from '../../src/core/measured-loads.ts';
import { diffSnapshots } from '../../src/core/rates.ts';
import { subIntervalCounts, windowCountVariance } from '../../src/core/sampled-variance.ts';
import { makeRow, makeSnapshot } from '../helpers/snapshots.ts';

describe('windowCountVariance', () => {
  it('scales the sub-intervals’ sample variance to the window when it beats the Poisson floor', () => {
    // mean 200, s² = 4·100²/3, window = 4 parts: 4·s².
    assert.equal(windowCountVariance([100, 300, 100, 300], 800), (4 * 40000) / 3);
  });

  it('is the Poisson floor (the count) for steady or single samples', () => {
    assert.equal(windowCountVariance([50, 50, 50, 50], 200), 200);
    assert.equal(windowCountVariance([800], 800), 800);
    assert.equal(windowCountVariance([], 800), 800);
    assert.equal(windowCountVariance([0, 0], 0), 0);
  });

  it('is never below the count, and grows with the spread', () =>
    fc.assert(
      fc.property(fc.array(fc.nat(1e6), { minLength: 2, maxLength: 12 }), fc.nat(1e5), (parts, extra) => {
        const total = parts.reduce((a, b) => a + b, 0);
        const v = windowCountVariance(parts, total);
        assert.ok(v >= total);
        // More interrupts in the busiest sub-interval: a wider spread and a larger count.
        const wider = [...parts];
        const max = wider.indexOf(Math.max(...wider));
        wider[max] = (wider[max] as number) + extra;
        assert.ok(windowCountVariance(wider, total + extra) >= v);
      }),
    ));
});

describe('subIntervalCounts', () => {
  it('gives each numbered IRQ its count per sub-interval, 0 where it was absent', () => {
    const s0 = makeSnapshot([0, 1], [makeRow('30', [10, 0]), makeRow('LOC', [5, 5])]);
    const s1 = makeSnapshot([0, 1], [makeRow('30', [40, 0]), makeRow('LOC', [9, 9])]);
    const s2 = makeSnapshot([0, 1], [makeRow('30', [40, 10]), makeRow('31', [0, 7]), makeRow('LOC', [9, 9])]);
    const parts = subIntervalCounts([diffSnapshots(s0, s1), diffSnapshots(s1, s2)]);
    assert.deepEqual(
      [...parts],
      [
        ['30', [30, 10]],
        ['31', [0, 7]],
      ],
    );
  });
});

describe('measuredLoads', () => {
  it('sums the numbered rows per planned CPU and splits each IRQ’s variance by its counts', () => {
    const s = makeSnapshot(
      [0, 1, 2],
      [makeRow('30', [300, 100, 0]), makeRow('31', [0, 50, 0]), makeRow('LOC', [999, 999, 999])],
    );
    const loads = measuredLoads(s, [0, 1], new Map([['30', 4000]]));
    assert.deepEqual(loads, [
      { cpu: 0, load: 300, stddev: Math.sqrt(3000) },
      { cpu: 1, load: 150, stddev: Math.sqrt(1000) },
    ]);
    assert.deepEqual(
      measuredLoads(s, [2]).map((l) => [l.load, l.stddev]),
      [[0, 0]],
    );
  });
});
