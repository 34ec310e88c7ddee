/**
 * The whole loop on a simulated machine: sample → plan → apply → sample again → balanced. Every
 * result is checked against the response schema of the route that sends it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CpuSummary, Plan, PlanApplyResult } from '../../src/api/schemas.ts';
import { PlanRunner } from '../../src/daemon/plan-runner.ts';
import { Sampler } from '../../src/daemon/sampler.ts';
import { IrqService, type PlanQuery } from '../../src/daemon/service.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { conforms } from '../helpers/api-assert.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { after } from '../helpers/node-test-hooks.ts';
import { tempMachine } from '../helpers/sim.ts';

function rig(spec = defaultSimSpec(8, 2), banned: string[] = []) {
  const machine = tempMachine(spec);
  const system = machine.system();
  const clock = new FakeClock();
  const sampler = new Sampler({
    read: () => system.readInterrupts(),
    intervalMs: 1000,
    retentionMs: 600_000,
    clock,
  });
  const planner = new PlanRunner();
  const irqService = new IrqService({
    system,
    sampler,
    bannedIrqs: new Set(banned),
    maxWaitMs: 0,
    planner: (request, signal) => planner.run(request, signal),
  });
  // What the routes would send, each checked against its response schema.
  const service = {
    cpus: async (ms: number, wait: boolean) => conforms(CpuSummary, await irqService.cpus(ms, wait), 'cpus'),
    plan: async (q: PlanQuery) => conforms(Plan, await irqService.plan(q), 'plan'),
    applyPlan: async (q: PlanQuery, dryRun: boolean) =>
      conforms(PlanApplyResult, await irqService.applyPlan(q, dryRun), 'applyPlan'),
  };
  sampler.start();
  const run = (seconds: number): void => {
    for (let s = 0; s < seconds; s++) {
      machine.advance(1);
      clock.advance(1000);
    }
  };
  return { machine, system, sampler, planner, service, run };
}

describe('irqkitd service on a simulated 8-CPU, 2-node machine', () => {
  const r = rig();
  after(() => {
    r.sampler.stop();
    r.planner.close();
    r.machine.cleanup();
  });

  it('shows the starting imbalance: every movable IRQ on CPU 0', async () => {
    r.run(5);
    const cpus = await r.service.cpus(5000, false);
    assert.equal(cpus.window.seconds, 5);
    assert.equal(cpus.window.complete, true);
    const cpu0 = cpus.cpus.find((c) => c.cpu === 0);
    assert.ok((cpu0?.share ?? 0) > 0.8, `CPU0 share ${cpu0?.share}`);
  });

  it('plans with managed IRQs fixed and NIC queues on their own NUMA node', async () => {
    const plan = await r.service.plan({ windowMs: 5000, wait: false, numa: 'strict' });
    const topo = r.system.topology();
    const node0 = new Set(topo.nodes.get(0));
    const node1 = new Set(topo.nodes.get(1));
    const nvme = r.machine.irqsOf('nvme0');
    const eth0 = r.machine.irqsOf('eth0');
    const eth1 = r.machine.irqsOf('eth1');
    for (const a of plan.assignments) {
      if (nvme.includes(a.irq)) {
        assert.equal(a.fixed, true, `managed IRQ ${a.irq} must stay`);
        assert.equal(a.moved, false);
      }
      if (eth0.includes(a.irq)) assert.ok(node0.has(a.cpu), `eth0 IRQ ${a.irq} on CPU ${a.cpu}`);
      if (eth1.includes(a.irq)) assert.ok(node1.has(a.cpu), `eth1 IRQ ${a.irq} on CPU ${a.cpu}`);
    }
    assert.ok(plan.moves.length > 0);
    assert.ok(plan.after.metrics.makespan < plan.before.metrics.makespan / 2);
    assert.ok(plan.moves.every((m) => !nvme.includes(m.irq)));
  });

  it('applies the plan, and the next window is as balanced as the plan predicted', async () => {
    const { plan, result } = await r.service.applyPlan(
      { windowMs: 5000, wait: false, numa: 'strict' },
      false,
    );
    assert.equal(result.ok, true, JSON.stringify(result.outcomes.filter((o) => !o.ok)));
    r.run(10);
    const after = await r.service.cpus(10_000, false);
    const predictedShare = plan.after.metrics.makespan / plan.after.metrics.total;
    const busiest = Math.max(...after.cpus.map((c) => c.share));
    // The simulator adds 2% noise per IRQ and second; the plan must hold within that.
    assert.ok(Math.abs(busiest - predictedShare) < 0.03, `busiest ${busiest} vs predicted ${predictedShare}`);
    const replan = await r.service.plan({ windowMs: 10_000, wait: false, numa: 'strict' });
    assert.ok(replan.moves.length <= 2, `a balanced machine needs few moves, got ${replan.moves.length}`);
  });
});

describe('irqkitd service: banned IRQs and dry runs', () => {
  it('leaves banned IRQs where they are and writes nothing on a dry run', async () => {
    const spec = defaultSimSpec(4, 1);
    const probe = tempMachine(spec);
    const banned = probe.irqsOf('eth0').slice(0, 1);
    probe.cleanup();
    const r = rig(spec, banned);
    try {
      r.run(3);
      const before = r.system.irqInfo(banned[0] as string).affinity;
      const { plan, result } = await r.service.applyPlan(
        { windowMs: 3000, wait: false, numa: 'ignore' },
        true,
      );
      assert.equal(result.dryRun, true);
      assert.ok(plan.assignments.find((a) => a.irq === banned[0])?.fixed);
      for (const o of result.outcomes) assert.deepEqual(r.system.irqInfo(o.irq).affinity, o.previous);
      assert.deepEqual(r.system.irqInfo(banned[0] as string).affinity, before);
    } finally {
      r.sampler.stop();
      r.planner.close();
      r.machine.cleanup();
    }
  });
});
