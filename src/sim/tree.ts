/**
 * Writes the simulated machine's procfs and sysfs files: the layout of the kernel's, with
 * regular files (so 0444 is a promise the simulator keeps, not the kernel).
 */
import { chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatCpuList, formatCpuMask } from '../core/cpuset.ts';
import { nodeCpus, onlineCpus, type SimIrq } from './layout.ts';
import type { ResolvedSimSpec } from './spec.ts';

export const RW = 0o644;
export const RO = 0o444;

export function writeFile(path: string, content: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/**
 * Readers (and the daemon's own reads) never see a half-written file; rename also replaces a
 * 0444 file when not running as root, which is how the kernel "rewrites" read-only files.
 */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.tmp`);
  writeFileSync(tmp, content);
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

const list = (cpus: readonly number[]): string => `${formatCpuList(cpus)}\n`;

export function writeIrqFiles(
  procRoot: string,
  spec: ResolvedSimSpec,
  irq: SimIrq,
  effective: number[],
): void {
  const dir = join(procRoot, 'irq', String(irq.irq));
  // A reloaded IRQ may come back under another handler name: no stale directory may remain.
  rmSync(dir, { recursive: true, force: true });
  const settable = irq.managed ? RO : RW;
  writeFile(join(dir, 'smp_affinity'), `${formatCpuMask(irq.affinity, spec.cpus)}\n`, settable);
  writeFile(join(dir, 'smp_affinity_list'), list(irq.affinity), settable);
  writeFile(join(dir, 'effective_affinity'), `${formatCpuMask(effective, spec.cpus)}\n`, RO);
  writeFile(join(dir, 'effective_affinity_list'), list(effective), RO);
  writeFile(join(dir, 'affinity_hint'), `${formatCpuMask(irq.hint, spec.cpus)}\n`, RO);
  writeFile(join(dir, 'node'), `${irq.node ?? -1}\n`, RO);
  writeFile(join(dir, 'spurious'), 'count 0\nunhandled 0\nlast_unhandled 0 ms\n', RO);
  mkdirSync(join(dir, irq.action), { recursive: true });
}

export function writeStaticTree(
  procRoot: string,
  sysRoot: string,
  spec: ResolvedSimSpec,
  irqs: SimIrq[],
): void {
  const all = Array.from({ length: spec.cpus }, (_, i) => i);
  const online = onlineCpus(spec);
  writeFile(join(procRoot, 'sys', 'kernel', 'osrelease'), `${spec.kernel}\n`, RO);
  writeFile(
    join(procRoot, 'irq', 'default_smp_affinity'),
    `${formatCpuMask(spec.irqaffinity, spec.cpus)}\n`,
    RW,
  );

  const cpu = join(sysRoot, 'devices', 'system', 'cpu');
  writeFile(join(cpu, 'possible'), list(all), RO);
  writeFile(join(cpu, 'present'), list(all), RO);
  writeFile(join(cpu, 'isolated'), list(spec.isolated), RO);
  writeFile(join(cpu, 'nohz_full'), list(spec.nohzFull), RO);
  // CPU 0 has no `online` file on x86: it cannot be unplugged.
  mkdirSync(join(cpu, 'cpu0'), { recursive: true });

  const node = join(sysRoot, 'devices', 'system', 'node');
  const nodeIds = Array.from({ length: spec.nodes }, (_, i) => i);
  writeFile(join(node, 'possible'), list(nodeIds), RO);
  writeFile(join(node, 'online'), list(nodeIds), RO);
  writeFile(join(node, 'has_cpu'), list(nodeIds), RO);
  writeCpuState(sysRoot, spec, online);

  const pciDevices = join(sysRoot, 'bus', 'pci', 'devices');
  mkdirSync(pciDevices, { recursive: true });
  for (const d of spec.devices) {
    if (d.pci === null) continue;
    const rel = pciDeviceRel(d.pci);
    const dir = join(sysRoot, rel);
    const local = nodeCpus(spec, d.node).filter((c) => online.includes(c));
    const own = irqs.filter((i) => i.device === d);
    writeFile(join(dir, 'numa_node'), `${spec.nodes > 1 ? d.node : -1}\n`, RW);
    writeFile(join(dir, 'local_cpulist'), list(local), RO);
    writeFile(join(dir, 'local_cpus'), `${formatCpuMask(local, spec.cpus)}\n`, RO);
    // With MSI enabled the legacy line is unused; 0 is what a VM without INTx routing shows.
    writeFile(join(dir, 'irq'), `${d.type === 'intx' ? (own[0]?.irq ?? 0) : 0}\n`, RO);
    if (d.type === 'msi' || d.type === 'msix') {
      for (const i of own) writeMsiVector(sysRoot, i, true);
    }
    // /sys/bus/pci/devices/* are symlinks into the device tree, as on a real machine.
    symlinkSync(join('..', '..', '..', rel), join(pciDevices, d.pci));
  }
}

/** Where a PCI device lives in the device tree, relative to the sysfs root. */
function pciDeviceRel(pci: string): string {
  const [domain, bus] = pci.split(':');
  return join('devices', `pci${domain}:${bus}`, pci);
}

/** Adds or removes an MSI vector's sysfs `msi_irqs/N` entry (driver load and unload). */
export function writeMsiVector(sysRoot: string, irq: SimIrq, present: boolean): void {
  const d = irq.device;
  if (d.pci === null || (d.type !== 'msi' && d.type !== 'msix')) return;
  const path = join(sysRoot, pciDeviceRel(d.pci), 'msi_irqs', String(irq.irq));
  if (present) writeFile(path, `${d.type}\n`, RO);
  else rmSync(path, { force: true });
}

/**
 * The sysfs files that follow CPU hotplug: online/offline lists, cpuN/online, node cpulists.
 * Rewritten by rename, so it also works on 0444 files without root.
 */
export function writeCpuState(sysRoot: string, spec: ResolvedSimSpec, online: readonly number[]): void {
  const put = (path: string, content: string, mode: number): void => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, content, mode);
  };
  const all = Array.from({ length: spec.cpus }, (_, i) => i);
  const cpu = join(sysRoot, 'devices', 'system', 'cpu');
  put(join(cpu, 'online'), list(online), RO);
  put(join(cpu, 'offline'), list(all.filter((c) => !online.includes(c))), RO);
  for (const c of all) {
    if (c !== 0) put(join(cpu, `cpu${c}`, 'online'), online.includes(c) ? '1\n' : '0\n', RW);
  }
  // Offline CPUs leave their node's cpulist (x86 numa_remove_cpu).
  const node = join(sysRoot, 'devices', 'system', 'node');
  for (let n = 0; n < spec.nodes; n++) {
    const cpus = nodeCpus(spec, n).filter((c) => online.includes(c));
    put(join(node, `node${n}`, 'cpulist'), list(cpus), RO);
    put(join(node, `node${n}`, 'cpumap'), `${formatCpuMask(cpus, spec.cpus)}\n`, RO);
  }
}
