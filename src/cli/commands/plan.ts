import type { BatchResult, Plan, PlanApplyResult } from '../../api/schemas.ts';
import {
  type CommandSpec,
  type OptionSpec,
  type OptionValues,
  stringOption,
  suggest,
} from '../../args/command-args.ts';
import { parseConfidence, parseCount, parseDurationMs, parsePercent } from '../../args/values.ts';
import { formatCpuList, parseCpuList } from '../../core/cpuset.ts';
import { IrqkitError } from '../../core/errors.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo } from '../io.ts';
import { pickStyle } from '../render/color.ts';
import { renderPlan } from '../render/plan.ts';
import { durationParam, windowMsFrom, windowOptions, windowRequest } from '../window.ts';
import { reportBatch } from './set.ts';

const PLAN_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...windowOptions('plan on the interrupts of the last DURATION, e.g. 30s, 1m (default 10s)'),
  cpus: {
    type: 'string',
    arg: 'LIST',
    description: 'CPUs to place IRQs on (cpulist); default: online CPUs but isolated and nohz_full ones',
  },
  numa: {
    type: 'string',
    arg: 'POLICY',
    description: "keep each device's IRQs on its NUMA node: strict, prefer (default) or ignore",
  },
  tolerance: {
    type: 'string',
    arg: 'PCT',
    description: 'accept a busiest-CPU load this much above the best for fewer moves (default 0%)',
  },
  confidence: {
    type: 'string',
    arg: 'Z',
    description: 'standard errors of a difference that count as measuring noise (default 2; 0 plans exactly)',
  },
  'max-moves': { type: 'string', arg: 'N', description: 'at most N moves, the most valuable first' },
  'time-limit': {
    type: 'string',
    arg: 'DURATION',
    description:
      'planner search effort (default 250ms, up to 1s past 2,000 IRQs; irqkitd allows at most 10s)',
  },
  all: { type: 'boolean', description: 'list every IRQ of the plan, not only the moves' },
  ...DAEMON_OPTIONS,
};

const PLAN_SUMMARY =
  "The daemon measures each IRQ's interrupts over --window and plans where they should go so the\n" +
  'busiest CPU carries the least: kernel-managed and banned IRQs stay where they are (their load\n' +
  'still counts), isolated and nohz_full CPUs are left out unless named in --cpus.\n' +
  'Measured loads are noisy, so a move is proposed only when it lowers the busier of its two CPUs\n' +
  'by more than the noise margin, and loads closer than that margin count as equal.\n' +
  "The margin is --confidence (default 2) standard errors of the two loads' difference: raise it\n" +
  'for fewer, surer moves, or give 0 to treat the measured loads as exact.';

export const planSpec: CommandSpec = {
  name: 'plan',
  summary:
    'Show the balancing plan irqkitd proposes from measured rates; change nothing.\n' +
    `${PLAN_SUMMARY}\n` +
    'Prints the moves with what each gains, per-CPU loads ± their noise (one standard deviation)\n' +
    'and the metrics before (measured) and after (predicted); a balanced machine gets\n' +
    "'Nothing worth moving' (exit 0).\n" +
    "--json prints the daemon's plan (GET /api/v1/plan) as it is.",
  usage: 'irqkit plan [options]',
  maxPositionals: 0,
  options: PLAN_OPTIONS,
  examples: [
    'irqkit plan                          # the last 10 seconds, NUMA-local where possible',
    'irqkit plan --window 1m --numa strict',
    'irqkit plan --cpus 2-7 --tolerance 5%   # fewer moves for at most 5% more on the busiest CPU',
    'irqkit plan --confidence 3 --max-moves 4  # only surer moves, the 4 most valuable',
    'irqkit plan --json | jq .moves',
  ],
};

export const applySpec: CommandSpec = {
  name: 'apply',
  summary:
    "Compute a plan as 'irqkit plan' does and apply its moves as one all-or-nothing batch.\n" +
    `${PLAN_SUMMARY}\n` +
    "The plan is measured anew, so it can differ from an earlier 'irqkit plan'. Prints the plan and\n" +
    "each move's outcome; exit 1 when a write was refused (the batch is then rolled back).\n" +
    '--persist pins the moved IRQs as irqkit set --persist does; 74 when irqkitd cannot save its\n' +
    'state file (nothing is changed then).\n' +
    "--json prints the daemon's {plan, result} (POST /api/v1/plan/apply) as it is.",
  usage: 'irqkit apply [options]',
  maxPositionals: 0,
  options: {
    ...PLAN_OPTIONS,
    'dry-run': { type: 'boolean', description: 'compute and check the moves; write nothing' },
    persist: {
      type: 'boolean',
      description:
        "pin the moved IRQs: irqkitd saves them and applies them again at start-up and when an IRQ comes back (see 'irqkit pins')",
    },
  },
  examples: [
    'irqkit apply --dry-run               # what would move, checked against the kernel files',
    'irqkit apply --persist               # and keep the moves across restarts (irqkit pins)',
    'irqkit apply --window 30s            # measure 30 s, then move',
    'irqkit apply --max-moves 2           # the two most valuable moves only',
    'irqkit apply --numa strict --json | jq .result.ok',
  ],
};

const NUMA = ['strict', 'prefer', 'ignore'] as const;

interface PlanParams {
  windowMs: number;
  wait: boolean;
  numa: (typeof NUMA)[number];
  cpus?: string;
  /** Percent, as the daemon takes it. */
  tolerance?: number;
  timeLimit?: string;
  confidence?: number;
  maxMoves?: number;
}

