import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextDeadline, Sampler } from '../../src/daemon/sampler.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

/** IRQ 30 rises by 100 on CPU0 at every read; `cost(n)` is how long the n-th read takes. */
function setup(cost: (n: number) => number = () => 0) {
  const clock = new FakeClock();
  const readsAt: number[] = [];
  let count = 0;
  const sampler = new Sampler({
    read: () => {
      readsAt.push(clock.monotonic());
      const text = `           CPU0       CPU1\n 30: ${String(count).padStart(10)}          0   PCI-MSI 30-edge      eth0\n`;
      clock.spend(cost(readsAt.length));
      count += 100;
      return text;
    },
    intervalMs: 1000,
    retentionMs: 600_000,
    clock,
  });
  return { clock, sampler, readsAt };
}

describe('sampler schedule', () => {
  it('keeps one sample per interval when every sample costs 300 ms (no drift)', () => {
    const { clock, sampler, readsAt } = setup(() => 300);
    sampler.start();
    const origin = clock.monotonic();
    clock.advance(100_000);
    sampler.stop();
    // The start-up read plus one per second: 100 s of deadlines, none lost to the reads' cost.
    assert.equal(readsAt.length, 101);
    assert.deepEqual(
      readsAt.slice(1),
      readsAt.slice(1).map((_, i) => origin + (i + 1) * 1000),
    );
    assert.equal(sampler.health().skipped, 0);
  });

  it('skips the deadlines an overrunning sample missed instead of bunching samples', () => {
    const { clock, sampler, readsAt } = setup((n) => (n === 3 ? 2500 : 0));
    sampler.start();
    const origin = clock.monotonic();
    clock.advance(10_000);
    sampler.stop();
    // Read 3 (at +2 s) ran until +4.5 s: the +3 s and +4 s deadlines are gone, the next is +5 s.
    assert.deepEqual(
      readsAt.map((t) => t - origin),
      [0, 1000, 2000, 5000, 6000, 7000, 8000, 9000, 10_000],
    );
    assert.equal(sampler.health().skipped, 2);
    for (let i = 2; i < readsAt.length; i++)
      assert.ok((readsAt[i] as number) - (readsAt[i - 1] as number) >= 1000);
  });

  it('keeps sampling and keeps windows whole when the wall clock steps back and forward', async () => {
    const { clock, sampler, readsAt } = setup();
    sampler.start();
    clock.advance(5000);
    clock.stepWall(-3_600_000);
    clock.advance(5000);
    clock.stepWall(+7_200_000);
    clock.advance(5000);
    sampler.stop();
    assert.equal(readsAt.length, 16);
    const w = await sampler.window(10_000, { wait: false, maxWaitMs: 0 });
    assert.equal(w.complete, true);
    assert.equal(w.seconds, 10);
    assert.equal(w.end - w.start, 10_000);
    assert.deepEqual(w.snapshot.rows.find((r) => r.label === '30')?.counts, [1000, 0]);
    assert.equal(sampler.health().historySeconds, 15);
    assert.equal(sampler.health().intervals, 15);
  });

  it('nextDeadline: the first grid point after both now and the last deadline', () => {
    assert.equal(nextDeadline(0, 1000, 0, null), 1000);
    assert.equal(nextDeadline(0, 1000, 999, 1000), 2000); // a timer fired 1 ms early
    assert.equal(nextDeadline(0, 1000, 1001, 1000), 2000);
    assert.equal(nextDeadline(0, 1000, 4500, 3000), 5000);
    assert.equal(nextDeadline(500, 1000, 500, null), 1500);
  });
});
