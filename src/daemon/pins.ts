/**
 * Desired state that survives restarts: pins (IRQ → CPU, kept and re-applied) and the affinities
 * irqkitd changed, as they were before its first change (what restore puts back).
 *
 * Every affinity write of the daemon goes through `system` (a wrapper of the real SystemAccess):
 * before an IRQ is changed for the first time, its current affinity is saved to the state file,
 * so a restore still knows it after a crash. The original is saved first; a change whose original
 * cannot be saved is refused (IRQ_ERR_STATE_WRITE) with nothing written. A pin is saved after its
 * write succeeded; if that save fails the write is undone. So a 200 means the kernel and the disk
 * both have it, an error that neither has it.
 */
import type { PinView, RestoreOutcome, RestoreResult } from '../api/pin-schemas.ts';
import type { IrqbalanceStatus, StateHealth } from '../api/schemas.ts';
import { cpuSetsEqual, formatCpuList, hasCpu } from '../core/cpuset.ts';
import { IrqkitError, toIrqkitError } from '../core/errors.ts';
import type { Delta } from '../core/rates.ts';
import type { AffinityOutcome, AffinityWrite, BatchResult, SystemAccess } from '../io/system.ts';
import { readBootId } from './boot-id.ts';
import { IrqbalanceWatch, irqbalanceWarning } from './irqbalance.ts';
import { decidePin, type PinStatus, type PinTrigger } from './pin-watch.ts';
import type { DesiredState, PinRecord, StateStore } from './state-store.ts';

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

interface LiveState {
  status: PinStatus;
  detail: string | null;
  /** smp_affinity_list at the last check, null when the IRQ was missing. */
  affinity: number[] | null;
  statusSince: number;
  checkedAt: number;
}

export interface PinCounters {
  applied: number;
  drifts: number;
  saveFailures: number;
}

const byIrq = (a: string, b: string): number => Number(a) - Number(b);

/** How often the sampler's loop looks for irqbalance. */
const IRQBALANCE_SCAN_MS = 10_000;

export class PinKeeper {
  /** The system every daemon write must use: it records originals first and refuses writes during shutdown. */
  readonly system: SystemAccess;
  private readonly raw: SystemAccess;
  private readonly store: StateStore;
  private readonly o: PinKeeperOptions;
  private readonly now: () => number;
  private readonly watch: IrqbalanceWatch;
  private state: DesiredState = { bootId: null, pins: new Map(), originals: new Map() };
  private readonly live = new Map<string, LiveState>();
  private stopping = false;
  /** Set when the state file could not be read: saving would overwrite what it holds. */
  private unreadable: string | null = null;
  private loadProblem: string | null = null;
  private lastSaveError: StateHealth['lastSaveError'] = null;
  private lastCheckError = '';
  private lastBackgroundScan = Number.NEGATIVE_INFINITY;
  readonly counters: PinCounters = { applied: 0, drifts: 0, saveFailures: 0 };

  constructor(options: PinKeeperOptions) {
    this.o = options;
    this.raw = options.system;
    this.store = options.store;
    this.now = options.now ?? (() => Date.now());
    this.watch = new IrqbalanceWatch({
      procRoot: options.procRoot,
      now: this.now,
      onChange: (s, previous) => {
        if (s.running) {
          this.o.log({
            level: 'warn',
            msg: 'irqbalance is running',
            pids: s.pids,
            advice: irqbalanceWarning(s, this.pinnedIrqs()),
          });
        } else if (previous?.running) this.o.log({ level: 'info', msg: 'irqbalance is no longer running' });
      },
    });
    const guarded = Object.create(this.raw) as SystemAccess;
    guarded.setAffinities = (writes, opts) => this.setAffinities(writes, opts);
    this.system = guarded;
  }

  // -------------------------------------------------------------------------------------------
  // start-up, reload, shutdown

