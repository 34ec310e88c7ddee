/**
 * irqbalance moves IRQs every 10 s, so on a machine where it runs it undoes irqkitd's pins (and
 * irqkitd then reports drift). irqkitd cannot stop it, but it can notice and say how to ban the
 * pinned IRQs from it. Found by scanning /proc/PID/comm under the procfs root, which a simulated
 * machine or a test can populate; an irqbalance in another PID namespace (a container) is not seen.
 */
import { join } from 'node:path';
import type { IrqbalanceStatus } from '../api/schemas.ts';
import { listDirectory, readOptionalFile } from '../io/procfs.ts';

const PID = /^[0-9]+$/;

/** PIDs whose comm is `irqbalance`, ascending. */
export function findIrqbalance(procRoot: string): number[] {
  const pids: number[] = [];
  let entries: { name: string; isDirectory: boolean }[];
  try {
    entries = listDirectory(procRoot);
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!e.isDirectory || !PID.test(e.name)) continue;
    try {
      // Processes exit while we scan: a comm that is gone (or refused) is simply not irqbalance.
      if (readOptionalFile(join(procRoot, e.name, 'comm'))?.trim() === 'irqbalance')
        pids.push(Number(e.name));
    } catch {
      // not readable: skip
    }
  }
  return pids.sort((a, b) => a - b);
}

/** How to keep irqbalance away from these IRQs, as irqbalance's own options spell it. */
export function banAdvice(irqs: readonly string[]): string {
  const bans = irqs.map((i) => `--banirq=${i}`).join(' ');
  return irqs.length === 0
    ? 'ban pinned IRQs from it with --banirq=N in IRQBALANCE_ARGS (/etc/default/irqbalance)'
    : `ban the pinned IRQs from it: IRQBALANCE_ARGS="${bans}" in /etc/default/irqbalance (or /etc/sysconfig/irqbalance), then restart irqbalance`;
}

/** The warning line the API hands to clients, or null when irqbalance is not running. */
export function irqbalanceWarning(status: IrqbalanceStatus, pinned: readonly string[]): string | null {
  if (!status.running) return null;
  const pids = status.pids.join(', ');
  return `irqbalance is running (pid ${pids}) and moves IRQs, so it will undo pins; ${banAdvice(pinned)}`;
}

/**
 * A cached scan: /healthz and the pin endpoints may be asked often, and a scan reads one file per
 * process. `onChange` hears when irqbalance starts or stops (for the log).
 */
export class IrqbalanceWatch {
  private status: IrqbalanceStatus | null = null;
  private readonly procRoot: string;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly onChange: (status: IrqbalanceStatus, previous: IrqbalanceStatus | null) => void;
  private scannedAt = Number.NEGATIVE_INFINITY;

  constructor(options: {
    procRoot: string;
    maxAgeMs?: number;
    now?: () => number;
    onChange?: (status: IrqbalanceStatus, previous: IrqbalanceStatus | null) => void;
  }) {
    this.procRoot = options.procRoot;
    this.maxAgeMs = options.maxAgeMs ?? 2_000;
    this.now = options.now ?? (() => Date.now());
    this.onChange = options.onChange ?? (() => undefined);
  }

  /** The status, scanning again when the last scan is older than maxAgeMs (or `fresh`). */
  get(fresh = false): IrqbalanceStatus {
    const t = this.now();
    if (!fresh && this.status !== null && t - this.scannedAt < this.maxAgeMs) return this.status;
    const pids = findIrqbalance(this.procRoot);
    const next: IrqbalanceStatus = { running: pids.length > 0, pids, checkedAt: new Date(t).toISOString() };
    const previous = this.status;
    this.status = next;
    this.scannedAt = t;
    if (previous === null || previous.running !== next.running || previous.pids.join() !== next.pids.join()) {
      this.onChange(next, previous);
    }
    return next;
  }
}
