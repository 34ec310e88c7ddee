/**
 * 64-bit running totals since the daemon started, built from wrap-corrected deltas. Prometheus
 * gets these instead of the kernel's 32-bit counters, so `rate()` never mistakes a wrap for a
 * counter reset.
 */
import type { Delta } from './rates.ts';

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

  add(delta: Delta): void {
    delta.rows.forEach((row) => {
      if (!row.numeric) {
        const named = this.namedTotals.get(row.key) ?? { description: row.name, total: 0 };
        named.total += row.total;
        this.namedTotals.set(row.key, named);
        return;
      }
      const irq = this.perIrq.get(row.key) ?? { irq: row.label, name: row.name, total: 0 };
      irq.total += row.total;
      irq.name = row.name;
      this.perIrq.set(row.key, irq);
      row.perCpu.forEach((v, i) => {
        if (v === 0) return;
        const cpu = delta.cpus[i] as number;
        this.perCpu.set(cpu, (this.perCpu.get(cpu) ?? 0) + v);
        if (this.perIrqCpu) {
          let m = this.perIrqCpu.get(row.key);
          if (!m) {
            m = new Map();
            this.perIrqCpu.set(row.key, m);
          }
          m.set(cpu, (m.get(cpu) ?? 0) + v);
        }
      });
    });
    // A CPU that has been online once keeps its series, at 0 until it serves an interrupt.
    for (const cpu of delta.cpus) if (!this.perCpu.has(cpu)) this.perCpu.set(cpu, 0);
  }
}
