/**
 * Options as data: each command declares its flags once, and both parsing and --help come from
 * that declaration, so help can never drift from what is accepted. Shared by irqkit and irqkitd,
 * so it belongs to neither.
 */
import { parseArgs } from 'node:util';
import { IrqkitError } from '../core/errors.ts';
import { HELP_WIDTH, hangingWrap } from './help-text.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. LIST. */
  arg?: string;
  /**
   * A string option that may also be given bare (`--procfs` alone, shown `--procfs [DIR]`): it
   * then takes this value. The next argument is its value unless it starts with '-'.
   */
  bareValue?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Readonly<Record<string, OptionSpec>>;
  /** How many positionals are allowed. */
  maxPositionals: number;
  /** Command lines shown under "Examples:" in --help, each with a `# why` comment if useful. */
  examples?: readonly string[];
}

export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print one JSON document on stdout' },
  'no-color': { type: 'boolean', description: 'never colour the output (NO_COLOR is honoured too)' },
};

export function parseCommandArgs(
  spec: CommandSpec,
  argv: string[],
): { values: OptionValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries({ ...COMMON_OPTIONS, ...spec.options })) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: withBareValues(spec, argv), options, strict: true, allowPositionals: true });
  } catch (e) {
    // The caller prefixes the program and command name; the message itself stays bare.
    throw new IrqkitError('IRQ_ERR_USAGE', cleanParseError(e, spec));
  }
  if (!parsed.values.help && parsed.positionals.length > spec.maxPositionals) {
    const extra = parsed.positionals.slice(spec.maxPositionals).join(' ');
    throw new IrqkitError('IRQ_ERR_USAGE', `unexpected argument '${extra}'`);
  }
  return parsed;
}

/** `--procfs` given bare becomes `--procfs=<its bareValue>`, which parseArgs understands. */
function withBareValues(spec: CommandSpec, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = token.startsWith('--') ? token.slice(2) : undefined;
    const bare = name === undefined ? undefined : spec.options[name]?.bareValue;
    const next = argv[i + 1];
    if (bare !== undefined && (next === undefined || (next.startsWith('-') && next !== '-'))) {
      out.push(`${token}=${bare}`);
    } else {
      out.push(token);
    }
  }
  return out;
}

function cleanParseError(e: unknown, spec: CommandSpec): string {
  const message = e instanceof Error ? e.message : String(e);
  const all = { ...COMMON_OPTIONS, ...spec.options };
  const unknown = /Unknown option '(--?[^']+)'/.exec(message);
  if (unknown?.[1]) {
    const flag = unknown[1];
    const near = suggest(flag.replace(/^-+/, ''), Object.keys(all));
    return `unknown option '${flag}'${near ? ` (did you mean --${near}?)` : ''}`;
  }
  const missing = /Option '(?:-\w, )?--([^' <]+)[^']*' argument missing/.exec(message);
  if (missing?.[1]) {
    // The flag ended the line (`set 24 --cpu`): say what it takes and how the command is used.
    const name = missing[1];
    const arg = all[name]?.arg ?? 'VALUE';
    return `--${name} needs a value: --${name} ${arg} (usage: ${spec.usage})`;
  }
  const ambiguous = /Option '(--?[^' ]+)[^']*' argument is ambiguous/.exec(message);
  if (ambiguous?.[1]) {
    // A value that starts with '-' (--interval -1s): parseArgs explains over three lines.
    return `option '${ambiguous[1]}' needs a value; a value starting with '-' must be written ${ambiguous[1]}=VALUE`;
  }
  // parseArgs explains itself well, but appends advice about '--' that does not apply here,
  // and every error must stay one line.
  return (
    message
      .replace(/\. To specify a positional argument.*$/s, '')
      .replace(/^TypeError \[[A-Z_]+\]: /, '')
      .split('\n')[0] ?? message
  );
}

/** The closest known name within edit distance 2, as commander's suggestSimilar does. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** `--cpus LIST`, `--procfs [DIR]`, `-h, --help`, as help shows a flag. */
export function flagText(name: string, o: OptionSpec, short = true): string {
  const arg = o.arg === undefined ? '' : o.bareValue !== undefined ? ` [${o.arg}]` : ` ${o.arg}`;
  return `${short ? (o.short ? `-${o.short}, ` : '    ') : ''}--${name}${arg}`;
}

/** Rows of flags and their descriptions, the descriptions wrapped under their own column. */
export function optionRows(options: Readonly<Record<string, OptionSpec>>, short = true): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    return [flagText(name, o, short), o.description + (o.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.flatMap(([f, d]) => hangingWrap(`  ${f.padEnd(width)}  `, d, HELP_WIDTH));
}

export function commandHelp(spec: CommandSpec): string {
  const lines = optionRows({ ...spec.options, ...COMMON_OPTIONS });
  const examples =
    spec.examples && spec.examples.length > 0
      ? `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`
      : '';
  return `Usage: ${spec.usage}\n\n${spec.summary}\n\nOptions:\n${lines.join('\n')}\n${examples}`;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function stringList(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}