function planParams(values: OptionValues): PlanParams {
  const numaText = stringOption(values, 'numa') ?? 'prefer';
  const numa = NUMA.find((n) => n === numaText.trim().toLowerCase());
  if (!numa) {
    const near = suggest(numaText, NUMA);
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `--numa takes strict, prefer or ignore, not '${numaText}'${near ? ` (did you mean ${near}?)` : ''}`,
    );
  }
  const cpus = stringOption(values, 'cpus');
  const tolerance = stringOption(values, 'tolerance');
  const timeLimit = stringOption(values, 'time-limit');
  const confidence = stringOption(values, 'confidence');
  const maxMoves = stringOption(values, 'max-moves');
  const tolerancePct = tolerance === undefined ? undefined : parsePercent(tolerance, '--tolerance') * 100;
  if (tolerancePct !== undefined && tolerancePct > 100) {
    throw new IrqkitError('IRQ_ERR_USAGE', `--tolerance is at most 100%, not '${tolerance}'`);
  }
  return {
    windowMs: windowMsFrom(values, 10_000),
    wait: values['no-wait'] !== true,
    numa,
    ...(cpus !== undefined ? { cpus: formatCpuList(parseCpuList(cpus)) } : {}),
    ...(tolerancePct !== undefined ? { tolerance: Math.round(tolerancePct * 1e6) / 1e6 } : {}),
    ...(timeLimit !== undefined
      ? { timeLimit: durationParam(parseDurationMs(timeLimit, '--time-limit')) }
      : {}),
    ...(confidence !== undefined ? { confidence: parseConfidence(confidence, '--confidence') } : {}),
    ...(maxMoves !== undefined ? { maxMoves: parseCount(maxMoves, '--max-moves') } : {}),
  };
}

function planQuery(p: PlanParams): string {
  const q = new URLSearchParams({ window: durationParam(p.windowMs), wait: String(p.wait), numa: p.numa });
  if (p.cpus !== undefined) q.set('cpus', p.cpus);
  if (p.tolerance !== undefined) q.set('tolerance', String(p.tolerance));
  if (p.timeLimit !== undefined) q.set('timeLimit', p.timeLimit);
  if (p.confidence !== undefined) q.set('confidence', String(p.confidence));
  if (p.maxMoves !== undefined) q.set('maxMoves', String(p.maxMoves));
  return q.toString();
}

export async function planCommand(io: CliIo, values: OptionValues): Promise<number> {
  const p = planParams(values);
  const client = clientFrom(io, values);
  const plan = await windowRequest(io, client, p.windowMs, p.wait, (extra) =>
    client.get<Plan>(`/api/v1/plan?${planQuery(p)}`, extra),
  );
  if (values.json === true) {
    io.stdout(`${JSON.stringify(plan)}\n`);
    return 0;
  }
  const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
  io.stdout(renderPlan(plan, style, { all: values.all === true, columns: io.columns ?? 100 }));
  if (plan.moves.length > 0)
    io.stdout(style.dim("\nTo apply: 'irqkit apply' with the same options (it measures again first).\n"));
  return 0;
}

export async function applyCommand(io: CliIo, values: OptionValues): Promise<number> {
  const p = planParams(values);
  const dryRun = values['dry-run'] === true;
  const persist = values.persist === true;
  const client = clientFrom(io, values);
  const body = {
    window: durationParam(p.windowMs),
    wait: p.wait,
    numa: p.numa,
    ...(p.cpus !== undefined ? { cpus: p.cpus } : {}),
    ...(p.tolerance !== undefined ? { tolerance: p.tolerance } : {}),
    ...(p.timeLimit !== undefined ? { timeLimit: p.timeLimit } : {}),
    ...(p.confidence !== undefined ? { confidence: p.confidence } : {}),
    ...(p.maxMoves !== undefined ? { maxMoves: p.maxMoves } : {}),
    dryRun,
    ...(persist ? { persist } : {}),
  };
  const { body: doc } = await windowRequest(io, client, p.windowMs, p.wait, (extra) =>
    client.call<PlanApplyResult>('POST', '/api/v1/plan/apply', body, extra, [409]),
  );
  if (values.json === true) {
    const code = reportBatch(io, 'apply', doc.result, values, doc);
    warnBatch(io, doc.result);
    return code;
  }
  const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
  io.stdout(renderPlan(doc.plan, style, { all: values.all === true, columns: io.columns ?? 100 }));
  if (doc.plan.moves.length === 0) {
    // The plan's verdict is already printed above; say that nothing was written either.
    io.stdout(
      `\n${doc.result.dryRun ? 'Nothing would be written' : 'Nothing was written'}: every IRQ stays where it is.\n`,
    );
    return 0;
  }
  io.stdout(`\n${style.bold('Outcome')}\n`);
  const code = reportBatch(io, 'apply', doc.result, values);
  if (persist && doc.result.ok && !doc.result.dryRun) {
    const n = doc.result.outcomes.length;
    io.stdout(
      `pinned: irqkitd applies ${n === 1 ? 'it' : 'them'} again at start-up and when ${
        n === 1 ? 'it comes' : 'they come'
      } back (see 'irqkit pins')\n`,
    );
  }
  warnBatch(io, doc.result);
  return code;
}

/** The daemon's warnings (e.g. irqbalance runs and will undo the pins), on stderr. */
function warnBatch(io: CliIo, result: BatchResult): void {
  for (const w of result.warnings ?? []) io.stderr(`irqkit apply: warning: ${w}\n`);
}
