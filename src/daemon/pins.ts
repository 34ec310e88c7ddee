/**
 * Desired state that survives restarts: pins (IRQ → CPU, kept and re-applied) and the affinities
 * irqkitd changed, as they were before its first change (what restore puts back). PinKeeper is
 * what the daemon and the routes talk to; the work is done by three parts:
 *
 * - PinState (pin-state.ts): the state in memory and its one save-or-roll-back helper;
 * - DriftWatcher (pin-drift.ts): checks and applies pins, reports drift and irqbalance;
 * - Restorer (pin-restore.ts): records originals before a first change, and puts them back.
 *
 * Every affinity write of the daemon goes through `system` (a wrapper of the real SystemAccess):
 * before an IRQ is changed for the first time, its current affinity is saved to the state file,
 * so a restore still knows it after a crash. The original is saved first; a change whose original
 * cannot be saved is refused (IRQ_ERR_STATE_WRITE) with nothing written. A pin is saved after its
 * write succeeded; if that save fails the write is undone. So a 200 means the kernel and the disk
 * both have it, an error that neither has it.
 */
import type { PinView, RestoreResult } from '../api/pin-schemas.ts';
import type { IrqbalanceStatus, StateHealth } from '../api/schemas.ts';
import { IrqkitError, toIrqkitError } from '../core/errors.ts';
import type { BatchResult, SystemAccess } from '../io/system.ts';
import { DriftWatcher } from './pin-drift.ts';
import { type RestoreOptions, Restorer } from './pin-restore.ts';
import { byIrq, PinState } from './pin-state.ts';
import type { StateStore } from './state-store.ts';

export interface PinKeeperOptions {
  /** The real system; the keeper hands out a guarded wrapper as `system`. */
  system: SystemAccess;
  store: StateStore;
  /** procfs root: boot_id, and /proc/PID/comm for irqbalance. */
  procRoot: string;
  /** Never write: pins are loaded and watched but not applied, nothing is restored. */
  readOnly: boolean;
  log(entry: Record<string, unknown>): void;
  now?: () => number;
}

export interface PinCounters {
  applied: number;
  drifts: number;
  saveFailures: number;
}

export class PinKeeper {
  /** The system every daemon write must use: it records originals first and refuses writes during shutdown. */
  readonly system: SystemAccess;
  private readonly raw: SystemAccess;
  private readonly o: PinKeeperOptions;
  private readonly now: () => number;
  private readonly state: PinState;
  private readonly drift: DriftWatcher;
  private readonly restorer: Restorer;
  private stopping = false;

  constructor(options: PinKeeperOptions) {
    this.o = options;
    this.raw = options.system;
    this.now = options.now ?? (() => Date.now());
    const { log, procRoot, readOnly } = options;
    this.state = new PinState({ store: options.store, procRoot, readOnly, log, now: this.now });
    this.restorer = new Restorer({
      raw: this.raw,
      state: this.state,
      unpin: (irqs) => this.removePins(irqs),
      log,
      now: this.now,
    });
    const guarded = Object.create(this.raw) as SystemAccess;
    guarded.setAffinities = (writes, opts) => {
      if (this.stopping) {
        throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down; nothing was written');
      }
      return this.restorer.write(writes, opts);
    };
    this.system = guarded;
    this.drift = new DriftWatcher({
      raw: this.raw,
      system: this.system,
      pins: () => this.state.pins,
      procRoot,
      readOnly,
      log,
      now: this.now,
    });
  }

  get counters(): PinCounters {
    return { ...this.drift.counters, saveFailures: this.state.saveFailures };
  }

  /** Loads the state file and applies the pins; throws IRQ_ERR_STATE_UNSAFE only (see PinState.load). */
  async start(): Promise<void> {
    await this.state.load();
    this.drift.recheck('startup');
  }

  /** SIGHUP: reads the state file again and applies its pins; throws (keeping the old state) when it cannot. */
  async reload(): Promise<{ pins: number; originals: number }> {
    const counts = await this.state.reload();
    this.drift.recheck('reload');
    return counts;
  }

  /** From now on no new write starts (the API answers 503); restore-on-exit still may. */
  beginShutdown(): void {
    this.stopping = true;
  }

