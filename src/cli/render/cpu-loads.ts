/**
 * The per-CPU BEFORE and AFTER table of `irqkit plan`, `apply` and `balance`, readable at 1,152
 * CPUs: idle CPUs (nothing before or after) are one line, and past `maxRows` busy CPUs only those
 * a move touches and the busiest are shown, the rest summed up in one line. `all` shows every CPU.
 */
import { formatCpuList } from '../../core/cpuset.ts';
import { bar } from './bars.ts';
import type { Style } from './color.ts';
import { count, formatInt } from './format.ts';
import { renderTable } from './table.ts';

export interface CpuLoadRow {
  cpu: number;
  before: number;
  beforeStddev: number;
  after: number;
  afterStddev: number;
  /** IRQs on the CPU after the plan; undefined when not known. */
  irqs: number | undefined;
}

export interface CpuLoadOptions {
  /** Every CPU on its own line. */
  all: boolean;
  /** Show the ± columns (a measured load has noise; a file's exact counts have none). */
  noise: boolean;
  columns: number;
  style: Style;
  /** CPUs a move leaves or reaches: shown even when the table is cut. */
  touched: ReadonlySet<number>;
  /** Busy CPUs shown at most, when not `all`. */
  maxRows?: number;
}

/** Moves listed by default; past this, the most valuable, and a line for the rest. */
export const MOVE_ROWS = 40;

/**
 * The moves to list: all of them up to MOVE_ROWS, else the most valuable (a move without a gain
 * must be made, so it ranks first), in their own order.
 */
export function movesToList<T extends { gain?: number | undefined }>(moves: readonly T[]): T[] {
  if (moves.length <= MOVE_ROWS) return [...moves];
  const value = (a: T): number => a.gain ?? Number.POSITIVE_INFINITY;
  const keep = new Set([...moves].sort((a, b) => value(b) - value(a)).slice(0, MOVE_ROWS));
  return moves.filter((a) => keep.has(a));
}

/** As many IRQ numbers as fit in `width`, then how many there are in all. */
export function fitIrqs(irqs: readonly string[], width: number): string {
  const whole = irqs.join(' ');
  if (whole.length <= width) return whole;
  const tail = ` … (${irqs.length} in all)`;
  let text = '';
  for (const irq of irqs) {
    const next = text === '' ? irq : `${text} ${irq}`;
    if (next.length + tail.length > width) break;
    text = next;
  }
  return text + tail;
}

/** Busy CPUs listed by default; past this, the busiest and the ones moves touch. */
export const CPU_ROWS = 32;

export function renderCpuLoads(rows: readonly CpuLoadRow[], o: CpuLoadOptions): string[] {
  const { style } = o;
  const idle = o.all ? [] : rows.filter((r) => r.before === 0 && r.after === 0 && !(r.irqs ?? 0));
  const idleSet = new Set(idle.map((r) => r.cpu));
  const busy = rows.filter((r) => !idleSet.has(r.cpu));
  const maxRows = o.maxRows ?? CPU_ROWS;
  let shown = busy;
  if (!o.all && busy.length > maxRows) {
    const rank = [...busy].sort(
      (a, b) =>
        Number(o.touched.has(b.cpu)) - Number(o.touched.has(a.cpu)) ||
        Math.max(b.before, b.after) - Math.max(a.before, a.after) ||
        a.cpu - b.cpu,
    );
    const keep = new Set(rank.slice(0, maxRows).map((r) => r.cpu));
    shown = busy.filter((r) => keep.has(r.cpu));
  }
  const rest = busy.filter((r) => !shown.includes(r));

  let max = 0;
  for (const r of rows) max = Math.max(max, r.before, r.after);
  const makespan = Math.max(0, ...rows.map((r) => r.after));
  const barWidth = Math.max(8, Math.min(24, Math.floor((o.columns - (o.noise ? 60 : 44)) / 2)));
  const table = renderTable(
    [
      { header: 'CPU' },
      { header: 'BEFORE', align: 'right' },
      ...(o.noise ? [{ header: '±', align: 'right' as const }] : []),
      { header: '' },
      { header: 'AFTER', align: 'right' },
      ...(o.noise ? [{ header: '±', align: 'right' as const }] : []),
      { header: '' },
      { header: 'IRQS', align: 'right' },
    ],
    shown.map((r) => [
      `CPU${r.cpu}`,
      formatInt(r.before),
      ...(o.noise ? [`±${formatInt(r.beforeStddev)}`] : []),
      bar(r.before, max, barWidth).padEnd(barWidth),
      formatInt(r.after),
      ...(o.noise ? [`±${formatInt(r.afterStddev)}`] : []),
      r.after === makespan && makespan > 0
        ? style.cyan(bar(r.after, max, barWidth))
        : bar(r.after, max, barWidth),
      r.irqs === undefined ? '' : String(r.irqs),
    ]),
  );
  const out = shown.length > 0 ? table.map((l) => l.trimEnd()) : [];
  if (rest.length > 0) {
    const range = (values: number[]): string => {
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      return lo === hi ? formatInt(lo) : `${formatInt(lo)} to ${formatInt(hi)}`;
    };
    out.push(
      style.dim(
        `… ${count(rest.length, 'more CPU')}, before ${range(rest.map((r) => r.before))}, after ${range(
          rest.map((r) => r.after),
        )} (--all lists every CPU)`,
      ),
    );
  }
  if (idle.length > 0) {
    const lead = `${count(idle.length, 'idle CPU')} (no load before or after): `;
    out.push(style.dim(lead + clipList(formatCpuList(idle.map((r) => r.cpu)), o.columns - lead.length)));
  }
  return out;
}

/** A comma-separated list cut at a comma to fit `width`, marked with '…' when cut. */
export function clipList(list: string, width: number): string {
  if (list.length <= Math.max(width, 16)) return list;
  const cut = list.lastIndexOf(',', Math.max(width, 16) - 2);
  return `${list.slice(0, cut > 0 ? cut : Math.max(width, 16) - 2)},…`;
}

/** IRQ numbers, the first `max` of them and how many in all, or every one with `all`. */
export function irqList(irqs: readonly string[], all: boolean, max = 12): string {
  return all || irqs.length <= max
    ? irqs.join(' ')
    : `${irqs.slice(0, max).join(' ')} … (${irqs.length} in all)`;
}
