import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulatedMachine, type SimulatedMachine } from '../../src/sim/machine.ts';
import type { SimSpec } from '../../src/sim/spec.ts';
import { writeFileAtomic } from '../../src/sim/tree.ts';

/** A simulated machine in a fresh temp dir; call `cleanup()` (e.g. in `after`) to remove it. */
export function tempMachine(spec: SimSpec): SimulatedMachine & { cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-sim-test-'));
  try {
    const m = createSimulatedMachine(spec, dir);
    return Object.assign(m, {
      cleanup() {
        m.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Runs `fn` on a fresh machine and always removes it. */
export function withMachine<T>(spec: SimSpec, fn: (m: SimulatedMachine) => T): T {
  const m = tempMachine(spec);
  try {
    return fn(m);
  } finally {
    m.cleanup();
  }
}

export function procFile(m: SimulatedMachine, irq: string, file: string): string {
  return readFileSync(join(m.procRoot, 'irq', irq, file), 'utf8').trim();
}

export function procMode(m: SimulatedMachine, irq: string, file: string): number {
  return statSync(join(m.procRoot, 'irq', irq, file)).mode & 0o777;
}

/** Overwrites a file whatever its mode, as root would (so tests also run unprivileged). */
export function overwrite(path: string, text: string): void {
  // At once, as the kernel changes a /proc file: a daemon reading meanwhile must never see the
  // empty file between a truncate and a write.
  writeFileAtomic(path, text, statSync(path).mode & 0o777);
}

/** A small machine for write tests: 4 CPUs on 2 nodes, CPU 3 offline, a NIC and managed NVMe. */
export function smallSpec(extra: Partial<SimSpec> = {}): SimSpec {
  return {
    cpus: 4,
    nodes: 2,
    offline: [3],
    devices: [
      { name: 'timer', type: 'legacy', irq: 0, rate: 10 },
      { name: 'eth0', pci: '0000:3b:00.0', node: 0, queues: 4, rate: 4000, skew: [4, 3, 2, 1] },
      { name: 'nvme0', pci: '0000:5e:00.0', node: 1, queues: 2, rate: 1000, managed: true },
      { name: 'ahci', pci: '0000:00:17.0', type: 'intx', node: 0, rate: 50 },
    ],
    noise: 0,
    ...extra,
  };
}
