/**
 * A simulated machine in a directory: procfs/sysfs files that behave like the kernel's where
 * irqkit looks. Counters grow with each IRQ's rate on the CPU the IRQ is really routed to, and
 * that CPU follows what was written to smp_affinity_list, so the daemon's moves show up.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cpuSetsEqual,
  formatCpuList,
  formatCpuMask,
  hasCpu,
  parseCpuList,
  parseCpuMask,
} from '../core/cpuset.ts';
import { IrqkitError } from '../core/errors.ts';
import { renderInterrupts } from '../core/parse-interrupts.ts';
import type { InterruptRow } from '../core/snapshot.ts';
import { createSystem, type SystemOptions } from '../io/create-system.ts';
import { readOptionalFile } from '../io/procfs.ts';
import type { SystemAccess } from '../io/system.ts';
import { layoutIrqs, onlineCpus, type SimIrq } from './layout.ts';
import { createPrng, type Prng } from './prng.ts';
import { type ResolvedSimSpec, resolveSimSpec, type SimSpec } from './spec.ts';
import { RO, RW, writeFileAtomic, writeIrqFiles, writeStaticTree } from './tree.ts';

const WRAP = 2 ** 32;

export interface SimulatedMachine {
  readonly spec: ResolvedSimSpec;
  readonly dir: string;
  /** `dir/proc`: pass as the procfs root. */
  readonly procRoot: string;
  /** `dir/sys`: pass as the sysfs root. */
  readonly sysRoot: string;
  /** Every IRQ the machine has (vanished ones included), ascending. */
  readonly irqs: readonly SimIrq[];
  /** Simulated seconds so far (uptime included). */
  readonly elapsed: number;
  /**
   * Lets `seconds` pass: re-reads every smp_affinity_list, routes each IRQ to the first online
   * CPU of it (writing effective_affinity_list), adds rate × seconds (± noise) to that CPU's
   * 32-bit counter and atomically rewrites /proc/interrupts.
   */
  advance(seconds: number): void;
  /** Advances by the wall-clock time elapsed every `intervalMs` (timer unref'd). */
  start(intervalMs?: number): void;
  stop(): void;
  /** createSystem on this machine's roots. */
  system(options?: Omit<SystemOptions, 'procRoot' | 'sysRoot'>): SystemAccess;
  /** A device's IRQ numbers in queue order; IRQ_ERR_USAGE for a device the spec does not have. */
  irqsOf(deviceName: string): string[];
  /** An IRQ's counters, one per CPU (offline CPUs included); IRQ_ERR_UNKNOWN_IRQ if unknown. */
  counts(irq: string): number[];
  /** Stops the timer; removes the directory if the machine made it. */
  dispose(): void;
}

interface IrqState {
  sim: SimIrq;
  counts: number[];
  affinity: number[];
  effective: number[];
  /** The file texts last written or seen, to tell which of the two the daemon changed. */
  listText: string;
  maskText: string;
  gone: boolean;
}

