/**
 * Which CPUs a plan places IRQs on, and which IRQs it may move where. The daemon's planner uses
 * this before every search; it needs no daemon, so the offline planner can use it too. The rules:
 *
 * - CPUs: the ones asked for, each of which must be online; else every CPU of the window that is
 *   online and neither isolated nor nohz_full (those are kept quiet on purpose).
 * - Fixed, left on the CPU it is on (its load still counts there): a kernel-managed IRQ (user
 *   space cannot move it), a banned one (the operator said so), a pinned one, one whose
 *   /proc/irq/N cannot be read, and with NUMA policy `strict` one whose device's node has no
 *   planned CPU. An IRQ is only fixed where it is known which CPU it is on.
 * - Movable: with a device on a known NUMA node (and policy `strict` or `prefer`), among that
 *   node's planned CPUs; else among all planned CPUs.
 */
import { formatCpuList } from './cpuset.ts';
import { IrqkitError } from './errors.ts';

export type NumaPolicy = 'strict' | 'prefer' | 'ignore';

/** What is known about one IRQ. */
export interface IrqFacts {
  irq: string;
  /** From /proc/irq/N; null when it cannot be read (the IRQ went away, or it is chained). */
  info: {
    /** smp_affinity_list: the CPUs it may be delivered to. */
    affinity: readonly number[];
    /** effective_affinity_list: the CPUs it is delivered to now; null where the kernel does not say. */
    effective: readonly number[] | null;
    /** null: the kernel does not say (before 6.12) and it was not tested. */
    managed: boolean | null;
    /** The device's NUMA node; null when unknown. */
    numaNode: number | null;
  } | null;
  /** The CPU that serviced most of its interrupts: where an IRQ without `info` is taken to be. */
  busiestCpu?: number;
}

export interface ClassifyInput {
  irqs: readonly IrqFacts[];
  /** The planned CPUs (see `plannedCpus`). */
  cpus: readonly number[];
  /** NUMA node → its CPUs. */
  nodes: ReadonlyMap<number, readonly number[]>;
  numa: NumaPolicy;
  /** IRQs the operator banned from balancing. */
  banned: ReadonlySet<string>;
  /** IRQs held where they are by a pin. */
  pinned?: ReadonlySet<string>;
}

export type FixedReason = 'managed' | 'banned' | 'pinned' | 'unreadable' | 'numa-strict';

export interface FixedIrq {
  irq: string;
  kind: 'fixed';
  reason: FixedReason;
  /** The CPU it stays on. */
  cpu: number;
  /** For `numa-strict`: the device's node, which has no planned CPU. */
  node?: number;
}

export interface MovableIrq {
  irq: string;
  kind: 'movable';
  /** The CPU it is on now, when known. */
  current: number | undefined;
  /** The CPUs it may go to: its node's planned CPUs, or all planned CPUs. */
  allowed: number[];
  /** Why `allowed` is narrower than the planned CPUs; null when it is not. */
  restriction: { reason: 'numa'; node: number } | null;
}

export type IrqClass = FixedIrq | MovableIrq;

/** The CPUs to plan for; IRQ_ERR_UNKNOWN_CPU, offline or non-existent, for a requested CPU that is not online. */
export function plannedCpus(o: {
  /** CPUs asked for; when given, isolated and nohz_full ones are planned too. */
  requested?: readonly number[];
  /** The window's CPU columns. */
  columns: readonly number[];
  online: readonly number[];
  isolated: readonly number[];
  nohzFull: readonly number[];
  /** CPUs the kernel could bring online (sysfs `possible`): tells offline from non-existent. */
  possible?: readonly number[];
}): number[] {
  const online = new Set(o.online);
  if (o.requested) {
    const bad = o.requested.find((c) => !online.has(c));
    if (bad !== undefined) {
      // Without `possible`, a CPU the window has a column for exists (it went offline).
      const exists = (o.possible ?? o.columns).includes(bad);
      const onlineText = formatCpuList(o.online) || 'none';
      throw new IrqkitError(
        'IRQ_ERR_UNKNOWN_CPU',
        `CPU ${bad} ${exists ? 'is offline' : 'does not exist'}; the online CPUs are ${onlineText}`,
        { cpu: bad, online: [...o.online] },
      );
    }
    return [...o.requested];
  }
  const excluded = new Set([...o.isolated, ...o.nohzFull]);
  return o.columns.filter((c) => online.has(c) && !excluded.has(c));
}

/** One class per IRQ, in the order given. */
export function classifyIrqs(input: ClassifyInput): IrqClass[] {
  const cpus = [...input.cpus];
  const movable = (irq: string, current: number | undefined): MovableIrq => ({
    irq,
    kind: 'movable',
    current,
    allowed: cpus,
    restriction: null,
  });
  return input.irqs.map((facts): IrqClass => {
    const { irq, info } = facts;
    if (info === null) {
      return facts.busiestCpu === undefined
        ? movable(irq, undefined)
        : { irq, kind: 'fixed', reason: 'unreadable', cpu: facts.busiestCpu };
    }
    const here = info.effective?.[0] ?? info.affinity[0];
    const held: FixedReason | null =
      info.managed === true
        ? 'managed'
        : input.banned.has(irq)
          ? 'banned'
          : input.pinned?.has(irq)
            ? 'pinned'
            : null;
    if (held !== null) {
      return here === undefined ? movable(irq, undefined) : { irq, kind: 'fixed', reason: held, cpu: here };
    }
    const node = info.numaNode;
    if (input.numa !== 'ignore' && node !== null) {
      const nodeCpus = (input.nodes.get(node) ?? []).filter((c) => cpus.includes(c));
      if (nodeCpus.length > 0) {
        return {
          irq,
          kind: 'movable',
          current: here,
          allowed: nodeCpus,
          restriction: { reason: 'numa', node },
        };
      }
      if (input.numa === 'strict' && here !== undefined) {
        return { irq, kind: 'fixed', reason: 'numa-strict', cpu: here, node };
      }
    }
    return movable(irq, here);
  });
}

/** The planner's view of the classes: fixed IRQs, where each IRQ is, restricted CPU sets. */
export function planConstraints(classes: readonly IrqClass[]): {
  fixed: Set<string>;
  current: Map<string, number>;
  allowed: Map<string, number[]>;
} {
  const fixed = new Set<string>();
  const current = new Map<string, number>();
  const allowed = new Map<string, number[]>();
  for (const c of classes) {
    if (c.kind === 'fixed') {
      fixed.add(c.irq);
      current.set(c.irq, c.cpu);
    } else {
      if (c.current !== undefined) current.set(c.irq, c.current);
      if (c.restriction !== null) allowed.set(c.irq, c.allowed);
    }
  }
  return { fixed, current, allowed };
}

/** Lines for people about IRQs left where they are for a reason they may not expect. */
export function classNotes(classes: readonly IrqClass[]): string[] {
  return classes
    .filter((c): c is FixedIrq => c.kind === 'fixed' && c.reason === 'numa-strict')
    .map((c) => `IRQ ${c.irq}: NUMA node ${c.node} has no planned CPU; left where it is`);
}
