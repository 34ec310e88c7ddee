/**
 * The autopilot on a simulated machine stepped by the test: rounds fall due on the sampler's
 * clock, so "five seconds later" is exact whatever the host's load.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AutoRound, AutoStatus } from '../../src/api/auto-schemas.ts';
import type { PinsDoc } from '../../src/api/pin-schemas.ts';
import type { IrqList } from '../../src/api/schemas.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { autoSettings, stepToRound } from '../helpers/autopilot.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { type SteppedDaemon, steppedDaemon } from '../helpers/sim-daemon.ts';

async function irqs(d: SteppedDaemon): Promise<IrqList['irqs']> {
  const r = await d.request({ path: '/api/v1/irqs' });
  assert.equal(r.status, 200, r.text);
  return r.json<IrqList>().irqs;
}

async function status(d: SteppedDaemon): Promise<AutoStatus> {
  const r = await d.request({ path: '/api/v1/auto' });
  assert.equal(r.status, 200, r.text);
  return r.json<AutoStatus>();
}

const post = (d: SteppedDaemon, path: string, body: unknown) =>
  d.request({
    method: 'POST',
    path,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

describe('autopilot: from every IRQ on CPU 0 to balanced, then still', () => {
  let d: SteppedDaemon;
  let first: AutoRound;
  before(async () => {
    d = await steppedDaemon(defaultSimSpec(8));
    // Not enabled at start: the test turns it on through a reload, as SIGHUP does.
  });
  after(async () => {
    await d?.close();
  });

  it('is off without --auto, says how to turn it on, and refuses pause with 409 IRQ_ERR_AUTO_OFF', async () => {
    const s = await status(d);
    assert.equal(s.enabled, false);
    assert.match(s.reason ?? '', /--auto/);
    const r = await post(d, '/api/v1/auto', { paused: true });
    assert.equal(r.status, 409);
    assert.equal(r.json<{ code: string }>().code, 'IRQ_ERR_AUTO_OFF');
  });

  it('the first round moves IRQs off CPU 0 in one batch and predicts a less busy busiest CPU', async () => {
    await d.daemon.reload({
      bannedIrqs: new Set(),
      restoreOnExit: false,
      auto: autoSettings({ maxMoves: 100 }),
    });
    d.run(1);
    first = await stepToRound(d);
    assert.equal(first.outcome, 'applied', first.reason);
    assert.ok(first.moves.length > 0);
    assert.ok(first.moves.every((m) => m.ok && m.from === 0 && m.to !== 0));
    assert.ok((first.busiestAfter ?? 0) < (first.busiestBefore ?? 0) - (first.margin ?? 0));
    const now = new Map((await irqs(d)).map((i) => [i.irq, i]));
    for (const m of first.moves) assert.equal(now.get(m.irq)?.affinity, String(m.to));
    // Managed IRQs (nvme0) are never in a round's moves.
    for (const m of first.moves) assert.equal(now.get(m.irq)?.managed, false);
  });

  it('once balanced, twenty rounds of the same traffic move nothing', async () => {
    // Let the cooldown of the first round's moves pass, and the traffic settle on the new CPUs.
    const settled: AutoRound[] = [];
    for (let i = 0; i < 3; i++) settled.push(await stepToRound(d));
    // What the first round predicted is what the next window measured.
    const measured = settled[0]?.busiestBefore ?? 0;
    const predicted = first.busiestAfter ?? 0;
    assert.ok(
      Math.abs(measured - predicted) <= 0.1 * predicted,
      `measured ${measured}/s, predicted ${predicted}/s`,
    );
    const rounds: AutoRound[] = [];
    for (let i = 0; i < 20; i++) rounds.push(await stepToRound(d));
    const moved = rounds.flatMap((r) => r.moves);
    assert.deepEqual(
      moved.map((m) => `${m.irq}->${m.to}`),
      [],
      rounds.map((r) => `${r.outcome}: ${r.reason}`).join('\n'),
    );
    assert.ok(rounds.every((r) => r.outcome === 'balanced'));
    // Its metrics count them.
    const m = (await d.request({ path: '/metrics' })).text;
    assert.match(m, /^irqkit_auto_rounds_total\{outcome="balanced"\} (\d+)$/m);
    const balanced = Number(/^irqkit_auto_rounds_total\{outcome="balanced"\} (\d+)$/m.exec(m)?.[1]);
    assert.ok(balanced >= 20);
    const moves = Number(/^irqkit_auto_moves_total (\d+)$/m.exec(m)?.[1]);
    assert.equal(moves, first.moves.length + settled.flatMap((r) => r.moves).filter((x) => x.ok).length);
  });

  it('an operator pause holds every round until resumed; restore puts every move back', async () => {
    const paused = await post(d, '/api/v1/auto', { paused: true });
    assert.equal(paused.status, 200, paused.text);
    assert.equal(paused.json<AutoStatus>().pausedBy, 'operator');
    const r = await stepToRound(d);
    assert.equal(r.outcome, 'paused');
    assert.match(r.reason, /irqkit auto resume/);
    const resumed = await post(d, '/api/v1/auto', { paused: false });
    assert.equal(resumed.json<AutoStatus>().paused, false);

    const restore = await post(d, '/api/v1/restore', {});
    assert.equal(restore.status, 200, restore.text);
    const now = new Map((await irqs(d)).map((i) => [i.irq, i]));
    for (const m of first.moves) assert.equal(now.get(m.irq)?.affinity, '0', `IRQ ${m.irq} is back on CPU 0`);
    const pins = (await d.request({ path: '/api/v1/pins' })).json<PinsDoc>();
    assert.deepEqual(pins.originals, []);
  });
});

describe('autopilot: load that moves to other devices is rebalanced within two rounds', () => {
  let d: SteppedDaemon;
  before(async () => {
    // Three NICs of four even queues on eight CPUs, one node: eth0 busiest at first.
    const nic = (name: string, slot: number, rate: number) => ({
      name,
      pci: `0000:0${slot}:00.0`,
      queues: 4,
      rate,
    });
    d = await steppedDaemon(
      {
        cpus: 8,
        seed: 7,
        uptime: 60,
        devices: [nic('eth0', 1, 80_000), nic('eth1', 2, 20_000), nic('eth2', 3, 8_000)],
      },
      { auto: autoSettings({ maxMoves: 100 }) },
    );
  });
  after(async () => {
    await d?.close();
  });

  /** The round after `rounds` more: its window is what the machine did after them. */
  async function settle(rounds: number): Promise<AutoRound> {
    for (let i = 0; i < rounds; i++) await stepToRound(d);
    return stepToRound(d);
  }

  const nearBest = (r: AutoRound): void => {
    const best = r.lowerBound ?? 0;
    assert.ok(
      (r.busiestBefore ?? 0) <= best * 1.1 + (r.margin ?? 0),
      `busiest ${r.busiestBefore}/s against at best ${best}/s (margin ${r.margin}/s)`,
    );
  };

  it('phase A: eth0 busiest, balanced within two rounds', async () => {
    nearBest(await settle(2));
  });

  it('phase B: the load moves to eth2 and eth1; two rounds later the busiest CPU is near the best again', async () => {
    d.machine.setDeviceRate('eth0', 4_000);
    d.machine.setDeviceRate('eth1', 30_000);
    d.machine.setDeviceRate('eth2', 80_000);
    const first = await stepToRound(d);
    assert.equal(first.outcome, 'applied', first.reason);
    // The change came right after a round, so this round planned on the new traffic alone.
    nearBest(await settle(2));
  });
});