  /** Loads the state file and applies the pins. Never throws: a bad file is logged and set aside. */
  start(): void {
    const bootId = readBootId(this.o.procRoot);
    let state: DesiredState;
    try {
      const r = this.store.load({ moveAsideCorrupt: !this.o.readOnly });
      state = r.state;
      if (r.problem) {
        this.loadProblem = r.problem.message;
        if (r.problem.movedTo === null && !this.o.readOnly) this.unreadable = r.problem.message;
        this.o.log({
          level: 'error',
          msg: 'state file unusable; starting without pins',
          error: r.problem.message,
          movedTo: r.problem.movedTo,
        });
      }
    } catch (e) {
      const err = toIrqkitError(e);
      this.unreadable = err.message;
      this.loadProblem = err.message;
      this.o.log({
        level: 'error',
        msg: 'cannot read the state file; changes are refused',
        error: err.message,
      });
      state = { bootId, pins: new Map(), originals: new Map() };
    }
    if (state.bootId !== null && bootId !== null && state.bootId !== bootId && state.originals.size > 0) {
      // Originals describe the boot they were read in; this boot starts from the kernel's defaults.
      this.o.log({
        level: 'info',
        msg: 'new boot: forgetting the original affinities of the previous one',
        originals: state.originals.size,
      });
      state.originals.clear();
    }
    state.bootId = bootId ?? state.bootId;
    this.state = state;
    if (state.pins.size > 0 || state.originals.size > 0) {
      this.o.log({
        level: 'info',
        msg: 'state loaded',
        file: this.store.file,
        pins: state.pins.size,
        originals: state.originals.size,
      });
    }
    this.watch.get(true);
    this.check('startup');
  }

  /** SIGHUP: reads the state file again and applies its pins; throws (keeping the old state) when it cannot. */
  reload(): { pins: number; originals: number } {
    const r = this.store.load({ moveAsideCorrupt: false });
    if (r.problem) throw new IrqkitError('IRQ_ERR_FILE_READ', r.problem.message);
    const bootId = this.state.bootId;
    this.state = { ...r.state, bootId: bootId ?? r.state.bootId };
    this.unreadable = null;
    this.loadProblem = null;
    for (const irq of [...this.live.keys()]) if (!this.state.pins.has(irq)) this.live.delete(irq);
    this.watch.get(true);
    this.check('reload');
    return { pins: this.state.pins.size, originals: this.state.originals.size };
  }

  /** From now on no new write starts (the API answers 503); restore-on-exit still may. */
  beginShutdown(): void {
    this.stopping = true;
  }

  // -------------------------------------------------------------------------------------------
  // the guarded system

  private setAffinities(writes: readonly AffinityWrite[], opts?: { dryRun?: boolean }): BatchResult {
    if (this.stopping) {
      throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down; nothing was written');
    }
    if (opts?.dryRun === true) return this.raw.setAffinities(writes, opts);
    const added = this.recordOriginals(writes.map((w) => String(w.irq)));
    const result = this.raw.setAffinities(writes, opts);
    // An original recorded for a write that did not happen (refused, rolled back, the IRQ gone)
    // is not a change; one whose undo failed is, and keeps its record.
    let pruned = false;
    for (const o of result.outcomes) {
      const orig = this.state.originals.get(o.irq);
      if (
        added.has(o.irq) &&
        !o.ok &&
        orig &&
        (o.affinity.length === 0 || cpuSetsEqual(orig.affinity, o.affinity))
      ) {
        this.state.originals.delete(o.irq);
        pruned = true;
      }
    }
    if (pruned) this.trySave('prune originals');
    return result;
  }

  /** Saves the current affinity of IRQs irqkitd has not changed yet; throws (recording nothing) when it cannot. */
  private recordOriginals(irqs: readonly string[]): Set<string> {
    const added = new Set<string>();
    const since = new Date(this.now()).toISOString();
    for (const irq of irqs) {
      if (this.state.originals.has(irq) || added.has(irq)) continue;
      let affinity: number[];
      let name: string;
      try {
        const info = this.raw.irqInfo(irq);
        affinity = info.affinity;
        name = info.actions.join(', ');
      } catch {
        continue; // the batch itself reports an unknown IRQ
      }
      if (affinity.length === 0) continue;
      this.state.originals.set(irq, { affinity, name, since });
      added.add(irq);
    }
    if (added.size > 0) {
      try {
        this.save();
      } catch (e) {
        for (const irq of added) this.state.originals.delete(irq);
        throw e;
      }
    }
    return added;
  }

  // -------------------------------------------------------------------------------------------
  // pins

