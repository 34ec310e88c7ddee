import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sampler } from '../../src/daemon/sampler.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

/** A tiny machine whose counters the test sets: IRQ 30 rises by `rate` per second on `cpu`. */
function machine() {
  const counts: Record<string, [number, number]> = { '30': [0, 0], '31': [0, 0] };
  let loc: [number, number] = [0, 0];
  return {
    counts,
    bump(irq: string, cpu: 0 | 1, n: number): void {
      const c = counts[irq] as [number, number];
      c[cpu] = (c[cpu] + n) % 2 ** 32;
      loc = [loc[0] + 1, loc[1] + 1];
    },
    text(): string {
      const line = (irq: string, name: string) =>
        `${irq.padStart(3)}: ${(counts[irq] as [number, number]).map((c) => String(c).padStart(10)).join(' ')}   PCI-MSI ${irq}-edge      ${name}\n`;
      return `           CPU0       CPU1\n${line('30', 'eth0-rx')}${line('31', 'eth0-tx')}LOC: ${loc.map((c) => String(c).padStart(10)).join(' ')}   Local timer interrupts\nERR:          0\n`;
    },
  };
}

function setup(retentionMs = 60_000) {
  const clock = new FakeClock();
  const m = machine();
  const sampler = new Sampler({ read: () => m.text(), intervalMs: 1000, retentionMs, clock });
  return { clock, m, sampler };
}

describe('sampler windows', () => {
  it('answers a 5 s window at once from history, with its real start, end and length', async () => {
    const { clock, m, sampler } = setup();
    sampler.start();
    const t0 = clock.now();
    for (let s = 0; s < 10; s++) {
      m.bump('30', s < 5 ? 0 : 1, 100); // first 5 s on CPU0, last 5 s on CPU1
      m.bump('31', 0, 10);
      clock.advance(1000);
    }
    const w = await sampler.window(5000, { wait: true, maxWaitMs: 0 });
    assert.equal(w.complete, true);
    assert.equal(w.seconds, 5);
    assert.equal(w.start, t0 + 5000);
    assert.equal(w.end, t0 + 10_000);
    const irq30 = w.snapshot.rows.find((r) => r.label === '30');
    assert.deepEqual(irq30?.counts, [0, 500]);
    assert.deepEqual(w.snapshot.rows.find((r) => r.label === '31')?.counts, [50, 0]);
    const all = await sampler.window(10_000, { wait: false, maxWaitMs: 0 });
    assert.deepEqual(all.snapshot.rows.find((r) => r.label === '30')?.counts, [500, 500]);
    sampler.stop();
  });

  it('undoes a 32-bit wrap inside the window', async () => {
    const { clock, m, sampler } = setup();
    m.counts['30'] = [2 ** 32 - 50, 0];
    sampler.start();
    m.bump('30', 0, 80);
    clock.advance(1000);
    m.bump('30', 0, 80);
    clock.advance(1000);
    const w = await sampler.window(2000, { wait: false, maxWaitMs: 0 });
    assert.deepEqual(w.snapshot.rows.find((r) => r.label === '30')?.counts, [160, 0]);
    assert.equal(w.wraps, 1);
    sampler.stop();
  });

  it('with wait=false answers with the shorter history it has and says it is incomplete', async () => {
    const { clock, m, sampler } = setup();
    sampler.start();
    m.bump('30', 0, 7);
    clock.advance(1000);
    const w = await sampler.window(30_000, { wait: false, maxWaitMs: 0 });
    assert.equal(w.complete, false);
    assert.equal(w.seconds, 1);
    assert.equal(w.snapshot.rows.find((r) => r.label === '30')?.total, 7);
    sampler.stop();
  });

  it('with wait=true waits for enough history, then answers; health counts the queries waiting', async () => {
    const { clock, m, sampler } = setup();
    sampler.start();
    assert.equal(sampler.health().waiting, 0);
    const pending = sampler.window(3000, { wait: true, maxWaitMs: 10_000 });
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    for (let s = 0; s < 2; s++) {
      m.bump('30', 1, 1);
      clock.advance(1000);
      await Promise.resolve();
    }
    assert.equal(settled, false, 'two seconds of history do not make a 3 s window');
    assert.equal(sampler.health().waiting, 1);
    m.bump('30', 1, 1);
    clock.advance(1000);
    const w = await pending;
    assert.equal(sampler.health().waiting, 0);
    assert.equal(w.complete, true);
    assert.equal(w.seconds, 3);
    assert.deepEqual(w.snapshot.rows.find((r) => r.label === '30')?.counts, [0, 3]);
    sampler.stop();
  });

  it('forgets intervals older than the retention and refuses longer windows', async () => {
    const { clock, m, sampler } = setup(5000);
    sampler.start();
    for (let s = 0; s < 20; s++) {
      m.bump('30', 0, 1);
      clock.advance(1000);
    }
    assert.ok(sampler.health().historySeconds <= 5);
    assert.equal(sampler.health().intervals, 5, 'one interval per second of the 5 s kept');
    await assert.rejects(sampler.window(6000, { wait: false, maxWaitMs: 0 }), { code: 'IRQ_ERR_USAGE' });
    sampler.stop();
  });

  it('keeps sampling after a read fails, and reports the failure in health', async () => {
    const clock = new FakeClock();
    const m = machine();
    let broken = false;
    const sampler = new Sampler({
      read: () => {
        if (broken) throw new Error('EIO');
        return m.text();
      },
      intervalMs: 1000,
      retentionMs: 60_000,
      clock,
    });
    sampler.start();
    broken = true;
    clock.advance(2000);
    assert.equal(sampler.health().lastError?.code, 'IRQ_ERR_FILE_READ');
    assert.equal(sampler.health().failures, 2);
    broken = false;
    m.bump('30', 0, 5);
    clock.advance(1000);
    assert.equal(sampler.health().samples, 2);
    assert.equal(sampler.health().failures, 2, 'a good read is not a failure');
    const w = await sampler.window(3000, { wait: false, maxWaitMs: 0 });
    assert.equal(w.snapshot.rows.find((r) => r.label === '30')?.total, 5);
    sampler.stop();
  });
});
