import type { Distribution, InterruptsDoc } from '../../api/schemas.ts';
import { type CommandSpec, type OptionValues, stringOption } from '../../args/command-args.ts';
import { parsePositiveInt } from '../../args/values.ts';
import { parseCpuList } from '../../core/cpuset.ts';
import { IrqkitError } from '../../core/errors.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import { type IrqSortKey, SORT_WORDS, sortHelp, sortKeyOrUsage } from '../render/irq-sort.ts';
import { type Grid, gridFromDistribution, gridFromSnapshot, renderOverview } from '../render/overview.ts';
import { describeWindow } from '../render/window.ts';
import { durationParam, windowMsFrom, windowOptions, windowRequest } from '../window.ts';

export const overviewSpec: CommandSpec = {
  name: 'overview',
  summary:
    'The whole interrupt distribution from irqkitd, one column per CPU, fitted to the terminal.\n' +
    'One row per IRQ with its chip, device and name, then the named rows (LOC, NMI, IPIs…), like\n' +
    '/proc/interrupts but aligned. When not every CPU column fits, numbers get shorter (12.3k,\n' +
    '4.56M), then chip and name narrower, then the least busy CPUs are left out (a note says which).\n' +
    'Without a terminal or COLUMNS every column is printed. Counts are since boot, or of the last\n' +
    '--window. On a terminal heavy cells are coloured: red from half the largest cell, yellow from a\n' +
    "tenth. --json prints the daemon's document as it is (GET /api/v1/interrupts, or\n" +
    'GET /api/v1/distribution with --window), not filtered by --cpus, --top or --sort.',
  usage: 'irqkit overview [options]',
  maxPositionals: 0,
  options: {
    ...windowOptions('the interrupts of the last DURATION (e.g. 5s, 1m) instead of the totals since boot'),
    cpus: { type: 'string', arg: 'LIST', description: 'CPU columns to show (cpulist, e.g. 0-3,8)' },
    sort: { type: 'string', arg: 'KEY', description: sortHelp('overview', 'irq') },
    top: {
      type: 'string',
      arg: 'N',
      description: 'keep only the N IRQs with the most interrupts, in --sort order',
    },
    raw: {
      type: 'boolean',
      description: "print the kernel's /proc/interrupts text as the daemon last read it",
    },
    ...DAEMON_OPTIONS,
  },
  examples: [
    'irqkit overview                      # totals since boot, fitted to the terminal',
    'irqkit overview --window 5s --top 10 # the 10 busiest IRQs of the last 5 seconds',
    'irqkit overview --cpus 0-3 --sort cpu:0   # busiest on CPU 0 first',
    'irqkit overview --raw | less -S      # the kernel text, unaltered',
    'COLUMNS=200 irqkit overview | head    # a fixed width in scripts',
  ],
};

export async function overviewCommand(io: CliIo, values: OptionValues): Promise<number> {
  const json = values.json === true;
  const windowText = stringOption(values, 'window');
  if (values.raw === true) {
    const clash = ['window', 'json', 'cpus', 'sort', 'top'].filter((f) => values[f] !== undefined);
    if (clash.length > 0) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `--raw prints the kernel's text as it is; it does not go with ${clash.map((f) => `--${f}`).join(', ')}`,
      );
    }
  }
  const sortText = stringOption(values, 'sort');
  const sort: IrqSortKey =
    sortText === undefined ? { by: 'irq' } : sortKeyOrUsage(SORT_WORDS.overview, sortText);
  const topText = stringOption(values, 'top');
  const top = topText === undefined ? undefined : parsePositiveInt(topText, '--top');
  const cpusText = stringOption(values, 'cpus');
  const wanted = cpusText === undefined ? undefined : parseCpuList(cpusText);
  const client = clientFrom(io, values);

  if (values.raw === true) {
    io.stdout(await client.text('/api/v1/interrupts?format=text'));
    return 0;
  }

  let grid: Grid;
  const heading: string[] = [];
  const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
  if (windowText === undefined) {
    const doc = await client.get<InterruptsDoc>('/api/v1/interrupts');
    if (json) {
      io.stdout(`${JSON.stringify(doc)}\n`);
      return 0;
    }
    grid = gridFromSnapshot(doc);
    heading.push(`Interrupts since boot, as of ${doc.at}`);
  } else {
    const windowMs = windowMsFrom(values, 5000);
    const wait = values['no-wait'] !== true;
    const d = await windowRequest(io, client, windowMs, wait, (extra) =>
      client.get<Distribution>(`/api/v1/distribution?window=${durationParam(windowMs)}&wait=${wait}`, extra),
    );
    if (json) {
      io.stdout(`${JSON.stringify(d)}\n`);
      return 0;
    }
    grid = gridFromDistribution(d);
    heading.push(...describeWindow('Interrupts', d.window, style));
  }
  io.stdout(
    renderOverview(grid, {
      sort,
      top,
      cpus: wanted,
      width: io.columns ?? Number.POSITIVE_INFINITY,
      style,
      heading,
    }),
  );
  return 0;
}
