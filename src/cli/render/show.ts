/** `irqkit show`: a parsed /proc/interrupts, IRQs then named rows. */
import { IrqkitError } from '../../core/errors.ts';
import { type InterruptRow, rowName, type Snapshot } from '../../core/snapshot.ts';
import { describeCpus, dominantCpu } from '../../core/snapshot-plan.ts';
import type { Style } from './color.ts';
import { count, formatInt, formatPercent } from './format.ts';
import { type IrqSortKey, sortIrqRows } from './irq-sort.ts';
import { renderTable } from './table.ts';

/** Per-CPU columns are shown only while they fit; wide machines get total and top CPU instead. */
const CELL_WIDTH = 12;

export interface ShowOptions {
  /** --sort: the IRQ rows' order; undefined keeps the file's. Named rows keep the file's order. */
  sort?: IrqSortKey | undefined;
  /** --top: only the N IRQs with the most interrupts. */
  top?: number | undefined;
}

export function renderShow(
  s: Snapshot,
  source: string,
  style: Style,
  columns: number,
  o: ShowOptions = {},
): string {
  const all = s.rows.filter((r) => r.numeric);
  const named = s.rows.filter((r) => !r.numeric);
  const sortCpu = o.sort?.by === 'cpu' ? o.sort.cpu : undefined;
  if (sortCpu !== undefined && !s.cpus.includes(sortCpu)) {
    throw new IrqkitError(
      'IRQ_ERR_UNKNOWN_CPU',
      `--sort cpu:${sortCpu}: ${source} has no CPU ${sortCpu} (CPUs ${describeCpus(s.cpus)})`,
      { cpu: sortCpu },
    );
  }
  const fields = (r: InterruptRow) => ({
    irq: r.occurrence > 0 ? `${r.label}#${r.occurrence}` : r.label,
    name: rowName(r),
    load: r.total,
    onCpu: (cpu: number) => r.counts[s.cpus.indexOf(cpu)] ?? 0,
  });
  let numeric = all;
  if (o.top !== undefined && o.top < numeric.length)
    numeric = sortIrqRows(numeric, { by: 'load' }, fields).slice(0, o.top);
  if (o.sort !== undefined) numeric = sortIrqRows(numeric, o.sort, fields);
  else if (numeric !== all) numeric = all.filter((r) => numeric.includes(r));
  const out: string[] = [
    `${style.bold(source)}: ${count(s.cpus.length, 'CPU')} (${describeCpus(s.cpus)}), ` +
      `${count(all.length, 'IRQ')}, ${count(named.length, 'named row')}` +
      (s.warnings.length > 0 ? `, ${count(s.warnings.length, 'line')} skipped` : ''),
    ...(numeric.length < all.length
      ? [
          style.dim(
            `showing the ${numeric.length} of ${count(all.length, 'IRQ')} with the most interrupts (--top)`,
          ),
        ]
      : []),
    '',
  ];
  const perCpu = s.cpus.length * CELL_WIDTH + 70 <= columns;
  const cpuHeaders = perCpu ? s.cpus.map((c) => ({ header: `CPU${c}`, align: 'right' as const })) : [];
  // Sorted on a CPU that has no column here: that CPU's column is shown beside the total.
  const sortColumn = !perCpu && sortCpu !== undefined ? s.cpus.indexOf(sortCpu) : -1;
  const summaryHeaders = perCpu
    ? [{ header: 'TOTAL', align: 'right' as const }]
    : [
        ...(sortColumn >= 0 ? [{ header: `CPU${sortCpu}`, align: 'right' as const }] : []),
        { header: 'TOTAL', align: 'right' as const },
        { header: 'TOP CPU', align: 'right' as const },
        { header: 'SHARE', align: 'right' as const },
      ];
  const cells = (row: (typeof s.rows)[number]): string[] => {
    const counts = perCpu
      ? s.cpus.map((_, i) => (row.counts[i] === undefined ? '' : formatInt(row.counts[i] as number)))
      : [];
    if (perCpu) return [...counts, formatInt(row.total)];
    const top = dominantCpu(row, s.cpus);
    const topCount = top === undefined ? 0 : (row.counts[s.cpus.indexOf(top)] ?? 0);
    const sorted = row.counts[sortColumn];
    return [
      ...(sortColumn >= 0 ? [sorted === undefined ? '' : formatInt(sorted)] : []),
      formatInt(row.total),
      top === undefined ? '-' : `CPU${top}`,
      row.total > 0 ? formatPercent(topCount / row.total) : '-',
    ];
  };
  const irqTable = renderTable(
    [
      { header: 'IRQ', align: 'right' },
      ...cpuHeaders,
      ...summaryHeaders,
      { header: 'CHIP', maxWidth: 28 },
      { header: 'HWIRQ', align: 'right' },
      { header: 'TYPE' },
      { header: 'NAME', maxWidth: 40 },
    ],
    numeric.map((r) => [
      r.label,
      ...cells(r),
      r.chip ?? '',
      r.hwirq ?? '',
      [r.trigger, r.flow].filter((x) => x !== undefined && x !== '').join(' '),
      rowName(r),
    ]),
  );
  out.push(style.bold(irqTable[0] ?? ''), ...irqTable.slice(1));
  if (named.length > 0) {
    const namedTable = renderTable(
      [
        { header: 'ROW', align: 'right' },
        ...cpuHeaders,
        ...summaryHeaders,
        { header: 'DESCRIPTION', maxWidth: 48 },
      ],
      named.map((r) => [
        r.occurrence > 0 ? `${r.label}#${r.occurrence}` : r.label,
        ...cells(r),
        r.description ?? '',
      ]),
    );
    out.push('', style.bold(namedTable[0] ?? ''), ...namedTable.slice(1));
  }
  return `${out.join('\n')}\n`;
}