export function createSimulatedMachine(spec: SimSpec | ResolvedSimSpec, dir?: string): SimulatedMachine {
  const resolved = resolveSimSpec(spec);
  const ownsDir = dir === undefined;
  const root = dir ?? mkdtempSync(join(tmpdir(), 'irqkit-sim-'));
  const procRoot = join(root, 'proc');
  const sysRoot = join(root, 'sys');
  // Refuse to build over an existing tree rather than mix two machines (or clobber a real one).
  if (existsSync(procRoot) || existsSync(sysRoot)) {
    throw new IrqkitError('IRQ_ERR_USAGE', `${root} already holds a proc/ or sys/ tree`, { dir: root });
  }
  mkdirSync(procRoot, { recursive: true });

  const layout = layoutIrqs(resolved);
  const online = onlineCpus(resolved);
  const noise: Prng = createPrng(resolved.seed);
  const routeOf = (sim: SimIrq, affinity: readonly number[]): number[] => {
    const first = affinity.find((c) => hasCpu(online, c));
    if (first !== undefined) return [first];
    // Managed IRQs shut down with their CPUs; others are forced onto an online CPU.
    return sim.managed ? [] : online.slice(0, 1);
  };

  const states: IrqState[] = layout.map((sim) => {
    const effective = routeOf(sim, sim.affinity);
    writeIrqFiles(procRoot, resolved, sim, effective);
    return {
      sim,
      counts: new Array<number>(resolved.cpus).fill(sim.device.start),
      affinity: sim.affinity,
      effective,
      listText: `${formatCpuList(sim.affinity)}\n`,
      maskText: `${formatCpuMask(sim.affinity, resolved.cpus)}\n`,
      gone: false,
    };
  });
  const byIrq = new Map(states.map((s) => [String(s.sim.irq), s]));
  const named = resolved.named.map((r) => ({ row: r, counts: new Array<number>(resolved.cpus).fill(0) }));
  writeStaticTree(procRoot, sysRoot, resolved, layout);

  const noisy = (expected: number): number =>
    Math.max(0, Math.round(expected * (1 + resolved.noise * (2 * noise.next() - 1))));

  /** Picks up what the daemon wrote: the list file wins, then the hex mask. */
  const refresh = (s: IrqState): void => {
    const dir = join(procRoot, 'irq', String(s.sim.irq));
    const listText = readOptionalFile(join(dir, 'smp_affinity_list'));
    if (listText === null) {
      s.gone = true;
      return;
    }
    const maskText = readOptionalFile(join(dir, 'smp_affinity')) ?? s.maskText;
    if (s.sim.managed) {
      // The kernel refuses every write to a managed IRQ; undo one that got past the 0444 (root).
      if (listText !== s.listText) writeFileAtomic(join(dir, 'smp_affinity_list'), s.listText, RO);
      if (maskText !== s.maskText) writeFileAtomic(join(dir, 'smp_affinity'), s.maskText, RO);
      return;
    }
    let next: number[] | null = null;
    try {
      if (listText !== s.listText) next = parseCpuList(listText);
      else if (maskText !== s.maskText) next = parseCpuMask(maskText);
    } catch {
      // The kernel rejects a malformed write and keeps the old mask; so does the simulator.
    }
    s.listText = listText;
    s.maskText = maskText;
    // An empty read is a writer caught between O_TRUNC and write(2).
    if (next !== null && next.length > 0 && !cpuSetsEqual(next, s.affinity)) {
      s.affinity = next;
      s.listText = `${formatCpuList(next)}\n`;
      s.maskText = `${formatCpuMask(next, resolved.cpus)}\n`;
      writeFileAtomic(join(dir, 'smp_affinity_list'), s.listText, RW);
      writeFileAtomic(join(dir, 'smp_affinity'), s.maskText, RW);
    }
    const effective = routeOf(s.sim, s.affinity);
    if (!cpuSetsEqual(effective, s.effective)) {
      s.effective = effective;
      writeFileAtomic(join(dir, 'effective_affinity_list'), `${formatCpuList(effective)}\n`, RO);
      writeFileAtomic(join(dir, 'effective_affinity'), `${formatCpuMask(effective, resolved.cpus)}\n`, RO);
    }
  };

  const writeInterrupts = (): void => {
    const rows: InterruptRow[] = [];
    const pick = (counts: number[]) => online.map((c) => counts[c] ?? 0);
    const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
    for (const s of states) {
      if (s.gone) continue;
      const counts = pick(s.counts);
      rows.push({
        label: String(s.sim.irq),
        numeric: true,
        occurrence: 0,
        counts,
        total: total(counts),
        tail: '',
        chip: s.sim.chip,
        hwirq: s.sim.hwirq,
        flow: s.sim.flow,
        actions: [s.sim.action],
        line: 0,
      });
    }
    for (const n of named) {
      const counts = pick(n.counts);
      rows.push({
        label: n.row.label,
        numeric: false,
        occurrence: 0,
        counts,
        total: total(counts),
        tail: n.row.description,
        description: n.row.description,
        line: 0,
      });
    }
    writeFileAtomic(join(procRoot, 'interrupts'), renderInterrupts({ cpus: online, rows, warnings: [] }), RO);
  };

  let elapsed = 0;
  const advance = (seconds: number): void => {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new IrqkitError('IRQ_ERR_USAGE', `cannot advance the simulated machine by ${seconds} seconds`);
    }
    for (const s of states) {
      if (s.gone) continue;
      refresh(s);
      if (s.gone) continue;
      // Drawn for every IRQ, routed or not, so a move does not shift the others' noise.
      const add = noisy(s.sim.rate * seconds);
      const cpu = s.effective[0];
      if (cpu !== undefined) s.counts[cpu] = ((s.counts[cpu] as number) + add) % WRAP;
    }
    for (const n of named) {
      for (const c of online) n.counts[c] = ((n.counts[c] as number) + noisy(n.row.rate * seconds)) % WRAP;
    }
    elapsed += seconds;
    writeInterrupts();
  };

  advance(resolved.uptime);

  let timer: ReturnType<typeof setInterval> | null = null;
  const stop = (): void => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };

  return {
    spec: resolved,
    dir: root,
    procRoot,
    sysRoot,
    irqs: layout,
    get elapsed() {
      return elapsed;
    },
    advance,
    start(intervalMs = 1000) {
      stop();
      let last = process.hrtime.bigint();
      timer = setInterval(() => {
        const now = process.hrtime.bigint();
        try {
          advance(Number(now - last) / 1e9);
        } catch {
          // The tree was removed under a running timer (a test's cleanup): nothing left to drive.
          stop();
        }
        last = now;
      }, intervalMs);
      timer.unref();
    },
    stop,
    system(options = {}) {
      return createSystem({ description: `simulated machine in ${root}`, ...options, procRoot, sysRoot });
    },
    irqsOf(deviceName) {
      const device = resolved.devices.find((d) => d.name === deviceName);
      if (device === undefined) {
        throw new IrqkitError(
          'IRQ_ERR_USAGE',
          `the simulated machine has no device ${JSON.stringify(deviceName)}`,
        );
      }
      return layout
        .filter((i) => i.device === device)
        .sort((a, b) => a.queue - b.queue)
        .map((i) => String(i.irq));
    },
    counts(irq) {
      const s = byIrq.get(irq);
      if (s === undefined)
        throw new IrqkitError('IRQ_ERR_UNKNOWN_IRQ', `the simulated machine has no IRQ ${irq}`);
      return s.counts.slice();
    },
    dispose() {
      stop();
      if (ownsDir) rmSync(root, { recursive: true, force: true });
    },
  };
}
