/**
 * `run(argv, io) → exit code`: the whole CLI, testable without a process. Only bin.ts touches
 * `process`; errors become one clear line on stderr and the catalogue's exit code.
 */

import {
  COMMON_OPTIONS,
  type CommandSpec,
  commandHelp,
  type OptionSpec,
  type OptionValues,
  optionRows,
  parseCommandArgs,
  suggest,
} from '../args/command-args.ts';
import { firstSentence, HELP_WIDTH, hangingWrap } from '../args/help-text.ts';
import { EXIT, IrqkitError, toIrqkitError } from '../core/errors.ts';
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
import { DAEMON_OPTIONS } from './daemon-options.ts';
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
  // The first sentence of each summary, whole: wrapped under its column, never cut.
  const lines = COMMANDS.flatMap((c) =>
    hangingWrap(`  ${c.spec.name.padEnd(width)}  `, firstSentence(c.spec.summary), HELP_WIDTH),
  );
  return (
    'Usage: irqkit [options] <command> [options]\n\n' +
    'Measure interrupt rates and place IRQs on CPUs so the busiest CPU has the least load.\n\n' +
    `Commands:\n${lines.join('\n')}\n\n` +
    'Options of every command (before or after its name):\n' +
    `${optionRows(COMMON_OPTIONS).join('\n')}\n` +
    'Options of the commands that talk to irqkitd (all but balance and show):\n' +
    `${optionRows(DAEMON_OPTIONS).join('\n')}\n\n` +
    "Run 'irqkit <command> --help' for a command's options.\n" +
    'Exit codes: 0 ok, 1 partly failed, 2 irqkitd unreachable, 64 usage, 65 bad data, 66 no input,\n' +
    '69 not available (autopilot off), 70 bug, 74 I/O error, 75 try again later, 76 protocol mismatch,\n' +
    '77 permission.\n'
  );
}

/** Options that may come before the command's name (`irqkit --url U summary`). */
const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = { ...COMMON_OPTIONS, ...DAEMON_OPTIONS };

interface SplitArgv {
  /** The global options before the command's name, as given (a value as its own word). */
  leading: string[];
  name: string | undefined;
  rest: string[];
  help: boolean;
}

/**
 * Separates the global options given before the command's name from the name and the rest, so
 * that `irqkit --json --url U summary` reads as `irqkit summary --json --url U`.
 */
function splitArgv(argv: readonly string[]): SplitArgv {
  const leading: string[] = [];
  let help = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '-h' || token === '--help') {
      help = true;
      continue;
    }
    const m = /^--([^=]+)(=.*)?$/.exec(token);
    if (!m) {
      if (token.startsWith('-') && token !== '-') throw unknownLeading(token);
      break;
    }
    const name = m[1] as string;
    const o = GLOBAL_OPTIONS[name];
    if (o === undefined) throw unknownLeading(token);
    if (o.type === 'string' && m[2] === undefined) {
      const value = argv[i + 1];
      if (value === undefined)
        throw new IrqkitError('IRQ_ERR_USAGE', `--${name} needs a value: --${name} ${o.arg ?? 'VALUE'}`);
      leading.push(token, value);
      i++;
    } else {
      leading.push(token);
    }
  }
  return { leading, name: argv[i], rest: argv.slice(i + 1), help };
}

function unknownLeading(token: string): IrqkitError {
  const flag = token.replace(/=.*$/, '');
  const near = suggest(flag.replace(/^-+/, ''), Object.keys(GLOBAL_OPTIONS));
  return new IrqkitError(
    'IRQ_ERR_USAGE',
    `unknown option '${flag}'${near ? ` (did you mean --${near}?)` : ''}; a command's own options go after its name`,
  );
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    io.stdout(`irqkit ${version()}\n`);
    return EXIT.ok;
  }
  let split: SplitArgv;
  try {
    split = splitArgv(argv);
  } catch (e) {
    io.stderr(`irqkit: ${toIrqkitError(e).message}; see 'irqkit --help'\n`);
    return EXIT.usage;
  }
  const { leading, name, help } = split;
  if (name === undefined && leading.length > 0 && !help) {
    io.stderr(`irqkit: name a command after the options, e.g. 'irqkit ${leading.join(' ')} summary'\n`);
    return EXIT.usage;
  }
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.spec.name === split.rest[0]) : undefined;
    io.stdout(topic ? commandHelp(topic.spec) : mainHelp());
    return name === undefined && !help ? EXIT.usage : EXIT.ok;
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
  if (help) {
    io.stdout(commandHelp(command.spec));
    return EXIT.ok;
  }
  const rest = [...leading, ...split.rest];
  try {
    const misplaced = leading.find((t) => {
      const option = /^--([^=]+)/.exec(t)?.[1];
      return option !== undefined && !(option in COMMON_OPTIONS) && !(option in command.spec.options);
    });
    if (misplaced !== undefined) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `${misplaced.replace(/=.*$/, '')} is for the commands that talk to irqkitd; ${name} does not`,
      );
    }
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
