/**
 * Traffic that changes while the simulated machine runs: a spec's `schedule` (for a daemon in
 * another process) and setDeviceRate (for tests in this one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SimulatedMachine } from '../../src/sim/machine.ts';
import { defaultSimSpec, type SimScheduleEntry, type SimSpec } from '../../src/sim/spec.ts';
import { throwsCode } from '../helpers/errors.ts';
import { smallSpec, withMachine } from '../helpers/sim.ts';

/** Two CPUs, no noise and no named rows: eth0 has queues weighted 3:1, eth1 one queue. */
function twoNics(schedule: SimScheduleEntry[], extra: Partial<SimSpec> = {}): SimSpec {
  return {
    cpus: 2,
    noise: 0,
    named: [],
    uptime: 10,
    devices: [
      { name: 'eth0', pci: '0000:01:00.0', queues: 2, rate: 400, skew: [3, 1] },
      { name: 'eth1', pci: '0000:02:00.0', rate: 100 },
    ],
    schedule,
    ...extra,
  };
}

/** Every queue's counter, summed over CPUs, in IRQ order. */
const totals = (m: SimulatedMachine): number[] =>
  m.irqs.map((i) => m.counts(String(i.irq)).reduce((a, b) => a + b, 0));

describe('simulated machine: a schedule of rates', () => {
  it('a step across an entry counts old rate × seconds before it plus new rate × seconds after, per queue', () =>
    withMachine(
      twoNics([
        { at: 2, rates: { eth0: 800 } },
        { at: 5, rates: { eth0: 0, eth1: 0 } },
      ]),
      (m) => {
        // The 10 s of uptime ran before the schedule's clock started: all at the spec's rates.
        assert.deepEqual(totals(m), [3000, 1000, 1000]);
        m.advance(3);
        // eth0-TxRx-0: 300/s × 2 s + 600/s × 1 s; eth0-TxRx-1: 100/s × 2 s + 200/s × 1 s.
        assert.deepEqual(totals(m), [3000 + 1200, 1000 + 400, 1000 + 300]);
        assert.equal(m.deviceRate('eth0'), 800);
        m.advance(3);
        assert.deepEqual(totals(m), [4200 + 1200, 1400 + 400, 1300 + 200]);
        assert.equal(m.deviceRate('eth0'), 0);
        assert.equal(m.deviceRate('eth1'), 0);
        m.advance(100);
        assert.deepEqual(totals(m), [5400, 1800, 1500], 'silent after the last entry');
      },
    ));

  it('an entry takes effect at its moment: one at 0 from creation, one at a step end from then on', () =>
    withMachine(
      twoNics([
        { at: 0, rates: { eth1: 50 } },
        { at: 1, rates: { eth1: 20 } },
      ]),
      (m) => {
        assert.equal(m.deviceRate('eth1'), 50);
        m.advance(1);
        assert.equal(m.deviceRate('eth1'), 20, 'a step ending on an entry leaves its rate in force');
        m.advance(1);
        assert.deepEqual(totals(m), [3000 + 600, 1000 + 200, 1000 + 50 + 20]);
      },
    ));

  it('splitting a noiseless run into any smaller steps gives the same counters as one step (property)', () => {
    // Rates in multiples of 16 split 3:1 and times in quarter seconds: every stretch counts a
    // whole number, so per-stretch rounding never enters and the counters must match exactly.
    // Few runs: each builds two machines on disk, ~50-100 ms apiece.
    const rate = fc.integer({ min: 0, max: 200 }).map((k) => k * 16);
    const entry = fc.record({
      gap: fc.integer({ min: 1, max: 40 }),
      rates: fc.record({ eth0: rate, eth1: rate }, { requiredKeys: [] }),
    });
    const quarters = fc.integer({ min: 0, max: 40 });
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 5 }),
        fc.array(quarters, { minLength: 1, maxLength: 12 }),
        (entries, steps) => {
          let at = -1;
          const schedule = entries.map((e) => {
            at += e.gap;
            return { at: at / 4, rates: e.rates };
          });
          const spec = twoNics(schedule, { uptime: 0 });
          const seconds = steps.reduce((a, b) => a + b, 0) / 4;
          const whole = withMachine(spec, (m) => {
            m.advance(seconds);
            return totals(m);
          });
          const split = withMachine(spec, (m) => {
            for (const q of steps) m.advance(q / 4);
            return totals(m);
          });
          assert.deepEqual(split, whole);
          // And both are the integral of the rates: the device's rate stretch by stretch.
          const integral = (device: 'eth0' | 'eth1', start: number): number => {
            let total = 0;
            let current = start;
            let from = 0;
            for (const e of schedule) {
              if (e.at >= seconds) break;
              total += current * (e.at - from);
              current = e.rates[device] ?? current;
              from = e.at;
            }
            return total + current * (seconds - from);
          };
          const eth0 = integral('eth0', 400);
          assert.deepEqual(whole, [(eth0 * 3) / 4, eth0 / 4, integral('eth1', 100)]);
        },
      ),
      { numRuns: 40, seed: 20260514 },
    );
  });

  it("with noise, one device's schedule leaves another device's counts alone", () => {
    const eth1Counts = (eth0Rate: number) =>
      withMachine(twoNics([{ at: 1.5, rates: { eth0: eth0Rate } }], { noise: 0.05 }), (m) => {
        for (let s = 0; s < 4; s++) m.advance(1);
        return m.irqsOf('eth1').map((irq) => m.counts(irq));
      });
    assert.deepEqual(eth1Counts(0), eth1Counts(90_000));
  });
});

