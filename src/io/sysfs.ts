/**
 * sysfs with an injectable root: CPU topology and which PCI device raises an IRQ.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseCpuList } from '../core/cpuset.ts';
import { fileMode, listDirectory, readOptionalFile } from './procfs.ts';
import type { CpuTopology, IrqDevice } from './system.ts';

export const DEFAULT_SYS_ROOT = '/sys';

/** A cpulist file as CPUs; a blank file is the empty set (e.g. no isolcpus), a missing one null. */
function readCpuListFile(path: string): number[] | null {
  const text = readOptionalFile(path);
  if (text === null) return null;
  // Some kernels print a NULL cpumask (nohz_full without CONFIG_NO_HZ_FULL) as "(null)".
  return text.trim() === '(null)' ? [] : parseCpuList(text);
}

const NODE_DIR = /^node(\d+)$/;

export function readTopology(sysRoot: string): CpuTopology {
  const cpuDir = join(sysRoot, 'devices', 'system', 'cpu');
  const online = readCpuListFile(join(cpuDir, 'online')) ?? [];
  const possible = readCpuListFile(join(cpuDir, 'possible'));
  const nodes = new Map<number, number[]>();
  const nodeRoot = join(sysRoot, 'devices', 'system', 'node');
  const nodeIds = listDirectory(nodeRoot)
    .map((d) => NODE_DIR.exec(d.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  for (const id of nodeIds) {
    const cpus = readCpuListFile(join(nodeRoot, `node${id}`, 'cpulist'));
    if (cpus !== null) nodes.set(id, cpus);
  }
  // Kernels without CONFIG_NUMA have no node directories: one node holding everything.
  if (nodes.size === 0) nodes.set(0, online.slice());
  const topology: CpuTopology = {
    online,
    isolated: readCpuListFile(join(cpuDir, 'isolated')) ?? [],
    nohzFull: readCpuListFile(join(cpuDir, 'nohz_full')) ?? [],
    nodes,
  };
  if (possible !== null) topology.possible = possible;
  return topology;
}

// ---------------------------------------------------------------------------------------------
// IRQ → PCI device

export interface PciIrqMapOptions {
  /** Milliseconds on a monotonic clock; injectable so tests can step time. */
  now?: () => number;
  /** Shortest time between two rescans caused by lookups that miss. */
  rescanIntervalMs?: number;
}

export interface PciIrqMap {
  /** The PCI device that raises `irq`, null for IRQs without one (IO-APIC legacy, IPIs, …). */
  lookup(irq: string): IrqDevice | null;
  /** Forgets the cached scan; the next lookup rescans. */
  invalidate(): void;
  /** How many times sysfs was scanned (for tests of the cache). */
  readonly scans: number;
}

interface Owner {
  device: string;
  /** True for an MSI/MSI-X vector (msi_irqs/<irq>), false for a legacy INTx line (`irq`). */
  msi: boolean;
}

const PCI_DEVICES = ['bus', 'pci', 'devices'];

/**
 * Walking every PCI device costs a few hundred syscalls on a big server and irqInfo is called
 * per IRQ, so the walk is cached; a miss (a device hot-plugged since) rescans, at most once per
 * `rescanIntervalMs`, and a hit is checked against sysfs so a reused IRQ number is noticed.
 */
export function createPciIrqMap(sysRoot: string, options: PciIrqMapOptions = {}): PciIrqMap {
  const now = options.now ?? (() => performance.now());
  const interval = options.rescanIntervalMs ?? 1000;
  const devicesDir = join(sysRoot, ...PCI_DEVICES);
  let owners: Map<string, Owner> | null = null;
  let lastScan = Number.NEGATIVE_INFINITY;
  let scans = 0;

  const scan = (): Map<string, Owner> => {
    scans++;
    lastScan = now();
    const map = new Map<string, Owner>();
    const intx: [string, string][] = [];
    for (const entry of listDirectory(devicesDir).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const dev = entry.name;
      const vectors = listDirectory(join(devicesDir, dev, 'msi_irqs'));
      for (const v of vectors) if (!map.has(v.name)) map.set(v.name, { device: dev, msi: true });
      // With MSI enabled the `irq` file still shows the idle INTx line, which another device may
      // really use, so only MSI-less devices claim their line.
      if (vectors.length === 0) {
        const line = readOptionalFile(join(devicesDir, dev, 'irq'))?.trim();
        if (line !== undefined && /^\d+$/.test(line) && line !== '0') intx.push([line, dev]);
      }
    }
    // A shared INTx line belongs to its first device in address order.
    for (const [line, dev] of intx) if (!map.has(line)) map.set(line, { device: dev, msi: false });
    owners = map;
    described = new Map();
    return map;
  };

  const stillOwns = (irq: string, o: Owner): boolean =>
    o.msi
      ? fileMode(join(devicesDir, o.device, 'msi_irqs', irq)) !== null
      : readOptionalFile(join(devicesDir, o.device, 'irq'))?.trim() === irq;

  // A device's node and local CPUs are the same for all its vectors (256 on a big NIC): read once
  // per scan, not per IRQ.
  let described = new Map<string, IrqDevice>();
  const describe = (o: Owner): IrqDevice => {
    let d = described.get(o.device);
    if (d === undefined) {
      d = readDevice(o);
      described.set(o.device, d);
    }
    return d;
  };
  const readDevice = (o: Owner): IrqDevice => {
    const dir = join(devicesDir, o.device);
    const nodeText = readOptionalFile(join(dir, 'numa_node'));
    const node = nodeText === null ? Number.NaN : Number.parseInt(nodeText.trim(), 10);
    const local = readOptionalFile(join(dir, 'local_cpulist'));
    return {
      name: o.device,
      path: [...PCI_DEVICES, o.device].join('/'),
      numaNode: Number.isInteger(node) && node >= 0 ? node : null,
      localCpus: local === null ? null : parseCpuList(local),
    };
  };

  return {
    lookup(irq) {
      let map = owners ?? scan();
      let owner = map.get(irq);
      let owns = owner !== undefined && stillOwns(irq, owner);
      if (!owns && now() - lastScan >= interval) {
        map = scan();
        owner = map.get(irq);
        owns = owner !== undefined && stillOwns(irq, owner);
      }
      return owner === undefined || !owns ? null : describe(owner);
    },
    invalidate() {
      owners = null;
      described = new Map();
    },
    get scans() {
      return scans;
    },
  };
}
