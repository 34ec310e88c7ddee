/**
 * The autopilot makes only the moves its busiest CPU needs: a move that merely evens out two
 * less busy CPUs is not worth an unattended change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from '../../src/api/schemas.ts';
import { busiestAfter, pruneMoves } from '../../src/daemon/autopilot.ts';

/** The parts of a plan the autopilot reads: measured loads per CPU, and each IRQ's load and move. */
function plan(cpuLoads: number[], irqs: Array<[irq: string, load: number, from: number, to: number]>): Plan {
  return {
    before: { cpus: cpuLoads.map((load, cpu) => ({ cpu, load, stddev: 0 })) },
    assignments: irqs.map(([irq, load, from, to]) => ({
      irq,
      name: '',
      load,
      current: from,
      cpu: to,
      moved: from !== to,
      fixed: false,
      gain: load,
    })),
    moves: irqs.filter(([, , from, to]) => from !== to).map(([irq, , , to]) => ({ irq, cpu: to })),
  } as unknown as Plan;
}

describe('autopilot: only the moves the busiest CPU needs', () => {
  it('keeps the move that takes load off the busiest CPU and drops the one that evens out two others', () => {
    // CPU 0: IRQs 1 and 2 (100 each); CPU 1: IRQs 3 (60) and 4 (20); CPUs 2 and 3 idle. The plan
    // moves 2 to CPU 2 (the busiest drops from 200 to 100) and 4 to CPU 3 (CPU 1: 80 → 60).
    const p = plan(
      [200, 80, 0, 0],
      [
        ['1', 100, 0, 0],
        ['2', 100, 0, 2],
        ['3', 60, 1, 1],
        ['4', 20, 1, 3],
      ],
    );
    assert.equal(busiestAfter(p, p.moves), 100);
    const kept = pruneMoves(p, p.moves, () => false);
    assert.deepEqual(
      kept.map((m) => m.irq),
      ['2'],
    );
    assert.equal(busiestAfter(p, kept), 100);
  });

  it('keeps a forced move whatever it gains', () => {
    // IRQ 7 may not stay on CPU 0 (another node, say); moving it makes no CPU less busy.
    const p = plan([30, 50], [['7', 1, 0, 1]]);
    assert.deepEqual(
      pruneMoves(p, p.moves, (irq) => irq === '7').map((m) => m.irq),
      ['7'],
    );
    assert.deepEqual(
      pruneMoves(p, p.moves, () => false),
      [],
    );
  });
});
