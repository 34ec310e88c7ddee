/**
 * Watches the pins: checks each against /proc/irq/N (at start-up, on reload, on request and after
 * every sample), applies the ones `decidePin` says to, and reports drift. Keeps each pin's live
 * status for the API, and looks for irqbalance, the usual cause of drift.
 */
import type { PinView } from '../api/pin-schemas.ts';
import type { IrqbalanceStatus } from '../api/schemas.ts';
import { formatCpuList, hasCpu } from '../core/cpuset.ts';
import { toIrqkitError } from '../core/errors.ts';
import type { AffinityOutcome, SystemAccess } from '../io/system.ts';
import { IrqbalanceWatch, irqbalanceWarning } from './irqbalance.ts';
import { byIrq } from './pin-state.ts';
import { decidePin, type PinStatus, type PinTrigger } from './pin-watch.ts';
import type { PinRecord } from './state-store.ts';

export interface DriftWatcherOptions {
  /** Reads /proc/irq/N and the topology. */
  raw: SystemAccess;
  /** Writes pins: the daemon's guarded system, which records originals first. */
  system: SystemAccess;
  pins: () => ReadonlyMap<string, PinRecord>;
  /** procfs root, to find irqbalance. */
  procRoot: string;
  /** Never write: drift that a write would fix is reported instead. */
  readOnly: boolean;
  log(entry: Record<string, unknown>): void;
  now: () => number;
}

interface LiveState {
  status: PinStatus;
  detail: string | null;
  /** smp_affinity_list at the last check, null when the IRQ was missing. */
  affinity: number[] | null;
  statusSince: number;
  checkedAt: number;
}

/** How often the sampler's loop looks for irqbalance. */
const IRQBALANCE_SCAN_MS = 10_000;

export class DriftWatcher {
  private readonly o: DriftWatcherOptions;
  private readonly watch: IrqbalanceWatch;
  private readonly live = new Map<string, LiveState>();
  private lastCheckError = '';
  private lastBackgroundScan = Number.NEGATIVE_INFINITY;
  readonly counters = { applied: 0, drifts: 0 };

  constructor(options: DriftWatcherOptions) {
    this.o = options;
    this.watch = new IrqbalanceWatch({
      procRoot: options.procRoot,
      now: options.now,
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
  }

  pinnedIrqs(): string[] {
    return [...this.o.pins().keys()].sort(byIrq);
  }

  /** Start-up and reload: a fresh irqbalance scan, then every pin checked (and applied where due). */
  recheck(trigger: 'startup' | 'reload'): void {
    for (const irq of [...this.live.keys()]) if (!this.o.pins().has(irq)) this.live.delete(irq);
    this.watch.get(true);
    this.check(trigger);
  }

  /**
   * After each sample: applies pins of IRQs that came back (appeared, or counters restarted: a
   * new descriptor), notes drift, and looks for irqbalance now and then.
   */
  afterSample(restarted: readonly string[]): void {
    try {
      // A scan reads one file per process: in the background every 10 s is plenty (the API's
      // own reads refresh it when it is older than 2 s).
      const t = this.o.now();
      if (t - this.lastBackgroundScan >= IRQBALANCE_SCAN_MS) {
        this.lastBackgroundScan = t;
        this.watch.get();
      }
      if (this.o.pins().size === 0) return;
      this.check('sample', new Set(restarted));
      this.lastCheckError = '';
    } catch (e) {
      const message = toIrqkitError(e).message;
      if (message !== this.lastCheckError)
        this.o.log({ level: 'error', msg: 'pin check failed', error: message });
      this.lastCheckError = message;
    }
  }

  check(trigger: PinTrigger, reappeared: ReadonlySet<string> = new Set()): void {
    const pins = this.o.pins();
    if (pins.size === 0) return;
    const online = this.o.raw.topology().online;
    const t = this.o.now();
    for (const [irq, pin] of [...pins].sort((a, b) => byIrq(a[0], b[0]))) {
      let present: { affinity: number[]; name: string } | null = null;
      try {
        const info = this.o.raw.irqInfo(irq);
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

  /** Pins just written by a request: in effect now, so no check is needed to say so. */
  markApplied(outcomes: readonly AffinityOutcome[]): void {
    const t = this.o.now();
    for (const o of outcomes) {
      this.live.set(o.irq, {
        status: 'applied',
        detail: null,
        affinity: o.affinity,
        statusSince: t,
        checkedAt: t,
      });
    }
  }

  /** Unpinned IRQs are no longer watched. */
  forget(irqs: readonly string[]): void {
    for (const irq of irqs) this.live.delete(irq);
  }

  private applyOne(
    irq: string,
    pin: PinRecord,
    reason: string,
  ): { status: PinStatus; detail: string | null; affinity: number[] | null } {
    let outcome: AffinityOutcome | undefined;
    try {
      outcome = this.o.system.setAffinities([{ irq, cpu: pin.cpu }]).outcomes[0];
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

  views(): PinView[] {
    const iso = (t: number | undefined): string | null =>
      t === undefined ? null : new Date(t).toISOString();
    const pins = this.o.pins();
    return this.pinnedIrqs().map((irq) => {
      const p = pins.get(irq) as PinRecord;
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

  /** Pins not in effect (drifted, missing, cpu-offline, mismatch, failed). */
  notApplied(): number {
    return [...this.live.values()].filter((l) => l.status !== 'applied').length;
  }

  irqbalance(fresh = false): IrqbalanceStatus {
    return this.watch.get(fresh);
  }

  /** A line for clients when irqbalance is running and may undo pins. */
  warning(): string | null {
    return irqbalanceWarning(this.watch.get(), this.pinnedIrqs());
  }
}
