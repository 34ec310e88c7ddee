import type { BatchResult } from '../../api/schemas.ts';
import { type CommandSpec, type OptionValues, stringOption } from '../../args/command-args.ts';
import { IrqkitError } from '../../core/errors.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import { batchExitCode, describeFailures, renderBatch } from '../render/outcomes.ts';

export const setSpec: CommandSpec = {
  name: 'set',
  summary:
    'Pin IRQs to CPUs through irqkitd, as one all-or-nothing batch.\n' +
    'If one write fails, the earlier ones are restored and the rest are not attempted. Prints each\n' +
    "IRQ's outcome: the affinity and effective affinity read back (pending: the kernel moves the IRQ\n" +
    'at its next interrupt), or why it failed (kernel-managed, CPU offline, no free vector, rolled\n' +
    'back, not attempted…). Exit 0 when every IRQ was set; 1 when a write was refused (managed,\n' +
    'offline CPU…); 65 for an unknown IRQ and 64 for an unknown CPU (nothing is written then);\n' +
    "77 on a --read-only daemon. --json prints the daemon's batch result (POST /api/v1/affinity).\n" +
    '--persist pins them: kept in the state file and applied again at start-up and after a driver\n' +
    'reload; 74 when irqkitd cannot save its state file (nothing is changed then).',
  usage: 'irqkit set [options] IRQ=CPU... | irqkit set [options] IRQ... --cpu CPU',
  maxPositionals: Number.MAX_SAFE_INTEGER,
  options: {
    cpu: { type: 'string', arg: 'CPU', description: 'the CPU for every IRQ named (instead of IRQ=CPU)' },
    'dry-run': { type: 'boolean', description: 'check the batch and show what would change; write nothing' },
    persist: {
      type: 'boolean',
      description: 'pin: irqkitd saves it and applies it again at start-up and when the IRQ comes back',
    },
    ...DAEMON_OPTIONS,
  },
  examples: [
    'irqkit set 41=1 42=0            # two IRQs, both or neither',
    'irqkit set 41 42 43 --cpu 3     # the same CPU for several IRQs',
    'irqkit set --dry-run 41=5       # would it work?',
    'irqkit set --persist 41=1       # and keep it across restarts and driver reloads (irqkit pins)',
    'irqkit set 41=1 --json | jq .outcomes',
  ],
};

const IRQ = /^\d{1,7}$/;
/** The daemon's CPU ids are below 65536 (its schema); checking here gives a clearer message. */
const CPU = /^\d{1,5}$/;

function parseCpu(text: string, where: string): number {
  const t = text.trim();
  const n = CPU.test(t) ? Number(t) : Number.NaN;
  if (!(n >= 0 && n <= 65_535)) {
    const hint = /[-,]/.test(t) ? ': each IRQ is pinned to exactly one CPU' : '';
    throw new IrqkitError('IRQ_ERR_USAGE', `${where} takes one CPU number, not '${text}'${hint}`);
  }
  return n;
}

export function parseAssignments(
  positionals: readonly string[],
  cpuText: string | undefined,
): Array<{ irq: string; cpu: number }> {
  if (positionals.length === 0) {
    throw new IrqkitError('IRQ_ERR_USAGE', 'name at least one IRQ: IRQ=CPU, or IRQ... --cpu CPU');
  }
  if (cpuText !== undefined) {
    const cpu = parseCpu(cpuText, '--cpu');
    return positionals.map((p) => {
      if (!IRQ.test(p.trim())) {
        throw new IrqkitError(
          'IRQ_ERR_USAGE',
          `'${p}' is not an IRQ number${p.includes('=') ? ' (IRQ=CPU and --cpu do not mix)' : ''}`,
        );
      }
      return { irq: String(Number(p)), cpu };
    });
  }
  return positionals.map((p) => {
    const m = /^\s*(\d+)\s*=\s*(.*)$/.exec(p);
    if (!m) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        IRQ.test(p.trim())
          ? `IRQ ${p} needs a CPU: ${p}=CPU, or --cpu CPU`
          : `'${p}' is not IRQ=CPU (e.g. 41=1)`,
      );
    }
    const irq = m[1] as string;
    if (!IRQ.test(irq)) throw new IrqkitError('IRQ_ERR_USAGE', `'${irq}' is not an IRQ number`);
    return { irq: String(Number(irq)), cpu: parseCpu(m[2] as string, `IRQ ${irq}`) };
  });
}

export async function setCommand(io: CliIo, values: OptionValues, positionals: string[]): Promise<number> {
  const assignments = parseAssignments(positionals, stringOption(values, 'cpu'));
  const dryRun = values['dry-run'] === true;
  const persist = values.persist === true;
  const client = clientFrom(io, values);
  const { body } = await client.call<BatchResult>(
    'POST',
    '/api/v1/affinity',
    { assignments, dryRun, ...(persist ? { persist } : {}) },
    0,
    [409],
  );
  const code = reportBatch(io, 'set', body, values);
  if (persist && body.ok && !body.dryRun && values.json !== true) {
    io.stdout("pinned: irqkitd applies them again at start-up and when they come back (see 'irqkit pins')\n");
  }
  // e.g. irqbalance runs and will undo the pins: on stderr, so scripts still get a clean stdout.
  for (const w of body.warnings ?? []) io.stderr(`irqkit set: warning: ${w}\n`);
  return code;
}

/**
 * Prints a batch's outcome (text, or `jsonDoc` with --json) and its failures on stderr; returns
 * the exit code.
 */
export function reportBatch(
  io: CliIo,
  command: string,
  result: BatchResult,
  values: OptionValues,
  jsonDoc: unknown = result,
): number {
  if (values.json === true) io.stdout(`${JSON.stringify(jsonDoc)}\n`);
  else io.stdout(renderBatch(result, pickStyle(io.env, io.isTTY, values['no-color'] === true)));
  for (const line of describeFailures(result)) io.stderr(`irqkit ${command}: ${line}\n`);
  return batchExitCode(result);
}
