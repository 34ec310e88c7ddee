import { type CommandSpec, type OptionValues, stringList, stringOption } from '../../args/command-args.ts';
import { parseDurationMs, parsePercent } from '../../args/values.ts';
import { parseCpuList } from '../../core/cpuset.ts';
import { parseDuration } from '../../core/duration.ts';
import { IrqkitError } from '../../core/errors.ts';
import { type PlanResult, plan } from '../../core/planner/plan.ts';
import { rowName } from '../../core/snapshot.ts';
import { planRequestFromSnapshot } from '../../core/snapshot-plan.ts';
import { type LoadedSnapshot, loadSnapshot, reportWarnings, sampleSnapshot } from '../input.ts';
import type { CliIo } from '../io.ts';
import { renderBalance } from '../render/balance.ts';
import { pickStyle } from '../render/color.ts';

export const balanceSpec: CommandSpec = {
  name: 'balance',
  summary:
    'Plan which IRQ goes to which CPU so that the busiest CPU has the least load.\n' +
    'FILE is /proc/interrupts-style text whose counts are rates (per day, per second, per window);\n' +
    "'-' reads stdin. Without FILE, the rates are measured live over --interval.\n" +
    "Each IRQ's load is the sum of its row; its current CPU is the one with most counts.",
  usage: 'irqkit balance [options] [FILE|-]',
  examples: [
    'irqkit balance examples/interrupts-per-day.txt',
    'irqkit balance rates.txt --cpus 0-7 --tolerance 0.5% --json',
    'irqkit balance --interval 5s            # live rates from /proc/interrupts',
    'irqkit balance rates.txt --allow 132=0-3 --fixed 24,25',
  ],
  maxPositionals: 1,
  options: {
    cpus: {
      type: 'string',
      arg: 'LIST',
      description: 'CPUs to place IRQs on (cpulist, e.g. 0-3,8); default: all columns',
    },
    allow: {
      type: 'string',
      multiple: true,
      arg: 'IRQ=LIST',
      description: 'limit an IRQ to some CPUs, e.g. --allow 132=0-3',
    },
    fixed: {
      type: 'string',
      multiple: true,
      arg: 'IRQ',
      description: 'an IRQ that cannot move (it still loads its CPU)',
    },
    'time-limit': {
      type: 'string',
      arg: 'DURATION',
      description: 'search effort, e.g. 2s (default 250ms, up to 1s past 2,000 IRQs)',
    },
    tolerance: {
      type: 'string',
      arg: 'PCT',
      description: 'accept a busiest-CPU load this much above the best for fewer moves (default 0%)',
    },
    strict: { type: 'boolean', description: 'fail on any line that cannot be understood' },
    interval: {
      type: 'string',
      arg: 'DURATION',
      description: 'without FILE: measure live rates over this window (default 2s)',
    },
    procfs: {
      type: 'string',
      arg: 'DIR',
      description: 'without FILE: read <DIR>/interrupts instead of /proc',
    },
  },
};

const DEFAULT_INTERVAL_MS = 2000;

function parseAllow(entries: string[]): Map<string, number[]> {
  const allowed = new Map<string, number[]>();
  for (const entry of entries) {
    const m = /^\s*(\d+)\s*=\s*(.+)$/.exec(entry);
    if (!m)
      throw new IrqkitError('IRQ_ERR_USAGE', `--allow takes IRQ=CPULIST (e.g. 132=0-3), not '${entry}'`);
    allowed.set(m[1] as string, parseCpuList(m[2] as string));
  }
  return allowed;
}

function parseFixed(entries: string[]): Set<string> {
  const fixed = new Set<string>();
  for (const entry of entries) {
    for (const id of entry.split(',')) {
      const t = id.trim();
      if (!/^\d+$/.test(t))
        throw new IrqkitError('IRQ_ERR_USAGE', `--fixed takes IRQ numbers, not '${entry}'`);
      fixed.add(t);
    }
  }
  return fixed;
}

export async function balanceCommand(
  io: CliIo,
  values: OptionValues,
  positionals: string[],
): Promise<number> {
  const file = positionals[0];
  const interval = stringOption(values, 'interval');
  if (file !== undefined && (interval !== undefined || values.procfs !== undefined)) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      '--interval and --procfs measure live rates; they do not go with a FILE',
    );
  }
  const cpusText = stringOption(values, 'cpus');
  const timeLimit = stringOption(values, 'time-limit');
  const tolerance = stringOption(values, 'tolerance');
  const allowed = parseAllow(stringList(values, 'allow'));
  const fixed = parseFixed(stringList(values, 'fixed'));
  const strict = values.strict === true;
  const loaded =
    file === undefined
      ? await sampleSnapshot(io, {
          strict,
          procRoot: stringOption(values, 'procfs'),
          intervalMs:
            interval === undefined ? DEFAULT_INTERVAL_MS : parseDuration(interval, '--interval', 's'),
        })
      : await loadSnapshot(io, file, { strict });
  reportWarnings(io, loaded);
  const { request, rows, idle } = planRequestFromSnapshot(loaded.snapshot, {
    ...(cpusText !== undefined ? { cpus: parseCpuList(cpusText) } : {}),
    ...(timeLimit !== undefined ? { timeLimitMs: parseDurationMs(timeLimit, '--time-limit') } : {}),
    ...(tolerance !== undefined ? { tolerance: parsePercent(tolerance, '--tolerance') } : {}),
    allowed,
    fixed,
  });
  const started = io.now();
  const result = plan(request);
  const elapsedMs = io.now() - started;
  const names = new Map([...rows].map(([id, row]) => [id, rowName(row)]));

  if (values.json === true) {
    io.stdout(`${JSON.stringify(balanceJson(result, names, loaded, elapsedMs, idle), null, 2)}\n`);
  } else {
    const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
    if (loaded.seconds !== undefined) {
      io.stdout(
        `Measured ${loaded.source} over ${loaded.seconds.toFixed(2)} s; loads are interrupts in that window.\n\n`,
      );
    }
    io.stdout(renderBalance(result, names, style, io.columns ?? 100, elapsedMs, idle));
  }
  return 0;
}

export function balanceJson(
  result: PlanResult,
  names: ReadonlyMap<string, string>,
  loaded: LoadedSnapshot,
  elapsedMs: number,
  idle: readonly string[],
): object {
  return {
    source: loaded.source,
    window: loaded.seconds === undefined ? null : { seconds: Math.round(loaded.seconds * 1000) / 1000 },
    assignments: result.assignments.map((a) => ({
      irq: a.id,
      name: names.get(a.id) ?? '',
      load: a.load,
      current: a.current ?? null,
      cpu: a.cpu,
      moved: a.moved,
      fixed: a.fixed,
    })),
    cpus: result.cpus,
    metrics: result.metrics,
    lowerBoundReason: result.lowerBoundReason,
    method: result.method,
    baselines: result.baselines,
    search: { ...result.search, elapsedMs: Math.round(elapsedMs * 10) / 10 },
    idle,
    warnings: loaded.snapshot.warnings.length,
  };
}
