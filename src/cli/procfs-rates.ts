/**
 * `irqkit top --procfs`: rates without irqkitd, from reads of <root>/interrupts a refresh apart.
 * Each sample is the difference of this read and the one before (core/rates.ts handles wraps,
 * resets and CPUs that come and go), shaped as irqkitd's distribution answer so that the frame,
 * --json and the live loop read it exactly as they read the daemon's.
 */
import type { Distribution } from '../api/schemas.ts';
import { IrqkitError } from '../core/errors.ts';
import { parseInterrupts } from '../core/parse-interrupts.ts';
import { type Delta, diffSnapshots } from '../core/rates.ts';
import type { Snapshot } from '../core/snapshot.ts';
import { createProcFs } from '../io/procfs.ts';

interface Read {
  snapshot: Snapshot;
  /** Monotonic milliseconds, for the interval. */
  at: number;
  /** Wall-clock time, for the window's start and end. */
  wall: Date;
}

export interface ProcfsRates {
  /** `<root>/interrupts`, as the header and messages name it. */
  source: string;
  /**
   * The next sample: rates since the previous read. The first call reads twice, `wait()` apart
   * (a wait that a live view can cancel when it quits).
   */
  next(wait: () => Promise<void>): Promise<Distribution>;
}

export function procfsRates(root: string, clock: { now(): number; wallClock(): Date }): ProcfsRates {
  const fs = createProcFs(root);
  const source = `${fs.root}/interrupts`;
  const read = (): Read => {
    // A read error names its path already; a parse error gets it in front.
    const text = fs.readInterrupts();
    const at = clock.now();
    const wall = clock.wallClock();
    try {
      return { snapshot: parseInterrupts(text), at, wall };
    } catch (e) {
      if (e instanceof IrqkitError)
        throw new IrqkitError(e.code, `${source}: ${e.message}`, { ...e.details, source });
      throw e;
    }
  };
  let previous: Read | undefined;
  return {
    source,
    async next(wait) {
      if (previous === undefined) {
        previous = read();
        await wait();
      }
      const current = read();
      const seconds = (current.at - previous.at) / 1000;
      const delta = diffSnapshots(previous.snapshot, current.snapshot, seconds > 0 ? { seconds } : {});
      const d = distributionOf(delta, previous.wall, current.wall, seconds);
      previous = current;
      return d;
    },
  };
}

/** A delta as irqkitd's GET /api/v1/distribution answers it (service.ts computeDistribution). */
export function distributionOf(delta: Delta, start: Date, end: Date, seconds: number): Distribution {
  const perSecond = (n: number): number => (seconds > 0 ? n / seconds : 0);
  const total = delta.cpuTotals.reduce((a, b) => a + b, 0);
  return {
    // top reads /proc alone here; which CPUs are isolated is not its question.
    topology: null,
    window: {
      start: start.toISOString(),
      end: end.toISOString(),
      seconds,
      complete: true,
      requestedSeconds: seconds,
    },
    cpus: [...delta.cpus],
    irqs: delta.rows
      .filter((r) => r.numeric)
      .map((r) => ({
        irq: r.key,
        name: r.name,
        chip: r.chip ?? null,
        perCpu: [...r.perCpu],
        total: r.total,
        ratePerSecond: perSecond(r.total),
      })),
    named: delta.rows
      .filter((r) => !r.numeric)
      .map((r) => ({
        row: r.key,
        description: r.name,
        perCpu: r.global ? null : [...r.perCpu],
        total: r.total,
        ratePerSecond: perSecond(r.total),
      })),
    cpuTotals: delta.cpus.map((cpu, i) => ({
      cpu,
      interrupts: delta.cpuTotals[i] ?? 0,
      share: total > 0 ? (delta.cpuTotals[i] ?? 0) / total : 0,
      ratePerSecond: perSecond(delta.cpuTotals[i] ?? 0),
    })),
    total,
    ratePerSecond: perSecond(total),
  };
}
