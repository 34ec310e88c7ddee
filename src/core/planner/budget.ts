/**
 * Search effort is counted in abstract work units, not read from a clock, so that the same input
 * gives the same plan on any machine. `--time-limit` is turned into units at a nominal rate; the
 * wall clock is only a safety net for machines far slower than that rate, and when it fires the
 * plan says so (`stoppedBy: 'clock'`).
 */

/** Work units per millisecond of --time-limit; calibrated on the 2-core dev VM (a unit ≈ 0.3 µs). */
export const UNITS_PER_MS = 3_000;

export type StopReason = 'complete' | 'budget' | 'clock';

export class Budget {
  private used = 0;
  private readonly units: number;
  private readonly deadline: number;
  private readonly now: () => number;
  private nextClockCheck = 4096;
  private clockFired = false;

  constructor(timeLimitMs: number, now: () => number = Date.now) {
    this.units = Math.max(1, Math.floor(timeLimitMs * UNITS_PER_MS));
    this.now = now;
    // The safety net allows a generous overrun so that on normal machines only the unit count stops work.
    this.deadline = now() + timeLimitMs * 3 + 50;
  }

  /** Charges `n` units; returns false once the budget (or the safety clock) is spent. */
  spend(n = 1): boolean {
    this.used += n;
    if (this.used >= this.nextClockCheck) {
      this.nextClockCheck = this.used + 4096;
      if (!this.clockFired && this.now() > this.deadline) this.clockFired = true;
    }
    return !this.exhausted();
  }

  exhausted(): boolean {
    return this.clockFired || this.used >= this.units;
  }

  get spent(): number {
    return this.used;
  }

  get reason(): StopReason {
    return this.clockFired ? 'clock' : 'budget';
  }

  /**
   * A child budget that may use at most `fraction` of what is left (and at most `cap` units),
   * charged to this one too.
   */
  slice(fraction: number, cap = Number.POSITIVE_INFINITY): SubBudget {
    return new SubBudget(this, Math.max(1, Math.floor(Math.min(cap, (this.units - this.used) * fraction))));
  }
}

export class SubBudget {
  private used = 0;
  private readonly parent: WorkBudget;
  private readonly units: number;

  constructor(parent: WorkBudget, units: number) {
    this.parent = parent;
    this.units = units;
  }

  spend(n = 1): boolean {
    this.used += n;
    const ok = this.parent.spend(n);
    return ok && this.used < this.units;
  }

  exhausted(): boolean {
    return this.used >= this.units || this.parent.exhausted();
  }
}

export interface WorkBudget {
  spend(n?: number): boolean;
  exhausted(): boolean;
}
