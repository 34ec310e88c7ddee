/**
 * readIrqInfos reads many IRQs in slices with turns of the event loop between them, so a
 * 2,000-IRQ machine's /irqs or plan does not hold requests and samples for 300 ms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrqkitError } from '../../src/core/errors.ts';
import { readIrqInfos } from '../../src/io/irq-info-slices.ts';
import type { IrqInfo } from '../../src/io/system.ts';

const info = (irq: string): IrqInfo => ({
  irq,
  affinity: [0],
  effective: null,
  node: null,
  hint: null,
  managed: false,
  actions: [],
  device: null,
});

/** A system whose every irqInfo costs `costMs` of a fake clock, recording what ran when. */
function slowSystem(costMs: number, events: string[], fail: Record<string, Error> = {}) {
  let t = 0;
  return {
    now: () => t,
    system: {
      irqInfo(irq: string): IrqInfo {
        t += costMs;
        events.push(irq);
        const e = fail[irq];
        if (e) throw e;
        return info(irq);
      },
    },
  };
}

const irqs = Array.from({ length: 10 }, (_, i) => String(i));

describe('readIrqInfos', () => {
  it('gives the event loop a turn whenever a slice has used its milliseconds', async () => {
    const events: string[] = [];
    const { system, now } = slowSystem(3, events);
    // Something else waiting for the loop (a request, a sample) runs between slices.
    const other = (): void => {
      events.push('other');
      if (events.length < 30) setImmediate(other);
    };
    setImmediate(other);
    const got = await readIrqInfos(system, irqs, { sliceMs: 10, now });
    assert.deepEqual(
      got.map((i) => i?.irq),
      irqs,
    );
    // 3 ms each: four reads reach 12 ms ≥ 10, then the loop turns.
    const reads = events
      .join(' ')
      .split('other')
      .map(
        (s) =>
          s
            .trim()
            .split(' ')
            .filter((x) => x !== '').length,
      );
    assert.ok(Math.max(...reads) <= 4, events.join(' '));
    assert.ok(events.indexOf('other') < events.indexOf('9'), 'the other work ran before the last read');
  });

  it('with a slice longer than the whole read, reads everything in one go', async () => {
    const events: string[] = [];
    const { system, now } = slowSystem(1, events);
    setImmediate(() => events.push('other'));
    await readIrqInfos(system, irqs, { sliceMs: 1000, now });
    assert.deepEqual(events.slice(0, 10), irqs);
  });

  it('an IRQ that went away gives null; another failure fails the read, unless told to skip any', async () => {
    const gone = new IrqkitError('IRQ_ERR_UNKNOWN_IRQ', 'IRQ 3 does not exist');
    const denied = new IrqkitError('IRQ_ERR_PERMISSION', 'cannot read /proc/irq/5/node');
    const a = slowSystem(1, [], { '3': gone });
    const got = await readIrqInfos(a.system, irqs, { now: a.now });
    assert.equal(got[3], null);
    assert.equal(got.filter((i) => i === null).length, 1);
    const b = slowSystem(1, [], { '5': denied });
    await assert.rejects(readIrqInfos(b.system, irqs, { now: b.now }), (e) => e === denied);
    const c = slowSystem(1, [], { '5': denied });
    const skipped = await readIrqInfos(c.system, irqs, { now: c.now, skip: 'any' });
    assert.equal(skipped[5], null);
  });

  it('stops at the next turn once its signal is aborted', async () => {
    const events: string[] = [];
    const { system, now } = slowSystem(5, events);
    const ac = new AbortController();
    setImmediate(() => ac.abort());
    await assert.rejects(
      readIrqInfos(system, irqs, { sliceMs: 10, now, signal: ac.signal }),
      (e: unknown) => e instanceof IrqkitError && e.code === 'IRQ_ERR_UNAVAILABLE',
    );
    assert.ok(events.length < irqs.length, `read ${events.length} of ${irqs.length}`);
  });
});
