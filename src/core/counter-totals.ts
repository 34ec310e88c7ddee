/**
 * 64-bit running totals since the daemon started, built from wrap-corrected deltas. Prometheus
 * gets these instead of the kernel's 32-bit counters, so `rate()` never mistakes a wrap for a
 * counter reset.
 */
import type { RowInfo, SampledInterval } from './packed-diff.ts';

export interface IrqTotal {
  irq: string;
  name: string;
  total: number;
}

export class CounterTotals {
  readonly perCpu = new Map<number, number>();
  readonly perIrq = new Map<string, IrqTotal>();
  /** IRQ × CPU totals: ~n·k series, so only kept when asked for. */
  readonly perIrqCpu: Map<string, Map<number, number>> | null;
  namedTotals = new Map<string, { description: string; total: number }>();

  constructor(options: { perIrqCpu: boolean }) {
    this.perIrqCpu = options.perIrqCpu ? new Map() : null;
  }

  private registered: readonly RowInfo[] | null = null;

  /** Adds one sampled interval (its pairs only: rows and CPUs that counted nothing cost nothing). */
  add(s: SampledInterval): void {
    // Every row gets its series at 0 on first sight, and a renamed handler its new name; the
    // list is the same array while the read's layout stays, so this runs when that changes.
    if (s.all !== this.registered) {
      for (const info of s.all) {
        if (info.numeric) this.irqOf(info).name = info.name;
        else this.namedOf(info);
      }
      this.registered = s.all;
    }
    const iv = s.interval;
    const cpus = iv.cpus;
    let g = 0;
    for (let r = 0; r < iv.rows.length; r++) {
      const info = s.rows[r] as RowInfo;
      let total = 0;
      if (g < iv.globalAt.length && iv.globalAt[g] === r) {
        total = iv.globalCounts[g] as number;
        g++;
      }
      const end = iv.offsets[r + 1] as number;
      const perIrqCpu = info.numeric && this.perIrqCpu ? this.cpuMapOf(info.key) : null;
      for (let i = iv.offsets[r] as number; i < end; i++) {
        const v = iv.counts[i] as number;
        total += v;
        if (!info.numeric) continue;
        const cpu = cpus[iv.cpuIndex[i] as number] as number;
        this.perCpu.set(cpu, (this.perCpu.get(cpu) ?? 0) + v);
        if (perIrqCpu) perIrqCpu.set(cpu, (perIrqCpu.get(cpu) ?? 0) + v);
      }
      if (info.numeric) this.irqOf(info).total += total;
      else this.namedOf(info).total += total;
    }
    // A CPU that has been online once keeps its series, at 0 until it serves an interrupt.
    for (const cpu of cpus) if (!this.perCpu.has(cpu)) this.perCpu.set(cpu, 0);
  }

  private irqOf(info: RowInfo): IrqTotal {
    let irq = this.perIrq.get(info.key);
    if (!irq) {
      irq = { irq: info.label, name: info.name, total: 0 };
      this.perIrq.set(info.key, irq);
    }
    return irq;
  }

  private namedOf(info: RowInfo): { description: string; total: number } {
    let named = this.namedTotals.get(info.key);
    if (!named) {
      named = { description: info.name, total: 0 };
      this.namedTotals.set(info.key, named);
    }
    return named;
  }

  private cpuMapOf(key: string): Map<number, number> {
    const all = this.perIrqCpu as Map<string, Map<number, number>>;
    let m = all.get(key);
    if (!m) {
      m = new Map();
      all.set(key, m);
    }
    return m;
  }
}
