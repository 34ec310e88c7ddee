/**
 * What irqkitd needs from the machine, as one interface: the real procfs/sysfs (with injectable
 * roots) and the simulated machine both implement it, so the daemon never knows which it runs on.
 */
import type { ErrorCode } from '../core/errors.ts';

export interface IrqDevice {
  /** PCI address ("0000:00:1f.2") or another sysfs device name. */
  name: string;
  /** sysfs path relative to the sysfs root, e.g. "bus/pci/devices/0000:00:1f.2". */
  path: string;
  /** The device's NUMA node (sysfs numa_node), null when unknown or -1. */
  numaNode: number | null;
  /** CPUs local to the device (sysfs local_cpulist), null when unknown. */
  localCpus: number[] | null;
}

export interface IrqInfo {
  irq: string;
  /** smp_affinity_list: the requested CPUs. */
  affinity: number[];
  /** effective_affinity_list: where the kernel really routes it; null where the file is missing. */
  effective: number[] | null;
  /** /proc/irq/N/node, null for -1 or missing. */
  node: number | null;
  /** affinity_hint as CPUs; null when the driver gives none (all zeros) or the file is missing. */
  hint: number[] | null;
  /**
   * True when user space cannot set the affinity: kernel-managed, per-CPU or no-balancing IRQs.
   * Known from the file mode on kernels ≥ 6.12 (0444), or from an earlier refused write;
   * null when it cannot be known without trying.
   */
  managed: boolean | null;
  /** Handler names from /proc/irq/N/<name>/ directories. */
  actions: string[];
  device: IrqDevice | null;
}

export interface CpuTopology {
  online: number[];
  isolated: number[];
  nohzFull: number[];
  /**
   * CPUs the kernel could ever bring online (sysfs `possible`); absent where the file is missing.
   * A CPU in here but not online is offline; one outside it does not exist.
   */
  possible?: number[];
  /** NUMA node → its CPUs; one node 0 with every online CPU when the machine has no NUMA info. */
  nodes: Map<number, number[]>;
}

export interface AffinityWrite {
  irq: string;
  cpu: number;
  /**
   * The whole smp_affinity_list to write instead of `cpu` alone: putting back an affinity
   * irqkitd changed (restore, undo), which may name several CPUs. Valid when one is online.
   */
  cpus?: readonly number[];
}

export interface AffinityOutcome {
  irq: string;
  /** The CPU asked for. */
  cpu: number;
  /** The IRQ is now set as asked (in a dry run: would be). False for a write that was undone. */
  ok: boolean;
  /** smp_affinity_list before the write (what a rollback restores). */
  previous: number[];
  /** smp_affinity_list after the write (or after the rollback). */
  affinity: number[];
  /** effective_affinity_list read back, null where missing. */
  effective: number[] | null;
  /**
   * The kernel accepted the write but still routes to the old CPU: on x86 without interrupt
   * remapping the move happens at the IRQ's next interrupt. Not a failure.
   */
  pending: boolean;
  /** True when this write succeeded but was undone because another write of the batch failed. */
  rolledBack: boolean;
  /**
   * Why it is not ok: a catalogued code (IRQ_ERR_MANAGED, IRQ_ERR_CPU_OFFLINE, …), a message and
   * the kernel's errno when a write failed. The other writes of a failed batch say
   * IRQ_ERR_ROLLED_BACK (written, then restored) or IRQ_ERR_NOT_ATTEMPTED (never written).
   */
  error?: { code: ErrorCode; message: string; errno?: string };
}

export interface BatchResult {
  ok: boolean;
  dryRun: boolean;
  /**
   * A write failed and every earlier write of the batch was undone. False when nothing had to be
   * undone (the first write failed, or validation refused the batch) and when an undo failed (its
   * outcome then carries that error).
   */
  rolledBack: boolean;
  outcomes: AffinityOutcome[];
}

export interface SystemAccess {
  /** Human-readable description: "/proc and /sys", "simulated machine in /tmp/…". */
  readonly description: string;
  readInterrupts(): string;
  /**
   * The same read as bytes, into `buffer` or a larger one returned in its place (the sampler
   * reuses its buffers). Optional: without it the sampler reads text.
   */
  readInterruptsInto?(buffer: Uint8Array): { bytes: Uint8Array; length: number };
  /** IRQ numbers that have a /proc/irq/N directory, ascending. */
  listIrqs(): string[];
  /** Throws IRQ_ERR_UNKNOWN_IRQ when /proc/irq/N does not exist. */
  irqInfo(irq: string): IrqInfo;
  /**
   * How many affinity writes through this object the kernel accepted (batches, rollbacks,
   * probes): a cached answer made at another count may show affinities that have changed.
   */
  affinityWrites(): number;
  topology(): CpuTopology;
  /**
   * Whether the kernel manages this IRQ's affinity. When neither the file mode (kernels ≥ 6.12)
   * nor an earlier write tells, writes the current smp_affinity_list back, which moves nothing
   * and which a managed IRQ refuses; null when even that does not tell (e.g. not root).
   */
  probeManaged(irq: string): boolean | null;
  /**
   * Pins each IRQ to one CPU (smp_affinity_list). Validates everything first; then writes in
   * order; if one write fails, restores every earlier write of the batch. Never throws for a
   * kernel refusal: each IRQ's outcome says what happened.
   */
  setAffinities(writes: readonly AffinityWrite[], options?: { dryRun?: boolean }): BatchResult;
}
