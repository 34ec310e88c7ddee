/**
 * The noise model: each load is an estimate with a variance, and two CPUs' loads count as equal
 * when they differ by less than `z` standard errors of their difference (see docs/design.md,
 * "Noise model and objective").
 */
import { IrqkitError } from '../errors.ts';
import type { PlanItem, Problem } from './problem.ts';

export interface Noise {
  /** Standard errors of a difference that count as noise; 0 plans exactly. */
  z: number;
  /** z for the floor, which tests every pair of CPUs at once (`zForMany` over k(k−1)/2). */
  zFloor: number;
  /** z for comparing plans, whose busiest CPU is the highest of k estimates (`zForMany`). */
  zPlans: number;
  /** True when every variance is 0 or z is 0: every margin is 0 and comparisons are strict. */
  exact: boolean;
  /**
   * Added to every margin: the request's tolerance times the best makespan, differences a
   * person has said not to care about (0 by default).
   */
  allowance: number;
  /**
   * With a tolerance, the makespan the plan may reach for fewer moves ((1 + tolerance) × the
   * best, as the churn step reads it): putting a move back never crosses it. Infinity without.
   */
  ceiling: number;
  /** Variance per movable item (by problem position). */
  itemVar: Float64Array;
  /** Variance per CPU position of what stays there: fixed IRQs and `baseVariance`. */
  baseVar: Float64Array;
}

function checkVariance(v: number | undefined, what: string): number {
  if (v === undefined) return 0;
  if (!Number.isFinite(v) || v < 0) {
    throw new IrqkitError('IRQ_ERR_USAGE', `${what} has an invalid variance ${v}`);
  }
  return v;
}

export function buildNoise(
  p: Problem,
  items: readonly PlanItem[],
  baseVariance: Readonly<Record<number, number>> | undefined,
  confidence: number,
  tolerance: { allowance: number; ceiling: number } = { allowance: 0, ceiling: Number.POSITIVE_INFINITY },
): Noise {
  if (!Number.isFinite(confidence) || confidence < 0) {
    throw new IrqkitError('IRQ_ERR_USAGE', `the confidence must be 0 or more, not ${confidence}`);
  }
  const posOf = new Map(p.cpus.map((c, i) => [c, i]));
  const baseVar = new Float64Array(p.k);
  for (const [cpu, v] of Object.entries(baseVariance ?? {})) {
    const pos = posOf.get(Number(cpu));
    const checked = checkVariance(v, `the base load of CPU ${cpu}`);
    if (pos !== undefined) baseVar[pos] = (baseVar[pos] as number) + checked;
  }
  const movableVar = new Map<number, number>();
  items.forEach((it, idx) => {
    const v = checkVariance(it.variance, `IRQ ${it.id}`);
    if (it.fixed) {
      const pos = it.current === undefined ? undefined : posOf.get(it.current);
      if (pos !== undefined) baseVar[pos] = (baseVar[pos] as number) + v;
    } else movableVar.set(idx, v);
  });
  const itemVar = new Float64Array(p.n);
  for (let j = 0; j < p.n; j++) itemVar[j] = movableVar.get(p.itemIndex[j] as number) ?? 0;
  const exact = confidence === 0 || (itemVar.every((v) => v === 0) && baseVar.every((v) => v === 0));
  return {
    z: confidence,
    zFloor: zForMany(confidence, (p.k * (p.k - 1)) / 2),
    zPlans: zForMany(confidence, p.k),
    exact,
    allowance: tolerance.allowance,
    ceiling: tolerance.ceiling,
    itemVar,
    baseVar,
  };
}

/**
 * The margin of a pair of CPUs with load variances va and vb: z standard errors of their
 * difference (plus the allowance).
 */
export function pairMargin(noise: Noise, va: number, vb: number): number {
  // Sums kept by adding and subtracting may drift a hair below 0.
  return (noise.exact ? 0 : noise.z * Math.sqrt(Math.max(0, va + vb))) + noise.allowance;
}

