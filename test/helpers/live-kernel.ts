import { readdirSync } from 'node:fs';

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
