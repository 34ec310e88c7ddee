import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { countingBound, lowerBound, waterLevel } from '../../src/core/planner/bounds.ts';
import { buildProblem, type PlanItem } from '../../src/core/planner/problem.ts';
import { bruteForceMakespan } from '../helpers/brute-force.ts';

const items = (loads: number[]): PlanItem[] => loads.map((load, i) => ({ id: String(i), load }));

describe('lower bounds', () => {
  it('is the rounded-up average, or the largest IRQ when that is bigger', () => {
    assert.equal(lowerBound(buildProblem([0, 1], items([5, 4]))).value, 5);
    assert.deepEqual(lowerBound(buildProblem([0, 1, 2], items([9, 1, 1]))), { value: 9, reason: 'largest' });
    assert.deepEqual(lowerBound(buildProblem([0, 1], items([3, 3, 3, 2]))), { value: 6, reason: 'average' });
  });

  it('water-fills around CPUs that already carry fixed load', () => {
    // CPU 0 carries 10 that cannot move; 6 more spread over CPUs 1 and 2 gives 3 each, so the bound is 10, not 16/3.
    assert.equal(waterLevel([10, 0, 0], 6), 3);
    const p = buildProblem([0, 1, 2], [{ id: 'f', load: 10, current: 0, fixed: true }, ...items([3, 3])]);
    assert.deepEqual(lowerBound(p), { value: 10, reason: 'fixed' });
    assert.equal(waterLevel([4, 0], 6), 5);
  });

  it('counts: 5 equal IRQs on 4 CPUs put two on one CPU', () => {
    assert.equal(countingBound([10, 10, 10, 10, 10], 4, 0), 20);
    assert.deepEqual(lowerBound(buildProblem([0, 1, 2, 3], items([10, 10, 10, 10, 10]))), {
      value: 20,
      reason: 'count',
    });
    // When k divides n the counting argument gives nothing beyond the average.
    assert.equal(countingBound([10, 10, 10, 10], 2, 0), 0);
  });

  it('keeps IRQs confined to a CPU group on that group', () => {
    const p = buildProblem(
      [0, 1, 2, 3],
      [
        { id: 'a', load: 10, allowed: [0, 1] },
        { id: 'b', load: 10, allowed: [0, 1] },
        { id: 'c', load: 10, allowed: [0, 1] },
        { id: 'd', load: 1 },
      ],
    );
    assert.deepEqual(lowerBound(p), { value: 15, reason: 'group' });
  });

  it('never exceeds the true optimum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 8, maxLength: 8 }),
        (k, loads, limits) => {
          const cpus = Array.from({ length: k }, (_, c) => c);
          const planItems: PlanItem[] = loads.map((load, i) => {
            const bits = (limits[i] as number) % (1 << k);
            const allowed = cpus.filter((c) => (bits >> c) & 1);
            return allowed.length > 0 && i % 2 === 0
              ? { id: String(i), load, allowed }
              : { id: String(i), load };
          });
          const bound = lowerBound(buildProblem(cpus, planItems)).value;
          const opt = bruteForceMakespan(
            planItems.map((it) =>
              it.allowed ? { load: it.load, allowed: [...it.allowed] } : { load: it.load },
            ),
            k,
          );
          assert.ok(bound <= opt, `bound ${bound} > optimum ${opt}`);
        },
      ),
      { numRuns: 500 },
    );
  });
});
