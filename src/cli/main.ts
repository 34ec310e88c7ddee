/**
 * `run(argv, io) → exit code`: the whole CLI, testable without a process. Only bin.ts touches
 * `process`; errors become one clear line on stderr and the catalogue's exit code.
 */

import {
  type CommandSpec,
  commandHelp,
  type OptionValues,
  parseCommandArgs,
  suggest,
} from '../args/command-args.ts';
import { EXIT, toIrqkitError } from '../core/errors.ts';
import { autoCommand, autoSpec } from './commands/auto.ts';
import { balanceCommand, balanceSpec } from './commands/balance.ts';
import { irqCommand, irqSpec, irqsCommand, irqsSpec } from './commands/irqs.ts';
import { overviewCommand, overviewSpec } from './commands/overview.ts';
import {
  pinsCommand,
  pinsSpec,
  restoreCommand,
  restoreSpec,
  unpinCommand,
  unpinSpec,
} from './commands/pins.ts';
import { applyCommand, applySpec, planCommand, planSpec } from './commands/plan.ts';
import { setCommand, setSpec } from './commands/set.ts';
import { showCommand, showSpec } from './commands/show.ts';
import { summaryCommand, summarySpec } from './commands/summary.ts';
import { topCommand, topSpec } from './commands/top.ts';
import type { CliIo } from './io.ts';

declare const IRQKIT_VERSION: string | undefined;

interface Command {
  spec: CommandSpec;
  run(io: CliIo, values: OptionValues, positionals: string[]): Promise<number>;
}

const COMMANDS: readonly Command[] = [
  { spec: balanceSpec, run: balanceCommand },
  { spec: showSpec, run: showCommand },
  // Daemon-backed commands (irqkitd's API; --url, $IRQKIT_URL).
  { spec: overviewSpec, run: overviewCommand },
  { spec: summarySpec, run: summaryCommand },
  { spec: irqsSpec, run: irqsCommand },
  { spec: irqSpec, run: irqCommand },
  { spec: setSpec, run: setCommand },
  { spec: pinsSpec, run: pinsCommand },
  { spec: unpinSpec, run: unpinCommand },
  { spec: restoreSpec, run: restoreCommand },
  { spec: planSpec, run: planCommand },
  { spec: applySpec, run: applyCommand },
  { spec: autoSpec, run: autoCommand },
  { spec: topSpec, run: topCommand },
];

export function version(): string {
  return typeof IRQKIT_VERSION === 'string' ? IRQKIT_VERSION : 'dev';
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  const lines = COMMANDS.map(
    (c) => `  ${c.spec.name.padEnd(width)}  ${(c.spec.summary.split('\n')[0] ?? '').trim()}`,
  );
  return (
    'Usage: irqkit <command> [options]\n\n' +
    'Measure interrupt rates and place IRQs on CPUs so the busiest CPU has the least load.\n\n' +
    `Commands:\n${lines.join('\n')}\n\n` +
    "Run 'irqkit <command> --help' for a command's options.\n" +
    'Exit codes: 0 ok, 1 partly failed, 2 irqkitd unreachable, 64 usage, 65 bad data, 66 no input,\n' +
    '74 I/O error, 75 try again later, 76 protocol mismatch, 77 permission, 70 bug.\n'
  );
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
    io.stdout(topic ? commandHelp(topic.spec) : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(`irqkit ${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    const near = suggest(
      name,
      COMMANDS.map((c) => c.spec.name),
    );
    io.stderr(
      `irqkit: unknown command '${name}'${near ? ` (did you mean '${near}'?)` : ''}; see 'irqkit --help'\n`,
    );
    return EXIT.usage;
  }
  try {
    const { values, positionals } = parseCommandArgs(command.spec, rest);
    if (values.help === true) {
      io.stdout(commandHelp(command.spec));
      return EXIT.ok;
    }
    return await command.run(io, values, positionals);
  } catch (e) {
    const err = toIrqkitError(e);
    const json = rest.includes('--json');
    if (json) io.stdout(`${JSON.stringify({ error: err.toJSON() })}\n`);
    io.stderr(`irqkit ${name}: ${err.message}\n`);
    if (err.code === 'IRQ_ERR_INTERNAL' && io.env.IRQKIT_DEBUG)
      io.stderr(`${(err.cause as Error)?.stack ?? ''}\n`);
    return err.exitCode;
  }
}