/**
 * The gain a step must beat. A step that shifts load x (variance vx) from CPU a to CPU b,
 * whose loads differ by d = La − Lb (variances adding up to vPair, x's included), gains
 * min(x, d − x): it lowers the higher load by x, or by d − x when b becomes the higher. It
 * counts when two things hold:
 *  - the pair is worth evening: evened perfectly, its higher load would fall by d/2, and that
 *    must exceed z standard errors of the difference, z·√vPair (the pair margin);
 *  - the step itself is real: x and d − x each clear z of their own standard errors, sd(x)
 *    and sd(d − x) = √(vPair − vx) (what stays on a against what b holds before).
 * The first keeps a balanced placement still on fresh measurements (no pair within its noise
 * is touched); the second lets a steady NIC queue leave a CPU whose bursty total spreads
 * wider than the queue itself, which a margin of z·√vPair on the step would have kept there.
 * Returned as one margin on the gain min(x, d − x), so that the step counts when the gain
 * exceeds it; the allowance is added to both parts.
 */
export function stepMargin(noise: Noise, z: number, x: number, vx: number, d: number, vPair: number): number {
  if (noise.exact) return noise.allowance;
  const gain = Math.min(x, d - x);
  const own = Math.min(x - z * Math.sqrt(Math.max(0, vx)), d - x - z * Math.sqrt(Math.max(0, vPair - vx)));
  const pair = z * Math.sqrt(Math.max(0, vPair)) - (d / 2 - gain);
  return Math.max(gain - own, pair) + noise.allowance;
}

/** Per-CPU load variances of an assignment. */
export function variancesOf(p: Problem, noise: Noise, assign: Int32Array): Float64Array {
  const vars = Float64Array.from(noise.baseVar);
  for (let j = 0; j < p.n; j++) {
    const c = assign[j] as number;
    vars[c] = (vars[c] as number) + (noise.itemVar[j] as number);
  }
  return vars;
}

/**
 * The floor margin of a pair: zFloor standard errors of the difference (plus the allowance).
 * A placement is balanced when no single move or swap gains more than this on any pair; since
 * every pair is tested, z is corrected so that noise alone unbalances a balanced placement no
 * more often than one comparison at z would.
 */
export function floorMargin(noise: Noise, va: number, vb: number): number {
  return (noise.exact ? 0 : noise.zFloor * Math.sqrt(Math.max(0, va + vb))) + noise.allowance;
}

/**
 * The margin between two plans' loads at the same rank (the busiest of each, the next busiest
 * of each, ...), with variances va and vb: they differ only when their intervals of zPlans
 * standard deviations do not overlap. Each plan's busiest CPU was picked as the highest of k
 * noisy loads, and a plan fitted to this measurement looks better than it is by about its own
 * noise, so both sides get a full interval (plus the allowance).
 */
export function rankMargin(noise: Noise, va: number, vb: number): number {
  if (noise.exact) return noise.allowance;
  return noise.zFloor * (Math.sqrt(Math.max(0, va)) + Math.sqrt(Math.max(0, vb))) + noise.allowance;
}

/**
 * The plan's makespan margin: another plan whose busiest CPU has the same variance counts as
 * equally good at step (a) when the two makespans differ by less than this.
 */
export function makespanMargin(noise: Noise, loads: ArrayLike<number>, vars: ArrayLike<number>): number {
  let busiest = 0;
  for (let c = 1; c < loads.length; c++) if ((loads[c] as number) > (loads[busiest] as number)) busiest = c;
  const v = (vars[busiest] as number | undefined) ?? 0;
  return rankMargin(noise, v, v);
}

/** The standard normal upper tail, P(Z > x) (erfc by Numerical Recipes' Chebyshev fit, 1.2e-7). */
export function normalTail(x: number): number {
  const t = 1 / (1 + (0.5 * Math.abs(x)) / Math.SQRT2);
  const y = Math.abs(x) / Math.SQRT2;
  const erfc =
    t *
    Math.exp(
      -y * y -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** The z with P(Z > z) = tail, by bisection on normalTail (monotone), to 1e-9. */
export function normalQuantileUpper(tail: number): number {
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (normalTail(mid) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * z for the busiest of k CPUs: the chance that any of k estimates is z_k standard deviations
 * high is the chance that one is z high (Šidák). z_1 = z; z_8 ≈ 2.77 and z_32 ≈ 3.19 for z = 2.
 */
export function zForMany(z: number, k: number): number {
  if (k <= 1 || z <= 0) return z;
  const tail = normalTail(z);
  // 1 − (1 − tail)^(1/k), without cancellation for small tails.
  const each = -Math.expm1(Math.log1p(-tail) / k);
  return normalQuantileUpper(each);
}