  /**
   * Pins the IRQs of a batch that succeeded. If the state cannot be saved, undoes the batch's
   * writes and throws IRQ_ERR_STATE_WRITE: a pin that is not on disk would not survive a restart.
   */
  persist(result: BatchResult): void {
    if (result.dryRun || !result.ok) return;
    const before = new Map(this.state.pins);
    const since = new Date(this.now()).toISOString();
    for (const o of result.outcomes) {
      let name = '';
      try {
        name = this.raw.irqInfo(o.irq).actions.join(', ');
      } catch {
        // it was just written; if it vanished since, the watch will say so
      }
      this.state.pins.set(o.irq, { cpu: o.cpu, name, since });
    }
    try {
      this.save();
    } catch (e) {
      this.state.pins = before;
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
    const t = this.now();
    for (const o of result.outcomes) {
      this.live.set(o.irq, {
        status: 'applied',
        detail: null,
        affinity: o.affinity,
        statusSince: t,
        checkedAt: t,
      });
    }
  }

  /** Removes pins (the affinities stay as they are). IRQ_ERR_NOT_PINNED, removing nothing, for an IRQ without one. */
  unpin(irqs: readonly string[] | 'all'): string[] {
    if (this.stopping) throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down');
    const targets = irqs === 'all' ? [...this.state.pins.keys()].sort(byIrq) : [...new Set(irqs)];
    const missing = targets.filter((i) => !this.state.pins.has(i));
    if (missing.length > 0) {
      throw new IrqkitError(
        'IRQ_ERR_NOT_PINNED',
        `IRQ ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not pinned; nothing was unpinned`,
        { irqs: missing },
      );
    }
    if (targets.length === 0) return [];
    const before = new Map(this.state.pins);
    for (const irq of targets) this.state.pins.delete(irq);
    try {
      this.save();
    } catch (e) {
      this.state.pins = before;
      throw e;
    }
    for (const irq of targets) this.live.delete(irq);
    this.o.log({ level: 'info', msg: 'unpinned', irqs: targets });
    return targets;
  }

  /** POST /api/v1/pins/apply: applies every pin not in effect now (drifted ones too). */
  reapply(): PinView[] {
    if (this.stopping) throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down');
    this.check('request');
    return this.views();
  }

  /**
   * After each sample: applies pins of IRQs that came back (appeared, or counters restarted: a
   * new descriptor), notes drift, and looks for irqbalance now and then.
   */
  afterSample(delta: Delta | undefined): void {
    if (this.stopping) return;
    try {
      // A scan reads one file per process: in the background every 10 s is plenty (the API's
      // own reads refresh it when it is older than 2 s).
      const t = this.now();
      if (t - this.lastBackgroundScan >= IRQBALANCE_SCAN_MS) {
        this.lastBackgroundScan = t;
        this.watch.get();
      }
      if (this.state.pins.size === 0) return;
      const reappeared = new Set<string>();
      for (const r of delta?.rows ?? []) {
        if (r.numeric && (r.status === 'appeared' || r.status === 'reset')) reappeared.add(r.label);
      }
      this.check('sample', reappeared);
      this.lastCheckError = '';
    } catch (e) {
      const message = toIrqkitError(e).message;
      if (message !== this.lastCheckError)
        this.o.log({ level: 'error', msg: 'pin check failed', error: message });
      this.lastCheckError = message;
    }
  }

  private check(trigger: PinTrigger, reappeared: ReadonlySet<string> = new Set()): void {
    if (this.state.pins.size === 0) return;
    const online = this.raw.topology().online;
    const t = this.now();
    for (const [irq, pin] of [...this.state.pins].sort((a, b) => byIrq(a[0], b[0]))) {
      let present: { affinity: number[]; name: string } | null = null;
      try {
        const info = this.raw.irqInfo(irq);
        present = { affinity: info.affinity, name: info.actions.join(', ') };
      } catch {
        // no /proc/irq/N
      }
      const prev = this.live.get(irq);
      const decision = decidePin(
        { irq, ...pin },
        { present, cpuOnline: hasCpu(online, pin.cpu), reappeared: reappeared.has(irq) },
        prev?.status,
        trigger,
      );
      let { status, detail } = decision;
      let affinity = present?.affinity ?? null;
      if (decision.apply && this.o.readOnly) {
        status = 'drifted';
        detail = `not applied: irqkitd runs --read-only (smp_affinity_list is ${formatCpuList(affinity ?? [])})`;
      } else if (decision.apply) {
        const r = this.applyOne(irq, pin, decision.reason ?? trigger);
        status = r.status;
        detail = r.detail;
        affinity = r.affinity ?? affinity;
      }
      if (detail === null && status === prev?.status) detail = prev.detail;
      this.transition(irq, pin, prev, { status, detail, affinity, statusSince: t, checkedAt: t });
    }
  }

  private applyOne(
    irq: string,
    pin: PinRecord,
    reason: string,
  ): { status: PinStatus; detail: string | null; affinity: number[] | null } {
    let outcome: AffinityOutcome | undefined;
    try {
      outcome = this.system.setAffinities([{ irq, cpu: pin.cpu }]).outcomes[0];
    } catch (e) {
      const err = toIrqkitError(e);
      this.o.log({
        level: 'warn',
        msg: 'pin not applied',
        irq,
        cpu: pin.cpu,
        reason,
        code: err.code,
        error: err.message,
      });
      return { status: 'failed', detail: `${err.message} (${err.code})`, affinity: null };
    }
    if (outcome?.ok) {
      this.counters.applied++;
      this.o.log({ level: 'info', msg: 'pin applied', irq, cpu: pin.cpu, reason, pending: outcome.pending });
      return { status: 'applied', detail: null, affinity: outcome.affinity };
    }
    const code = outcome?.error?.code ?? 'IRQ_ERR_INTERNAL';
    const message = outcome?.error?.message ?? 'no outcome';
    this.o.log({ level: 'warn', msg: 'pin not applied', irq, cpu: pin.cpu, reason, code, error: message });
    return { status: 'failed', detail: `${message} (${code})`, affinity: outcome?.affinity ?? null };
  }

  /** Records a pin's new live state, logging when its status changes. */
  private transition(irq: string, pin: PinRecord, prev: LiveState | undefined, next: LiveState): void {
    if (prev?.status === next.status) {
      this.live.set(irq, { ...next, statusSince: prev.statusSince });
      return;
    }
    this.live.set(irq, next);
    const base = { irq, cpu: pin.cpu, name: pin.name };
    const affinity = next.affinity === null ? null : formatCpuList(next.affinity);
    switch (next.status) {
      case 'drifted': {
        this.counters.drifts++;
        const irqbalance = this.watch.get();
        this.o.log({
          level: 'warn',
          msg: 'pin drifted',
          ...base,
          affinity,
          detail: next.detail,
          ...(irqbalance.running ? { irqbalancePids: irqbalance.pids } : {}),
        });
        break;
      }
      case 'missing':
      case 'cpu-offline':
      case 'mismatch':
        this.o.log({ level: 'warn', msg: `pin ${next.status}`, ...base, detail: next.detail });
        break;
      case 'applied':
        // 'pin applied' is logged by the write; here: put back by someone else, or found in place.
        if (prev !== undefined && prev.status === 'drifted') {
          this.o.log({ level: 'info', msg: 'pin back in place', ...base });
        }
        break;
      case 'failed':
        break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // restore

  /**
   * Puts back the affinities irqkitd changed (all, or `irqs`), each on its own: one IRQ that
   * cannot be restored (gone, CPU offline) does not hold the others back, and keeps its record for
   * a later try. On request the restored IRQs are unpinned too (else the pins would at once read
   * as drift); on exit (`onExit`) the pins are kept, to be applied at the next start.
   */
  restore(options: {
    irqs?: readonly string[];
    dryRun?: boolean;
    unpin: boolean;
    onExit?: boolean;
  }): RestoreResult {
    if (this.stopping && options.onExit !== true) {
      throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down; nothing was restored');
    }
    const targets = options.irqs ? [...new Set(options.irqs)] : [...this.state.originals.keys()].sort(byIrq);
    const unknown = targets.filter((i) => !this.state.originals.has(i));
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
      const original = this.state.originals.get(irq)?.affinity ?? [];
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
        withOriginal(irq, this.raw.setAffinities([writeOf(irq)], { dryRun: true }).outcomes[0]),
      );
      return { ok: outcomes.every((o) => o.ok), dryRun: true, outcomes, unpinned: [] };
    }
    const unpinned = options.unpin ? targets.filter((i) => this.state.pins.has(i)) : [];
    if (unpinned.length > 0) {
      // Unpinned on disk first: a pin left there would be applied again at the next start.
      const before = new Map(this.state.pins);
      for (const irq of unpinned) this.state.pins.delete(irq);
      try {
        this.save();
      } catch (e) {
        this.state.pins = before;
        throw e;
      }
      for (const irq of unpinned) this.live.delete(irq);
    }
    const outcomes = targets.map((irq) =>
      withOriginal(irq, this.raw.setAffinities([writeOf(irq)]).outcomes[0]),
    );
    const restored = outcomes.filter((o) => o.ok).map((o) => o.irq);
    for (const irq of restored) this.state.originals.delete(irq);
    if (restored.length > 0) this.trySave('forget restored originals');
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

  // -------------------------------------------------------------------------------------------
  // saving and reporting

  private save(): void {
    if (this.unreadable !== null) {
      throw new IrqkitError(
        'IRQ_ERR_STATE_WRITE',
        `the state file could not be read at start-up (${this.unreadable}); irqkitd will not overwrite it. Fix it and send SIGHUP`,
        { path: this.store.file },
      );
    }
    try {
      const r = this.store.save(this.state);
      if (r.warning) this.o.log({ level: 'warn', msg: 'state saved, not durably', warning: r.warning });
      this.lastSaveError = null;
    } catch (e) {
      const err = toIrqkitError(e);
      this.counters.saveFailures++;
      this.lastSaveError = { message: err.message, at: new Date(this.now()).toISOString() };
      this.o.log({ level: 'error', msg: 'state not saved', code: err.code, error: err.message });
      throw err;
    }
  }

  /** A save nobody waits for: records that only tidy up may stay on disk when it fails. */
  private trySave(why: string): void {
    try {
      this.save();
    } catch {
      this.o.log({ level: 'warn', msg: 'state file not tidied', why });
    }
  }

  pinnedIrqs(): string[] {
    return [...this.state.pins.keys()].sort(byIrq);
  }

  views(): PinView[] {
    const iso = (t: number | undefined): string | null =>
      t === undefined ? null : new Date(t).toISOString();
    return this.pinnedIrqs().map((irq) => {
      const p = this.state.pins.get(irq) as PinRecord;
      const l = this.live.get(irq);
      return {
        irq,
        cpu: p.cpu,
        name: p.name,
        since: p.since,
        status: l?.status ?? 'unchecked',
        detail: l?.detail ?? null,
        affinity: l?.affinity ? formatCpuList(l.affinity) : null,
        statusSince: iso(l?.statusSince),
        checkedAt: iso(l?.checkedAt),
      };
    });
  }

  originals(): Array<{ irq: string; affinity: string; name: string; since: string }> {
    return [...this.state.originals]
      .sort((a, b) => byIrq(a[0], b[0]))
      .map(([irq, o]) => ({ irq, affinity: formatCpuList(o.affinity), name: o.name, since: o.since }));
  }

  irqbalance(fresh = false): IrqbalanceStatus {
    return this.watch.get(fresh);
  }

  /** Lines for clients: irqbalance undoing pins, a state file that cannot be written. */
  warnings(): string[] {
    const out: string[] = [];
    const ib = irqbalanceWarning(this.watch.get(), this.pinnedIrqs());
    if (ib !== null) out.push(ib);
    if (this.unreadable !== null) out.push(`state file unreadable: ${this.unreadable}; changes are refused`);
    if (this.lastSaveError !== null) out.push(`the last state save failed: ${this.lastSaveError.message}`);
    return out;
  }

  health(): StateHealth {
    return {
      file: this.store.file,
      pins: this.state.pins.size,
      originals: this.state.originals.size,
      notApplied: [...this.live.values()].filter((l) => l.status !== 'applied').length,
      lastSaveError: this.lastSaveError,
      loadProblem: this.loadProblem,
    };
  }
}
