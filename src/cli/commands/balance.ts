import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CommandSpec, type OptionValues, stringList, stringOption } from '../../args/command-args.ts';
import {
  parseChoice,
  parseConfidence,
  parseCount,
  parseDurationMs,
  parsePercent,
  parsePositiveInt,
} from '../../args/values.ts';
import { parseCpuList } from '../../core/cpuset.ts';
import { parseDuration } from '../../core/duration.ts';
import { IrqkitError } from '../../core/errors.ts';
import { measuredLoads } from '../../core/measured-loads.ts';
import { balanceMetrics } from '../../core/metrics.ts';
import { plan } from '../../core/planner/plan.ts';
import { windowCountVariance } from '../../core/sampled-variance.ts';
import { rowName, type Snapshot } from '../../core/snapshot.ts';
import { planRequestFromSnapshot } from '../../core/snapshot-plan.ts';
import { DEFAULT_PROC_ROOT } from '../../io/procfs.ts';
import { DEFAULT_SYS_ROOT } from '../../io/sysfs.ts';
import { type LiveRules, liveRules } from '../balance-live.ts';
import {
  type LoadedSnapshot,
  loadSnapshot,
  reportWarnings,
  type SampledSnapshot,
  sampleSnapshot,
} from '../input.ts';
import type { CliIo } from '../io.ts';
import { type BalanceView, describeManaged, renderBalance, renderLiveHeader } from '../render/balance.ts';
import { pickStyle } from '../render/color.ts';

