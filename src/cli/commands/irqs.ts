import type { IrqDetails } from '../../api/schemas.ts';
import { type CommandSpec, type OptionValues, stringOption } from '../../args/command-args.ts';
import { parsePositiveInt } from '../../args/values.ts';
import { IrqkitError } from '../../core/errors.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import {
  firstCpu,
  type IrqSortFields,
  type IrqSortKey,
  SORT_WORDS,
  sortHelp,
  sortIrqRows,
  sortKeyOrUsage,
} from '../render/irq-sort.ts';
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
    sort: { type: 'string', arg: 'KEY', description: sortHelp('irqs', 'irq') },
    top: { type: 'string', arg: 'N', description: 'keep only the N busiest IRQs (by rate), in --sort order' },
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

/** Where `irqkit irqs --sort` looks in a row. */
const sortFields = (i: IrqDetails): IrqSortFields => ({
  irq: i.irq,
  name: i.name,
  load: i.ratePerSecond,
  node: i.node,
  effectiveCpu: firstCpu(i.effectiveAffinity ?? i.affinity),
});

export async function irqsCommand(io: CliIo, values: OptionValues): Promise<number> {
  const sortText = stringOption(values, 'sort');
  const sort: IrqSortKey = sortText === undefined ? { by: 'irq' } : sortKeyOrUsage(SORT_WORDS.irqs, sortText);
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
    irqs = sortIrqRows(irqs, { by: 'load' }, sortFields).slice(0, top);
  }
  const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
  io.stdout(renderIrqs(sortIrqRows(irqs, sort, sortFields), doc.irqs.length, style));
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
