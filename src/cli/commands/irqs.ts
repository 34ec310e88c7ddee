import { type CommandSpec, type OptionValues, stringOption, suggest } from '../../args/command-args.ts';
import { parsePositiveInt } from '../../args/values.ts';
import { IrqkitError } from '../../core/errors.ts';
import type { IrqDetails } from '../api.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import { renderIrq, renderIrqs } from '../render/irqs.ts';

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
