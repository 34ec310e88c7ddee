import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlanApplyResult as ApplyDoc, Plan } from '../../src/api/schemas.ts';
import { parseCpuList } from '../../src/core/cpuset.ts';
import {
  assertOneLineError,
  cells,
  getJson,
  type Irqkit,
  irqkitAt,
  num,
  rowOf,
} from '../helpers/client-cli.ts';
import { type DaemonProcess, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

/**
 * The machine's 21 numbered IRQs less those idle in the window: the 1/s timer's Poisson traffic
 * leaves it without interrupts in some 1 s windows, and idle IRQs are not planned.
 */
function irqsPlanned(stdout: string): number {
  const idle = /^idle\s+(\d+) IRQs? had no interrupts/m.exec(stdout);
  return 21 - (idle ? Number(idle[1]) : 0);
}

describe('irqkit plan and irqkit apply against a real irqkitd', () => {
  let d: DaemonProcess;
  let irqkit: Irqkit;
  before(async () => {
    d = await startDaemon(simArgs('8cpu,2node'));
    irqkit = irqkitAt(d);
    await getJson(d, '/api/v1/cpus?window=1s');
  });
  after(async () => {
    await d?.stop();
  });

  it('plan: the moves, per-CPU loads before and after, and the metrics', async () => {
    const r = irqkit(['plan', '--window', '1s'], { COLUMNS: '120' });
    const cpus = await getJson<{ cpus: Array<{ cpu: number; interrupts: number }> }>(
      d,
      '/api/v1/cpus?window=1s',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Plan on the interrupts from \S+ to \S+ \(\d\.\d\d s\)$/m);
    assert.match(r.stdout, /^CPUs 0-7, NUMA prefer, method \S+$/m);
    const m = new RegExp(`^Moves: (\\d+) of ${irqsPlanned(r.stdout)} IRQs$`, 'm').exec(r.stdout);
    assert.ok(m, r.stdout);
    const moves = Number(m[1]);
    assert.ok(moves > 0, 'every movable IRQ starts on CPU 0, so something moves');
    assert.equal(r.stdout.split('\n').filter((l) => /\smove$/.test(l)).length, moves);
    assert.match(r.stdout, new RegExp(`^moves\\s+${moves}\\b`, 'm'));
    // BEFORE is what each CPU really serviced in the window: /api/v1/cpus counts the same.
    for (const c of cpus.cpus) {
      const before = num(cells(rowOf(r.stdout, `CPU${c.cpu}`) ?? '')[1]);
      assert.ok(
        Math.abs(before - c.interrupts) <= c.interrupts * 0.25 + 50,
        `CPU${c.cpu}: ${before} vs ${c.interrupts}`,
      );
    }
    // Each load with its measuring noise: ±stddev, at least the Poisson floor √load.
    for (const c of cpus.cpus) {
      const row = cells(rowOf(r.stdout, `CPU${c.cpu}`) ?? '');
      const load = num(row[1]);
      assert.match(row[2] ?? '', /^±[\d,]+$/, `CPU${c.cpu} BEFORE ±: ${row.join(' | ')}`);
      assert.ok(num(row[2]?.slice(1)) >= Math.floor(Math.sqrt(load)), `CPU${c.cpu}: ${row.join(' | ')}`);
      assert.match(row[5] ?? '', /^±[\d,]+$/, `CPU${c.cpu} AFTER ±: ${row.join(' | ')}`);
    }
    assert.match(
      r.stdout,
      /^margin\s+±[\d,]+ on the busiest CPU \(2 standard errors of a difference\): loads closer than that count as equal$/m,
    );
    // Each move with what it gains, more than its pair's margin.
    const header = r.stdout.split('\n').find((l) => /^\s*IRQ\s+NAME/.test(l)) ?? '';
    assert.deepEqual(cells(header), ['IRQ', 'NAME', 'LOAD', 'FROM', 'TO', 'GAIN', 'MARGIN', 'ALLOWED']);
    for (const line of r.stdout.split('\n').filter((l) => /\smove$/.test(l))) {
      const [, , , , , gain, margin] = cells(line);
      if (/must move$/.test(line)) {
        // Off a CPU outside its allowed set (another NUMA node): no home to weigh a gain against.
        const [, , , from, , , , allowed] = cells(line);
        assert.equal(gain, '-', line);
        assert.ok(!parseCpuList(allowed ?? '').includes(Number(from?.replace('CPU', ''))), line);
        continue;
      }
      assert.ok(num(gain) > num(margin), `gain above margin: ${line}`);
    }
    const makespan = cells(rowOf(r.stdout, 'busiest') ?? '');
    assert.ok(
      num(makespan[2]) < num(makespan[1]),
      `the plan lowers the busiest CPU's load: ${makespan.join(' | ')}`,
    );
    assert.match(r.stdout, /^fixed\s+8 IRQs stay where they are/m);
  });

  it('plan --json is the daemon plan; --all lists every IRQ', () => {
    const r = irqkit(['plan', '--window', '1s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout) as Plan;
    assert.equal(p.window.requestedSeconds, 1);
    assert.deepEqual(
      p.moves.map((x) => x.irq),
      p.assignments.filter((a) => a.moved).map((a) => a.irq),
    );
    assert.equal(p.after.metrics.moves, p.moves.length);
    const all = irqkit(['plan', '--window', '1s', '--all']);
    assert.equal(all.code, 0, all.stderr);
    const listed = all.stdout.split('\n').filter((l) => /^\s*\d+\s+\S+\s+[\d,]+\s+CPU\d/.test(l));
    assert.equal(listed.length, irqsPlanned(all.stdout));
    assert.equal(listed.filter((l) => /\sfixed$/.test(l)).length, 8);
  });

  it('plan --cpus and --numa strict reach the daemon; its notes are printed', () => {
    const j = JSON.parse(
      irqkit(['plan', '--window', '1s', '--cpus', '0-3', '--numa', 'strict', '--tolerance', '5%', '--json'])
        .stdout,
    ) as Plan;
    assert.deepEqual(j.cpus, [0, 1, 2, 3]);
    assert.equal(j.numa, 'strict');
    assert.ok(j.notes.some((n) => /NUMA node 1 has no planned CPU/.test(n)));
    assert.ok(j.assignments.filter((a) => !a.fixed).every((a) => a.cpu <= 3));
    const text = irqkit(['plan', '--window', '1s', '--cpus', '0-3', '--numa', 'strict']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^note: IRQ 40: NUMA node 1 has no planned CPU; left where it is$/m);
  });

  it('bad plan options are usage errors (64), checked here or by the daemon', () => {
    assertOneLineError(
      irqkit(['plan', '--numa', 'strct']),
      64,
      /--numa takes strict, prefer or ignore, not 'strct' \(did you mean strict\?\)/,
    );
    assertOneLineError(
      irqkit(['plan', '--window', '1s', '--cpus', '0-11']),
      64,
      /CPU \d+ does not exist; the online CPUs are 0-7 \(IRQ_ERR_UNKNOWN_CPU\)/,
    );
    assertOneLineError(irqkit(['plan', '--tolerance', '200%']), 64, /--tolerance is at most 100%/);
    assertOneLineError(irqkit(['apply', '--dryrun']), 64, /did you mean --dry-run\?/);
  });

  it('--confidence and --max-moves reach the daemon; bad values are usage errors', () => {
    const j = JSON.parse(
      irqkit(['plan', '--window', '1s', '--confidence', '3', '--max-moves', '1', '--json']).stdout,
    ) as Plan;
    assert.equal(j.noise.confidence, 3);
    const forced = j.assignments.filter(
      (a) =>
        a.moved &&
        a.current !== null &&
        a.allowed !== undefined &&
        !parseCpuList(a.allowed).includes(a.current),
    );
    assert.equal(
      j.moves.length - forced.length,
      1,
      'the most valuable move only, besides moves off forbidden CPUs',
    );
    assert.ok(j.noise.movesDropped > 0);
    const text = irqkit(['plan', '--window', '1s', '--max-moves', '1']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^moves\s+\d+ \(\d+ more left out by --max-moves\)/m);
    const exact = JSON.parse(irqkit(['plan', '--window', '1s', '--confidence=0', '--json']).stdout) as Plan;
    assert.equal(exact.noise.makespanMargin, 0);
    assertOneLineError(
      irqkit(['plan', '--confidence=-1']),
      64,
      /--confidence takes a number of standard errors from 0 \(exact\) to 10, e\.g\. 2, not '-1'/,
    );
    assertOneLineError(irqkit(['plan', '--confidence', '11']), 64, /--confidence takes .* not '11'/);
    assertOneLineError(
      irqkit(['apply', '--max-moves', '1.5']),
      64,
      /--max-moves takes a whole number, 0 or more, not '1\.5'/,
    );
  });

  it('nothing worth moving: plan and apply say so and exit 0; apply writes nothing', () => {
    // On CPU 0 alone, where every movable IRQ still is, no move can gain anything.
    const p = irqkit(['plan', '--window', '1s', '--cpus', '0', '--numa', 'ignore']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, new RegExp(`^Moves: 0 of ${irqsPlanned(p.stdout)} IRQs$`, 'm'));
    assert.match(
      p.stdout,
      /^Nothing worth moving: no move would lower the busier of its two CPUs by more than the noise margin\.$/m,
    );
    assert.doesNotMatch(p.stdout, /To apply/);
    const a = irqkit(['apply', '--window', '1s', '--cpus', '0', '--numa', 'ignore']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^Nothing worth moving: /m);
    assert.match(a.stdout, /^Nothing was written: every IRQ stays where it is\.$/m);
    assert.doesNotMatch(a.stdout, /^Outcome$/m);
    const j = JSON.parse(
      irqkit(['apply', '--window', '1s', '--cpus', '0', '--numa', 'ignore', '--dry-run', '--json']).stdout,
    ) as ApplyDoc;
    assert.equal(j.plan.nothingWorthMoving, true);
    assert.deepEqual(j.result.outcomes, []);
  });

  it('apply --dry-run checks the moves and writes nothing', () => {
    const r = irqkit(['apply', '--window', '1s', '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as ApplyDoc;
    assert.equal(j.result.dryRun, true);
    assert.ok(j.plan.moves.length > 0);
    for (const mv of j.plan.moves) {
      assert.notEqual(d.irqFile(mv.irq, 'smp_affinity_list'), String(mv.cpu), `IRQ ${mv.irq} was written`);
    }
  });

  it('apply moves the IRQs as planned; the kernel files agree', () => {
    const r = irqkit(['apply', '--window', '1s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as ApplyDoc;
    assert.equal(j.result.ok, true);
    assert.deepEqual(
      j.result.outcomes.map((o) => o.irq),
      j.plan.moves.map((mv) => mv.irq),
    );
    for (const mv of j.plan.moves) assert.equal(d.irqFile(mv.irq, 'smp_affinity_list'), String(mv.cpu));

    // Text: the plan, then each move's outcome (or that nothing is left to move).
    const text = irqkit(['apply', '--window', '1s']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Moves: \\d+ of ${irqsPlanned(text.stdout)} IRQs$`, 'm'));
    assert.match(
      text.stdout,
      /^(Outcome\n\s*IRQ\s+CPU\s+BEFORE\s+AFFINITY\s+EFFECTIVE\s+RESULT|Nothing was written: every IRQ stays where it is\.)$/m,
    );
  });
});
