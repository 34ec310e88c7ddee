/** `irqkit show`: a parsed /proc/interrupts, IRQs then named rows. */
import { rowName, type Snapshot } from '../../core/snapshot.ts';
import { describeCpus, dominantCpu } from '../../core/snapshot-plan.ts';
import type { Style } from './color.ts';
import { formatInt, formatPercent } from './format.ts';
import { renderTable } from './table.ts';

/** Per-CPU columns are shown only while they fit; wide machines get total and top CPU instead. */
const CELL_WIDTH = 12;

export function renderShow(s: Snapshot, source: string, style: Style, columns: number): string {
  const numeric = s.rows.filter((r) => r.numeric);
  const named = s.rows.filter((r) => !r.numeric);
  const out: string[] = [
    `${style.bold(source)}: ${s.cpus.length} CPU${s.cpus.length === 1 ? '' : 's'} (${describeCpus(s.cpus)}), ` +
      `${numeric.length} IRQs, ${named.length} named rows` +
      (s.warnings.length > 0 ? `, ${s.warnings.length} lines skipped` : ''),
    '',
  ];
  const perCpu = s.cpus.length * CELL_WIDTH + 70 <= columns;
  const cpuHeaders = perCpu ? s.cpus.map((c) => ({ header: `CPU${c}`, align: 'right' as const })) : [];
  const summaryHeaders = perCpu
    ? [{ header: 'TOTAL', align: 'right' as const }]
    : [
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
    return [
      ...counts,
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
