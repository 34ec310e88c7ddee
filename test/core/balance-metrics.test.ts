import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { balanceMetrics, cpuShares } from '../../src/core/metrics.ts';

describe('balance metrics', () => {
  it('computes makespan, gap, peak-to-average, spread and cv as the README defines them', () => {
    const m = balanceMetrics([30, 10, 20], 24);
    assert.equal(m.makespan, 30);
    assert.equal(m.total, 60);
    assert.equal(m.mean, 20);
    assert.equal(m.min, 10);
    assert.equal(m.gap, 6);
    assert.equal(m.gapPercent, 25);
    assert.equal(m.peakToAverage, 1.5);
    assert.equal(m.spread, 1);
    assert.ok(Math.abs(m.cv - Math.sqrt(200 / 3) / 20) < 1e-12);
  });

  it('is perfect for equal loads and safe for all-zero loads', () => {
    assert.deepEqual(
      { ...balanceMetrics([7, 7], 7) },
      {
        makespan: 7,
        lowerBound: 7,
        gap: 0,
        gapPercent: 0,
        total: 14,
        mean: 7,
        min: 7,
        peakToAverage: 1,
        spread: 0,
        cv: 0,
      },
    );
    const zero = balanceMetrics([0, 0, 0], 0);
    assert.equal(zero.peakToAverage, 1);
    assert.equal(zero.spread, 0);
    assert.equal(zero.gapPercent, 0);
  });

  it('gives each CPU its share of the total and its IRQ count', () => {
    assert.deepEqual(cpuShares([0, 4], [3, 1], [2, 5]), [
      { cpu: 0, load: 3, share: 0.75, irqs: 2 },
      { cpu: 4, load: 1, share: 0.25, irqs: 5 },
    ]);
  });
});
