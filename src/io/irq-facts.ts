/**
 * What a plan needs to know about the machine besides the counts: the CPU topology, and per IRQ
 * its affinity, device node and whether the kernel manages it. Read through createSystem(), as
 * irqkitd reads them, so that `classifyIrqs` (core/irq-classes.ts) gets the same facts from both.
 *
 * Which IRQs the kernel manages shows in the file mode on kernels ≥ 6.12 (smp_affinity_list is
 * 0444 exactly for them), readable by anyone. Before 6.12 nothing readable by a user tells:
 * /proc/irq, /sys/kernel/irq and sysfs msi_irqs carry no such flag. Root has two ways: debugfs
 * (/sys/kernel/debug/irq/irqs/N lists IRQD_AFFINITY_MANAGED, where the kernel has
 * CONFIG_GENERIC_IRQ_DEBUGFS and debugfs is mounted), read first because it writes nothing;
 * else a write of the IRQ's own affinity, which moves nothing and which a managed IRQ refuses.
 */
import { join } from 'node:path';
import type { IrqFacts } from '../core/irq-classes.ts';
import type { InterruptRow } from '../core/snapshot.ts';
import { dominantCpu } from '../core/snapshot-plan.ts';
import { createSystem } from './create-system.ts';
import { fileMode, kernelVersion, listDirectory, readOptionalFile } from './procfs.ts';
import type { CpuTopology, IrqInfo } from './system.ts';

/**
 * How an IRQ's kernel management became known:
 * - `read-only`: its smp_affinity_list is 0444, so it is managed (on any kernel);
 * - `writable`: a writable file on a kernel ≥ 6.12, where the mode is the kernel's word: not managed;
 * - `debugfs`: its debugfs state (root);
 * - `write`: a write of its own affinity (root, kernel < 6.12);
 * - `untested`: none of these could tell.
 */
export type ManagedHow = 'read-only' | 'writable' | 'debugfs' | 'write' | 'untested';

/** Why some IRQs are `untested`. */
export type UntestedReason = 'no-probe' | 'needs-root' | 'write-failed' | 'no-proc-irq';

export interface ManagedFindings {
  /** /proc/sys/kernel/osrelease, null when unreadable. */
  kernel: string | null;
  /** True on kernels ≥ 6.12: the file mode alone tells. */
  modeTells: boolean;
  /** Per IRQ with interrupts in the window (idle ones are not planned, so not tested). */
  how: Map<string, ManagedHow>;
  /** The IRQs found managed, in row order. */
  managed: string[];
  /** Null when every active IRQ is known. */
  untestedReason: UntestedReason | null;
}

export interface LiveFacts {
  facts: IrqFacts[];
  /** From sysfs; without one, every CPU column is online, none isolated, one NUMA node. */
  topology: CpuTopology;
  /** Whether the topology came from a sysfs (false: assumed from the columns). */
  sysfs: boolean;
  managed: ManagedFindings;
}

export interface LiveFactsOptions {
  procRoot: string;
  /** null: no sysfs (a captured procfs alone). */
  sysRoot: string | null;
  /** The window's rows (numbered ones are used) and CPU columns. */
  rows: readonly InterruptRow[];
  columns: readonly number[];
  /** Allow the no-op write test (root, kernels before 6.12). */
  probe: boolean;
}

const UNMOVABLE_STATE = /^\s+IRQD_(?:AFFINITY_MANAGED|PER_CPU|NO_BALANCING)\s*$/m;

/**
 * debugfs's answer for one IRQ: whether user space may not set its affinity; null when debugfs
 * does not say (absent, unreadable, or not the expected format).
 */
export function debugfsUnmovable(sysRoot: string, irq: string): boolean | null {
  let text: string | null;
  try {
    text = readOptionalFile(join(sysRoot, 'kernel', 'debug', 'irq', 'irqs', irq));
  } catch {
    return null; // debugfs is root-only: a user reads EACCES
  }
  if (text === null || !/^dstate:/m.test(text)) return null;
  return UNMOVABLE_STATE.test(text);
}

function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

function columnsTopology(columns: readonly number[]): CpuTopology {
  return { online: [...columns], isolated: [], nohzFull: [], nodes: new Map([[0, [...columns]]]) };
}

export function readLiveFacts(o: LiveFactsOptions): LiveFacts {
  const system = createSystem({ procRoot: o.procRoot, sysRoot: o.sysRoot });
  const sysTopology = o.sysRoot === null ? null : system.topology();
  const sysfs = sysTopology !== null && sysTopology.online.length > 0;
  const topology = sysfs && sysTopology !== null ? sysTopology : columnsTopology(o.columns);
  const version = kernelVersion(o.procRoot);
  const osrelease = readOptionalFile(join(o.procRoot, 'sys', 'kernel', 'osrelease'))?.trim() ?? null;
  const managed: ManagedFindings = {
    kernel: osrelease,
    modeTells: version !== null && (version[0] > 6 || (version[0] === 6 && version[1] >= 12)),
    how: new Map(),
    managed: [],
    untestedReason: null,
  };
  const rows = o.rows.filter((r) => r.numeric && r.occurrence === 0);
  const active = rows.filter((r) => r.total > 0);

  if (fileMode(join(o.procRoot, 'irq')) === null) {
    // A captured /proc/interrupts alone: nothing is known about the IRQs, so each is planned as
    // a rate file's would be (its current CPU the busiest one).
    for (const r of active) managed.how.set(r.label, 'untested');
    if (active.length > 0) managed.untestedReason = 'no-proc-irq';
    return { facts: rows.map((r) => ({ irq: r.label, info: null })), topology, sysfs, managed };
  }

  const debugfs = o.sysRoot !== null && !managed.modeTells && hasDebugfs(o.sysRoot) ? o.sysRoot : null;
  const facts = rows.map((row): IrqFacts => {
    let info: IrqInfo;
    try {
      info = system.irqInfo(row.label);
    } catch {
      // No /proc/irq/N (the IRQ went away, or it is chained): it cannot be moved.
      const busiestCpu = dominantCpu(row, o.columns);
      return { irq: row.label, info: null, ...(busiestCpu !== undefined ? { busiestCpu } : {}) };
    }
    let isManaged = info.managed;
    if (row.total > 0) {
      let how: ManagedHow = isManaged === true ? 'read-only' : isManaged === false ? 'writable' : 'untested';
      if (isManaged === null && debugfs !== null) {
        isManaged = debugfsUnmovable(debugfs, row.label);
        if (isManaged !== null) how = 'debugfs';
      }
      if (isManaged === null && o.probe) {
        isManaged = system.probeManaged(row.label);
        if (isManaged !== null) how = 'write';
        else managed.untestedReason ??= isRoot() ? 'write-failed' : 'needs-root';
      }
      if (isManaged === null) managed.untestedReason ??= 'no-probe';
      managed.how.set(row.label, how);
      if (isManaged === true) managed.managed.push(row.label);
    }
    return {
      irq: row.label,
      info: {
        affinity: info.affinity,
        effective: info.effective,
        managed: isManaged,
        numaNode: info.device?.numaNode ?? null,
      },
    };
  });
  return { facts, topology, sysfs, managed };
}

function hasDebugfs(sysRoot: string): boolean {
  try {
    return listDirectory(join(sysRoot, 'kernel', 'debug', 'irq', 'irqs')).length > 0;
  } catch {
    return false;
  }
}
