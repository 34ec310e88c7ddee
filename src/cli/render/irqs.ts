/** `irqkit irqs` (one row per IRQ) and `irqkit irq N` (one IRQ in full). */

import type { IrqDetails } from '../../api/schemas.ts';
import { formatCpuList, parseCpuList } from '../../core/cpuset.ts';
import type { Style } from './color.ts';
import { count, formatInt, formatRate } from './format.ts';
import { renderTable } from './table.ts';

function flags(i: IrqDetails): string {
  const out: string[] = [];
  if (i.managed === true) out.push('managed');
  if (i.managed === null) out.push('managed?');
  if (i.banned) out.push('banned');
  if (i.effectiveAffinity !== null && !covers(i.affinity, i.effectiveAffinity)) out.push('pending');
  return out.join(',');
}

/** True when every CPU of `inner` is in the cpulist `outer` (a spread affinity delivers on one of them). */
function covers(outer: string, inner: string): boolean {
  try {
    const o = new Set(parseCpuList(outer));
    return parseCpuList(inner).every((c) => o.has(c));
  } catch {
    return true;
  }
}

export function renderIrqs(irqs: IrqDetails[], of: number, style: Style): string {
  const window = irqs.find((i) => i.rateWindowSeconds > 0)?.rateWindowSeconds;
  const table = renderTable(
    [
      { header: 'IRQ', align: 'right' },
      { header: 'NAME', maxWidth: 28 },
      { header: 'DEVICE' },
      { header: 'NODE', align: 'right' },
      { header: 'AFFINITY', maxWidth: 24 },
      { header: 'EFFECTIVE', maxWidth: 24 },
      { header: 'RATE/S', align: 'right' },
      { header: 'FLAGS' },
    ],
    irqs.map((i) => [
      i.irq,
      i.name,
      i.device?.name ?? '-',
      i.node === null ? '-' : String(i.node),
      i.affinity || '-',
      i.effectiveAffinity ?? '-',
      formatRate(i.ratePerSecond),
      flags(i),
    ]),
  );
  const out = [style.bold(table[0] ?? ''), ...table.slice(1)];
  const shown = irqs.length < of ? `${irqs.length} of ${count(of, 'IRQ')} (the busiest)` : count(of, 'IRQ');
  out.push(
    '',
    style.dim(
      `${shown}; rates over the daemon's last ${window === undefined ? '-' : `${window.toFixed(1)} s`}`,
    ),
    style.dim('flags: managed (the kernel sets the affinity; managed? until a write tells), banned (plans'),
    style.dim('leave it alone), pending (moves to its new affinity at its next interrupt)'),
  );
  return `${out.join('\n')}\n`;
}

export function renderIrq(d: IrqDetails, style: Style): string {
  const yesNo = (b: boolean | null, unknown: string): string => (b === null ? unknown : b ? 'yes' : 'no');
  const device = d.device
    ? [
        d.device.name,
        d.device.numaNode === null ? undefined : `NUMA node ${d.device.numaNode}`,
        d.device.localCpus === null ? undefined : `local CPUs ${formatCpuList(d.device.localCpus)}`,
      ]
        .filter((x) => x !== undefined)
        .join(', ')
    : '-';
  const pending = d.effectiveAffinity !== null && !covers(d.affinity, d.effectiveAffinity);
  const rows: Array<[string, string]> = [
    ['chip', d.chip ?? '-'],
    ['hwirq', d.hwirq ?? '-'],
    ['device', device],
    ['affinity', d.affinity || '-'],
    [
      'effective affinity',
      d.effectiveAffinity === null
        ? '- (not reported by this kernel)'
        : pending
          ? `${d.effectiveAffinity}  ${style.yellow('(pending: moves to the new affinity at its next interrupt)')}`
          : d.effectiveAffinity,
    ],
    ['node', d.node === null ? '-' : String(d.node)],
    ['affinity hint', d.affinityHint ?? '-'],
    ['managed', yesNo(d.managed, 'unknown (only a write can tell)')],
    ['banned', d.banned ? 'yes (plans leave it where it is)' : 'no'],
    ['rate', `${formatRate(d.ratePerSecond)}/s over the last ${d.rateWindowSeconds.toFixed(1)} s`],
    ['total', `${formatInt(d.total)} interrupts since boot`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${style.bold(`IRQ ${d.irq}  ${d.name}`)}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
