import type { IrqDetails } from '../../api/schemas.ts';
import { formatCpuList, parseCpuList } from '../../core/cpuset.ts';
import { IrqkitError } from '../../core/errors.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { type CommandSpec, type OptionValues, parsePositiveInt, stringOption, suggest } from '../options.ts';
import { pickStyle, type Style } from '../render/color.ts';
import { formatInt } from '../render/format.ts';
import { renderTable } from '../render/table.ts';
import { formatRate } from './summary.ts';

export const irqsSpec: CommandSpec = {
  name: 'irqs',
  summary:
    'Every IRQ with its device, node, affinity, effective affinity, flags and rate (irqkitd).\n' +
    'DEVICE is the PCI address, EFFECTIVE where the kernel really delivers the IRQ, FLAGS says\n' +
    'managed (the kernel sets the affinity), banned (plans leave it alone) and pending (it moves at\n' +
    "its next interrupt); RATE/S is over the daemon's last 10 s. 'irqkit irq N' shows one IRQ in\n" +
    "full. --json prints the daemon's list (GET /api/v1/irqs), not filtered by --top or --sort.",
  usage: 'irqkit irqs [options]',
  maxPositionals: 0,
  options: {
    sort: {
      type: 'string',
      arg: 'KEY',
      description: 'row order: irq (default), rate (busiest first), name, node, or cpu (effective CPU)',
    },
    top: { type: 'string', arg: 'N', description: 'keep only the N busiest IRQs (by rate)' },
    ...DAEMON_OPTIONS,
  },
  examples: [
    'irqkit irqs',
    'irqkit irqs --sort rate --top 10   # the busiest IRQs',
    "irqkit irqs --json | jq '.irqs[] | select(.managed)'",
  ],
};

export const irqSpec: CommandSpec = {
  name: 'irq',
  summary:
    'One IRQ in detail (irqkitd).\n' +
    'Name, chip, hwirq, device (PCI address, NUMA node, local CPUs), smp_affinity_list, effective\n' +
    'affinity, node, affinity hint, managed, banned, rate and total since boot.\n' +
    "--json prints the daemon's answer (GET /api/v1/irqs/IRQ). An unknown IRQ exits 65.",
  usage: 'irqkit irq [options] IRQ',
  maxPositionals: 1,
  options: { ...DAEMON_OPTIONS },
  examples: ['irqkit irq 41', 'irqkit irq 41 --json | jq .effectiveAffinity'],
};

const SORT_KEYS = ['irq', 'rate', 'name', 'node', 'cpu'] as const;
type SortKey = (typeof SORT_KEYS)[number];

function parseSort(text: string | undefined): SortKey {
  if (text === undefined) return 'irq';
  const t = text.trim().toLowerCase();
  const key = SORT_KEYS.find((k) => k === t);
  if (key) return key;
  const near = suggest(t, SORT_KEYS);
  throw new IrqkitError(
    'IRQ_ERR_USAGE',
    `--sort takes ${SORT_KEYS.join(', ')}, not '${text}'${near ? ` (did you mean ${near}?)` : ''}`,
  );
}

/** The first CPU of a cpulist ("4-7" → 4), for sorting; Infinity when there is none. */
function firstCpu(list: string | null): number {
  const m = /^\d+/.exec(list ?? '');
  return m ? Number(m[0]) : Number.POSITIVE_INFINITY;
}

function sortIrqs(irqs: IrqDetails[], key: SortKey): IrqDetails[] {
  const byIrq = (a: IrqDetails, b: IrqDetails): number => Number(a.irq) - Number(b.irq);
  const sorted = [...irqs];
  switch (key) {
    case 'irq':
      return sorted.sort(byIrq);
    case 'rate':
      return sorted.sort((a, b) => b.ratePerSecond - a.ratePerSecond || byIrq(a, b));
    case 'name':
      return sorted.sort((a, b) => a.name.localeCompare(b.name) || byIrq(a, b));
    case 'node':
      return sorted.sort(
        (a, b) => (a.node ?? Number.POSITIVE_INFINITY) - (b.node ?? Number.POSITIVE_INFINITY) || byIrq(a, b),
      );
    case 'cpu':
      return sorted.sort(
        (a, b) =>
          firstCpu(a.effectiveAffinity ?? a.affinity) - firstCpu(b.effectiveAffinity ?? b.affinity) ||
          byIrq(a, b),
      );
  }
}

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

export async function irqsCommand(io: CliIo, values: OptionValues): Promise<number> {
  const sort = parseSort(stringOption(values, 'sort'));
  const topText = stringOption(values, 'top');
  const top = topText === undefined ? undefined : parsePositiveInt(topText, '--top');
  const client = clientFrom(io, values);
  const doc = await client.get<{ irqs: IrqDetails[] }>('/api/v1/irqs');
  if (values.json === true) {
    io.stdout(`${JSON.stringify(doc)}\n`);
    return 0;
  }
  let irqs = doc.irqs;
  if (top !== undefined && top < irqs.length) {
    irqs = [...irqs]
      .sort((a, b) => b.ratePerSecond - a.ratePerSecond || Number(a.irq) - Number(b.irq))
      .slice(0, top);
  }
  const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
  io.stdout(renderIrqs(sortIrqs(irqs, sort), doc.irqs.length, style));
  return 0;
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
  const shown = irqs.length < of ? `${irqs.length} of ${of} IRQs (the busiest)` : `${of} IRQs`;
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

export async function irqCommand(io: CliIo, values: OptionValues, positionals: string[]): Promise<number> {
  const irq = positionals[0];
  if (irq === undefined) throw new IrqkitError('IRQ_ERR_USAGE', 'name an IRQ, e.g. irqkit irq 41');
  if (!/^\d{1,7}$/.test(irq)) throw new IrqkitError('IRQ_ERR_USAGE', `'${irq}' is not an IRQ number`);
  const client = clientFrom(io, values);
  const d = await client.get<IrqDetails>(`/api/v1/irqs/${Number(irq)}`);
  if (values.json === true) {
    io.stdout(`${JSON.stringify(d)}\n`);
    return 0;
  }
  io.stdout(renderIrq(d, pickStyle(io.env, io.isTTY, values['no-color'] === true)));
  return 0;
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
