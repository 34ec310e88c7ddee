import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normalQuantileUpper, normalTail, zForMany } from '../../src/core/planner/noise.ts';
import { type PlanItem, type PlanRequest, type PlanResult, plan } from '../../src/core/planner/plan.ts';

/**
 * Generated requests with gaps in CPU ids, per-IRQ limits, fixed IRQs, IRQs on CPUs outside the
 * plan or without a current CPU, base loads, and integer variances (so that the checks below
 * sum them exactly as the planner does).
 */
const request = (exact: boolean): fc.Arbitrary<PlanRequest> =>
  fc.integer({ min: 1, max: 7 }).chain((k) => {
    const ids = Array.from({ length: k }, (_, c) => c * 2);
    return fc
      .record({
        items: fc.array(
          fc.record({
            load: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1_000_000 })),
            allowedBits: fc.integer({ min: 0, max: (1 << k) - 1 }),
            limited: fc.boolean(),
            fixed: fc.integer({ min: 0, max: 9 }),
            current: fc.integer({ min: -2, max: k - 1 }),
            noise: fc.integer({ min: 0, max: 3 }),
          }),
          { maxLength: 30 },
        ),
        base: fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: k, maxLength: k }),
        withBase: fc.boolean(),
        confidence: fc.constantFrom(0, 1, 2, 3, undefined),
        maxMoves: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      })
      .map((r): PlanRequest => {
        const items = r.items.map((x, i): PlanItem => {
          const item: PlanItem = { id: String(100 + i), load: x.load };
          // -2: on a CPU outside the plan; -1: not known.
          if (x.current === -2) item.current = 99;
          else if (x.current >= 0) item.current = (ids[x.current] as number) ?? 0;
          if (x.fixed === 0 && item.current !== undefined) item.fixed = true;
          else if (x.limited && x.allowedBits !== 0)
            item.allowed = ids.filter((_, c) => (x.allowedBits >> c) & 1);
          // Poisson (variance = count), bursty (more), or a small variance.
          if (!exact) item.variance = [x.load, 3 * x.load, Math.floor(x.load / 10), 0][x.noise] as number;
          return item;
        });
        const req: PlanRequest = { cpus: ids, items, timeLimitMs: 20 };
        if (r.withBase) {
          req.baseLoad = Object.fromEntries(ids.map((c, i) => [c, r.base[i] as number]));
          if (!exact) req.baseVariance = Object.fromEntries(ids.map((c, i) => [c, r.base[i] as number]));
        }
        if (r.confidence !== undefined) req.confidence = r.confidence;
        if (r.maxMoves !== undefined) req.maxMoves = r.maxMoves;
        return req;
      });
  });

interface View {
  z: number;
  load: Map<number, number>;
  variance: Map<number, number>;
  /** Movable IRQs by request index, with the CPUs they may use. */
  movable: Array<{ i: number; cpu: number; load: number; variance: number; may: Set<number> }>;
  /** Moved IRQs that could have stayed: their CPU now and where they were. */
  voluntary: Array<{ i: number; from: number; to: number; load: number; variance: number }>;
}

/** Loads and variances per CPU recomputed from the request and the result, not the planner. */
function view(req: PlanRequest, r: PlanResult): View {
  const load = new Map(req.cpus.map((c) => [c, req.baseLoad?.[c] ?? 0]));
  const variance = new Map(req.cpus.map((c) => [c, req.baseVariance?.[c] ?? 0]));
  const movable: View['movable'] = [];
  const voluntary: View['voluntary'] = [];
  r.assignments.forEach((a, i) => {
    const it = req.items[i] as PlanItem;
    if (!load.has(a.cpu)) return; // a fixed IRQ outside the plan
    load.set(a.cpu, (load.get(a.cpu) as number) + it.load);
    variance.set(a.cpu, (variance.get(a.cpu) as number) + (it.variance ?? 0));
    if (it.fixed) return;
    const may = new Set(req.cpus.filter((c) => it.allowed === undefined || it.allowed.includes(c)));
    movable.push({ i, cpu: a.cpu, load: it.load, variance: it.variance ?? 0, may });
    const home = it.current;
    if (home !== undefined && may.has(home) && a.cpu !== home) {
      voluntary.push({ i, from: home, to: a.cpu, load: it.load, variance: it.variance ?? 0 });
    }
  });
  return { z: req.confidence ?? 2, load, variance, movable, voluntary };
}

