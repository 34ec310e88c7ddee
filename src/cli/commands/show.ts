import { type CommandSpec, type OptionValues, stringOption } from '../../args/command-args.ts';
import { loadSnapshot, reportWarnings } from '../input.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import { renderShow } from '../render/show.ts';

export const showSpec: CommandSpec = {
  name: 'show',
  summary:
    'Print a parsed /proc/interrupts: CPUs, every IRQ with its chip, hwirq, trigger and handlers,\n' +
    "and the named rows. Without FILE it reads the live /proc/interrupts; '-' reads stdin.",
  usage: 'irqkit show [options] [FILE|-]',
  examples: [
    'irqkit show',
    'irqkit show saved-interrupts.txt --json',
    'ssh host cat /proc/interrupts | irqkit show -',
  ],
  maxPositionals: 1,
  options: {
    procfs: { type: 'string', arg: 'DIR', description: 'read <DIR>/interrupts instead of /proc/interrupts' },
    strict: { type: 'boolean', description: 'fail on any line that cannot be understood' },
  },
};

export async function showCommand(io: CliIo, values: OptionValues, positionals: string[]): Promise<number> {
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
  io.stdout(renderShow(loaded.snapshot, loaded.source, style, io.columns ?? 120));
  return 0;
}
