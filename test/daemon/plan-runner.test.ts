/**
 * The plan runner with its real worker thread: one plan at a time, a second refused with a
 * retry time (unless it is the autopilot's, which gives way), a cancelled plan ends its worker and the next plan gets a fresh one, planner errors
 * cross the thread as the catalogued errors they are, and close() cancels what runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrqkitError } from '../../src/core/errors.ts';
import type { PlanRequest } from '../../src/core/planner/plan.ts';
import { PlanRunner } from '../../src/daemon/plan-runner.ts';

/** 53 loads spread from 1,000 to 101,000 on 8 CPUs: exact planning searches its whole budget. */
const HARD: PlanRequest = {
  cpus: [0, 1, 2, 3, 4, 5, 6, 7],
  items: Array.from({ length: 53 }, (_, i) => ({
    id: String(24 + i),
    load: 1000 + ((i * 7919) % 100_000),
    current: 0,
  })),
  confidence: 0,
  timeLimitMs: 10_000,
};

const EASY: PlanRequest = {
  cpus: [0, 1],
  items: [
    { id: '30', load: 10, current: 0 },
    { id: '31', load: 10, current: 0 },
  ],
  confidence: 0,
};

async function rejection(p: Promise<unknown>): Promise<IrqkitError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof IrqkitError, String(e));
    return e;
  }
  assert.fail('expected a rejection');
}

describe('plan runner (worker thread)', () => {
  it('plans off the main thread and answers with the planner result', async () => {
    const runner = new PlanRunner();
    try {
      const r = await runner.run(EASY);
      assert.equal(r.metrics.makespan, 10);
      assert.equal(r.assignments.filter((a) => a.moved).length, 1);
      assert.deepEqual(runner.health(), { planning: false, plans: 1, refused: 0, cancelled: 0 });
    } finally {
      runner.close();
    }
  });

  it('refuses a second plan while one runs (IRQ_ERR_BUSY with a retry time); cancelling frees the slot for a fresh worker', async () => {
    const runner = new PlanRunner();
    try {
      const abort = new AbortController();
      const long = rejection(runner.run(HARD, abort.signal));
      assert.equal(runner.health().planning, true);
      const busy = await rejection(runner.run(EASY));
      assert.equal(busy.code, 'IRQ_ERR_BUSY');
      assert.equal(busy.httpStatus, 429);
      const retry = busy.details?.retryAfterSeconds as number;
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 10, String(retry));
      abort.abort();
      const cancelled = await long;
      assert.equal(cancelled.code, 'IRQ_ERR_UNAVAILABLE');
      assert.deepEqual(runner.health(), { planning: false, plans: 0, refused: 1, cancelled: 1 });
      // The search's thread was ended; the next plan starts another.
      const r = await runner.run(EASY);
      assert.equal(r.metrics.makespan, 10);
    } finally {
      runner.close();
    }
  });

  it("an autopilot (background) plan gives way to an API plan; a background plan waits for no one's", async () => {
    const runner = new PlanRunner();
    try {
      const auto = rejection(runner.run(HARD, undefined, { background: true }));
      const asked = await runner.run(EASY);
      assert.equal(asked.metrics.makespan, 10);
      const e = await auto;
      assert.equal(e.code, 'IRQ_ERR_BUSY');
      assert.match(e.message, /gave way to a plan asked through the API/);
      // The other way round, the background plan is the one refused.
      const abort = new AbortController();
      const long = rejection(runner.run(HARD, abort.signal));
      assert.equal((await rejection(runner.run(EASY, undefined, { background: true }))).code, 'IRQ_ERR_BUSY');
      abort.abort();
      assert.equal((await long).code, 'IRQ_ERR_UNAVAILABLE');
      assert.deepEqual(runner.health(), { planning: false, plans: 1, refused: 1, cancelled: 2 });
    } finally {
      runner.close();
    }
  });

  it("sends the planner's catalogued errors back as they are", async () => {
    const runner = new PlanRunner();
    try {
      const e = await rejection(runner.run({ cpus: [], items: [] }));
      assert.equal(e.code, 'IRQ_ERR_EMPTY');
      const twice = await rejection(runner.run({ cpus: [1, 1], items: [{ id: '9', load: 1 }] }));
      assert.equal(twice.code, 'IRQ_ERR_USAGE');
      assert.match(twice.message, /CPU 1 is listed twice/);
    } finally {
      runner.close();
    }
  });

  it('close() cancels the running plan and refuses later ones', async () => {
    const runner = new PlanRunner();
    const long = rejection(runner.run(HARD));
    runner.close();
    const e = await long;
    assert.equal(e.code, 'IRQ_ERR_UNAVAILABLE');
    assert.match(e.message, /shutting down/);
    assert.equal((await rejection(runner.run(EASY))).code, 'IRQ_ERR_UNAVAILABLE');
  });
});
