import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { longestProcessingTime } from '../../src/core/planner/baselines.ts';
import { lowerBound } from '../../src/core/planner/bounds.ts';
import { Budget } from '../../src/core/planner/budget.ts';
import { type PlanItem, plan } from '../../src/core/planner/plan.ts';
import { buildProblem, loadsOf, maxOf } from '../../src/core/planner/problem.ts';
import {
  canPartitionSequentially,
  sequentialPartition,
} from '../../src/core/planner/sequential-partition.ts';
import { bruteForceMakespan, fitsUnder } from '../helpers/brute-force.ts';

/** mulberry32: a seeded generator, so every instance here is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Family = 'uniform' | 'elephants' | 'near-equal' | 'lognormal' | 'small-ints';

/** Families where the optimum usually lies above the lower bound, which is what needs a proof. */
function loadsFor(family: Family, n: number, k: number, seed: number): number[] {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  switch (family) {
    case 'uniform':
      return Array.from({ length: n }, () => int(1, 1e9));
    case 'near-equal':
      return Array.from({ length: n }, () => int(900_000, 1_100_000));
    case 'lognormal':
      return Array.from({ length: n }, () => {
        const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
        return Math.max(1, Math.round(1e6 * Math.exp(0.7 * z)));
      });
    case 'small-ints':
      return Array.from({ length: n }, () => int(1, 1000));
    case 'elephants': {
      // A few queues of half to nearly a whole CPU's share, among ordinary ones.
      const small = Array.from({ length: n - 3 }, () => int(100_000, 1_000_000));
      const share = small.reduce((a, b) => a + b, 0) / k;
      return [...small, Math.round(0.95 * share), Math.round(0.8 * share), Math.round(0.55 * share)];
    }
  }
}

const cpus = (k: number): number[] => Array.from({ length: k }, (_, c) => c);
const itemsOf = (loads: readonly number[], k: number): PlanItem[] =>
  loads.map((load, j) => ({ id: String(j), load, current: j % k }));

const families: Family[] = ['uniform', 'elephants', 'near-equal', 'lognormal', 'small-ints'];

describe('small instances are proven optimal', () => {
  it('20 IRQs on 8 CPUs: proven, and a subset DP agrees that one unit less does not fit', () => {
    let aboveBound = 0;
    for (const family of families) {
      for (const seed of [1, 2, 3]) {
        const loads = loadsFor(family, 20, 8, seed * 7919);
        const r = plan({ cpus: cpus(8), items: itemsOf(loads, 8) });
        const label = `${family} seed ${seed}`;
        assert.equal(r.metrics.provenOptimal, true, `${label}: not proven (${r.search.stoppedBy})`);
        const opt = r.metrics.bestMakespan;
        assert.equal(r.metrics.makespan, opt);
        // The DP costs a third of a second per call: one instance per family is enough to catch
        // a wrong proof, since all of them go through the same search.
        if (seed === 1)
          assert.ok(!fitsUnder(loads, 8, opt - 1), `${label}: ${opt - 1} fits, so ${opt} is not optimal`);
        if (opt > r.metrics.lowerBound) aboveBound++;
      }
    }
    // The point is proofs by search: most of these optima lie above the lower bound.
    assert.ok(aboveBound >= 8, `only ${aboveBound} of 15 optima were above the bound`);
  });

  it('30 IRQs on 12 CPUs: proven, and the same optimum whatever the order of IRQs and CPUs', () => {
    let aboveBound = 0;
    for (const family of families) {
      for (const seed of [1, 2, 3]) {
        const loads = loadsFor(family, 30, 12, seed * 104729);
        const r = plan({ cpus: cpus(12), items: itemsOf(loads, 12) });
        const label = `${family} seed ${seed}`;
        assert.equal(r.metrics.provenOptimal, true, `${label}: not proven (${r.search.stoppedBy})`);
        assert.ok(
          r.metrics.bestMakespan <= r.baselines.lpt && r.metrics.bestMakespan >= r.metrics.lowerBound,
        );
        if (r.metrics.bestMakespan > r.metrics.lowerBound) aboveBound++;
        // Reversed IRQs on CPUs with other ids: a proof that depended on the order would differ.
        const reversed = [...loads].reverse();
        const ids = cpus(12).map((c) => 100 - 3 * c);
        const again = plan({
          cpus: ids,
          items: reversed.map((load, j) => ({ id: `r${j}`, load, current: ids[j % 12] as number })),
        });
        assert.equal(again.metrics.provenOptimal, true, `${label} reversed: not proven`);
        assert.equal(
          again.metrics.bestMakespan,
          r.metrics.bestMakespan,
          `${label}: optimum depends on order`,
        );
      }
    }
    assert.ok(aboveBound >= 8, `only ${aboveBound} of 15 optima were above the bound`);
  });
});