export const balanceSpec: CommandSpec = {
  name: 'balance',
  summary:
    'Plan which IRQ goes to which CPU so that the busiest CPU has the least load.\n' +
    'FILE is /proc/interrupts-style text whose counts are rates (per day, per second, per window);\n' +
    "'-' reads stdin. Without FILE, the rates are measured live over --interval, and the machine's\n" +
    'rules apply as in irqkitd: kernel-managed IRQs stay, isolated and nohz_full CPUs are left out\n' +
    "unless named in --cpus, and --numa keeps a device's IRQs near it.\n" +
    "Each IRQ's load is the sum of its row; its current CPU is the one with most counts.\n" +
    '\n' +
    'Measured loads are noisy, so two loads closer than the margin count as equal: the margin is\n' +
    '--confidence standard errors (default 2) of their difference, and 0 plans exactly.\n' +
    'A move is proposed only when evening its two CPUs would gain more than that margin and the\n' +
    'move clearly lowers the busier of them (its IRQ and what stays behind clear the noise);\n' +
    "'Nothing worth moving' means that no move does.\n" +
    '\n' +
    'Prints the moves, per-CPU load BEFORE (as measured) and AFTER (as planned), the metrics, and the\n' +
    "'irqkit set' line that applies the moves through irqkitd. Idle CPUs and idle IRQs take one line\n" +
    'each, and past 32 busy CPUs and 40 moves only the busiest and most valuable are listed; --all\n' +
    'lists everything. /proc/interrupts itself counts since boot, not rates: plan on those only to\n' +
    'weigh IRQs by their whole history, and leave FILE out to measure the rates now.',
  usage: 'irqkit balance [options] [FILE|-]',
  examples: [
    'irqkit balance examples/interrupts-per-day.txt',
    'irqkit balance rates.txt --cpus 0-7 --tolerance 0.5% --json',
    'irqkit balance --interval 5s            # live rates from /proc/interrupts',
    'irqkit balance saved.txt --all          # every IRQ and every CPU',
    'irqkit balance --interval 10s --numa strict --max-moves 4',
    'irqkit balance rates.txt --noise poisson --confidence 3   # treat counts as noisy',
    'irqkit balance rates.txt --allow 132=0-3 --fixed 24,25',
  ],
  maxPositionals: 1,
  options: {
    cpus: {
      type: 'string',
      arg: 'LIST',
      description:
        'CPUs to place IRQs on (cpulist, e.g. 0-3,8); default: all columns (live: the online ones, less isolated and nohz_full)',
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
    confidence: {
      type: 'string',
      arg: 'Z',
      description:
        'standard errors of a difference that count as noise (default 2); 0 plans exactly (see above)',
    },
    'max-moves': {
      type: 'string',
      arg: 'N',
      description: 'propose at most N moves, the most valuable first (default: no limit)',
    },
    noise: {
      type: 'string',
      arg: 'MODEL',
      description:
        "the loads' noise: none (exact; FILE's default), poisson (variance = count) or sampled (live default)",
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
    all: {
      type: 'boolean',
      description:
        'list every IRQ and every CPU (default: the moves, idle IRQs and idle CPUs in a line each)',
    },
    strict: { type: 'boolean', description: 'fail on any line that cannot be understood' },
    interval: {
      type: 'string',
      arg: 'DURATION',
      description: 'without FILE: measure live rates over this window (default 2s)',
    },
    samples: {
      type: 'string',
      arg: 'N',
      description: "without FILE: read the window in N equal parts to measure each IRQ's noise (default 4)",
    },
    numa: {
      type: 'string',
      arg: 'POLICY',
      description:
        "without FILE: strict, prefer (default) or ignore: keep a device's IRQs on its NUMA node's CPUs",
    },
    'no-probe': {
      type: 'boolean',
      description:
        'without FILE: never test an IRQ for kernel management by writing its own affinity back (root, kernel < 6.12)',
    },
    procfs: {
      type: 'string',
      arg: 'DIR',
      description: 'without FILE: read <DIR>/interrupts and <DIR>/irq instead of /proc',
    },
    sysfs: {
      type: 'string',
      arg: 'DIR',
      description: 'without FILE: read CPUs and devices under DIR instead of /sys (none with --procfs alone)',
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

const DEFAULT_SAMPLES = 4;
const NOISE_MODELS = ['none', 'poisson', 'sampled'] as const;
type NoiseModel = (typeof NOISE_MODELS)[number];
const NUMA_POLICIES = ['strict', 'prefer', 'ignore'] as const;
/** The options that read the live machine, which a FILE does not describe. */
const LIVE_ONLY = ['interval', 'samples', 'numa', 'no-probe', 'procfs', 'sysfs'] as const;

export async function balanceCommand(
  io: CliIo,
  values: OptionValues,
  positionals: string[],
): Promise<number> {
  const file = positionals[0];
  const liveOnly = LIVE_ONLY.filter((o) => values[o] !== undefined).map((o) => `--${o}`);
  if (file !== undefined && liveOnly.length > 0) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `${liveOnly.join(' and ')} measure${liveOnly.length === 1 ? 's' : ''} the live machine; options for live rates do not go with a FILE`,
    );
  }
  const interval = stringOption(values, 'interval');
  const samplesText = stringOption(values, 'samples');
  const cpusText = stringOption(values, 'cpus');
  const timeLimit = stringOption(values, 'time-limit');
  const tolerance = stringOption(values, 'tolerance');
  const confidenceText = stringOption(values, 'confidence');
  const maxMovesText = stringOption(values, 'max-moves');
  const noiseText = stringOption(values, 'noise');
  const numaText = stringOption(values, 'numa');
  const allowed = parseAllow(stringList(values, 'allow'));
  const fixed = parseFixed(stringList(values, 'fixed'));
  const strict = values.strict === true;
  const confidence =
    confidenceText === undefined ? undefined : parseConfidence(confidenceText, '--confidence');
  const maxMoves = maxMovesText === undefined ? undefined : parseCount(maxMovesText, '--max-moves');
  const noise: NoiseModel =
    noiseText === undefined
      ? file === undefined
        ? 'sampled'
        : 'none'
      : parseChoice(noiseText, '--noise', NOISE_MODELS);
  if (noise === 'sampled' && file !== undefined) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      '--noise sampled measures the noise live; a FILE has one count per IRQ (use none or poisson)',
    );
  }
  const numa = numaText === undefined ? 'prefer' : parseChoice(numaText, '--numa', NUMA_POLICIES);
  const requested = cpusText === undefined ? undefined : parseCpuList(cpusText);
  const planOptions = {
    ...(timeLimit !== undefined ? { timeLimitMs: parseDurationMs(timeLimit, '--time-limit') } : {}),
    ...(tolerance !== undefined ? { tolerance: parsePercent(tolerance, '--tolerance') } : {}),
  };

  let loaded: LoadedSnapshot;
  let sampled: SampledSnapshot | null = null;
  let rules: LiveRules | null = null;
  if (file === undefined) {
    const procRoot = stringOption(values, 'procfs');
    const sysfs = stringOption(values, 'sysfs');
    const intervalMs =
      interval === undefined ? DEFAULT_INTERVAL_MS : parseDuration(interval, '--interval', 's');
    const samples = samplesText === undefined ? DEFAULT_SAMPLES : parsePositiveInt(samplesText, '--samples');
    if (intervalMs / samples < 1) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `--samples ${samples} cuts --interval ${interval ?? '2s'} into parts shorter than 1 ms`,
      );
    }
    sampled = await sampleSnapshot(io, { strict, procRoot, intervalMs, samples });
    loaded = sampled;
    const snapshot = sampled.snapshot;
    rules = liveRules({
      snapshot,
      procRoot: procRoot ?? DEFAULT_PROC_ROOT,
      // A captured procfs says nothing about this machine's CPUs: its sysfs only when given.
      sysRoot: sysfs ?? (procRoot === undefined ? DEFAULT_SYS_ROOT : null),
      probe: values['no-probe'] !== true,
      numa,
      ...(requested ? { requested } : {}),
      userFixed: fixed,
      userAllowed: allowed,
    });
  } else {
    loaded = await loadSnapshot(io, file, { strict });
  }
  const sinceBoot = file !== undefined && isProcInterrupts(file);
  if (sinceBoot) {
    io.stderr(
      `irqkit balance: note: ${file} counts interrupts since boot, not rates, so this plan weighs each IRQ ` +
        "by its whole history; for the rates now, measure them live: 'irqkit balance --interval 10s'\n",
    );
  }
  reportWarnings(io, loaded);
  const { request, rows, idle } = withWindow(loaded, () =>
    planRequestFromSnapshot(loaded.snapshot, {
      ...planOptions,
      ...(rules
        ? { cpus: rules.cpus, allowed: rules.allowed, fixed: rules.fixed, current: rules.current }
        : { ...(requested ? { cpus: requested } : {}), allowed, fixed }),
    }),
  );
  const variance = itemVariances(loaded.snapshot, noise, sampled);
  const items = request.items.map((it) => {
    const v = variance.get(it.id) ?? 0;
    return v > 0 ? { ...it, variance: v } : it;
  });
  const started = io.now();
  const result = plan({
    ...request,
    items,
    ...(confidence !== undefined ? { confidence } : {}),
    ...(maxMoves !== undefined ? { maxMoves } : {}),
  });
  const elapsedMs = io.now() - started;
  const view: BalanceView = {
    result,
    names: new Map([...rows].map(([id, row]) => [id, rowName(row)])),
    before: measuredLoads(loaded.snapshot, request.cpus, variance),
    reasons: rules?.reasons ?? new Map([...fixed].map((irq) => [irq, 'banned' as const])),
    idle,
    elapsedMs,
    noise,
    maxMoves: maxMoves ?? null,
    live: rules,
    all: values.all === true,
    thisMachine: rules !== null || sinceBoot,
  };

  if (values.json === true) {
    io.stdout(
      `${JSON.stringify({ ...balanceJson(view, loaded, sampled), countsSinceBoot: sinceBoot }, null, 2)}\n`,
    );
  } else {
    const style = pickStyle(io.env, io.isTTY, values['no-color'] === true);
    if (sampled !== null) io.stdout(renderLiveHeader(sampled, rules, style));
    io.stdout(renderBalance(view, style, io.columns ?? 100));
  }
  return 0;
}