  /**
   * Pins the IRQs of a batch that succeeded. If the state cannot be saved, undoes the batch's
   * writes and throws IRQ_ERR_STATE_WRITE: a pin that is not on disk would not survive a restart.
   */
  persist(result: BatchResult): void {
    if (result.dryRun || !result.ok) return;
    const since = new Date(this.now()).toISOString();
    try {
      this.state.commit((s) => {
        for (const o of result.outcomes) {
          let name = '';
          try {
            name = this.raw.irqInfo(o.irq).actions.join(', ');
          } catch {
            // it was just written; if it vanished since, the watch will say so
          }
          s.pins.set(o.irq, { cpu: o.cpu, name, since });
        }
      });
    } catch (e) {
      const undo = result.outcomes
        .filter((o) => o.previous.length > 0)
        .map((o) => ({ irq: o.irq, cpu: o.previous[0] as number, cpus: o.previous }));
      const undone = undo.length > 0 ? this.raw.setAffinities(undo) : null;
      const err = toIrqkitError(e);
      throw new IrqkitError(
        'IRQ_ERR_STATE_WRITE',
        `${err.message}: the pins were not saved, so the writes were undone`,
        { ...(err.details ?? {}), undone: undone?.ok ?? true },
      );
    }
    this.drift.markApplied(result.outcomes);
  }

  /** Removes pins (the affinities stay as they are). IRQ_ERR_NOT_PINNED, removing nothing, for an IRQ without one. */
  unpin(irqs: readonly string[] | 'all'): string[] {
    if (this.stopping) throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down');
    const pins = this.state.pins;
    const targets = irqs === 'all' ? [...pins.keys()].sort(byIrq) : [...new Set(irqs)];
    const missing = targets.filter((i) => !pins.has(i));
    if (missing.length > 0) {
      throw new IrqkitError(
        'IRQ_ERR_NOT_PINNED',
        `IRQ ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not pinned; nothing was unpinned`,
        { irqs: missing },
      );
    }
    if (targets.length === 0) return [];
    this.removePins(targets);
    this.o.log({ level: 'info', msg: 'unpinned', irqs: targets });
    return targets;
  }

  private removePins(irqs: readonly string[]): void {
    this.state.commit((s) => {
      for (const irq of irqs) s.pins.delete(irq);
    });
    this.drift.forget(irqs);
  }

  /** POST /api/v1/pins/apply: applies every pin not in effect now (drifted ones too). */
  reapply(): PinView[] {
    if (this.stopping) throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down');
    this.drift.check('request');
    return this.views();
  }

  /** After each sample: pins of IRQs that came back are applied again, drift is noted. */
  /** After a sample: `restarted` names the IRQs that appeared or were reset since the one before. */
  afterSample(restarted: readonly string[]): void {
    if (this.stopping) return;
    this.drift.afterSample(restarted);
  }

  /**
   * Puts back the affinities irqkitd changed. On request the restored IRQs are unpinned too;
   * on exit (`onExit`) the pins are kept, to be applied at the next start.
   */
  restore(options: RestoreOptions): RestoreResult {
    if (this.stopping && options.onExit !== true) {
      throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down; nothing was restored');
    }
    return this.restorer.restore(options);
  }

  pinnedIrqs(): string[] {
    return this.drift.pinnedIrqs();
  }

  views(): PinView[] {
    return this.drift.views();
  }

  originals(): Array<{ irq: string; affinity: string; name: string; since: string }> {
    return this.restorer.list();
  }

  irqbalance(fresh = false): IrqbalanceStatus {
    return this.drift.irqbalance(fresh);
  }

  /** Lines for clients: irqbalance undoing pins, a state file that cannot be written. */
  warnings(): string[] {
    const ib = this.drift.warning();
    return [...(ib !== null ? [ib] : []), ...this.state.warnings()];
  }

  health(): StateHealth {
    const h = this.state.health();
    return {
      file: h.file,
      pins: h.pins,
      originals: h.originals,
      notApplied: this.drift.notApplied(),
      lastSaveError: h.lastSaveError,
      loadProblem: h.loadProblem,
    };
  }
}