/** Random instances with per-IRQ limits, fixed IRQs and base loads, small enough for brute force. */
const constrained = fc.integer({ min: 2, max: 5 }).chain((k) =>
  fc.record({
    k: fc.constant(k),
    maxLoad: fc.constantFrom(3, 20, 1000, 1_000_000_000),
    base: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: k, maxLength: k }),
    useBase: fc.boolean(),
    raw: fc.array(
      fc.record({
        load: fc.double({ min: 0, max: 1, noNaN: true }),
        allowedBits: fc.integer({ min: 1, max: (1 << k) - 1 }),
        limited: fc.boolean(),
        fixedOn: fc.option(fc.integer({ min: 0, max: k - 1 }), { freq: 6 }),
      }),
      { maxLength: 9 },
    ),
  }),
);

describe('sequential partitioning against brute force', () => {
  it('finds and proves the optimum with per-IRQ limits, fixed IRQs and base loads', () => {
    fc.assert(
      fc.property(constrained, ({ k, maxLoad, base, useBase, raw }) => {
        const items: PlanItem[] = raw.map((x, j) => {
          const it: PlanItem = { id: String(j), load: Math.round(x.load * maxLoad) };
          if (x.fixedOn !== null) {
            it.fixed = true;
            it.current = x.fixedOn;
          } else if (x.limited) it.allowed = cpus(k).filter((c) => (x.allowedBits >> c) & 1);
          return it;
        });
        const baseLoad = useBase ? Object.fromEntries(base.map((b, c) => [c, b])) : undefined;
        const p = buildProblem(cpus(k), items, baseLoad);
        const oracle = bruteForceMakespan(
          items.map((it) => ({
            load: it.load,
            ...(it.fixed ? { fixedOn: it.current as number } : {}),
            ...(it.allowed ? { allowed: [...it.allowed] } : {}),
          })),
          k,
          useBase ? base : [],
        );
        assert.ok(canPartitionSequentially(p));
        // Start from LPT so that the search has to do the work itself.
        const incumbent = maxOf(loadsOf(p, longestProcessingTime(p)));
        const r = sequentialPartition(p, incumbent, lowerBound(p).value, new Budget(1000));
        assert.equal(r.complete, true);
        assert.equal(r.makespan, oracle);
        if (r.assign) {
          assert.equal(maxOf(loadsOf(p, r.assign)), oracle);
          r.assign.forEach((c, j) => {
            const mask = p.allowedMask[j];
            assert.ok(!mask || mask[c] === 1, `IRQ at position ${j} on a CPU it may not use`);
          });
        } else assert.equal(incumbent, oracle);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with brute force on fractional loads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.double({ min: 0.001, max: 100, noNaN: true }), { maxLength: 8 }),
        (k, loads) => {
          const p = buildProblem(
            cpus(k),
            loads.map((load, j) => ({ id: String(j), load })),
          );
          const incumbent = maxOf(loadsOf(p, longestProcessingTime(p)));
          const r = sequentialPartition(p, incumbent, lowerBound(p).value, new Budget(1000));
          const oracle = bruteForceMakespan(
            loads.map((load) => ({ load })),
            k,
          );
          assert.equal(r.complete, true);
          assert.ok(
            Math.abs(r.makespan - oracle) <= 1e-9 * Math.max(1, oracle),
            `${r.makespan} vs ${oracle}`,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stops inside its work budget and says it did not finish', () => {
    const loads = loadsFor('uniform', 30, 12, 104729);
    const p = buildProblem(cpus(12), itemsOf(loads, 12));
    const budget = new Budget(0.01); // 30 work units
    const incumbent = maxOf(loadsOf(p, longestProcessingTime(p)));
    const r = sequentialPartition(p, incumbent, lowerBound(p).value, budget);
    assert.equal(r.complete, false);
    assert.ok(budget.exhausted());
    assert.ok(budget.spent < 30 + 512, `spent ${budget.spent} units`);
  });
});
