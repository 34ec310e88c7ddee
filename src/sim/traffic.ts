/**
 * How many interrupts a simulated device raises in a step: noisy the way real ones are, so that
 * the planner meets the noise it has to tell from imbalance (issue 12).
 *
 * Interrupts arrive one by one, so a count is Poisson around its expectation; and traffic comes
 * in bursts, so the expectation itself wanders. The rate of each step is multiplied by a
 * log-normal factor of mean 1 whose spread shrinks with the step's length as white noise does:
 * whatever the step, one second of traffic varies by `noise` (relative standard deviation) on
 * top of the Poisson spread. `noise` 0 is the noiseless machine: exactly rate × seconds.
 */
import type { Prng } from './prng.ts';

/** The largest burst spread of one step, so that very short steps stay plausible. */
const MAX_STEP_SPREAD = 1;

/** Below this mean the Poisson draw is exact (inversion); above it, the normal approximation. */
const EXACT_POISSON_BELOW = 64;

export function interruptCount(prng: Prng, rate: number, seconds: number, noise: number): number {
  const expected = rate * seconds;
  if (noise <= 0) return Math.round(expected);
  // Always the same draws per call, whatever the rate, so one IRQ's traffic (or a move) never
  // shifts another's noise.
  const z = prng.normal();
  const u = prng.next();
  const v = prng.normal();
  if (!(expected > 0)) return 0;
  const spread = Math.min(MAX_STEP_SPREAD, noise / Math.sqrt(seconds));
  const mean = expected * Math.exp(spread * z - (spread * spread) / 2);
  return poisson(mean, u, v);
}

/** A Poisson draw of mean `mean` from a uniform `u` (small means) or a standard normal `v`. */
function poisson(mean: number, u: number, v: number): number {
  if (mean >= EXACT_POISSON_BELOW) return Math.max(0, Math.round(mean + Math.sqrt(mean) * v));
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  // P(X > 200) for a mean below 64 is far below 1e-40: the cap only guards the loop.
  while (u > cdf && k < 200) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}
