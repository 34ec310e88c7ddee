/**
 * From a spec to the simulated machine's IRQs: numbers, handler names, chips, rates and the
 * starting affinity of each queue. Pure.
 */
import { hasCpu } from '../core/cpuset.ts';
import { IrqkitError } from '../core/errors.ts';
import { createPrng } from './prng.ts';
import type { ResolvedDevice, ResolvedSimSpec } from './spec.ts';

export interface SimIrq {
  irq: number;
  /** Handler name: the /proc/irq/N/<action>/ directory and the end of the /proc/interrupts row. */
  action: string;
  device: ResolvedDevice;
  queue: number;
  /** Interrupts per second when the machine starts (see SimulatedMachine.setDeviceRate). */
  rate: number;
  /**
   * This queue's skew weight, and the sum of its device's: the queue raises weight / weightSum
   * of the device's rate, whatever that rate becomes (one that starts at 0 included).
   */
  weight: number;
  weightSum: number;
  managed: boolean;
  /** Starting smp_affinity_list. */
  affinity: number[];
  /** affinity_hint; [] for none. */
  hint: number[];
  /** /proc/irq/N/node; null prints -1. */
  node: number | null;
  chip: string;
  hwirq: string;
  flow: string;
}

/** Node k holds a contiguous block of CPUs, as firmware usually numbers them. */
export function nodeCpus(spec: Pick<ResolvedSimSpec, 'cpus' | 'nodes'>, node: number): number[] {
  const lo = Math.floor((node * spec.cpus) / spec.nodes);
  const hi = Math.floor(((node + 1) * spec.cpus) / spec.nodes);
  return Array.from({ length: hi - lo }, (_, i) => lo + i);
}

export function onlineCpus(spec: Pick<ResolvedSimSpec, 'cpus' | 'offline'>): number[] {
  return Array.from({ length: spec.cpus }, (_, i) => i).filter((c) => !hasCpu(spec.offline, c));
}

/** The weights a device's rate is split by, one per queue. */
function queueWeights(d: ResolvedDevice, seed: number): number[] {
  if (d.skew === 'uniform') return new Array<number>(d.queues).fill(1);
  if (d.skew === 'lognormal') {
    // Its own stream, so adding a device does not reshuffle another device's skew.
    let h = seed;
    for (const ch of d.name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    const prng = createPrng(h);
    return Array.from({ length: d.queues }, () => Math.exp(prng.normal()));
  }
  return d.skew;
}

/** A queue's rate when its device raises `deviceRate`; a device's queues add up to it. */
export function queueRate(deviceRate: number, irq: Pick<SimIrq, 'weight' | 'weightSum'>): number {
  return irq.weightSum > 0 ? (deviceRate * irq.weight) / irq.weightSum : 0;
}

/** Managed queues get the kernel's spread: consecutive CPU groups, one per queue. */
function spread(queue: number, queues: number, cpus: number): number[] {
  if (queues >= cpus) return [queue % cpus];
  const lo = Math.floor((queue * cpus) / queues);
  const hi = Math.floor(((queue + 1) * cpus) / queues);
  return Array.from({ length: hi - lo }, (_, i) => lo + i);
}

function handlerName(d: ResolvedDevice, queue: number): string {
  return d.queueName
    .replace(/\{name\}/g, d.name)
    .replace(/\{i\}/g, String(queue))
    .replace(/\{n\}/g, String(queue + 1));
}

/** MSI vectors are numbered after the IO-APIC's 24 GSIs, legacy lines from 0, INTx from 16. */
const FIRST_IRQ = { msix: 24, msi: 24, intx: 16, legacy: 0 } as const;

export function layoutIrqs(spec: ResolvedSimSpec): SimIrq[] {
  const used = new Set<number>();
  const claim = (first: number, count: number, owner: string, fixed: boolean): number => {
    let start = first;
    const free = (s: number) => Array.from({ length: count }, (_, i) => s + i).every((n) => !used.has(n));
    if (fixed) {
      if (!free(start))
        throw new IrqkitError('IRQ_ERR_USAGE', `simulation spec: ${owner}'s IRQs overlap another device's`);
    } else {
      while (!free(start)) start++;
    }
    for (let i = 0; i < count; i++) used.add(start + i);
    return start;
  };
  // Devices with fixed numbers first, so automatic numbering steers around them.
  const firsts = new Map<ResolvedDevice, number>();
  for (const d of spec.devices) if (d.irq !== null) firsts.set(d, claim(d.irq, d.queues, d.name, true));
  for (const d of spec.devices)
    if (d.irq === null) firsts.set(d, claim(FIRST_IRQ[d.type], d.queues, d.name, false));

  const online = onlineCpus(spec);
  const movableStart = spec.irqaffinity.filter((c) => hasCpu(online, c));
  const out: SimIrq[] = [];
  for (const d of spec.devices) {
    const weights = queueWeights(d, spec.seed);
    const weightSum = weights.reduce((a, b) => a + b, 0);
    const local = nodeCpus(spec, d.node);
    const first = firsts.get(d) as number;
    for (let q = 0; q < d.queues; q++) {
      const irq = first + q;
      const pciChip = d.type === 'msix' ? `PCI-MSIX-${d.pci}` : `PCI-MSI-${d.pci}`;
      const isMsi = d.type === 'msix' || d.type === 'msi';
      out.push({
        irq,
        action: handlerName(d, q),
        device: d,
        queue: q,
        rate: queueRate(d.rate, { weight: weights[q] ?? 0, weightSum }),
        weight: weights[q] ?? 0,
        weightSum,
        managed: d.managed,
        // The kernel falls back to every online CPU when irqaffinity= names none of them.
        affinity: d.managed
          ? spread(q, d.queues, spec.cpus)
          : movableStart.length > 0
            ? movableStart
            : online,
        // Multi-queue NIC drivers hint one node-local CPU per queue.
        hint: !d.managed && d.queues > 1 && local.length > 0 ? [local[q % local.length] as number] : [],
        node: d.type === 'legacy' ? null : d.node,
        chip: isMsi ? pciChip : 'IO-APIC',
        hwirq: isMsi ? String(q) : d.type === 'legacy' && irq === 0 ? '2' : String(irq),
        flow: d.type === 'intx' ? 'fasteoi' : 'edge',
      });
    }
  }
  return out.sort((a, b) => a.irq - b.irq);
}
