/**
 * A batch of affinity writes that applies completely or not at all: everything is validated
 * before the first write, and a refused write undoes the writes before it.
 */
import { formatCpuList, hasCpu } from '../core/cpuset.ts';
import { type ErrorCode, isIrqkitError } from '../core/errors.ts';
import type { AffinityWriter } from './affinity-writer.ts';
import {
  affinityListPath,
  fileMode,
  irqExists,
  isIrqNumber,
  readAffinity,
  readEffectiveAffinity,
} from './procfs.ts';
import type { AffinityOutcome, AffinityWrite, BatchResult, CpuTopology } from './system.ts';

export interface BatchContext {
  procRoot: string;
  topology(): CpuTopology;
  writer: AffinityWriter;
  /**
   * Runs just before each write. A test seam for the race between validation and write (an IRQ
   * freed in between); production code leaves it unset.
   */
  beforeWrite?: (write: AffinityWrite, index: number) => void;
}

type OutcomeError = NonNullable<AffinityOutcome['error']>;

function fail(code: ErrorCode, message: string): OutcomeError {
  return { code, message };
}

/** Reads that must not throw halfway through a batch: a vanished or garbled file reads as nothing. */
function readBack(procRoot: string, irq: string): { affinity: number[]; effective: number[] | null } {
  let affinity: number[] = [];
  let effective: number[] | null = null;
  try {
    affinity = readAffinity(procRoot, irq) ?? [];
  } catch {
    // keep []
  }
  try {
    effective = readEffectiveAffinity(procRoot, irq);
  } catch {
    // keep null
  }
  return { affinity, effective };
}

/** A whole list (restore): every CPU must exist, and the kernel wants one of them online. */
function cpuListError(cpus: readonly unknown[], topo: CpuTopology): OutcomeError | undefined {
  if (cpus.length === 0) return fail('IRQ_ERR_UNKNOWN_CPU', 'an empty CPU list');
  const errors = cpus.map((c) => cpuError(c, topo));
  const unknown = errors.find((e) => e !== undefined && e.code !== 'IRQ_ERR_CPU_OFFLINE');
  if (unknown !== undefined) return unknown;
  if (errors.every((e) => e !== undefined)) {
    return fail('IRQ_ERR_CPU_OFFLINE', `no CPU of ${formatCpuList(cpus as number[])} is online`);
  }
  return undefined;
}

/** The list a write sets: `cpus` when given (restore), else the one CPU. */
function targetOf(w: Pick<AffinityWrite, 'cpu' | 'cpus'>): readonly number[] {
  return w.cpus ?? [w.cpu];
}

function cpuError(cpu: unknown, topo: CpuTopology): OutcomeError | undefined {
  if (typeof cpu !== 'number' || !Number.isInteger(cpu) || cpu < 0) {
    return fail('IRQ_ERR_UNKNOWN_CPU', `${JSON.stringify(cpu)} is not a CPU number`);
  }
  if (hasCpu(topo.online, cpu)) return undefined;
  if (topo.possible !== undefined && !hasCpu(topo.possible, cpu)) {
    return fail('IRQ_ERR_UNKNOWN_CPU', `CPU ${cpu} does not exist on this machine`);
  }
  return fail('IRQ_ERR_CPU_OFFLINE', `CPU ${cpu} is offline`);
}

interface Checked {
  outcome: AffinityOutcome;
  /** The smp_affinity_list to write. */
  target: readonly number[];
  /** Set when the write cannot be made; the whole batch is then refused. */
  invalid: boolean;
}

