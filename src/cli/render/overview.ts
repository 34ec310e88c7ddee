/**
 * `irqkit overview`: the whole distribution, one column per CPU, fitted to the terminal width
 * (shorter numbers, then narrower chip and name, then the least busy CPUs left out).
 */

import type { Distribution, InterruptsDoc } from '../../api/schemas.ts';
import { IrqkitError } from '../../core/errors.ts';
import { rowKey, rowName } from '../../core/snapshot.ts';
import { describeCpus } from '../../core/snapshot-plan.ts';
import type { Style } from './color.ts';
import { count } from './format.ts';
import { type CellFormat, fitColumns, formatCell, heat, wrap } from './grid.ts';
import { type IrqSortFields, type IrqSortKey, sortIrqRows } from './irq-sort.ts';
import { renderTable } from './table.ts';

const GAP = 2;
const CHIP_MAX = 24;
const NAME_MAX = 28;
/** When CPU columns do not fit, chip and name give up width first; the grid is the point. */
const CHIP_NARROW = 12;
const NAME_NARROW = 18;

export interface GridRow {
  key: string;
  /** Aligned with Grid.cpus; undefined where the kernel printed no count (ERR, MIS). */
  counts: Array<number | undefined>;
  total: number;
  chip: string;
  /** PCI address of per-device MSI domains ("PCI-MSIX-0000:3b:00.0" → chip PCI-MSIX). */
  device: string;
  name: string;
}

export interface Grid {
  cpus: number[];
  irqs: GridRow[];
  named: GridRow[];
}

const CHIP_DEVICE = /^(.*?)-((?:[0-9a-f]{4,}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])$/i;

/** Linux ≥ 6.2 names per-device MSI domains after the device; showing it apart keeps both short. */
export function splitChip(chip: string | undefined | null): { chip: string; device: string } {
  const m = CHIP_DEVICE.exec(chip ?? '');
  return m ? { chip: m[1] as string, device: m[2] as string } : { chip: chip ?? '', device: '' };
}

/** The PCI domain is 0000 on nearly every machine; narrow layouts leave it out. */
function shortDevice(device: string): string {
  return device.replace(/^0000:/, '');
}

export function gridFromSnapshot(doc: InterruptsDoc): Grid {
  const align = (counts: readonly number[]): Array<number | undefined> => doc.cpus.map((_, i) => counts[i]);
  return {
    cpus: doc.cpus,
    irqs: doc.rows
      .filter((r) => r.numeric)
      .map((r) => ({
        key: rowKey(r),
        counts: align(r.counts),
        total: r.total,
        ...splitChip(r.chip),
        name: rowName(r),
      })),
    named: doc.rows
      .filter((r) => !r.numeric)
      .map((r) => ({
        key: rowKey(r),
        counts: align(r.counts),
        total: r.total,
        chip: '',
        device: '',
        name: rowName(r),
      })),
  };
}

export function gridFromDistribution(d: Distribution): Grid {
  const align = (counts: readonly number[] | null): Array<number | undefined> =>
    d.cpus.map((_, i) => counts?.[i]);
  return {
    cpus: d.cpus,
    irqs: d.irqs.map((r) => ({
      key: r.irq,
      counts: align(r.perCpu),
      total: r.total,
      ...splitChip(r.chip),
      name: r.name,
    })),
    named: d.named.map((r) => ({
      key: r.row,
      counts: align(r.perCpu),
      total: r.total,
      chip: '',
      device: '',
      name: r.description,
    })),
  };
}

export interface OverviewOptions {
  sort: IrqSortKey;
  top: number | undefined;
  cpus: number[] | undefined;
  width: number;
  style: Style;
  heading: string[];
}

