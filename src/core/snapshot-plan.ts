/**
 * Turns a snapshot of rates (a /proc/interrupts-style file whose counts are interrupts per
 * window) into a planner request: every numeric IRQ is an item whose load is the sum of its
 * per-CPU counts, and whose current CPU is the one that serviced most of them.
 */
import { formatCpuList, normalizeCpus } from './cpuset.ts';
import { IrqkitError } from './errors.ts';
import type { PlanItem, PlanRequest } from './planner/plan.ts';
import { type InterruptRow, rowName, type Snapshot } from './snapshot.ts';

export interface SnapshotPlanOptions {
  /** CPUs to place IRQs on; default: every CPU column of the snapshot. */
  cpus?: readonly number[];
  /** Per-IRQ allowed CPUs. */
  allowed?: ReadonlyMap<string, readonly number[]>;
  /** IRQs that must stay where they are (still counted on their CPU). */
  fixed?: ReadonlySet<string>;
  /**
   * Where IRQs are now, when known better than from the counts (the daemon reads
   * effective_affinity_list). IRQs not in the map fall back to their busiest CPU.
   */
  current?: ReadonlyMap<string, number>;
  timeLimitMs?: number;
  tolerance?: number;
}

/** The CPU that serviced most of a row's interrupts (lowest id on ties); undefined if none. */
export function dominantCpu(row: InterruptRow, cpus: readonly number[]): number | undefined {
  let best = -1;
  let bestCount = 0;
  for (let i = 0; i < row.counts.length && i < cpus.length; i++) {
    const c = row.counts[i] as number;
    if (c > bestCount) {
      best = i;
      bestCount = c;
    }
  }
  return best < 0 ? undefined : cpus[best];
}

export interface SnapshotPlan {
  request: PlanRequest;
  /**
   * IRQs with no interrupts at all: moving them changes nothing, so they are left where they
   * are instead of being placed (and counted as moves) arbitrarily.
   */
  idle: string[];
  /** Row per IRQ label, for names and chips in reports. */
  rows: ReadonlyMap<string, InterruptRow>;
}

export function planRequestFromSnapshot(snapshot: Snapshot, options: SnapshotPlanOptions = {}): SnapshotPlan {
  const known = new Set(snapshot.cpus);
  const cpus = options.cpus ? [...options.cpus] : [...snapshot.cpus];
  for (const c of cpus) {
    if (!known.has(c)) {
      throw new IrqkitError(
        'IRQ_ERR_UNKNOWN_CPU',
        `CPU ${c} is not in the input (it has CPU${snapshot.cpus.length === 1 ? '' : 's'} ${describeCpus(snapshot.cpus)})`,
        { cpu: c, cpus: snapshot.cpus },
      );
    }
  }
  if (cpus.length === 0) throw new IrqkitError('IRQ_ERR_EMPTY', 'no CPUs selected');
  const rows = new Map<string, InterruptRow>();
  for (const row of snapshot.rows) if (row.numeric && row.occurrence === 0) rows.set(row.label, row);
  if (rows.size === 0) throw new IrqkitError('IRQ_ERR_EMPTY', 'the input has no numbered IRQ rows to place');
  for (const id of [...(options.allowed?.keys() ?? []), ...(options.fixed ?? [])]) {
    if (!rows.has(id))
      throw new IrqkitError('IRQ_ERR_UNKNOWN_IRQ', `IRQ ${id} is not in the input`, { irq: id });
  }
  const items: PlanItem[] = [];
  const idle: string[] = [];
  for (const [id, row] of rows) {
    const current = options.current?.get(id) ?? dominantCpu(row, snapshot.cpus);
    if (row.total === 0 && !options.fixed?.has(id)) {
      idle.push(id);
      continue;
    }
    const item: PlanItem = { id, load: row.total };
    if (current !== undefined) item.current = current;
    const allowed = options.allowed?.get(id);
    if (allowed) item.allowed = allowed;
    if (options.fixed?.has(id)) {
      if (current === undefined) {
        throw new IrqkitError('IRQ_ERR_USAGE', `IRQ ${id} has no interrupts, so it has no CPU to stay on`, {
          irq: id,
        });
      }
      item.fixed = true;
    }
    items.push(item);
  }
  if (items.length === 0) {
    throw new IrqkitError(
      'IRQ_ERR_EMPTY',
      `none of the ${rows.size} IRQs had any interrupts: nothing to balance`,
    );
  }
  const request: PlanRequest = { cpus, items };
  if (options.timeLimitMs !== undefined) request.timeLimitMs = options.timeLimitMs;
  if (options.tolerance !== undefined) request.tolerance = options.tolerance;
  return { request, rows, idle };
}

export function describeCpus(cpus: readonly number[]): string {
  return cpus.length === 0 ? 'none' : formatCpuList(normalizeCpus(cpus));
}

export { rowName };
