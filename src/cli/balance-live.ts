/**
 * Live `balance`: the machine's rules applied to a measured window, with the pure classification
 * irqkitd's plans use (core/irq-classes.ts), so the offline planner never proposes what the
 * daemon would not: kernel-managed IRQs stay where they are, isolated and nohz_full CPUs are
 * left out unless named in --cpus, and the NUMA policy limits where a device's IRQs may go.
 */

import { IrqkitError } from '../core/errors.ts';
import {
  classifyIrqs,
  classNotes,
  type FixedReason,
  type NumaPolicy,
  planConstraints,
  plannedCpus,
} from '../core/irq-classes.ts';
import type { Snapshot } from '../core/snapshot.ts';
import { type ManagedFindings, readLiveFacts } from '../io/irq-facts.ts';

export interface LiveRules {
  /** The CPUs the plan places IRQs on. */
  cpus: number[];
  fixed: Set<string>;
  current: Map<string, number>;
  allowed: Map<string, number[]>;
  /** Why each fixed IRQ stays where it is (`banned` is --fixed). */
  reasons: Map<string, FixedReason>;
  /** Online CPUs of the window left out of the plan because they are kept quiet on purpose. */
  excluded: { isolated: number[]; nohzFull: number[] };
  numa: NumaPolicy;
  managed: ManagedFindings;
  /** False when no sysfs was read: every column is taken as online, one NUMA node. */
  sysfs: boolean;
  notes: string[];
}

export interface LiveRulesOptions {
  snapshot: Snapshot;
  procRoot: string;
  sysRoot: string | null;
  /** Allow the no-op write test for managed IRQs (kernels before 6.12, root). */
  probe: boolean;
  numa: NumaPolicy;
  /** --cpus: planned as given, isolated and nohz_full ones included. */
  requested?: readonly number[];
  /** --fixed and --allow. */
  userFixed: ReadonlySet<string>;
  userAllowed: ReadonlyMap<string, readonly number[]>;
}

export function liveRules(o: LiveRulesOptions): LiveRules {
  const columns = o.snapshot.cpus;
  const live = readLiveFacts({
    procRoot: o.procRoot,
    sysRoot: o.sysRoot,
    rows: o.snapshot.rows,
    columns,
    probe: o.probe,
  });
  let cpus: number[];
  try {
    cpus = plannedCpus({ ...live.topology, columns, ...(o.requested ? { requested: o.requested } : {}) });
  } catch (e) {
    // The same refusal as the daemon's, said in terms of this command line.
    if (e instanceof IrqkitError && e.code === 'IRQ_ERR_UNKNOWN_CPU') {
      throw new IrqkitError('IRQ_ERR_UNKNOWN_CPU', `--cpus: ${e.message}`, e.details);
    }
    throw e;
  }
  const classes = classifyIrqs({
    irqs: live.facts,
    cpus,
    nodes: live.topology.nodes,
    numa: o.numa,
    banned: o.userFixed,
  });
  const { fixed, current, allowed } = planConstraints(classes);
  // An IRQ without interrupts in the window loads nothing wherever it is: it is idle, not held,
  // so that a window in which nothing fired still reads as the quiet window it is.
  const quiet = new Set(o.snapshot.rows.filter((r) => r.numeric && r.total === 0).map((r) => r.label));
  const reasons = new Map<string, FixedReason>();
  for (const c of classes) {
    if (c.kind !== 'fixed') continue;
    if (quiet.has(c.irq) && !o.userFixed.has(c.irq)) fixed.delete(c.irq);
    else reasons.set(c.irq, c.reason);
  }
  // An IRQ with nothing known about it is still held by --fixed (at its busiest CPU).
  for (const irq of o.userFixed) fixed.add(irq);
  for (const [irq, cpusAllowed] of o.userAllowed) {
    const rule = allowed.get(irq);
    allowed.set(irq, rule === undefined ? [...cpusAllowed] : rule.filter((c) => cpusAllowed.includes(c)));
  }
  const planned = new Set(cpus);
  const online = new Set(live.topology.online);
  const left = (list: readonly number[]): number[] =>
    columns.filter((c) => list.includes(c) && online.has(c) && !planned.has(c));
  return {
    cpus,
    fixed,
    current,
    allowed,
    reasons,
    excluded: { isolated: left(live.topology.isolated), nohzFull: left(live.topology.nohzFull) },
    numa: o.numa,
    managed: live.managed,
    sysfs: live.sysfs,
    notes: classNotes(classes),
  };
}
