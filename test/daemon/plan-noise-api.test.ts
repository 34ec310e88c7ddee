/**
 * GET /api/v1/plan and POST /api/v1/plan/apply with the noise model (issue 12): loads carry
 * their measuring noise, confidence and maxMoves reach the planner, every move reports its gain
 * and margin, and nothing worth moving is a normal answer (apply: a no-op). The daemon runs in
 * this process on a stepped machine, every answer checked against the API contract.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan, PlanApplyResult } from '../../src/api/schemas.ts';
import { parseCpuList } from '../../src/core/cpuset.ts';
import { zForMany } from '../../src/core/planner/noise.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { expectProblem } from '../helpers/api-assert.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { procFile } from '../helpers/sim.ts';
import { type SteppedDaemon, steppedDaemon } from '../helpers/sim-daemon.ts';

/** A move off a CPU the IRQ may not use (another NUMA node): it has no home to go back to. */
function forcedMove(a: Plan['assignments'][number]): boolean {
  return a.current !== null && a.allowed !== undefined && !parseCpuList(a.allowed).includes(a.current);
}

async function getPlan(d: SteppedDaemon, query: string): Promise<Plan> {
  const r = await d.request({ path: `/api/v1/plan?${query}` });
  assert.equal(r.status, 200, r.text);
  return r.json<Plan>();
}

/** Every movable IRQ may use every CPU (irqaffinity 0-7), yet starts on CPU 0. */
const WIDE = { ...defaultSimSpec(8), irqaffinity: [0, 1, 2, 3, 4, 5, 6, 7] };

describe('plans carry the noise of their measurements', () => {
  let d: SteppedDaemon;
  before(async () => {
    d = await steppedDaemon(defaultSimSpec(8));
    d.run(10);
  });
  after(async () => {
    await d?.close();
  });

  it('each CPU load before and after has a standard deviation of at least the Poisson floor', async () => {
    const p = await getPlan(d, 'window=10s');
    assert.equal(p.noise.exact, false);
    assert.equal(p.noise.confidence, 2, 'the default');
    for (const c of [...p.before.cpus, ...p.after.cpus]) {
      assert.ok(c.stddev ** 2 >= c.load * (1 - 1e-9), `CPU${c.cpu}: ±${c.stddev} on ${c.load}`);
    }
    // CPU 0 serves every NIC queue at first, and NIC traffic is bursty: more than Poisson.
    const cpu0 = p.before.cpus.find((c) => c.cpu === 0);
    assert.ok(cpu0 && cpu0.stddev > 1.5 * Math.sqrt(cpu0.load), `CPU0 ±${cpu0?.stddev} on ${cpu0?.load}`);
    // The margin on the busiest CPU: an interval of the floor's z (corrected for the k(k-1)/2
    // pairs a balance check tests) on each side of two such loads (docs/design.md).
    const busiest = p.after.cpus.reduce((a, c) => (c.load > a.load ? c : a));
    const k = p.after.cpus.length;
    const expected = 2 * zForMany(2, (k * (k - 1)) / 2) * busiest.stddev;
    assert.ok(
      Math.abs(p.noise.makespanMargin - expected) < 1e-6 * busiest.load,
      `${p.noise.makespanMargin} vs ${expected}`,
    );
  });

  it('confidence sets the margin; 0 plans on the measured loads as if exact', async () => {
    const three = await getPlan(d, 'window=10s&confidence=3');
    assert.equal(three.noise.confidence, 3);
    assert.ok(three.noise.makespanMargin > 0);
    const zero = await getPlan(d, 'window=10s&confidence=0');
    assert.equal(zero.noise.confidence, 0);
    assert.equal(zero.noise.makespanMargin, 0);
  });

  it('every move reports its gain, which exceeds its margin', async () => {
    const p = await getPlan(d, 'window=10s');
    const moved = p.assignments.filter((a) => a.moved);
    assert.ok(moved.length > 0, 'every movable IRQ starts on CPU 0');
    for (const a of moved.filter((x) => !forcedMove(x))) {
      assert.equal(typeof a.gain, 'number', `IRQ ${a.irq} has a gain`);
      assert.equal(typeof a.margin, 'number', `IRQ ${a.irq} has a margin`);
      assert.ok(
        (a.gain as number) > (a.margin as number),
        `IRQ ${a.irq}: gain ${a.gain}, margin ${a.margin}`,
      );
    }
    for (const a of p.assignments.filter((x) => !x.moved)) assert.equal(a.gain, undefined, `IRQ ${a.irq}`);
    assert.equal(p.nothingWorthMoving, false);
  });

  it('maxMoves caps the moves and says how many it left out', async () => {
    const all = await getPlan(d, 'window=10s');
    const one = await getPlan(d, 'window=10s&maxMoves=1');
    const optional = (p: Plan) => p.assignments.filter((a) => a.moved && !forcedMove(a));
    const forced = one.assignments.filter((a) => a.moved && forcedMove(a));
    assert.equal(optional(one).length, 1);
    assert.equal(one.moves.length, 1 + forced.length, 'moves off CPUs an IRQ may not use are not capped');
    // The cap puts back the least valuable moves of the planner's own plan (a dropped swap takes
    // both halves), so it accounts for at least the moves the uncapped plan makes.
    assert.ok(one.noise.movesDropped >= 1);
    assert.ok(
      optional(one).length + one.noise.movesDropped >= optional(all).length,
      `${optional(one).length} kept + ${one.noise.movesDropped} dropped < ${optional(all).length}`,
    );
    if (forced.length > 0)
      assert.ok(
        one.notes.some((n) => /may not use/.test(n)),
        JSON.stringify(one.notes),
      );
    assert.ok(
      one.notes.some((n) => /left out by maxMoves/.test(n)),
      JSON.stringify(one.notes),
    );
    const none = await getPlan(d, 'window=10s&maxMoves=0');
    assert.equal(optional(none).length, 0);
    assert.equal(none.nothingWorthMoving, false, 'moves were left out, not absent');
  });

  it('bad confidence or maxMoves → 400 IRQ_ERR_USAGE naming the parameter', async () => {
    for (const [query, pointer] of [
      ['confidence=-1', '/query/confidence'],
      ['confidence=10.5', '/query/confidence'],
      ['confidence=two', '/query/confidence'],
      ['maxMoves=-1', '/query/maxMoves'],
      ['maxMoves=1.5', '/query/maxMoves'],
      ['maxMoves=all', '/query/maxMoves'],
    ] as const) {
      const p = expectProblem(
        await d.request({ path: `/api/v1/plan?window=1s&${query}` }),
        400,
        'IRQ_ERR_USAGE',
        query,
      );
      assert.ok(
        p.errors?.some((e) => e.path === pointer),
        `${query}: ${JSON.stringify(p.errors)}`,
      );
    }
    for (const [body, pointer] of [
      [{ confidence: -1 }, '/body/confidence'],
      [{ confidence: '2' }, '/body/confidence'],
      [{ maxMoves: 2.5 }, '/body/maxMoves'],
    ] as const) {
      const r = await d.request({
        method: 'POST',
        path: '/api/v1/plan/apply',
        json: { window: '1s', ...body },
      });
      const p = expectProblem(r, 400, 'IRQ_ERR_USAGE', JSON.stringify(body));
      assert.ok(
        p.errors?.some((e) => e.path === pointer),
        JSON.stringify(p.errors),
      );
    }
  });
});

