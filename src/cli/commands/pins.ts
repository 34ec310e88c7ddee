/**
 * `irqkit pins`, `irqkit unpin` and `irqkit restore`: the desired state irqkitd keeps across
 * restarts, and putting back what it changed.
 */

import type { PinsDoc, RestoreResult, UnpinResult } from '../../api/pin-schemas.ts';
import type { CommandSpec, OptionValues } from '../../args/command-args.ts';
import { EXIT, IrqkitError } from '../../core/errors.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import { batchExitCode, describeFailures } from '../render/outcomes.ts';
import { renderPins, renderRestore } from '../render/pins.ts';

export const pinsSpec: CommandSpec = {
  name: 'pins',
  summary:
    'The pins irqkitd keeps (irqkit set --persist), with their status, and what restore would put back.\n' +
    'STATUS is applied (in effect), drifted (something else, such as irqbalance, changed the affinity;\n' +
    'irqkitd reports it and does not fight it), missing (the IRQ is gone; pinned again when it comes\n' +
    'back), cpu-offline (pinned again when the CPU is back), mismatch (the IRQ number now belongs to\n' +
    'other handlers) or failed. --reapply applies every pin not in effect now, drifted ones too.\n' +
    'A running irqbalance is reported on stderr with the --banirq options that keep it off the pins.\n' +
    "--json prints the daemon's document (GET /api/v1/pins).",
  usage: 'irqkit pins [options]',
  maxPositionals: 0,
  options: {
    reapply: {
      type: 'boolean',
      description: 'apply every pin that is not in effect now (POST /api/v1/pins/apply)',
    },
    ...DAEMON_OPTIONS,
  },
  examples: [
    'irqkit pins',
    'irqkit pins --reapply          # after banning the IRQs from irqbalance',
    'irqkit pins --json | jq \'.pins[] | select(.status != "applied")\'',
  ],
};

export const unpinSpec: CommandSpec = {
  name: 'unpin',
  summary:
    'Remove pins: irqkitd stops keeping and re-applying these IRQs. Their affinity stays as it is;\n' +
    "'irqkit restore IRQ…' puts back the affinity from before irqkitd changed it (and unpins too).\n" +
    'An IRQ that is not pinned exits 65 and nothing is unpinned.',
  usage: 'irqkit unpin [options] IRQ... | irqkit unpin --all',
  maxPositionals: Number.MAX_SAFE_INTEGER,
  options: {
    all: { type: 'boolean', description: 'remove every pin' },
    ...DAEMON_OPTIONS,
  },
  examples: ['irqkit unpin 41 42', 'irqkit unpin --all'],
};

export const restoreSpec: CommandSpec = {
  name: 'restore',
  summary:
    'Put back the affinities irqkitd changed, as they were before its first change (all of them, or\n' +
    'the IRQs named), and unpin them. irqkitd saved each original in its state file before changing\n' +
    'it, so this works after a crash and restart too (not after a reboot: the kernel starts afresh).\n' +
    'Each IRQ on its own: exit 0 when all were restored, 1 when one could not be (gone, CPU offline;\n' +
    'it keeps its record for a later try), 65 for an IRQ irqkitd never changed (nothing is done).',
  usage: 'irqkit restore [options] [IRQ...]',
  maxPositionals: Number.MAX_SAFE_INTEGER,
  options: {
    'dry-run': { type: 'boolean', description: 'show what would be put back; write nothing' },
    ...DAEMON_OPTIONS,
  },
  examples: ['irqkit restore', 'irqkit restore 41 --dry-run'],
};

const IRQ = /^\d{1,7}$/;

function parseIrqs(positionals: readonly string[]): string[] {
  return positionals.map((p) => {
    if (!IRQ.test(p.trim())) throw new IrqkitError('IRQ_ERR_USAGE', `'${p}' is not an IRQ number`);
    return String(Number(p));
  });
}

function warn(io: CliIo, command: string, warnings: readonly string[]): void {
  for (const w of warnings) io.stderr(`irqkit ${command}: warning: ${w}\n`);
}

export async function pinsCommand(io: CliIo, values: OptionValues): Promise<number> {
  const client = clientFrom(io, values);
  const doc =
    values.reapply === true
      ? (await client.call<PinsDoc>('POST', '/api/v1/pins/apply', {})).body
      : await client.get<PinsDoc>('/api/v1/pins');
  if (values.json === true) io.stdout(`${JSON.stringify(doc)}\n`);
  else io.stdout(renderPins(doc, pickStyle(io.env, io.isTTY, values['no-color'] === true)));
  warn(io, 'pins', doc.warnings);
  return EXIT.ok;
}

export async function unpinCommand(io: CliIo, values: OptionValues, positionals: string[]): Promise<number> {
  const all = values.all === true;
  if (all === positionals.length > 0) {
    throw new IrqkitError('IRQ_ERR_USAGE', 'name the IRQs to unpin, or --all (not both)');
  }
  const irqs = parseIrqs(positionals);
  const client = clientFrom(io, values);
  const { body } = await client.call<UnpinResult>('POST', '/api/v1/pins/remove', all ? { all } : { irqs });
  if (values.json === true) io.stdout(`${JSON.stringify(body)}\n`);
  else if (body.unpinned.length === 0) io.stdout('no pins to remove\n');
  else
    io.stdout(
      `unpinned IRQ ${body.unpinned.join(' ')}; the affinity is left as it is ` +
        `('irqkit restore ${body.unpinned.join(' ')}' puts back the original)\n`,
    );
  return EXIT.ok;
}

export async function restoreCommand(
  io: CliIo,
  values: OptionValues,
  positionals: string[],
): Promise<number> {
  const irqs = parseIrqs(positionals);
  const dryRun = values['dry-run'] === true;
  const client = clientFrom(io, values);
  const { body } = await client.call<RestoreResult>(
    'POST',
    '/api/v1/restore',
    { ...(irqs.length > 0 ? { irqs } : {}), dryRun },
    0,
    [409],
  );
  if (values.json === true) io.stdout(`${JSON.stringify(body)}\n`);
  else io.stdout(renderRestore(body, pickStyle(io.env, io.isTTY, values['no-color'] === true)));
  if (body.ok) return EXIT.ok;
  // Each IRQ stands alone here, so every failure is a cause; no rollback line applies.
  const failures = describeFailures({
    ok: false,
    dryRun: body.dryRun,
    rolledBack: false,
    outcomes: body.outcomes,
  });
  for (const line of failures.slice(0, -1)) io.stderr(`irqkit restore: ${line}\n`);
  return batchExitCode({ ok: false, dryRun: body.dryRun, rolledBack: false, outcomes: body.outcomes });
}