export function renderOverview(grid: Grid, o: OverviewOptions): string {
  const { style } = o;
  const out: string[] = [];
  const position = new Map(grid.cpus.map((c, i) => [c, i]));
  let cpus = grid.cpus;
  if (o.cpus !== undefined) {
    const missing = o.cpus.filter((c) => !position.has(c));
    if (missing.length > 0) {
      throw new IrqkitError(
        'IRQ_ERR_UNKNOWN_CPU',
        `--cpus: CPU ${missing.join(', ')} is not in the daemon's data (CPUs ${describeCpus(grid.cpus)})`,
        { cpus: missing },
      );
    }
    cpus = o.cpus;
  }
  if (o.sort.by === 'cpu' && !position.has(o.sort.cpu)) {
    throw new IrqkitError(
      'IRQ_ERR_UNKNOWN_CPU',
      `--sort cpu:${o.sort.cpu}: CPU ${o.sort.cpu} is not in the daemon's data (CPUs ${describeCpus(grid.cpus)})`,
    );
  }

  const sortFields = (r: GridRow): IrqSortFields => ({
    irq: r.key,
    name: r.name,
    load: r.total,
    onCpu: (cpu) => r.counts[position.get(cpu) ?? -1] ?? 0,
  });
  let irqs = grid.irqs;
  const notes: string[] = [];
  if (o.top !== undefined && o.top < irqs.length) {
    irqs = sortIrqRows(irqs, { by: 'load' }, sortFields).slice(0, o.top);
    notes.push(`showing the ${o.top} of ${count(grid.irqs.length, 'IRQ')} with the most interrupts (--top)`);
  }
  irqs = sortIrqRows(irqs, o.sort, sortFields);

  // Try exact numbers, then short ones, then narrower chip and name, before leaving CPUs out.
  const at = (row: GridRow, cpu: number): number | undefined => row.counts[position.get(cpu) ?? -1];
  const attempts: Array<{ format: CellFormat; chip: number; name: number; shortDevice: boolean }> = [
    { format: 'full', chip: CHIP_MAX, name: NAME_MAX, shortDevice: false },
    { format: 'compact', chip: CHIP_MAX, name: NAME_MAX, shortDevice: false },
    { format: 'compact', chip: CHIP_NARROW, name: NAME_NARROW, shortDevice: true },
  ];
  const rows = [...irqs, ...grid.named];
  const anyDevice = rows.some((r) => r.device !== '');
  let layout:
    | { format: CellFormat; chip: number; name: number; shortDevice: boolean; shown: number[] }
    | undefined;
  for (const a of attempts) {
    const width = (cells: string[], header: string, max = Number.POSITIVE_INFINITY): number => {
      let w = header.length;
      for (const c of cells) w = Math.max(w, c.length);
      return Math.min(max, w);
    };
    const fixedWidth =
      width(
        rows.map((r) => r.key),
        'IRQ',
      ) +
      GAP +
      width(
        rows.map((r) => formatCell(r.total, a.format)),
        'TOTAL',
      ) +
      GAP +
      width(
        rows.map((r) => r.chip),
        'CHIP',
        a.chip,
      ) +
      GAP +
      (anyDevice
        ? width(
            rows.map((r) => (a.shortDevice ? shortDevice(r.device) : r.device)),
            'DEVICE',
          ) + GAP
        : 0) +
      width(
        rows.map((r) => r.name),
        'NAME',
        a.name,
      );
    const columns = cpus.map((cpu) => ({
      cpu,
      width: width(
        rows.map((r) => formatCell(at(r, cpu), a.format)),
        `CPU${cpu}`,
      ),
      load: irqs.reduce((sum, r) => sum + (at(r, cpu) ?? 0), 0),
    }));
    const shown = fitColumns({ width: o.width, fixedWidth, columns, gap: GAP });
    layout = { ...a, shown };
    if (shown.length === cpus.length) break;
  }
  if (!layout) throw new IrqkitError('IRQ_ERR_INTERNAL', 'no layout');
  const shown = layout.shown;
  const format = layout.format;
  if (shown.length < cpus.length) {
    const kept = new Set(shown);
    const left = cpus.filter((c) => !kept.has(c));
    // Name whichever list is shorter: on 1,152 CPUs the few shown, not the many left out.
    notes.push(
      left.length <= shown.length
        ? `CPUs ${describeCpus(left)} left out: ${left.length} of ${cpus.length} columns do not fit in ${o.width}; ` +
            'the busiest are shown, TOTAL counts all; pick with --cpus'
        : `showing the ${shown.length} busiest of ${cpus.length} CPU columns (CPUs ${describeCpus(shown)}): ` +
            `the others do not fit in ${o.width}; TOTAL counts all; pick with --cpus`,
    );
  } else if (o.cpus !== undefined && cpus.length < grid.cpus.length) {
    notes.push(`CPUs ${describeCpus(cpus)} of ${describeCpus(grid.cpus)} (--cpus); TOTAL counts every CPU`);
  }
  if (format === 'compact') notes.push('numbers shortened to fit: k = thousand, M = million, G = billion');

  // Loops, not Math.max(...spread): 1,152 CPUs × 1,000 IRQs is over a million cells.
  const maxOf = (list: GridRow[]): number => {
    let max = 0;
    for (const r of list) for (const c of shown) max = Math.max(max, at(r, c) ?? 0);
    return max;
  };
  const irqMax = maxOf(irqs);
  const namedMax = maxOf(grid.named);
  const line = (r: GridRow, max: number): string[] => [
    r.key,
    ...shown.map((c) => {
      const v = at(r, c);
      return heat(v, max, style)(formatCell(v, format));
    }),
    formatCell(r.total, format),
    r.chip,
    ...(anyDevice ? [layout.shortDevice ? shortDevice(r.device) : r.device] : []),
    r.name,
  ];
  const table = renderTable(
    [
      { header: 'IRQ', align: 'right' },
      ...shown.map((c) => ({ header: `CPU${c}`, align: 'right' as const })),
      { header: 'TOTAL', align: 'right' },
      { header: 'CHIP', maxWidth: layout.chip },
      ...(anyDevice ? [{ header: 'DEVICE' }] : []),
      { header: 'NAME', maxWidth: layout.name },
    ],
    [...irqs.map((r) => line(r, irqMax)), ...grid.named.map((r) => line(r, namedMax))],
  );

  out.push(
    ...o.heading.map((h, i) => (i === 0 ? style.bold(h) : h)),
    `${count(grid.cpus.length, 'CPU')} (${describeCpus(grid.cpus)}), ` +
      `${count(grid.irqs.length, 'IRQ')}, ${count(grid.named.length, 'named row')}`,
    ...notes.flatMap((n) => wrap(`note: ${n}`, o.width, '      ').map((l) => style.dim(l))),
    '',
    style.bold(table[0] ?? ''),
    ...table.slice(1, 1 + irqs.length),
  );
  if (grid.named.length > 0) out.push('', ...table.slice(1 + irqs.length));
  return `${out.join('\n')}\n`;
}