describe('simulated machine: setDeviceRate', () => {
  it('takes effect on the next advance and keeps the skew shares', () =>
    withMachine(smallSpec(), (m) => {
      const eth0 = m.irqsOf('eth0');
      const before = eth0.map((irq) => m.counts(irq)[0] as number);
      m.setDeviceRate('eth0', 1000);
      assert.equal(m.deviceRate('eth0'), 1000);
      assert.deepEqual(
        eth0.map((irq) => m.counts(irq)[0]),
        before,
        'no counts until time passes',
      );
      m.advance(2);
      // skew [4, 3, 2, 1] of 1000/s for 2 s.
      assert.deepEqual(
        eth0.map((irq, q) => (m.counts(irq)[0] as number) - (before[q] as number)),
        [800, 600, 400, 200],
      );
      assert.equal(m.deviceRate('nvme0'), 1000, 'other devices keep theirs');
    }));

  it('splits by the weights the device started with, even from a rate of 0', () =>
    withMachine(
      {
        cpus: 1,
        noise: 0,
        named: [],
        devices: [{ name: 'eth0', pci: '0000:01:00.0', queues: 2, rate: 0, skew: [1, 3] }],
      },
      (m) => {
        m.setDeviceRate('eth0', 400);
        m.advance(1);
        assert.deepEqual(
          m.irqsOf('eth0').map((irq) => m.counts(irq)),
          [[100], [300]],
        );
      },
    ));

  it('keeps log-normal shares: doubling the rate doubles every queue', () =>
    withMachine({ ...defaultSimSpec(4, 1), noise: 0, uptime: 0 }, (m) => {
      const queues = m.irqs.filter((i) => i.device.name === 'eth0');
      m.setDeviceRate('eth0', 2 * m.deviceRate('eth0'));
      m.advance(1);
      for (const q of queues) {
        const total = m.counts(String(q.irq)).reduce((a, b) => a + b, 0);
        assert.equal(total, Math.round(2 * q.rate), `IRQ ${q.irq}`);
      }
    }));

  it('a reloaded IRQ raises what its device raises now', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[0] as string;
      m.removeIrq(irq);
      m.setDeviceRate('eth0', 100);
      m.restoreIrq(irq);
      m.advance(1);
      assert.deepEqual(m.counts(irq), [40, 0, 0, 0]);
    }));

  it('refuses an unknown device, naming the known ones, and a rate that is not 0-1e9', () =>
    withMachine(smallSpec(), (m) => {
      const known = '(devices: timer, eth0, nvme0, ahci)';
      const unknown = throwsCode(() => m.setDeviceRate('eth9', 1), 'IRQ_ERR_USAGE');
      assert.equal(unknown.message, `the simulated machine has no device "eth9" ${known}`);
      throwsCode(() => m.deviceRate('eth9'), 'IRQ_ERR_USAGE', /no device "eth9"/);
      for (const [rate, shown] of [
        [-1, '-1'],
        [Number.NaN, 'NaN'],
        [Number.POSITIVE_INFINITY, 'Infinity'],
        [2e9, '2000000000'],
      ] as const) {
        const e = throwsCode(() => m.setDeviceRate('eth0', rate), 'IRQ_ERR_USAGE');
        assert.equal(e.message, `the rate of device eth0 must be a number 0-1000000000, got ${shown}`);
      }
      assert.equal(m.deviceRate('eth0'), 4000, 'a refused rate changes nothing');
    }));
});
