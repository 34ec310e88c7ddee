import { readdirSync, readFileSync, statSync } from 'node:fs';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import type { InterruptRow } from '../../src/core/snapshot.ts';

/** virtio2 is this machine's own control channel: none of its device's IRQs may be written. */
export const FORBIDDEN = /^virtio2-/;
/** The kernel-managed block queue (0444 since 6.12; writes give EPERM). */
export const MANAGED_NAME = 'virtio1-req.0';

/**
 * Adds every MSI vector of the PCI devices that own one of `irqs`, so a guard on virtio2's
 * named IRQs also covers its unnamed vectors: none of that device's IRQs may be touched.
 */
export function withDeviceSiblings(irqs: Set<string>, pci = '/sys/bus/pci/devices'): Set<string> {
  let devices: string[] = [];
  try {
    devices = readdirSync(pci);
  } catch {
    // no sysfs: the names alone guard
  }
  for (const dev of devices) {
    let vectors: string[] = [];
    try {
      vectors = readdirSync(`${pci}/${dev}/msi_irqs`);
    } catch {
      continue;
    }
    if (vectors.some((v) => irqs.has(v))) for (const v of vectors) irqs.add(v);
  }
  return irqs;
}

export interface LiveIrqs {
  /** A writable ACPI:Ged IRQ: movable, but it hardly ever fires, so a move stays pending. */
  ged: InterruptRow | undefined;
  /** The busiest writable virtio balloon vector: movable, and it really moves. */
  balloon: InterruptRow | undefined;
  managed: InterruptRow | undefined;
  /** IRQs never to write: virtio2's and its device's. */
  forbidden: Set<string>;
}

/** The IRQs the live-kernel tests may use, found by handler name, never by number. */
export function liveIrqs(proc = '/proc'): LiveIrqs {
  const all = parseInterrupts(readFileSync(`${proc}/interrupts`, 'utf8')).rows.filter((r) => r.numeric);
  const named = (rows: InterruptRow[], test: (action: string) => boolean): InterruptRow[] =>
    rows.filter((r) => (r.actions ?? []).some(test));
  const forbidden = withDeviceSiblings(new Set(named(all, (a) => FORBIDDEN.test(a)).map((r) => r.label)));
  const rows = all.filter((r) => !forbidden.has(r.label));
  const writable = (r: InterruptRow): boolean =>
    (statSync(`${proc}/irq/${r.label}/smp_affinity_list`).mode & 0o222) !== 0;
  return {
    ged: named(rows, (a) => a === 'ACPI:Ged').filter(writable)[0],
    balloon: named(rows, (a) => a.startsWith('virtio0-'))
      .filter(writable)
      .sort((a, b) => b.total - a.total)[0],
    managed: named(rows, (a) => a === MANAGED_NAME)[0],
    forbidden,
  };
}
