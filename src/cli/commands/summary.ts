import type { CpuSummary } from '../../api/schemas.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import type { CommandSpec, OptionValues } from '../options.ts';
import { bar } from '../render/bars.ts';
import { pickStyle, type Style } from '../render/color.ts';
import { formatInt, formatPercent, formatRatio } from '../render/format.ts';
import { renderTable } from '../render/table.ts';
import { describeWindow, durationParam, windowMsFrom, windowOptions, windowRequest } from '../window.ts';

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

/** Rates below 100/s keep a decimal: an idle CPU's 0.4/s is not 0. */
export function formatRate(n: number): string {
  return n < 100 ? n.toFixed(1) : formatInt(n);
}

export function renderSummary(s: CpuSummary, style: Style, columns: number): string {
  const cpus = [...s.cpus].sort((a, b) => a.cpu - b.cpu);
  const max = Math.max(0, ...cpus.map((c) => c.interrupts));
  const cells = cpus.map((c) => [
    `CPU${c.cpu}`,
    formatInt(c.interrupts),
    formatPercent(c.share),
    formatRate(c.ratePerSecond),
  ]);
  const textWidth = renderTable(
    [{ header: 'CPU' }, { header: 'INTERRUPTS' }, { header: 'SHARE' }, { header: 'RATE/S' }],
    cells,
  ).reduce((w, l) => Math.max(w, l.length), 0);
  const barWidth = Math.max(10, Math.min(50, columns - textWidth - 3));
  const table = renderTable(
    [
      { header: 'CPU' },
      { header: 'INTERRUPTS', align: 'right' },
      { header: 'SHARE', align: 'right' },
      { header: 'RATE/S', align: 'right' },
      { header: '' },
    ],
    cpus.map((c, i) => {
      const b = bar(c.interrupts, max, barWidth);
      return [...(cells[i] ?? []), c.interrupts === max && max > 0 ? style.cyan(b) : b];
    }),
  );
  const out = [
    ...describeWindow('Interrupts per CPU', s.window, style).map((l, i) => (i === 0 ? style.bold(l) : l)),
    '',
    style.bold(table[0] ?? ''),
    ...table.slice(1),
    '',
  ];
  const busiest = cpus.find((c) => c.interrupts === max);
  const mean = cpus.length > 0 ? s.total / cpus.length : 0;
  out.push(`total        ${formatInt(s.total)} interrupts, ${formatRate(s.ratePerSecond)}/s`);
  if (busiest && s.total > 0) {
    out.push(
      `busiest      CPU${busiest.cpu}, ${formatPercent(busiest.share)} of the interrupts`,
      `peak/average ${formatRatio(max / mean)}  (1 is even; ${cpus.length} would be one CPU doing everything)`,
    );
  }
  return `${out.join('\n')}\n`;
}
