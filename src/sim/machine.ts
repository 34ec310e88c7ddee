/**
 * A simulated machine in a directory: procfs/sysfs files that behave like the kernel's where
 * irqkit looks. Counters grow with each IRQ's rate on the CPU the IRQ is really routed to, and
 * that CPU follows what was written to smp_affinity_list, so the daemon's moves show up.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
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
import { layoutIrqs, onlineCpus, queueRate, type SimIrq } from './layout.ts';
import { createPrng, type Prng } from './prng.ts';
import {
  knownDevices,
  type ResolvedDevice,
  type ResolvedSimSpec,
  resolveSimSpec,
  SIM_MAX_RATE,
  type SimSpec,
} from './spec.ts';
import { interruptCount } from './traffic.ts';
import {
  RO,
  RW,
  writeCpuState,
  writeFile,
  writeFileAtomic,
  writeIrqFiles,
  writeMsiVector,
  writeStaticTree,
} from './tree.ts';

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
   * CPU of it (writing effective_affinity_list), adds rate × seconds (Poisson counts around a
   * bursty rate: traffic.ts) to that CPU's 32-bit counter and atomically rewrites /proc/interrupts.
   * A step over a `schedule` entry counts at the old rates up to it and the new ones after.
   */
  advance(seconds: number): void;
  /**
   * The whole device raises `rate` interrupts per second from now on (the next advance), split
   * over its queues by the skew weights it started with. A later `schedule` entry naming the
   * device overrides it. IRQ_ERR_USAGE for an unknown device or a rate that is not 0-1e9.
   */
  setDeviceRate(deviceName: string, rate: number): void;
  /** A device's interrupts per second now (the spec's, a schedule's or setDeviceRate's). */
  deviceRate(deviceName: string): number;
  /**
   * Advances by the time elapsed on `clock` every `intervalMs` (timer unref'd). The clock is a
   * monotonic real one by default; tests pass a manual one, so that time moves when they say.
   */
  start(intervalMs?: number, clock?: MachineClock): void;
  /**
   * When started: lets the time since the last step pass now, as if the timer had just fired.
   * A reader that calls it first sees counters that match its own clock, as a real kernel's do,
   * however late the timer runs on a loaded machine.
   */
  catchUp(): void;
  stop(): void;
  /** createSystem on this machine's roots. */
  system(options?: Omit<SystemOptions, 'procRoot' | 'sysRoot'>): SystemAccess;
  /** A device's IRQ numbers in queue order; IRQ_ERR_USAGE for a device the spec does not have. */
  irqsOf(deviceName: string): string[];
  /** An IRQ's counters, one per CPU (offline CPUs included); IRQ_ERR_UNKNOWN_IRQ if unknown. */
  counts(irq: string): number[];
  /** Stops the timer; removes the directory if the machine made it. */
  dispose(): void;

  // Fault injection: what drivers, CPU hotplug and a flaky procfs do to a running daemon.

  /** /proc/sys/kernel/random/boot_id: new for every machine, as for every boot. */
  readonly bootId: string;
  /** Online CPUs now, ascending. */
  online(): number[];
  /**
   * CPU hotplug. Offline: the CPU leaves sysfs `online` and its NUMA node's cpulist and loses its
   * /proc/interrupts column; a movable IRQ with no online CPU left in its affinity gets every online
   * CPU ("affinity broken", as the kernel does, and it is not put back later); a managed one shuts
   * down until its CPU returns. Refuses to take the last online CPU away.
   */
  setOnline(cpu: number, online: boolean): void;
  /**
   * Driver unload or NIC reset, first half: /proc/irq/N, its /proc/interrupts row and its sysfs
   * msi_irqs entry disappear.
   */
  removeIrq(irq: string): void;
  /**
   * Driver reload, second half: the IRQ comes back as a new descriptor, counters from 0 and its
   * boot-time affinity. `action` renames its handler: the number now belongs to another device.
   */
  restoreIrq(irq: string, options?: { action?: string }): void;
  /**
   * How /proc/interrupts reads from now on: `unreadable` (a directory there: EISDIR),
   * `truncated` (cut in the middle of a line), `truncated-lines` (cut at a line end: the named
   * rows at the end are missing), or null for the real thing. Takes effect at once.
   */
  setInterruptsFault(fault: InterruptsFault | null): void;
  /** A process in /proc/PID/comm (e.g. irqbalance, for the daemon's detection); remove it with null. */
  setProcess(pid: number, comm: string | null): void;
}