/** Whether FILE is the kernel's own /proc/interrupts (counts since boot), however it was named. */
function isProcInterrupts(file: string): boolean {
  if (file === '-') return false;
  const paths = [resolve(file)];
  try {
    paths.push(realpathSync(file));
  } catch {
    // unreadable: loadSnapshot has reported it already
  }
  return paths.some(
    (p) => p === '/proc/interrupts' || /^\/proc\/(?:self|thread-self|\d+)\/root\/proc\/interrupts$/.test(p),
  );
}

/** Each IRQ's variance under the chosen noise model (absent: exact). */
function itemVariances(
  snapshot: Snapshot,
  noise: NoiseModel,
  sampled: SampledSnapshot | null,
): Map<string, number> {
  const variance = new Map<string, number>();
  if (noise === 'none') return variance;
  for (const row of snapshot.rows) {
    if (!row.numeric || row.occurrence !== 0) continue;
    const parts = noise === 'sampled' ? sampled?.parts.get(row.label) : undefined;
    variance.set(row.label, windowCountVariance(parts ?? [], row.total));
  }
  return variance;
}

/**
 * A live window in which no IRQ fired (a quiet machine, a short --interval) is not bad data but
 * too short a look: say which window it was and how to look longer.
 */
function withWindow<T>(loaded: LoadedSnapshot, build: () => T): T {
  try {
    return build();
  } catch (e) {
    const numbered = loaded.snapshot.rows.filter((r) => r.numeric);
    const quiet = numbered.length > 0 && numbered.every((r) => r.total === 0);
    if (!(e instanceof IrqkitError) || e.code !== 'IRQ_ERR_EMPTY' || loaded.seconds === undefined || !quiet)
      throw e;
    const seconds = Math.round(loaded.seconds * 1000) / 1000;
    throw new IrqkitError(
      e.code,
      `${e.message} (a ${seconds} s window of ${loaded.source}); measure longer with --interval`,
      { ...e.details, source: loaded.source, window: { seconds }, cpus: loaded.snapshot.cpus },
    );
  }
}

