/**
 * Seeded interrupt traffic for planner tests: true rates for a few machine shapes, and noisy
 * measurements of them the way the daemon measures (counts summed over sub-intervals, variance
 * = max(count, the variance the sub-intervals show)).
 */
import type { PlanItem } from '../../src/core/planner/plan.ts';
import { createPrng, type Prng } from '../../src/sim/prng.ts';

export interface TrafficIrq {
  id: string;
  /** Expected interrupts per measuring window. */
  rate: number;
  /** CPUs it may use (NUMA locality); absent: any. */
  allowed?: number[];
  /** Kernel-managed: it stays on `home`. */
  fixed?: boolean;
  /** Where it starts (and, when fixed, stays). */
  home: number;
  /** The device it belongs to, for load shifts. */
  device: string;
}

export interface Shape {
  cpus: number[];
  irqs: TrafficIrq[];
}

function lognormal(rng: Prng, sigma: number): number {
  return Math.exp(sigma * rng.normal() - (sigma * sigma) / 2);
}

/**
 * A two-node machine: two multi-queue NICs (one per node, queues skewed), a few elephant
 * storage queues, kernel-managed NVMe queues fixed on their CPUs, and small legacy IRQs.
 * Every IRQ starts on the first CPU it may use, as after boot.
 */
export function machineShape(seed: number, k: number): Shape {
  const rng = createPrng(seed);
  const cpus = Array.from({ length: k }, (_, c) => c);
  const node = (n: number): number[] => cpus.filter((c) => (c < k / 2 ? 0 : 1) === n);
  const irqs: TrafficIrq[] = [];
  let next = 24;
  const add = (irq: Omit<TrafficIrq, 'id' | 'home'> & { home?: number }): void => {
    const home = irq.home ?? irq.allowed?.[0] ?? 0;
    irqs.push({ ...irq, id: String(next++), home, rate: Math.max(1, Math.round(irq.rate)) });
  };
  for (const [nic, n] of [
    ['eth0', 0],
    ['eth1', 1],
  ] as const) {
    const queues = k;
    const total = 4e6 * lognormal(rng, 0.5);
    const skew = 0.2 + 0.6 * rng.next();
    for (let q = 0; q < queues; q++) {
      add({ device: nic, rate: (total / queues) * lognormal(rng, skew), allowed: node(n) });
    }
  }
  for (let e = 0; e < 3; e++) {
    add({ device: `sda${e}`, rate: 6e5 * (1 + 2 * rng.next()), allowed: node(e % 2) });
  }
  for (let q = 0; q < Math.min(k, 8); q++) {
    add({ device: 'nvme0', rate: 2e4 * lognormal(rng, 0.5), fixed: true, home: q * Math.floor(k / 8) });
  }
  for (const [name, rate] of [
    ['timer', 2000],
    ['i8042', 30],
    ['ahci', 3000],
    ['xhci', 800],
  ] as const) {
    add({ device: name, rate: rate * lognormal(rng, 0.3) });
  }
  return { cpus, irqs };
}

export type NoiseKind = 'poisson' | 'bursty';

/** Poisson counts, normal-approximated above 1,000 (counts here are far above that). */
function poisson(rng: Prng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 1000) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  for (;;) {
    p *= rng.next();
    if (p <= l) return k;
    k++;
  }
}

export const SUB_INTERVALS = 10;

/**
 * One measuring window: each IRQ's count over SUB_INTERVALS sub-intervals. Bursty traffic
 * scales each sub-interval's rate by a lognormal factor (σ 0.05), so counts vary more than
 * Poisson. The variance reported is max(count, SUB_INTERVALS × sample variance of the
 * sub-interval counts), the estimator the issue asks callers for.
 */
export function measure(
  rng: Prng,
  shape: Shape,
  placement: ReadonlyMap<string, number>,
  kind: NoiseKind,
  rateOf: (irq: TrafficIrq) => number = (irq) => irq.rate,
): PlanItem[] {
  return shape.irqs.map((irq) => {
    const sub: number[] = [];
    for (let i = 0; i < SUB_INTERVALS; i++) {
      const burst = kind === 'bursty' ? lognormal(rng, 0.05) : 1;
      sub.push(poisson(rng, (rateOf(irq) / SUB_INTERVALS) * burst));
    }
    const count = sub.reduce((a, b) => a + b, 0);
    const mean = count / SUB_INTERVALS;
    const sampleVar = sub.reduce((a, b) => a + (b - mean) ** 2, 0) / (SUB_INTERVALS - 1);
    const item: PlanItem = {
      id: irq.id,
      load: count,
      variance: Math.max(count, SUB_INTERVALS * sampleVar),
      current: placement.get(irq.id) ?? irq.home,
    };
    if (irq.fixed) item.fixed = true;
    else if (irq.allowed) item.allowed = irq.allowed;
    return item;
  });
}

export function homes(shape: Shape): Map<string, number> {
  return new Map(shape.irqs.map((irq) => [irq.id, irq.home]));
}

export { createPrng };
