/**
 * Records, before irqkitd changes an IRQ for the first time, the affinity it had (its
 * "original", saved to the state file first, so a restore still knows it after a crash), and
 * puts originals back on request or on exit.
 */
import type { RestoreOutcome, RestoreResult } from '../api/pin-schemas.ts';
import { cpuSetsEqual, formatCpuList } from '../core/cpuset.ts';
import { IrqkitError } from '../core/errors.ts';
import type { AffinityOutcome, AffinityWrite, BatchResult, SystemAccess } from '../io/system.ts';
import { byIrq, type PinState } from './pin-state.ts';

export interface RestoreOptions {
  irqs?: readonly string[];
  dryRun?: boolean;
  /** Unpin the restored IRQs (else the pins would at once read as drift). */
  unpin: boolean;
  /** On exit the pins are kept, to be applied at the next start; only the log line differs. */
  onExit?: boolean;
}

export interface RestorerOptions {
  raw: SystemAccess;
  state: PinState;
  /** Removes pins (saved first, rolled back on failure) and stops watching them. */
  unpin(irqs: readonly string[]): void;
  log(entry: Record<string, unknown>): void;
  now: () => number;
}

export class Restorer {
  private readonly o: RestorerOptions;

  constructor(options: RestorerOptions) {
    this.o = options;
  }

  /**
   * An affinity batch that records originals first: a change whose original cannot be saved is
   * refused (IRQ_ERR_STATE_WRITE) with nothing written. A dry run records nothing.
   */
  write(writes: readonly AffinityWrite[], opts?: { dryRun?: boolean }): BatchResult {
    if (opts?.dryRun === true) return this.o.raw.setAffinities(writes, opts);
    const added = this.recordOriginals(writes.map((w) => String(w.irq)));
    const result = this.o.raw.setAffinities(writes, opts);
    // An original recorded for a write that did not happen (refused, rolled back, the IRQ gone)
    // is not a change; one whose undo failed is, and keeps its record.
    const originals = this.o.state.originals;
    const unchanged = result.outcomes
      .filter((o) => {
        const orig = originals.get(o.irq);
        return (
          added.has(o.irq) &&
          !o.ok &&
          orig !== undefined &&
          (o.affinity.length === 0 || cpuSetsEqual(orig.affinity, o.affinity))
        );
      })
      .map((o) => o.irq);
    if (unchanged.length > 0) {
      this.o.state.tidy('prune originals', (s) => {
        for (const irq of unchanged) s.originals.delete(irq);
      });
    }
    return result;
  }

  /** Saves the current affinity of IRQs irqkitd has not changed yet; throws (recording nothing) when it cannot. */
  private recordOriginals(irqs: readonly string[]): Set<string> {
    const added = new Map<string, { affinity: number[]; name: string; since: string }>();
    const since = new Date(this.o.now()).toISOString();
    for (const irq of irqs) {
      if (this.o.state.originals.has(irq) || added.has(irq)) continue;
      let affinity: number[];
      let name: string;
      try {
        const info = this.o.raw.irqInfo(irq);
        affinity = info.affinity;
        name = info.actions.join(', ');
      } catch {
        continue; // the batch itself reports an unknown IRQ
      }
      if (affinity.length === 0) continue;
      added.set(irq, { affinity, name, since });
    }
    if (added.size > 0) {
      this.o.state.commit((s) => {
        for (const [irq, original] of added) s.originals.set(irq, original);
      });
    }
    return new Set(added.keys());
  }

  /**
   * Puts back the affinities irqkitd changed (all, or `irqs`), each on its own: one IRQ that
   * cannot be restored (gone, CPU offline) does not hold the others back, and keeps its record for
   * a later try.
   */
  restore(options: RestoreOptions): RestoreResult {
    const originals = this.o.state.originals;
    const targets = options.irqs ? [...new Set(options.irqs)] : [...originals.keys()].sort(byIrq);
    const unknown = targets.filter((i) => !originals.has(i));
    if (unknown.length > 0) {
      throw new IrqkitError(
        'IRQ_ERR_NOT_CHANGED',
        `irqkitd has not changed IRQ ${unknown.join(', ')}: there is nothing to restore; nothing was restored`,
        { irqs: unknown },
      );
    }
    if (targets.length === 0)
      return { ok: true, dryRun: options.dryRun === true, outcomes: [], unpinned: [] };
    const writeOf = (irq: string): AffinityWrite => {
      const original = this.o.state.originals.get(irq)?.affinity ?? [];
      return { irq, cpu: original[0] ?? 0, cpus: original };
    };
    const withOriginal = (irq: string, o: AffinityOutcome | undefined): RestoreOutcome => ({
      ...(o ?? {
        irq,
        cpu: 0,
        ok: false,
        previous: [],
        affinity: [],
        effective: null,
        pending: false,
        rolledBack: false,
        error: { code: 'IRQ_ERR_INTERNAL', message: `IRQ ${irq}: no outcome` },
      }),
      original: [...(writeOf(irq).cpus ?? [])],
    });
    if (options.dryRun === true) {
      const outcomes = targets.map((irq) =>
        withOriginal(irq, this.o.raw.setAffinities([writeOf(irq)], { dryRun: true }).outcomes[0]),
      );
      return { ok: outcomes.every((o) => o.ok), dryRun: true, outcomes, unpinned: [] };
    }
    const unpinned = options.unpin ? targets.filter((i) => this.o.state.pins.has(i)) : [];
    // Unpinned on disk first: a pin left there would be applied again at the next start.
    if (unpinned.length > 0) this.o.unpin(unpinned);
    const outcomes = targets.map((irq) =>
      withOriginal(irq, this.o.raw.setAffinities([writeOf(irq)]).outcomes[0]),
    );
    const restored = outcomes.filter((o) => o.ok).map((o) => o.irq);
    if (restored.length > 0) {
      this.o.state.tidy('forget restored originals', (s) => {
        for (const irq of restored) s.originals.delete(irq);
      });
    }
    const failed = outcomes.filter((o) => !o.ok);
    this.o.log({
      level: failed.length > 0 ? 'warn' : 'info',
      msg: options.onExit ? 'restored on exit' : 'restored',
      restored,
      ...(failed.length > 0 ? { failed: failed.map((o) => ({ irq: o.irq, code: o.error?.code })) } : {}),
      ...(unpinned.length > 0 ? { unpinned } : {}),
    });
    return { ok: failed.length === 0, dryRun: false, outcomes, unpinned };
  }

  /** The originals restore would put back, by IRQ. */
  list(): Array<{ irq: string; affinity: string; name: string; since: string }> {
    return [...this.o.state.originals]
      .sort((a, b) => byIrq(a[0], b[0]))
      .map(([irq, o]) => ({ irq, affinity: formatCpuList(o.affinity), name: o.name, since: o.since }));
  }
}