/**
 * The margin of a step shifting load x (variance vx) from CPU a to CPU b of the view. The step
 * lowers the higher load by min(x, d − x); it counts when evening the pair out would gain more
 * than z standard errors of the difference (d/2 > z·sd), and each of x and d − x clears z of
 * its own standard errors, sd(x) and the spread of what stays on a against b.
 */
function stepMarginOf(v: View, z: number, a: number, b: number, x: number, vx: number): number {
  const d = (v.load.get(a) as number) - (v.load.get(b) as number);
  const both = (v.variance.get(a) as number) + (v.variance.get(b) as number);
  if (z === 0) return 0;
  const gain = Math.min(x, d - x);
  const own = gain - Math.min(x - z * Math.sqrt(vx), d - x - z * Math.sqrt(Math.max(0, both - vx)));
  // d/2 > z·sd, said as a margin on the gain: d/2 exceeds the gain by d/2 − gain.
  return Math.max(own, z * Math.sqrt(both) - (d / 2 - gain));
}

/** The margin of a change that moved x (variance vx) from `from` to `to`, as it was before. */
function changeMarginOf(v: View, z: number, from: number, to: number, x: number, vx: number): number {
  const load = new Map(v.load);
  load.set(from, (load.get(from) as number) + x);
  load.set(to, (load.get(to) as number) - x);
  if ((load.get(from) as number) < (load.get(to) as number)) return 0;
  return stepMarginOf({ ...v, load }, z, from, to, x, vx);
}

/** The largest gain of a single move or swap whose gain exceeds its pair's margin, if any. */
function floorBreach(v: View, z: number): string | null {
  const L = (c: number): number => v.load.get(c) as number;
  for (const x of v.movable) {
    for (const b of x.may) {
      const d = L(x.cpu) - L(b);
      if (!(d > 0)) continue;
      const m = stepMarginOf(v, z, x.cpu, b, x.load, x.variance);
      const gain = Math.min(x.load, d - x.load);
      if (gain > m) return `moving ${x.i} CPU${x.cpu}→CPU${b} gains ${gain} > ${m}`;
      for (const y of v.movable) {
        if (y.cpu !== b || !y.may.has(x.cpu)) continue;
        const delta = x.load - y.load;
        const swapGain = Math.min(delta, d - delta);
        const sm = stepMarginOf(v, z, x.cpu, b, delta, x.variance + y.variance);
        if (swapGain > sm) return `swapping ${x.i} and ${y.i} gains ${swapGain} > ${sm}`;
      }
    }
  }
  return null;
}

/** The view with IRQs put back where they were. */
function putBack(req: PlanRequest, v: View, irqs: number[]): View {
  const load = new Map(v.load);
  const variance = new Map(v.variance);
  const back = new Map(irqs.map((i) => [i, (req.items[i] as PlanItem).current as number]));
  const movable = v.movable.map((x) => {
    const to = back.get(x.i);
    if (to === undefined) return x;
    const it = req.items[x.i] as PlanItem;
    load.set(x.cpu, (load.get(x.cpu) as number) - it.load);
    load.set(to, (load.get(to) as number) + it.load);
    variance.set(x.cpu, (variance.get(x.cpu) as number) - (it.variance ?? 0));
    variance.set(to, (variance.get(to) as number) + (it.variance ?? 0));
    return { ...x, cpu: to };
  });
  return { ...v, load, variance, movable, voluntary: v.voluntary.filter((x) => !back.has(x.i)) };
}

/**
 * A move, or a swap, whose removal raises its pair's higher load by no more than the margin
 * and leaves the floor intact: a change that neither pays nor is needed.
 */
function unpaid(req: PlanRequest, v: View, z: number): string | null {
  const L = (c: number): number => v.load.get(c) as number;
  const needed = (irqs: number[]): boolean => floorBreach(putBack(req, v, irqs), z) !== null;
  for (const x of v.voluntary) {
    const gain = Math.max(L(x.from) + x.load, L(x.to) - x.load) - Math.max(L(x.from), L(x.to));
    const m = changeMarginOf(v, z, x.from, x.to, x.load, x.variance);
    if (!(gain > m) && !needed([x.i])) return `move of ${x.i} gains only ${gain} (margin ${m})`;
    for (const y of v.voluntary) {
      if (y.from !== x.to || y.to !== x.from || y.i <= x.i) continue;
      const delta = x.load - y.load;
      const swapGain = Math.max(L(x.from) + delta, L(x.to) - delta) - Math.max(L(x.from), L(x.to));
      const sm = changeMarginOf(v, z, x.from, x.to, delta, x.variance + y.variance);
      if (!(swapGain > sm) && !needed([x.i, y.i])) {
        return `swap of ${x.i} and ${y.i} gains only ${swapGain}`;
      }
    }
  }
  return null;
}