function validate(ctx: BatchContext, writes: readonly AffinityWrite[]): Checked[] {
  const topo = ctx.topology();
  const seen = new Map<string, number>();
  for (const w of writes) seen.set(String(w.irq), (seen.get(String(w.irq)) ?? 0) + 1);
  return writes.map((w) => {
    const irq = String(w.irq);
    const outcome: AffinityOutcome = {
      irq,
      cpu: w.cpu,
      ok: false,
      previous: [],
      affinity: [],
      effective: null,
      pending: false,
      rolledBack: false,
    };
    let error: OutcomeError | undefined;
    if (!isIrqNumber(w.irq)) {
      error = fail('IRQ_ERR_UNKNOWN_IRQ', `${JSON.stringify(w.irq)} is not an IRQ number`);
    } else if ((seen.get(irq) ?? 0) > 1) {
      error = fail('IRQ_ERR_USAGE', `IRQ ${irq} appears ${seen.get(irq)} times in one batch`);
    } else {
      try {
        const previous = readAffinity(ctx.procRoot, irq);
        if (previous === null) {
          error = !irqExists(ctx.procRoot, irq)
            ? fail('IRQ_ERR_UNKNOWN_IRQ', `IRQ ${irq} does not exist`)
            : fail('IRQ_ERR_MANAGED', `IRQ ${irq} has no smp_affinity_list: its affinity cannot be set`);
        } else {
          outcome.previous = previous;
          outcome.affinity = previous;
          outcome.effective = readEffectiveAffinity(ctx.procRoot, irq);
        }
      } catch (e) {
        if (!isIrqkitError(e)) throw e;
        error = { code: e.code, message: `IRQ ${irq}: ${e.message}` };
      }
    }
    error ??= w.cpus !== undefined ? cpuListError(w.cpus, topo) : cpuError(w.cpu, topo);
    if (error !== undefined) outcome.error = error;
    return { outcome, target: targetOf(w), invalid: error !== undefined };
  });
}

function dryRun(ctx: BatchContext, checked: Checked[]): BatchResult {
  const outcomes = checked.map(({ outcome, target }) => {
    const mode = fileMode(affinityListPath(ctx.procRoot, outcome.irq));
    if (mode !== null && (mode & 0o222) === 0) {
      outcome.error = fail(
        'IRQ_ERR_MANAGED',
        `IRQ ${outcome.irq}: smp_affinity_list is read-only: the kernel manages this IRQ's affinity`,
      );
      return outcome;
    }
    outcome.ok = true;
    outcome.affinity = [...target];
    return outcome;
  });
  return { ok: outcomes.every((o) => o.ok), dryRun: true, rolledBack: false, outcomes };
}

export function applyAffinityBatch(
  ctx: BatchContext,
  writes: readonly AffinityWrite[],
  options: { dryRun?: boolean } = {},
): BatchResult {
  const checked = validate(ctx, writes);
  const outcomes = checked.map((c) => c.outcome);
  if (checked.some((c) => c.invalid)) {
    for (const c of checked) {
      if (!c.invalid) {
        c.outcome.error = fail(
          'IRQ_ERR_NOT_ATTEMPTED',
          `IRQ ${c.outcome.irq}: not written: the batch is invalid`,
        );
      }
    }
    return { ok: false, dryRun: options.dryRun === true, rolledBack: false, outcomes };
  }
  if (options.dryRun === true) return dryRun(ctx, checked);

  const written: AffinityOutcome[] = [];
  let failed: AffinityOutcome | undefined;
  for (const [i, { outcome: o, target }] of checked.entries()) {
    if (failed !== undefined) {
      o.error = fail('IRQ_ERR_NOT_ATTEMPTED', `IRQ ${o.irq}: not written because IRQ ${failed.irq} failed`);
      continue;
    }
    ctx.beforeWrite?.({ irq: o.irq, cpu: o.cpu }, i);
    const result = ctx.writer.write(o.irq, target);
    const back = readBack(ctx.procRoot, o.irq);
    o.affinity = back.affinity;
    o.effective = back.effective;
    if (result.ok) {
      o.ok = true;
      // x86 without interrupt remapping moves the vector at the IRQ's next interrupt.
      o.pending =
        back.effective !== null &&
        back.effective.length > 0 &&
        !back.effective.some((c) => target.includes(c));
      written.push(o);
    } else {
      o.error = result.error;
      failed = o;
    }
  }
  if (failed === undefined) return { ok: true, dryRun: false, rolledBack: false, outcomes };

  let restoredAll = true;
  const cause = `${failed.irq} failed (${failed.error?.code})`;
  for (const o of written.reverse()) {
    const result = ctx.writer.write(o.irq, o.previous);
    const back = readBack(ctx.procRoot, o.irq);
    o.ok = false;
    o.pending = false;
    o.affinity = back.affinity;
    o.effective = back.effective;
    if (result.ok) {
      o.rolledBack = true;
      o.error = fail('IRQ_ERR_ROLLED_BACK', `IRQ ${o.irq}: written, then restored because IRQ ${cause}`);
    } else {
      restoredAll = false;
      o.error = {
        ...result.error,
        message: `IRQ ${o.irq}: written, but restoring it after IRQ ${cause} failed too: ${result.error.message}`,
      };
    }
  }
  return { ok: false, dryRun: false, rolledBack: written.length > 0 && restoredAll, outcomes };
}
