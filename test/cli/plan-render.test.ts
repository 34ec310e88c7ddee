/**
 * How `irqkit plan` prints a plan's noise: each move's gain and margin, loads ± their standard
 * deviation, the margin, moves left out by --max-moves, and "Nothing worth moving". The plans are
 * built here (checked against the API's Plan schema) so every case is shown, whatever the
 * daemon's planner would propose for a given machine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Plan } from '../../src/api/schemas.ts';
import { pickStyle } from '../../src/cli/render/color.ts';
import { renderPlan } from '../../src/cli/render/plan.ts';
import { conforms } from '../helpers/api-assert.ts';
import { cells, num, rowOf } from '../helpers/client-cli.ts';

const plain = pickStyle({}, false, true);

const metrics = (loads: number[]) => {
  const total = loads.reduce((a, b) => a + b, 0);
  const mean = total / loads.length;
  const max = Math.max(...loads);
  const min = Math.min(...loads);
  return {
    makespan: max,
    lowerBound: 60_000,
    gap: max - 60_000,
    gapPercent: ((max - 60_000) / 60_000) * 100,
    total,
    mean,
    min,
    peakToAverage: max / mean,
    spread: (max - min) / mean,
    cv: 0.5,
  };
};

/** Two CPUs: IRQ 24 moves from CPU 0 to CPU 1 (gain 40,000, margin 1,200); IRQ 25 stays. */
function twoCpuPlan(over: Partial<Plan> = {}): Plan {
  const moved = !over.nothingWorthMoving;
  const plan: Plan = {
    window: {
      start: '2026-12-05T10:00:00.000Z',
      end: '2026-12-05T10:00:10.000Z',
      seconds: 10,
      complete: true,
      requestedSeconds: 10,
    },
    cpus: [0, 1],
    numa: 'prefer',
    assignments: [
      {
        irq: '24',
        name: 'eth0-TxRx-0',
        load: 40_000,
        current: 0,
        cpu: moved ? 1 : 0,
        moved,
        fixed: false,
        ...(moved ? { gain: 40_000, margin: 1_200 } : {}),
      },
      { irq: '25', name: 'eth0-TxRx-1', load: 60_000, current: 0, cpu: 0, moved: false, fixed: false },
    ],
    moves: moved ? [{ irq: '24', cpu: 1 }] : [],
    pins: [],
    before: {
      cpus: [
        { cpu: 0, load: 100_000, stddev: 420 },
        { cpu: 1, load: 0, stddev: 0 },
      ],
      metrics: metrics([100_000, 0]),
    },
    after: {
      cpus: [
        { cpu: 0, load: 60_000, share: 0.6, irqs: 1, stddev: 330 },
        { cpu: 1, load: 40_000, share: 0.4, irqs: 1, stddev: 260 },
      ],
      metrics: {
        ...metrics([60_000, 40_000]),
        provenOptimal: true,
        bestMakespan: 60_000,
        moves: moved ? 1 : 0,
        tolerance: 0,
      },
    },
    noise: { confidence: 2, exact: false, makespanMargin: 933.4, movesDropped: 0 },
    nothingWorthMoving: false,
    idle: [],
    method: 'lpt',
    baselines: { roundRobin: 60_000, lpt: 60_000, kk: 60_000 },
    search: { units: 10, stoppedBy: 'bound' },
    notes: [],
    topology: { online: '0-1', isolated: '', nohzFull: '', nodes: [{ node: 0, cpus: '0-1' }] },
    ...over,
  };
  return conforms(Plan, plan, 'fixture');
}

const render = (p: Plan, all = false): string => renderPlan(p, plain, { all, columns: 120 });

describe('irqkit plan output: gains, margins and the noise of each load', () => {
  it('lists each move with its gain and its margin', () => {
    const out = render(twoCpuPlan());
    const header = out.split('\n').find((l) => /^\s*IRQ\s+NAME/.test(l)) ?? '';
    assert.deepEqual(cells(header), ['IRQ', 'NAME', 'LOAD', 'FROM', 'TO', 'GAIN', 'MARGIN', 'ALLOWED']);
    assert.deepEqual(cells(rowOf(out, '24') ?? ''), [
      '24',
      'eth0-TxRx-0',
      '40,000',
      'CPU0',
      'CPU1',
      '40,000',
      '1,200',
      'move',
    ]);
    // With --all, IRQs that stay have no gain to show.
    assert.deepEqual(cells(rowOf(render(twoCpuPlan(), true), '25') ?? ''), [
      '25',
      'eth0-TxRx-1',
      '60,000',
      'CPU0',
      'CPU0',
    ]);
  });

  it('shows every CPU load before and after ± one standard deviation', () => {
    const out = render(twoCpuPlan());
    assert.match(
      out,
      /^Per-CPU load \(interrupts in the window ± one standard deviation; after = predicted\)$/m,
    );
    const cpu0 = cells(rowOf(out, 'CPU0') ?? '');
    assert.deepEqual([cpu0[1], cpu0[2], cpu0[4], cpu0[5]], ['100,000', '±420', '60,000', '±330']);
    const cpu1 = cells(rowOf(out, 'CPU1') ?? '');
    assert.equal(num(cpu1[1]), 0);
    assert.equal(cpu1[2], '±0');
  });

  it('states the margin, exact plans and --confidence 0 included', () => {
    assert.match(
      render(twoCpuPlan()),
      /^margin {7}±933 on the busiest CPU \(2 standard errors of a difference\): loads closer than that count as equal$/m,
    );
    const exact = twoCpuPlan({ noise: { confidence: 2, exact: true, makespanMargin: 0, movesDropped: 0 } });
    assert.match(render(exact), /^margin {7}0: the loads are exact, and so is the plan$/m);
    const zero = twoCpuPlan({ noise: { confidence: 0, exact: false, makespanMargin: 0, movesDropped: 0 } });
    assert.match(render(zero), /^margin {7}0 \(--confidence 0\): the measured loads are taken as exact$/m);
  });

  it('says how many moves --max-moves left out', () => {
    const capped = twoCpuPlan({
      noise: { confidence: 2, exact: false, makespanMargin: 933, movesDropped: 3 },
    });
    assert.match(render(capped), /^moves {8}1 \(3 more left out by --max-moves\); proven optimal$/m);
    assert.doesNotMatch(render(capped), /Nothing worth moving/);
  });

  it('answers "Nothing worth moving" when nothing gains more than the margin', () => {
    const out = render(twoCpuPlan({ nothingWorthMoving: true }));
    assert.match(
      out,
      /^Moves: 0 of 2 IRQs\nNothing worth moving: no move would lower the busier of its two CPUs by more than the noise margin\.$/m,
    );
    assert.doesNotMatch(out, /^\s*IRQ\s+NAME/m, 'no empty moves table');
    const exact = render(
      twoCpuPlan({
        nothingWorthMoving: true,
        noise: { confidence: 2, exact: true, makespanMargin: 0, movesDropped: 0 },
      }),
    );
    assert.match(exact, /^Nothing worth moving: no move would lower the busier of its two CPUs\.$/m);
    assert.doesNotMatch(render(twoCpuPlan()), /Nothing worth moving/);
  });
});
