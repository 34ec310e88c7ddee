/** The simulated machine's traffic is noisy the way interrupts are: Poisson counts, some bursts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPrng } from '../../src/sim/prng.ts';
import { defaultSimSpec, parseCompactSimSpec, resolveSimSpec } from '../../src/sim/spec.ts';
import { interruptCount } from '../../src/sim/traffic.ts';
import { withMachine } from '../helpers/sim.ts';

function stats(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/** `n` seconds of one IRQ's traffic, each second in `steps` equal steps. */
function seconds(seed: number, rate: number, noise: number, n: number, steps = 1): number[] {
  const prng = createPrng(seed);
  return Array.from({ length: n }, () => {
    let sum = 0;
    for (let s = 0; s < steps; s++) sum += interruptCount(prng, rate, 1 / steps, noise);
    return sum;
  });
}

describe('simulated interrupt traffic', () => {
  it('without noise, every step counts exactly rate × seconds', () => {
    assert.deepEqual(seconds(1, 1234, 0, 5), [1234, 1234, 1234, 1234, 1234]);
    assert.equal(interruptCount(createPrng(1), 4000, 2.5, 0), 10_000);
  });

  it('with noise, a busy queue varies by Poisson plus bursts: variance ≈ mean + (noise × mean)²', () => {
    // Seeded, so the figures are fixed; 4000 seconds put the sample variance within a few %.
    const { mean, variance } = stats(seconds(7, 5000, 0.02, 4000));
    assert.ok(Math.abs(mean - 5000) < 10, `mean ${mean}`);
    const expected = 5000 + (0.02 * 5000) ** 2;
    assert.ok(Math.abs(variance / expected - 1) < 0.1, `variance ${variance}, expected about ${expected}`);
    assert.ok(variance > 1.5 * mean, 'burstier than Poisson alone');
  });

  it('a quiet IRQ has Poisson counts: whole numbers, variance ≈ mean, often none at all', () => {
    const xs = seconds(3, 0.5, 0.02, 4000);
    assert.ok(xs.every((x) => Number.isInteger(x) && x >= 0));
    const { mean, variance } = stats(xs);
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(variance / mean - 1) < 0.1, `variance ${variance} against mean ${mean}`);
    const zeros = xs.filter((x) => x === 0).length / xs.length;
    assert.ok(Math.abs(zeros - Math.exp(-0.5)) < 0.03, `P(0) ${zeros}`);
  });

  it('a second of traffic is as noisy in 20 steps of 50 ms as in one step', () => {
    const one = stats(seconds(11, 20_000, 0.05, 3000, 1));
    const twenty = stats(seconds(12, 20_000, 0.05, 3000, 20));
    assert.ok(Math.abs(twenty.mean / one.mean - 1) < 0.01);
    assert.ok(
      Math.abs(twenty.variance / one.variance - 1) < 0.15,
      `one step ${one.variance}, 20 steps ${twenty.variance}`,
    );
  });

  it('the default machine is noisy and seeded: same seed, same counts; the NIC and the timer vary', () => {
    const perSecond = (seed: number) =>
      withMachine({ ...defaultSimSpec(4, 1), seed, uptime: 0 }, (m) => {
        const [nic] = m.irqsOf('eth0') as [string];
        const rows: number[][] = [];
        let last = [m.counts(nic)[0] as number, m.counts('0')[0] as number];
        for (let s = 0; s < 30; s++) {
          m.advance(1);
          const now = [m.counts(nic)[0] as number, m.counts('0')[0] as number];
          rows.push([(now[0] as number) - (last[0] as number), (now[1] as number) - (last[1] as number)]);
          last = now;
        }
        return rows;
      });
    const a = perSecond(5);
    assert.deepEqual(perSecond(5), a);
    assert.notDeepEqual(perSecond(6), a);
    assert.ok(new Set(a.map((r) => r[0])).size > 10, 'the NIC queue differs from second to second');
    assert.ok(new Set(a.map((r) => r[1])).size > 1, 'the 1/s timer is Poisson too');
  });

  it('the compact spec takes noise=X and seed=N; noise=0 is the noiseless machine', () => {
    const s = resolveSimSpec(parseCompactSimSpec('4cpu,seed=9,noise=0.1'));
    assert.equal(s.seed, 9);
    assert.equal(s.noise, 0.1);
    assert.equal(resolveSimSpec(parseCompactSimSpec('noise=0')).noise, 0);
    assert.throws(() => resolveSimSpec(parseCompactSimSpec('noise=0.9')), /noise must be a number 0-0.5/);
  });
});