describe('nothing worth moving is a normal answer, and applying it writes nothing', () => {
  let d: SteppedDaemon;
  before(async () => {
    d = await steppedDaemon(WIDE);
    d.run(5);
  });
  after(async () => {
    await d?.close();
  });

  it('GET: 200 with no moves and nothingWorthMoving', async () => {
    // Planned on CPU 0 alone, where every movable IRQ already is: nothing can gain.
    const p = await getPlan(d, 'window=5s&cpus=0&numa=ignore');
    assert.deepEqual(p.moves, []);
    assert.equal(p.nothingWorthMoving, true);
    assert.equal(p.noise.movesDropped, 0);
    // Their masks allow CPUs 0-7, so a plan with moves would narrow them (pins).
    assert.ok(p.pins.length > 0);
  });

  it('POST apply: 200, no outcome, not even the pins are written (dry run or not)', async () => {
    const eth0 = d.machine.irqsOf('eth0');
    for (const dryRun of [true, false]) {
      const r = await d.request({
        method: 'POST',
        path: '/api/v1/plan/apply',
        json: { window: '5s', cpus: '0', numa: 'ignore', dryRun },
      });
      assert.equal(r.status, 200, r.text);
      const { plan, result } = r.json<PlanApplyResult>();
      assert.equal(plan.nothingWorthMoving, true);
      assert.deepEqual(result, { ok: true, dryRun, rolledBack: false, outcomes: [] });
      d.run(1);
      for (const irq of eth0)
        assert.equal(procFile(d.machine, irq, 'smp_affinity_list'), '0-7', `IRQ ${irq}`);
    }
  });
});
