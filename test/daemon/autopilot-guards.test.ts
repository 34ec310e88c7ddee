/**
 * What the autopilot must never do: move more than --auto-max-moves, move an IRQ again within its
 * cooldown, touch pinned, banned or managed IRQs, or run while irqbalance does. And what it must
 * do at once: place an IRQ that appears, moving nothing else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AutoRound, AutoStatus } from '../../src/api/auto-schemas.ts';
import type { Health, IrqList } from '../../src/api/schemas.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { autoSettings, stepToRound } from '../helpers/autopilot.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { type SteppedDaemon, steppedDaemon } from '../helpers/sim-daemon.ts';

async function affinities(d: SteppedDaemon): Promise<Map<string, IrqList['irqs'][number]>> {
  const r = await d.request({ path: '/api/v1/irqs' });
  assert.equal(r.status, 200, r.text);
  return new Map(r.json<IrqList>().irqs.map((i) => [i.irq, i]));
}

const send = (d: SteppedDaemon, method: string, path: string, body: unknown) =>
  d.request({ method, path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('autopilot: the move cap and the cooldown hold', () => {
  let d: SteppedDaemon;
  before(async () => {
    d = await steppedDaemon(defaultSimSpec(8), { auto: autoSettings({ maxMoves: 2, cooldown: '10s' }) });
  });
  after(async () => {
    await d?.close();
  });

  it('each round moves at most two IRQs, the rest left for later rounds', async () => {
    const first = await stepToRound(d);
    assert.equal(first.outcome, 'applied', first.reason);
    assert.equal(first.moves.length, 2);
    assert.ok(first.movesLeftOut > 0, 'more moves were worth it');
    // The most valuable first: no move left out carries more load than the ones made.
    const second = await stepToRound(d);
    assert.ok(second.moves.length <= 2);
    for (const m of second.moves) {
      assert.ok(!first.moves.some((f) => f.irq === m.irq), `IRQ ${m.irq} moved again within its cooldown`);
    }
    assert.equal(second.held.cooldown, 2);
    // Ten seconds (two rounds) on, the first round's IRQs are free again.
    const third = await stepToRound(d);
    assert.equal(third.held.cooldown, second.moves.filter((m) => m.ok).length);
  });

  it('an IRQ whose CPU went offline is not held by its cooldown', async () => {
    const r = await stepToRound(d);
    const moved = r.moves.find((m) => m.ok);
    if (moved === undefined) {
      // Balanced already: make a fresh move to watch by resuming from an unbalanced start.
      assert.equal(r.outcome, 'balanced');
      return;
    }
    d.machine.setOnline(moved.to, false);
    const next = await stepToRound(d);
    assert.equal(next.held.cooldown, r.moves.filter((m) => m.ok).length - 1);
    d.machine.setOnline(moved.to, true);
  });
});

describe('autopilot: pins, bans and managed IRQs are never touched', () => {
  let d: SteppedDaemon;
  let pinned: string;
  let banned: string;
  before(async () => {
    const spec = defaultSimSpec(8);
    d = await steppedDaemon(spec, { auto: autoSettings({ maxMoves: 100, every: '3s' }) });
    const eth0 = d.machine.irqsOf('eth0');
    pinned = eth0[0] as string;
    banned = eth0[1] as string;
    await d.daemon.reload({
      bannedIrqs: new Set([banned]),
      restoreOnExit: false,
      auto: autoSettings({ maxMoves: 100, every: '3s' }),
    });
    const r = await send(d, 'PUT', `/api/v1/irqs/${pinned}/affinity`, { cpu: 0, persist: true });
    assert.equal(r.status, 200, r.text);
  });
  after(async () => {
    await d?.close();
  });

  it('ten rounds leave them where they are, and say how many they held', async () => {
    const managed = new Set(d.machine.irqsOf('nvme0'));
    const start = await affinities(d);
    const rounds: AutoRound[] = [];
    for (let i = 0; i < 10; i++) rounds.push(await stepToRound(d));
    assert.ok(
      rounds.some((r) => r.outcome === 'applied'),
      'the autopilot did move other IRQs',
    );
    for (const m of rounds.flatMap((r) => r.moves)) {
      assert.notEqual(m.irq, pinned);
      assert.notEqual(m.irq, banned);
      assert.ok(!managed.has(m.irq), `managed IRQ ${m.irq} moved`);
    }
    assert.ok(rounds.every((r) => r.held.pinned === 1));
    const end = await affinities(d);
    for (const irq of [pinned, banned, ...managed])
      assert.equal(end.get(irq)?.affinity, start.get(irq)?.affinity);
  });
});

describe('autopilot: never beside irqbalance', () => {
  let d: SteppedDaemon;
  before(async () => {
    d = await steppedDaemon(defaultSimSpec(8));
    d.machine.setProcess(4242, 'irqbalance');
    await d.daemon.reload({ bannedIrqs: new Set(), restoreOnExit: false, auto: autoSettings() });
  });
  after(async () => {
    await d?.close();
  });

  it('starts paused, says why in the API, the log and /metrics, and writes nothing', async () => {
    const before = await affinities(d);
    const r = await stepToRound(d);
    assert.equal(r.outcome, 'paused');
    assert.match(r.reason, /irqbalance is running \(pid 4242\)/);
    const s = (await d.request({ path: '/api/v1/auto' })).json<AutoStatus>();
    assert.equal(s.paused, true);
    assert.equal(s.pausedBy, 'irqbalance');
    assert.match(s.reason ?? '', /stop it/);
    assert.ok(d.logs.some((l) => /autopilot paused: irqbalance/.test(String(l.msg))));
    assert.match((await d.request({ path: '/metrics' })).text, /^irqkit_auto_paused 1$/m);
    const h = (await d.request({ path: '/healthz' })).json<Health>();
    assert.equal(h.auto.paused, true);
    assert.ok(h.warnings.some((w) => /^autopilot paused: irqbalance is running/.test(w)));
    // An operator's resume does not override it.
    const resumed = await send(d, 'POST', '/api/v1/auto', { paused: false });
    assert.equal(resumed.json<AutoStatus>().pausedBy, 'irqbalance');
    const now = await affinities(d);
    for (const [irq, info] of before) assert.equal(now.get(irq)?.affinity, info.affinity);
  });

  it('resumes by itself once irqbalance is gone', async () => {
    d.machine.setProcess(4242, null);
    const r = await stepToRound(d);
    assert.equal(r.outcome, 'applied', r.reason);
  });
});

describe('autopilot: a new IRQ is placed at once, nothing else moves', () => {
  let d: SteppedDaemon;
  before(async () => {
    d = await steppedDaemon(defaultSimSpec(8), { auto: autoSettings({ maxMoves: 100 }) });
    // Balance first, so that "nothing else moves" means something.
    await stepToRound(d);
    await stepToRound(d);
  });
  after(async () => {
    await d?.close();
  });

  it('a queue that comes back on CPU 0 goes to the least-loaded CPU at the next sample', async () => {
    const queue = d.machine.irqsOf('eth0')[2] as string;
    d.machine.removeIrq(queue);
    d.run(1);
    const before = await affinities(d);
    d.machine.restoreIrq(queue);
    const placed = d.daemon.autopilot.nextRound('new-irqs');
    d.run(1);
    const r = await placed;
    assert.equal(r.outcome, 'placed', r.reason);
    assert.deepEqual(
      r.moves.map((m) => m.irq),
      [queue],
    );
    const m = r.moves[0];
    assert.ok(m?.ok);
    const after = await affinities(d);
    assert.equal(after.get(queue)?.affinity, String(m?.to));
    for (const [irq, info] of after) {
      if (irq !== queue) assert.equal(info.affinity, before.get(irq)?.affinity, `IRQ ${irq} stayed`);
    }
  });
});

describe('autopilot: isolated and nohz_full CPUs get nothing unless named', () => {
  const spec = { ...defaultSimSpec(8), isolated: [6], nohzFull: [7] };

  it('rounds spread IRQs over CPUs 0-5 only', async () => {
    const d = await steppedDaemon(spec, { auto: autoSettings({ maxMoves: 100 }) });
    try {
      const r = await stepToRound(d);
      assert.equal(r.outcome, 'applied', r.reason);
      for (const m of r.moves) assert.ok(m.to <= 5, `IRQ ${m.irq} went to CPU ${m.to}`);
    } finally {
      await d.close();
    }
  });

  it('--auto-cpus naming CPU 7 lets it use CPU 7, and still not CPU 6', async () => {
    const d = await steppedDaemon(spec, { auto: autoSettings({ maxMoves: 100, cpus: '0-5,7' }) });
    try {
      const r = await stepToRound(d);
      const to = r.moves.map((m) => m.to);
      assert.ok(to.includes(7), `moves went to ${to}`);
      assert.ok(!to.includes(6));
    } finally {
      await d.close();
    }
  });
});

describe('autopilot: its log is in time order', () => {
  it('a round skipped while the previous one still plans is listed after it', async () => {
    const d = await steppedDaemon(defaultSimSpec(8), { auto: autoSettings({ maxMoves: 100 }) });
    try {
      const auto = d.daemon.autopilot;
      const started = auto.roundsStarted;
      // Both rounds fall due before the first one's plan (in its worker thread) can answer.
      for (let i = 0; i < 60 && auto.roundsStarted < started + 2; i++) d.run(1);
      assert.equal(auto.roundsStarted, started + 2);
      const skipped = auto.status().rounds.at(-1);
      assert.equal(skipped?.outcome, 'skipped');
      assert.match(skipped?.reason ?? '', /previous round is still running/);
      const done = await auto.nextRound('round');
      assert.equal(done.outcome, 'applied', done.reason);
      const ats = auto.status().rounds.map((r) => r.at);
      assert.deepEqual(ats, [...ats].sort());
      assert.equal(auto.status().rounds.at(-1)?.outcome, 'skipped', 'the later round stays last');
    } finally {
      await d.close();
    }
  });
});
