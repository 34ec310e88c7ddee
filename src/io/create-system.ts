/**
 * SystemAccess over a procfs and a sysfs tree: the real /proc and /sys, a captured copy, or the
 * simulated machine's files.
 */

import { join } from 'node:path';
import { applyAffinityBatch } from './affinity-batch.ts';
import { createAffinityWriter } from './affinity-writer.ts';
import {
  DEFAULT_PROC_ROOT,
  isIrqNumber,
  kernelVersion,
  listIrqNumbers,
  readFileInto,
  readProcIrq,
  readTextFile,
  unknownIrq,
} from './procfs.ts';
import { createPciIrqMap, DEFAULT_SYS_ROOT, readTopology } from './sysfs.ts';
import type { AffinityWrite, CpuTopology, IrqInfo, SystemAccess } from './system.ts';

export interface SystemOptions {
  procRoot?: string;
  /**
   * null: no sysfs to read (a captured procfs alone), which reads as a missing sysfs does: no
   * CPU known online, no devices.
   */
  sysRoot?: string | null;
  /** Overrides the description (the simulator says what it is). */
  description?: string;
  /** Monotonic milliseconds, for the PCI scan cache; injectable for tests. */
  now?: () => number;
  /** Test seam: runs just before each write of a batch (see BatchContext.beforeWrite). */
  beforeWrite?: (write: AffinityWrite, index: number) => void;
}

/**
 * Since 6.12 (commit c7718e5c76d4) smp_affinity_list is 0444 exactly when user space may not set
 * the affinity, so a writable file proves the IRQ movable; before, the mode says nothing.
 */
function modeIsAuthoritative(version: [number, number] | null): boolean {
  return version !== null && (version[0] > 6 || (version[0] === 6 && version[1] >= 12));
}

export function createSystem(options: SystemOptions = {}): SystemAccess {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const sysRoot = options.sysRoot === null ? null : (options.sysRoot ?? DEFAULT_SYS_ROOT);
  const description =
    options.description ??
    (procRoot === DEFAULT_PROC_ROOT && sysRoot === DEFAULT_SYS_ROOT
      ? '/proc and /sys'
      : `${procRoot} and ${sysRoot ?? 'no sysfs'}`);
  const writer = createAffinityWriter(procRoot);
  const pci = sysRoot === null ? null : createPciIrqMap(sysRoot, options.now ? { now: options.now } : {});
  const topology = (): CpuTopology =>
    sysRoot === null
      ? { online: [], isolated: [], nohzFull: [], nodes: new Map([[0, []]]) }
      : readTopology(sysRoot);
  let modeKnown: boolean | undefined;

  const managed = (irq: string, mode: number | null): boolean | null => {
    const learned = writer.learned(irq);
    if (mode === null || (mode & 0o222) === 0 || learned === 'refused') return true;
    modeKnown ??= modeIsAuthoritative(kernelVersion(procRoot));
    return modeKnown || learned === 'accepted' ? false : null;
  };

  return {
    description,
    readInterrupts: () => readTextFile(join(procRoot, 'interrupts')),
    readInterruptsInto: (buffer) => readFileInto(join(procRoot, 'interrupts'), buffer),
    listIrqs: () => listIrqNumbers(procRoot),
    irqInfo(irq: string): IrqInfo {
      if (!isIrqNumber(irq)) throw unknownIrq(irq);
      const state = readProcIrq(procRoot, irq);
      return {
        irq,
        affinity: state.affinity,
        effective: state.effective,
        node: state.node,
        hint: state.hint,
        managed: managed(irq, state.affinityMode),
        actions: state.actions,
        device: pci === null ? null : pci.lookup(irq),
      };
    },
    topology,
    affinityWrites: () => writer.accepted,
    probeManaged(irq: string): boolean | null {
      if (!isIrqNumber(irq)) throw unknownIrq(irq);
      const known = managed(irq, readProcIrq(procRoot, irq).affinityMode);
      if (known !== null) return known;
      // Before 6.12 a managed IRQ's file looks writable; only a write tells. Writing back the
      // mask it already has moves nothing, and a managed IRQ refuses any write.
      const current = readProcIrq(procRoot, irq).affinity;
      if (current.length === 0) return null;
      const r = writer.write(irq, current);
      if (r.ok) return false;
      return r.error.code === 'IRQ_ERR_MANAGED' ? true : null;
    },
    setAffinities(writes, opts = {}) {
      return applyAffinityBatch(
        {
          procRoot,
          topology,
          writer,
          ...(options.beforeWrite ? { beforeWrite: options.beforeWrite } : {}),
        },
        writes,
        opts,
      );
    },
  };
}
