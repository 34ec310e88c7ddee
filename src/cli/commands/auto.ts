/** `irqkit auto [status|pause|resume|log]`: watch and steer irqkitd's autopilot (irqkitd --auto). */

import type { AutoStatus } from '../../api/auto-schemas.ts';
import type { CommandSpec, OptionValues } from '../../args/command-args.ts';
import { EXIT, IrqkitError } from '../../core/errors.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { renderAutoLog, renderAutoStatus } from '../render/auto.ts';
import { pickStyle } from '../render/color.ts';

export const autoSpec: CommandSpec = {
  name: 'auto',
  summary:
    "irqkitd's autopilot (irqkitd --auto), which plans every few seconds and applies the moves that\n" +
    'gain more than the noise. status: running, paused or off and why, its settings and last round;\n' +
    'log: its last rounds, each move on its own line; pause / resume: stop and restart its moves\n' +
    '(a pause lasts until resumed or irqkitd restarts). While irqbalance runs it stays paused:\n' +
    'resume then exits 75. Without --auto, pause and resume exit 69.',
  usage: 'irqkit auto [status|log|pause|resume] [options]',
  maxPositionals: 1,
  options: {
    last: { type: 'string', arg: 'N', description: 'log: how many rounds (default 20)' },
    ...DAEMON_OPTIONS,
  },
  examples: [
    'irqkit auto',
    'irqkit auto log --last 5',
    'irqkit auto pause',
    'irqkit auto --json | jq .rounds[-1]',
  ],
};

const ACTIONS = new Set(['status', 'log', 'pause', 'resume']);

export async function autoCommand(io: CliIo, values: OptionValues, positionals: string[]): Promise<number> {
  const action = positionals[0] ?? 'status';
  if (!ACTIONS.has(action)) {
    throw new IrqkitError('IRQ_ERR_USAGE', `unknown action '${action}': use status, log, pause or resume`);
  }
  const lastText = typeof values.last === 'string' ? values.last.trim() : undefined;
  if (lastText !== undefined && (action !== 'log' || !/^[1-9]\d{0,3}$/.test(lastText))) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      action !== 'log'
        ? '--last goes with log'
        : `--last takes a number of rounds (1-9999), not '${lastText}'`,
    );
  }
  const client = clientFrom(io, values);
  const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
  const doc =
    action === 'pause' || action === 'resume'
      ? (await client.call<AutoStatus>('POST', '/api/v1/auto', { paused: action === 'pause' })).body
      : await client.get<AutoStatus>('/api/v1/auto');
  if (values.json === true) io.stdout(`${JSON.stringify(doc)}\n`);
  else if (action === 'log')
    io.stdout(renderAutoLog(doc, lastText === undefined ? 20 : Number(lastText), style));
  else io.stdout(renderAutoStatus(doc, style));
  if (action === 'resume' && doc.paused) {
    io.stderr(`irqkit auto: still paused: ${doc.reason ?? ''}\n`);
    return EXIT.tempFail;
  }
  return EXIT.ok;
}
