import { type CommandSpec, type OptionValues, stringOption } from '../../args/command-args.ts';
import { parsePositiveInt } from '../../args/values.ts';
import { loadSnapshot, reportWarnings } from '../input.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import { SORT_WORDS, sortHelp, sortKeyOrUsage } from '../render/irq-sort.ts';
import { renderShow } from '../render/show.ts';

export const showSpec: CommandSpec = {
  name: 'show',
  summary:
    'Print a parsed /proc/interrupts: CPUs, every IRQ with its chip, hwirq, trigger and handlers,\n' +
    "and the named rows. Without FILE it reads the live /proc/interrupts; '-' reads stdin.\n" +
    "IRQs keep the file's order unless --sort is given; named rows always keep it.\n" +
    '--json prints the whole parse, not sorted or cut by --sort and --top.',
  usage: 'irqkit show [options] [FILE|-]',
  examples: [
    'irqkit show',
    'irqkit show saved-interrupts.txt --json',
    'ssh host cat /proc/interrupts | irqkit show -',
    'irqkit show --sort rate --top 10          # the ten IRQs with the most interrupts',
    'irqkit show --sort cpu:3                  # the busiest on CPU 3 first',
  ],
  maxPositionals: 1,
  options: {
    procfs: { type: 'string', arg: 'DIR', description: 'read <DIR>/interrupts instead of /proc/interrupts' },
    sort: { type: 'string', arg: 'KEY', description: sortHelp('show', '') },
    top: {
      type: 'string',
      arg: 'N',
      description: 'keep only the N IRQs with the most interrupts, in --sort order',
    },
    strict: { type: 'boolean', description: 'fail on any line that cannot be understood' },
  },
};

export async function showCommand(io: CliIo, values: OptionValues, positionals: string[]): Promise<number> {
  const sortText = stringOption(values, 'sort');
  const sort = sortText === undefined ? undefined : sortKeyOrUsage(SORT_WORDS.show, sortText);
  const topText = stringOption(values, 'top');
  const top = topText === undefined ? undefined : parsePositiveInt(topText, '--top');
  const loaded = await loadSnapshot(io, positionals[0], {
    strict: values.strict === true,
    procRoot: stringOption(values, 'procfs'),
  });
  reportWarnings(io, loaded);
  if (values.json === true) {
    io.stdout(`${JSON.stringify({ source: loaded.source, ...loaded.snapshot })}\n`);
    return 0;
  }
  const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
  io.stdout(renderShow(loaded.snapshot, loaded.source, style, io.columns ?? 120, { sort, top }));
  return 0;
}