/** The z the floor is held to: the pair margin once IRQs move, the floor margin when none do. */
function floorZ(req: PlanRequest, v: View): number {
  const k = req.cpus.length;
  return v.voluntary.length > 0 ? v.z : zForMany(v.z, (k * (k - 1)) / 2);
}

describe('the evenness floor and moves that pay for themselves (generated instances)', () => {
  it('no single move or swap gains more than its margin; every move and swap pays or is needed for that', () => {
    fc.assert(
      fc.property(fc.oneof(request(false), request(true)), (req) => {
        const r = plan(req);
        const v = view(req, r);
        if (r.noise.movesDropped === 0) {
          assert.equal(floorBreach(v, floorZ(req, v)), null);
        }
        assert.equal(unpaid(req, v, v.z), null);
      }),
      { numRuns: 400 },
    );
  });

  it('reports each moved IRQ’s gain and its pair’s margin, and nothing for IRQs that stay', () => {
    fc.assert(
      fc.property(request(false), (req) => {
        const r = plan(req);
        const v = view(req, r);
        const voluntary = new Map(v.voluntary.map((x) => [x.i, x]));
        r.assignments.forEach((a, i) => {
          const x = voluntary.get(i);
          if (!x) {
            assert.equal(a.gain, undefined);
            assert.equal(a.margin, undefined);
            return;
          }
          const L = (c: number): number => v.load.get(c) as number;
          const gain = Math.max(L(x.from) + x.load, L(x.to) - x.load) - Math.max(L(x.from), L(x.to));
          assert.equal(a.gain, gain);
          assert.ok(
            Math.abs((a.margin as number) - changeMarginOf(v, v.z, x.from, x.to, x.load, x.variance)) <=
              1e-9 * (1 + (a.margin as number)),
          );
        });
        for (const c of r.cpus) {
          assert.ok(Math.abs(c.stddev - Math.sqrt(v.variance.get(c.cpu) as number)) <= 1e-9 * (1 + c.stddev));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('respects maxMoves, moves only movable IRQs to CPUs they may use, and keeps fixed ones', () => {
    fc.assert(
      fc.property(request(false), (req) => {
        const r = plan(req);
        const v = view(req, r);
        if (req.maxMoves !== undefined) assert.ok(v.voluntary.length <= req.maxMoves);
        r.assignments.forEach((a, i) => {
          const it = req.items[i] as PlanItem;
          if (it.fixed) assert.equal(a.cpu, it.current);
          else assert.ok((it.allowed ?? req.cpus).includes(a.cpu), `IRQ ${a.id} on CPU${a.cpu}`);
          assert.equal(a.moved, a.cpu !== it.current);
        });
        assert.equal(r.metrics.moves, r.assignments.filter((a) => a.moved).length);
      }),
      { numRuns: 200 },
    );
  });

  it('exact input plans exactly: every margin is 0, the summary says so, the busiest CPU is the best found', () => {
    fc.assert(
      fc.property(request(true), (req) => {
        const r = plan(req);
        if (req.maxMoves === undefined) assert.equal(r.metrics.makespan, r.metrics.bestMakespan);
        assert.equal(r.noise.exact, true);
        assert.equal(r.noise.makespanMargin, 0);
        for (const c of r.cpus) assert.equal(c.stddev, 0);
        for (const a of r.assignments) if (a.margin !== undefined) assert.equal(a.margin, 0);
      }),
      { numRuns: 150 },
    );
  });

  it('confidence 0 plans exactly even when variances are given', () => {
    fc.assert(
      fc.property(request(false), (req) => {
        const r = plan({ ...req, confidence: 0 });
        assert.equal(r.noise.exact, true);
        assert.equal(r.noise.confidence, 0);
        for (const a of r.assignments) if (a.margin !== undefined) assert.equal(a.margin, 0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a busiest CPU that holds one big IRQ alone', () => {
  // The lopsided plan: the makespan is the big IRQ, so it is optimal whatever the other
  // CPUs do, and a planner that looks only at the busiest CPU leaves CPU 1 at 90 and CPU 2 at 5.
  const items: PlanItem[] = [
    { id: '1', load: 100, current: 0 },
    { id: '2', load: 60, current: 1 },
    { id: '3', load: 30, current: 1 },
    { id: '4', load: 5, current: 2 },
    { id: '5', load: 15, current: 3 },
  ];
  for (const variance of [false, true]) {
    it(`still evens out the others (${variance ? 'Poisson variances' : 'exact loads'})`, () => {
      const req: PlanRequest = {
        cpus: [0, 1, 2, 3],
        items: variance ? items.map((it) => ({ ...it, variance: it.load / 100 })) : items,
      };
      const r = plan(req);
      assert.equal(r.metrics.makespan, 100);
      assert.equal(r.metrics.provenOptimal, true);
      assert.ok(r.metrics.moves > 0);
      assert.ok(Math.max(...r.cpus.slice(1).map((c) => c.load)) <= 60);
      const v = view(req, r);
      assert.equal(floorBreach(v, floorZ(req, v)), null);
    });
  }
});

describe('maxMoves keeps the most valuable moves', () => {
  it('drops the least valuable moves first and says how many', () => {
    // Four IRQs on CPU 0, none elsewhere: every move off CPU 0 pays.
    const items: PlanItem[] = [
      { id: '1', load: 1000, current: 0 },
      { id: '2', load: 800, current: 0 },
      { id: '3', load: 600, current: 0 },
      { id: '4', load: 400, current: 0 },
    ];
    const free = plan({ cpus: [0, 1, 2, 3], items });
    assert.equal(free.metrics.moves, 3);
    assert.equal(free.noise.movesDropped, 0);
    const capped = plan({ cpus: [0, 1, 2, 3], items, maxMoves: 1 });
    assert.equal(capped.metrics.moves, 1);
    assert.ok(capped.noise.movesDropped >= 1);
    const kept = capped.assignments.find((a) => a.moved);
    const gains = free.assignments.filter((a) => a.moved).map((a) => a.gain as number);
    // The one move kept is worth at least as much as any move of the uncapped plan.
    assert.ok((kept?.gain ?? 0) >= Math.max(...gains), `kept ${kept?.gain}, uncapped ${gains.join(', ')}`);
  });
});

describe('the noise model', () => {
  it('normal quantiles match tables', () => {
    assert.ok(Math.abs(normalQuantileUpper(0.025) - 1.959964) < 1e-5);
    assert.ok(Math.abs(normalQuantileUpper(0.001) - 3.090232) < 1e-5);
    assert.ok(Math.abs(normalTail(2) - 0.0227501) < 1e-6);
  });

  it('corrects z for the number of comparisons so that the family keeps the level of one', () => {
    assert.equal(zForMany(2, 1), 2);
    assert.equal(zForMany(0, 100), 0);
    let previous = 2;
    for (const m of [2, 28, 496, 32640]) {
      const z = zForMany(2, m);
      assert.ok(z > previous);
      previous = z;
      // P(any of m independent normals above z_m) = P(one above 2).
      assert.ok(Math.abs(1 - (1 - normalTail(z)) ** m - normalTail(2)) < 1e-6);
    }
  });

  it('rejects negative or non-finite variances and confidences with a usage error', () => {
    const cpus = [0, 1];
    assert.throws(() => plan({ cpus, items: [{ id: '1', load: 5, variance: -1 }] }), {
      code: 'IRQ_ERR_USAGE',
    });
    assert.throws(() => plan({ cpus, items: [{ id: '1', load: 5, variance: Number.NaN }] }), {
      code: 'IRQ_ERR_USAGE',
    });
    assert.throws(() => plan({ cpus, items: [{ id: '1', load: 5 }], baseVariance: { 0: -3 } }), {
      code: 'IRQ_ERR_USAGE',
    });
    assert.throws(() => plan({ cpus, items: [{ id: '1', load: 5 }], confidence: -1 }), {
      code: 'IRQ_ERR_USAGE',
    });
    assert.throws(() => plan({ cpus, items: [{ id: '1', load: 5 }], maxMoves: 1.5 }), {
      code: 'IRQ_ERR_USAGE',
    });
  });
});
