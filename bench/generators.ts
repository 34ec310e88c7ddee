/**
 * Deterministic instance generators for the planner bench. Every instance comes from a seeded
 * PRNG (sfc32), never Math.random, so a case name + seed gives the same loads on every run and
 * every machine. Loads are integers (interrupts per window), like parsed /proc/interrupts rates.
 */
import type { PlanItem } from '../src/core/planner/plan.ts';

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), seeded through splitmix32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * A Poisson draw with mean `lambda`: Knuth's product of uniforms below 30, above it the normal
   * approximation (rounded, never negative), which is within a fraction of a count there.
   */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let prod = this.next();
    while (prod > limit) {
      k++;
      prod *= this.next();
    }
    return k;
  }

  /** exp(N(mu, sigma²)). */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }
}

export type Family =
  | 'nic-rss'
  | 'elephants'
  | 'lumpy'
  | 'near-uniform'
  | 'rss-wide'
  | 'elephants-under'
  | 'lumpy-narrow'
  | 'uniform'
  | 'near-equal'
  | 'lognormal'
  | 'small-ints';

export const FAMILY_NOTES: Record<Family, string> = {
  'nic-rss': 'NICs of 8–64 queues; per-NIC rate lognormal(σ=1), per-queue RSS skew lognormal(σ 0.2–1.0)',
  elephants: '3–8 elephant queues of 0.5–2.5 × (small total / k) among lognormal(σ=1) small IRQs',
  lumpy: 'magnitudes 1..1e9: 60% log-uniform, 40% in 5 clumps (±5%)',
  'near-uniform': 'every load 1,000,000 ± 1% (uniform)',
  'rss-wide':
    'NICs of 128 or 256 queues; per-NIC rate lognormal(σ=0.4), queue skew lognormal(σ 0.1–0.4): no queue near a CPU',
  'elephants-under': 'n/50 (2–40) elephants of 0.3–0.95 × (total / k) among lognormal(σ=0.6) IRQs',
  'lumpy-narrow': '70% log-uniform over 1e3..1e6, 30% log-uniform over 1e6..2e6',
  uniform: 'uniform integers 1..1e9',
  'near-equal': 'uniform integers 900,000..1,100,000 (±10%)',
  lognormal: 'lognormal(median 1e6, σ=0.7)',
  'small-ints': 'uniform integers 1..1000 (many ties)',
};

const positive = (x: number): number => Math.max(1, Math.round(x));

/** Several NICs with 8–64 RSS queues each; queue loads skewed by a lognormal per NIC. */
export function nicRss(rng: Rng, n: number): number[] {
  const loads: number[] = [];
  while (loads.length < n) {
    const queues = Math.min(rng.int(8, 64), n - loads.length);
    const nicRate = rng.lognormal(Math.log(5e8), 1); // interrupts per window for the whole NIC
    const skew = rng.uniform(0.2, 1.0);
    for (let q = 0; q < queues; q++) loads.push(positive((nicRate / queues) * rng.lognormal(0, skew)));
  }
  return loads;
}

/** A handful of huge queues among many small IRQs. */
export function elephants(rng: Rng, n: number, k: number): number[] {
  const count = Math.max(1, Math.min(rng.int(3, 8), Math.floor(n / 4)));
  const small: number[] = [];
  let smallTotal = 0;
  for (let i = 0; i < n - count; i++) {
    const w = positive(rng.lognormal(Math.log(1e5), 1));
    small.push(w);
    smallTotal += w;
  }
  const loads = [...small];
  // Insert the elephants at random positions so that IRQ order (round-robin) does not see them last.
  for (let e = 0; e < count; e++) {
    const w = positive((smallTotal / k) * rng.uniform(0.5, 2.5));
    loads.splice(rng.int(0, loads.length), 0, w);
  }
  return loads;
}

/** Very varied magnitudes: part log-uniform over nine decades, part clumped around a few values. */
export function lumpy(rng: Rng, n: number): number[] {
  const clumps = Array.from({ length: 5 }, () => 10 ** rng.uniform(2, 8));
  const loads: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.6) loads.push(positive(10 ** rng.uniform(0, 9)));
    else {
      const c = clumps[rng.int(0, clumps.length - 1)] as number;
      loads.push(positive(c * rng.uniform(0.95, 1.05)));
    }
  }
  return loads;
}

/** All loads within ±1% of each other. */
export function nearUniform(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => positive(1e6 * rng.uniform(0.99, 1.01)));
}

/**
 * NICs as on a many-CPU host: 128 or 256 queues each and moderate skew, so no single queue comes
 * near a CPU's share and the lower bound is the average: reaching it takes real balancing.
 */
export function rssWide(rng: Rng, n: number): number[] {
  const loads: number[] = [];
  while (loads.length < n) {
    const queues = rng.next() < 0.5 ? 128 : 256;
    const nicRate = rng.lognormal(Math.log(2e8), 0.4);
    const skew = rng.uniform(0.1, 0.4);
    // The last NIC may be cut short; its queues keep a normal queue's rate.
    const count = Math.min(queues, n - loads.length);
    for (let q = 0; q < count; q++) loads.push(positive((nicRate / queues) * rng.lognormal(0, skew)));
  }
  return loads;
}

/** Elephants that each fit on one CPU with room to spare, among ordinary IRQs. */
export function elephantsUnder(rng: Rng, n: number, k: number): number[] {
  const loads = Array.from({ length: n }, () => positive(rng.lognormal(Math.log(1e5), 0.6)));
  const share = loads.reduce((a, b) => a + b, 0) / k;
  const count = Math.min(40, Math.max(2, Math.round(n / 50)));
  for (let e = 0; e < count; e++) loads[rng.int(0, n - 1)] = positive(share * rng.uniform(0.3, 0.95));
  return loads;
}

export function lumpyNarrow(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () =>
    positive(rng.next() < 0.7 ? 10 ** rng.uniform(3, 6) : 10 ** rng.uniform(6, 6.3)),
  );
}

export function generate(family: Family, n: number, k: number, seed: number): number[] {
  const rng = new Rng(seed);
  switch (family) {
    case 'nic-rss':
      return nicRss(rng, n);
    case 'elephants':
      return elephants(rng, n, k);
    case 'lumpy':
      return lumpy(rng, n);
    case 'near-uniform':
      return nearUniform(rng, n);
    case 'rss-wide':
      return rssWide(rng, n);
    case 'elephants-under':
      return elephantsUnder(rng, n, k);
    case 'lumpy-narrow':
      return lumpyNarrow(rng, n);
    case 'uniform':
      return Array.from({ length: n }, () => rng.int(1, 1e9));
    case 'near-equal':
      return Array.from({ length: n }, () => rng.int(900_000, 1_100_000));
    case 'lognormal':
      return Array.from({ length: n }, () => positive(rng.lognormal(Math.log(1e6), 0.7)));
    case 'small-ints':
      return Array.from({ length: n }, () => rng.int(1, 1000));
  }
}

/**
 * Plan items for generated loads. The current CPU is round-robin in IRQ order (what a vendor
 * set_irq_affinity script leaves behind), so the churn step has realistic work to do.
 */
export function itemsFromLoads(loads: readonly number[], k: number): PlanItem[] {
  return loads.map((load, j) => ({ id: String(j), load, current: j % k }));
}
