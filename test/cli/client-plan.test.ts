import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

interface Plan {
  window: { seconds: number; requestedSeconds: number };
  cpus: number[];
  numa: string;
  assignments: Array<{ irq: string; cpu: number; current: number | null; moved: boolean; fixed: boolean }>;
  moves: Array<{ irq: string; cpu: number }>;
  before: { cpus: Array<{ cpu: number; load: number }>; metrics: { makespan: number } };
  after: { metrics: { makespan: number; moves: number } };
  notes: string[];
}
interface ApplyDoc {
  plan: Plan;
  result: { ok: boolean; dryRun: boolean; outcomes: Array<{ irq: string; cpu: number; ok: boolean }> };
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
    const m = /^Moves: (\d+) of 20 IRQs$/m.exec(r.stdout);
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
    assert.equal(listed.length, 20);
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
      /CPU \d+ is not online \(IRQ_ERR_UNKNOWN_CPU\)/,
    );
    assertOneLineError(irqkit(['plan', '--tolerance', '200%']), 64, /--tolerance is at most 100%/);
    assertOneLineError(irqkit(['apply', '--dryrun']), 64, /did you mean --dry-run\?/);
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
    assert.match(text.stdout, /^Moves: \d+ of 20 IRQs$/m);
    assert.match(
      text.stdout,
      /^(Outcome\n\s*IRQ\s+CPU\s+BEFORE\s+AFFINITY\s+EFFECTIVE\s+RESULT|Nothing to move: every IRQ stays where it is\.)$/m,
    );
  });
});