export function balanceJson(
  view: BalanceView,
  loaded: LoadedSnapshot,
  sampled: SampledSnapshot | null,
): object {
  const { result, names, live } = view;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    source: loaded.source,
    window:
      loaded.seconds === undefined
        ? null
        : { seconds: round(loaded.seconds), ...(sampled ? { samples: sampled.samples } : {}) },
    settings: {
      noise: view.noise,
      confidence: result.noise.confidence,
      maxMoves: view.maxMoves,
      ...(live ? { numa: live.numa } : {}),
    },
    assignments: result.assignments.map((a) => ({
      irq: a.id,
      name: names.get(a.id) ?? '',
      load: a.load,
      current: a.current ?? null,
      cpu: a.cpu,
      moved: a.moved,
      fixed: a.fixed,
      ...(a.fixed && view.reasons.has(a.id) ? { reason: view.reasons.get(a.id) } : {}),
      ...(a.gain !== undefined ? { gain: a.gain } : {}),
      ...(a.margin !== undefined ? { margin: a.margin } : {}),
    })),
    before: {
      cpus: view.before,
      metrics: balanceMetrics(
        view.before.map((c) => c.load),
        result.metrics.lowerBound,
      ),
    },
    cpus: result.cpus,
    metrics: result.metrics,
    noise: result.noise,
    nothingWorthMoving: result.metrics.moves === 0,
    lowerBoundReason: result.lowerBoundReason,
    method: result.method,
    baselines: result.baselines,
    search: { ...result.search, elapsedMs: Math.round(view.elapsedMs * 10) / 10 },
    idle: view.idle,
    classification: live === null ? null : classificationJson(live),
    warnings: loaded.snapshot.warnings.length,
  };
}

function classificationJson(live: LiveRules): object {
  const m = live.managed;
  const how: Record<string, string[]> = {};
  for (const [irq, h] of m.how) {
    const list = how[h] ?? [];
    list.push(irq);
    how[h] = list;
  }
  return {
    cpus: live.cpus,
    excluded: live.excluded,
    numa: live.numa,
    sysfs: live.sysfs,
    managed: {
      irqs: m.managed,
      kernel: m.kernel,
      modeTells: m.modeTells,
      how,
      untestedReason: m.untestedReason,
      summary: describeManaged(m),
    },
    fixed: [...live.reasons].map(([irq, reason]) => ({ irq, reason, cpu: live.current.get(irq) ?? null })),
    notes: live.notes,
  };
}
