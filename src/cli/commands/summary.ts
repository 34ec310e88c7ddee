import type { CpuSummary } from '../../api/schemas.ts';
import type { CommandSpec, OptionValues } from '../../args/command-args.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import { renderSummary } from '../render/summary.ts';
import { durationParam, windowMsFrom, windowOptions, windowRequest } from '../window.ts';

export const summarySpec: CommandSpec = {
  name: 'summary',
  summary:
    'Interrupts serviced by each CPU over the last --window, with share, rate and a bar (irqkitd).\n' +
    'CPUs are in id order. The heading gives the window really covered (start, end, seconds) and a\n' +
    'note when irqkitd had less history than asked for; the footer the total and the imbalance\n' +
    '(busiest CPU, peak-to-average). Named rows (LOC, IPIs…) are not counted.\n' +
    "--json prints the daemon's answer (GET /api/v1/cpus) as it is.",
  usage: 'irqkit summary [options]',
  maxPositionals: 0,
  options: {
    ...windowOptions('count the interrupts of the last DURATION, e.g. 30s, 1m (default 5s)'),
    ...DAEMON_OPTIONS,
  },
  examples: [
    'irqkit summary                   # the last 5 seconds',
    'irqkit summary --window 1m',
    'irqkit summary --window 30s --no-wait   # a young daemon answers with what it has',
    'irqkit summary --json | jq .cpus',
  ],
};

export async function summaryCommand(io: CliIo, values: OptionValues): Promise<number> {
  const windowMs = windowMsFrom(values, 5000);
  const wait = values['no-wait'] !== true;
  const client = clientFrom(io, values);
  const s = await windowRequest(io, client, windowMs, wait, (extra) =>
    client.get<CpuSummary>(`/api/v1/cpus?window=${durationParam(windowMs)}&wait=${wait}`, extra),
  );
  if (values.json === true) {
    io.stdout(`${JSON.stringify(s)}\n`);
    return 0;
  }
  const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
  io.stdout(renderSummary(s, style, io.columns ?? 100));
  return 0;
}
