/**
 * Plans worth applying (issue 12): on the simulated machine with its noisy, bursty traffic, once
 * a plan is applied the next 20 plans, each on a fresh 10 s window of the same stationary
 * traffic, move nothing, for several seeds of the noise.
 *
 * The daemon runs in this process (every answer checked against the API contract) on a stepped
 * machine (helpers/sim-daemon.ts): each simulated second is one sample, so the windows hold
 * exactly what the test ran, whatever the load of the host.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan, PlanApplyResult } from '../../src/api/schemas.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { steppedDaemon } from '../helpers/sim-daemon.ts';

const SEEDS = [1, 2, 3, 4, 5];
const REPLANS = 20;
const WINDOW_S = 10;

async function replansAfterApply(seed: number): Promise<{ applied: Plan; replans: Plan[] }> {
  const d = await steppedDaemon({ ...defaultSimSpec(8), seed });
  try {
    d.run(WINDOW_S);
    const r = await d.request({
      method: 'POST',
      path: '/api/v1/plan/apply',
      json: { window: `${WINDOW_S}s` },
    });
    assert.equal(r.status, 200, r.text);
    const { plan: applied, result } = r.json<PlanApplyResult>();
    assert.equal(result.ok, true, JSON.stringify(result.outcomes.filter((o) => !o.ok)));
    // The next window lies wholly after the moves.
    d.run(WINDOW_S);
    const replans: Plan[] = [];
    for (let i = 0; i < REPLANS; i++) {
      d.run(WINDOW_S);
      const p = await d.request({ path: `/api/v1/plan?window=${WINDOW_S}s` });
      assert.equal(p.status, 200, p.text);
      replans.push(p.json<Plan>());
    }
    return { applied, replans };
  } finally {
    await d.close();
  }
}

describe('plans on stationary noisy traffic stay put once applied', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: after apply, ${REPLANS} consecutive replans propose zero moves`, async () => {
      const { applied, replans } = await replansAfterApply(seed);
      // Every movable IRQ starts on CPU 0: the first plan has real work to do.
      assert.ok(applied.moves.length > 0, 'the first plan moves IRQs off CPU 0');
      const moves = replans.map((p) => p.moves.length);
      for (const [i, p] of replans.entries()) {
        // The machine is noisy, so this is not an exact plan that trivially agrees with itself.
        assert.equal(p.noise.exact, false, `replan ${i + 1} saw noise`);
        assert.ok(
          p.before.cpus.some((c) => c.stddev > 0),
          `replan ${i + 1}: measured loads carry their noise`,
        );
        assert.equal(
          p.moves.length,
          0,
          `replan ${i + 1} of ${REPLANS} (moves per replan: ${moves.join(' ')}) proposed ${p.assignments
            .filter((a) => a.moved)
            .map(
              (a) =>
                `IRQ ${a.irq} (${a.load}) CPU${a.current}→CPU${a.cpu}, gain ${a.gain} vs margin ${a.margin}`,
            )
            .join('; ')}`,
        );
        assert.equal(p.nothingWorthMoving, true);
      }
    });
  }
});