export type InterruptsFault = 'unreadable' | 'truncated' | 'truncated-lines';

/** What start() needs of time: milliseconds from a monotonic source, and timers. */
export interface MachineClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): void };
  clearTimeout(handle: unknown): void;
}

const monotonicClock: MachineClock = {
  now: () => Number(process.hrtime.bigint()) / 1e6,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface IrqState {
  sim: SimIrq;
  /** Interrupts per second now: the device's current rate times this queue's share. */
  rate: number;
  counts: number[];
  affinity: number[];
  effective: number[];
  /** The file texts last written or seen, to tell which of the two the daemon changed. */
  listText: string;
  maskText: string;
  gone: boolean;
  /** Handler name now (a reload may give the number to another device). */
  action: string;
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
  let online = onlineCpus(resolved);
  const rng: Prng = createPrng(resolved.seed);
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
      rate: sim.rate,
      counts: new Array<number>(resolved.cpus).fill(sim.device.start),
      affinity: sim.affinity,
      effective,
      listText: `${formatCpuList(sim.affinity)}\n`,
      maskText: `${formatCpuMask(sim.affinity, resolved.cpus)}\n`,
      gone: false,
      action: sim.action,
    };
  });
  const byIrq = new Map(states.map((s) => [String(s.sim.irq), s]));
  const named = resolved.named.map((r) => ({ row: r, counts: new Array<number>(resolved.cpus).fill(0) }));
  writeStaticTree(procRoot, sysRoot, resolved, layout);

  /** Named rows are mostly ticks (LOC), regular but for a little jitter; devices are bursty. */
  const jittered = (expected: number): number =>
    Math.max(0, Math.round(expected * (1 + resolved.noise * (2 * rng.next() - 1))));

  const irqDir = (s: IrqState): string => join(procRoot, 'irq', String(s.sim.irq));

  /** Sets the requested affinity (list and mask files) as the kernel reports it. */
  const setAffinity = (s: IrqState, next: number[], seen?: { list: string; mask: string }): void => {
    const dir = irqDir(s);
    s.affinity = next;
    s.listText = `${formatCpuList(next)}\n`;
    s.maskText = `${formatCpuMask(next, resolved.cpus)}\n`;
    // A file that already reads as the kernel would print it is left alone: rewriting it could
    // land over a newer write of the daemon, which runs in another process (a lost update the
    // kernel never makes).
    if (seen?.list !== s.listText) writeFileAtomic(join(dir, 'smp_affinity_list'), s.listText, RW);
    if (seen?.mask !== s.maskText) writeFileAtomic(join(dir, 'smp_affinity'), s.maskText, RW);
  };

  /** Routes the IRQ to the first online CPU of its affinity and says so in effective_affinity. */
  const reroute = (s: IrqState): void => {
    const dir = irqDir(s);
    const effective = routeOf(s.sim, s.affinity);
    if (!cpuSetsEqual(effective, s.effective)) {
      s.effective = effective;
      writeFileAtomic(join(dir, 'effective_affinity_list'), `${formatCpuList(effective)}\n`, RO);
      writeFileAtomic(join(dir, 'effective_affinity'), `${formatCpuMask(effective, resolved.cpus)}\n`, RO);
    }
  };

  /** Picks up what the daemon wrote: the list file wins, then the hex mask. */
  const refresh = (s: IrqState): void => {
    const dir = irqDir(s);
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
      setAffinity(s, next, { list: listText, mask: maskText });
    }
    reroute(s);
  };

  let interruptsFault: InterruptsFault | null = null;
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
        actions: [s.action],
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
    const text = renderInterrupts({ cpus: online, rows, warnings: [] });
    const path = join(procRoot, 'interrupts');
    const isDir = statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
    if (interruptsFault === 'unreadable') {
      // A directory reads as EISDIR even for root, which ignores file modes.
      if (!isDir) {
        rmSync(path, { force: true });
        mkdirSync(path);
      }
      return;
    }
    if (isDir) rmSync(path, { recursive: true, force: true });
    writeFileAtomic(path, faulty(text, interruptsFault), RO);
  };

  const deviceRates = new Map(resolved.devices.map((d) => [d.name, d.rate]));
  const deviceOf = (name: string): ResolvedDevice => {
    const device = resolved.devices.find((d) => d.name === name);
    if (device === undefined) {
      const names = resolved.devices.map((d) => d.name);
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `the simulated machine has no device ${JSON.stringify(name)} ${knownDevices(names)}`,
      );
    }
    return device;
  };
  const setDeviceRate = (name: string, rate: number): void => {
    const device = deviceOf(name);
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > SIM_MAX_RATE) {
      const got = typeof rate === 'number' ? String(rate) : JSON.stringify(rate);
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `the rate of device ${name} must be a number 0-${SIM_MAX_RATE}, got ${got}`,
      );
    }
    deviceRates.set(name, rate);
    // Vanished IRQs too, so that a restored one raises what its device raises now.
    for (const s of states) if (s.sim.device === device) s.rate = queueRate(rate, s.sim);
  };

  /**
   * Seconds since creation, uptime excluded: the schedule's clock, which starts once the uptime
   * has passed (schedule entries are times on a machine already up).
   */
  let scheduleClock = 0;
  let scheduleStarted = false;
  let nextEntry = 0;
  const applyDueEntries = (): void => {
    let entry = resolved.schedule[nextEntry];
    while (entry !== undefined && entry.at <= scheduleClock) {
      for (const [name, rate] of Object.entries(entry.rates)) setDeviceRate(name, rate);
      entry = resolved.schedule[++nextEntry];
    }
  };

  /** Adds one stretch of traffic at the current rates. */
  const addTraffic = (seconds: number): void => {
    for (const s of states) {
      if (s.gone) continue;
      // The same draws for every IRQ in every stretch, routed or not, so neither a move nor
      // another device's traffic shifts the others' noise; stretches end at schedule entries,
      // which are the same for every IRQ.
      const add = interruptCount(rng, s.rate, seconds, resolved.noise);
      const cpu = s.effective[0];
      if (cpu !== undefined) s.counts[cpu] = ((s.counts[cpu] as number) + add) % WRAP;
    }
  };

  let elapsed = 0;
  const advance = (seconds: number): void => {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new IrqkitError('IRQ_ERR_USAGE', `cannot advance the simulated machine by ${seconds} seconds`);
    }
    for (const s of states) if (!s.gone) refresh(s);
    if (!scheduleStarted) addTraffic(seconds);
    else {
      // With noise 0 a step over an entry counts exactly old rate × before + new rate × after
      // (each rounded), as if it had been two steps.
      const end = scheduleClock + seconds;
      do {
        const entry = resolved.schedule[nextEntry];
        const until = entry !== undefined && entry.at < end ? entry.at : end;
        addTraffic(until - scheduleClock);
        scheduleClock = until;
        applyDueEntries();
      } while (scheduleClock < end);
    }
    for (const n of named) {
      for (const c of online) n.counts[c] = ((n.counts[c] as number) + jittered(n.row.rate * seconds)) % WRAP;
    }
    elapsed += seconds;
    writeInterrupts();
  };

  const bootId = randomUUID();
  writeFile(join(procRoot, 'sys', 'kernel', 'random', 'boot_id'), `${bootId}\n`, RO);
  advance(resolved.uptime);
  scheduleStarted = true;
  applyDueEntries();

  const stateOf = (irq: string): IrqState => {
    const s = byIrq.get(irq);
    if (s === undefined)
      throw new IrqkitError('IRQ_ERR_UNKNOWN_IRQ', `the simulated machine has no IRQ ${irq}`);
    return s;
  };

  let timer: { handle: unknown; clock: MachineClock } | null = null;
  /** The running timer's step: advances by the time since the last one (null when stopped). */
  let step: (() => boolean) | null = null;
  const stop = (): void => {
    if (timer !== null) timer.clock.clearTimeout(timer.handle);
    timer = null;
    step = null;
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
    start(intervalMs = 1000, clock = monotonicClock) {
      stop();
      let last = clock.now();
      const stepNow = (): boolean => {
        const now = clock.now();
        try {
          advance((now - last) / 1000);
        } catch {
          // The tree was removed under a running timer (a test's cleanup): nothing left to drive.
          stop();
          return false;
        }
        last = now;
        return true;
      };
      step = stepNow;
      const tick = (): void => {
        if (stepNow()) schedule();
      };
      const schedule = (): void => {
        const handle = clock.setTimeout(tick, intervalMs);
        handle.unref?.();
        timer = { handle, clock };
      };
      schedule();
    },
    catchUp() {
      step?.();
    },
    stop,
    system(options = {}) {
      return createSystem({ description: `simulated machine in ${root}`, ...options, procRoot, sysRoot });
    },
    setDeviceRate,
    deviceRate(deviceName) {
      deviceOf(deviceName);
      return deviceRates.get(deviceName) as number;
    },
    irqsOf(deviceName) {
      const device = deviceOf(deviceName);
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
    bootId,
    online: () => online.slice(),
    setOnline(cpu, on) {
      if (!Number.isInteger(cpu) || cpu < 0 || cpu >= resolved.cpus) {
        throw new IrqkitError('IRQ_ERR_USAGE', `the simulated machine has no CPU ${cpu}`);
      }
      const next = on
        ? [...new Set([...online, cpu])].sort((a, b) => a - b)
        : online.filter((c) => c !== cpu);
      if (next.length === 0) throw new IrqkitError('IRQ_ERR_USAGE', 'the last online CPU cannot go offline');
      if (cpuSetsEqual(next, online)) return;
      // Writes the daemon made before the hotplug count, as they would have reached the kernel.
      for (const s of states) if (!s.gone) refresh(s);
      online = next;
      writeCpuState(sysRoot, resolved, online);
      for (const s of states) {
        if (s.gone) continue;
        // migrate_one_irq(): a movable IRQ left without an online CPU gets all of them.
        if (!on && !s.sim.managed && !s.affinity.some((c) => hasCpu(online, c)))
          setAffinity(s, online.slice());
        reroute(s);
      }
      writeInterrupts();
    },
    removeIrq(irq) {
      const s = stateOf(irq);
      s.gone = true;
      rmSync(irqDir(s), { recursive: true, force: true });
      writeMsiVector(sysRoot, s.sim, false);
      writeInterrupts();
    },
    restoreIrq(irq, options = {}) {
      const s = stateOf(irq);
      if (!s.gone) throw new IrqkitError('IRQ_ERR_USAGE', `IRQ ${irq} is still there: removeIrq() it first`);
      s.gone = false;
      s.action = options.action ?? s.sim.action;
      s.counts = new Array<number>(resolved.cpus).fill(0);
      s.affinity = s.sim.affinity;
      s.listText = `${formatCpuList(s.affinity)}\n`;
      s.maskText = `${formatCpuMask(s.affinity, resolved.cpus)}\n`;
      s.effective = routeOf(s.sim, s.affinity);
      writeIrqFiles(procRoot, resolved, { ...s.sim, action: s.action }, s.effective);
      writeMsiVector(sysRoot, s.sim, true);
      writeInterrupts();
    },
    setInterruptsFault(fault) {
      interruptsFault = fault;
      writeInterrupts();
    },
    setProcess(pid, comm) {
      const dir = join(procRoot, String(pid));
      rmSync(dir, { recursive: true, force: true });
      if (comm !== null) writeFile(join(dir, 'comm'), `${comm}\n`, RO);
    },
  };
}

/** The text a faulty procfs would return (see SimulatedMachine.setInterruptsFault). */
function faulty(text: string, fault: InterruptsFault | null): string {
  if (fault === 'truncated') {
    let cut = Math.floor(text.length * 0.6);
    while (cut > 1 && (text[cut - 1] === '\n' || text[cut - 1] === ' ')) cut--;
    return text.slice(0, cut);
  }
  if (fault === 'truncated-lines') {
    const lines = text.split('\n');
    return `${lines.slice(0, Math.max(2, Math.floor(lines.length / 2))).join('\n')}\n`;
  }
  return text;
}
