/**
 * The planner's frontier (issue 12, item 5), three measurements at the default effort:
 *  1. small instances, 20 × 8 and 30 × 12: proven optimal or not, and how long it took;
 *  2. large instances like 2,000 IRQs on 256 CPUs whose lower bound is the average load: the gap
 *     to that bound and the time of plan(), plus the whole `irqkit balance` command on a rate file;
 *  3. churn on stationary noisy traffic: the same true rates measured again and again with Poisson
 *     noise, each measurement planned from the previous plan's placement.
 * Figures only: nothing here asserts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longestProcessingTime } from '../src/core/planner/baselines.ts';
import { defaultTimeLimitMs, type PlanItem, plan } from '../src/core/planner/plan.ts';
import { buildProblem } from '../src/core/planner/problem.ts';
import { repoRoot } from '../test/helpers/paths.ts';
import { seedFor } from './cases.ts';
import { type Family, generate, itemsFromLoads, Rng } from './generators.ts';
import { int, ms, pct, section, table } from './report.ts';

const cpusOf = (k: number): number[] => Array.from({ length: k }, (_, c) => c);

/** Wall and CPU time of one call, in ms. */
function timed<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const gapPct = (makespan: number, bound: number): number =>
  bound > 0 ? ((makespan - bound) / bound) * 100 : 0;

// ---------------------------------------------------------------------------------------------
// 2. Large instances

interface LargeSpec {
  family: Family;
  n: number;
  k: number;
  seed: number;
}

export function largeSpecs(quick: boolean): LargeSpec[] {
  const specs: LargeSpec[] = [];
  for (const family of ['rss-wide', 'elephants-under', 'lumpy-narrow'] as const) {
    const sizes: Array<[number, number]> = quick
      ? [[2000, 256]]
      : [
          [2000, 256],
          [2051, 256],
          [2000, 256],
        ];
    sizes.forEach(([n, k], i) => {
      specs.push({ family, n, k, seed: seedFor(`${family}#${i}`, n, k) });
    });
  }
  return specs;
}

/** /proc/interrupts-style rates: every IRQ's whole load in its current CPU's column. */
function rateFile(loads: readonly number[], k: number): string {
  const header = `     ${cpusOf(k)
    .map((c) => `CPU${c}`.padStart(11))
    .join('')}`;
  const rows = loads.map((load, j) => {
    const cells = cpusOf(k)
      .map((c) => String(c === j % k ? load : 0).padStart(11))
      .join('');
    return `${String(100 + j).padStart(5)}:${cells}  IR-PCI-MSI ${j}-edge      nic${Math.floor(j / 64)}-q${j % 64}`;
  });
  return `${[header, ...rows].join('\n')}\n`;
}

interface BalanceRun {
  wallMs: number;
  planMs: number | null;
  gapPercent: number | null;
  error?: string;
}

/** `irqkit balance FILE --json` from the bundle, timed from spawn to exit. */
function runBalance(cli: string, file: string): BalanceRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'balance', file, '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - t0;
  if (r.status !== 0)
    return { wallMs, planMs: null, gapPercent: null, error: (r.stderr || r.error?.message || '').trim() };
  const json = JSON.parse(r.stdout) as { metrics?: { gapPercent?: number }; search?: { elapsedMs?: number } };
  return { wallMs, planMs: json.search?.elapsedMs ?? null, gapPercent: json.metrics?.gapPercent ?? null };
}

function runLarge(quick: boolean, out: (line: string) => void): void {
  out(section('Planner frontier 2: 2,000 IRQs on 256 CPUs at the default effort (bound = average)'));
  const rows: string[][] = [];
  const files: Array<{ family: Family; loads: number[]; k: number }> = [];
  let worst = 0;
  for (const spec of largeSpecs(quick)) {
    const loads = generate(spec.family, spec.n, spec.k, spec.seed);
    const items = itemsFromLoads(loads, spec.k);
    const t = timed(() => plan({ cpus: cpusOf(spec.k), items }));
    const r = t.value;
    const gap = gapPct(r.metrics.bestMakespan, r.metrics.lowerBound);
    worst = Math.max(worst, gap);
    const mean = loads.reduce((a, b) => a + b, 0) / spec.k;
    rows.push([
      spec.family,
      String(spec.n),
      String(spec.k),
      String(spec.seed),
      (Math.max(...loads) / mean).toFixed(2),
      `${int(r.metrics.lowerBound)} ${r.lowerBoundReason}`,
      int(r.metrics.bestMakespan),
      pct(gap),
      pct(gapPct(r.baselines.lpt, r.metrics.lowerBound)),
      r.search.stoppedBy,
      String(r.search.units),
      String(defaultTimeLimitMs(spec.n)),
      ms(t.wallMs),
      ms(t.cpuMs),
    ]);
    if (!files.some((f) => f.family === spec.family)) files.push({ family: spec.family, loads, k: spec.k });
  }
  out(
    table(
      [
        { header: 'family' },
        { header: 'n', align: 'right' },
        { header: 'k', align: 'right' },
        { header: 'seed', align: 'right' },
        { header: 'max/mean', align: 'right' },
        { header: 'lower bound', align: 'right' },
        { header: 'irqkit', align: 'right' },
        { header: 'gap%', align: 'right' },
        { header: 'LPT gap%', align: 'right' },
        { header: 'stop' },
        { header: 'units', align: 'right' },
        { header: 'effort ms', align: 'right' },
        { header: 'plan ms', align: 'right' },
        { header: 'cpu ms', align: 'right' },
      ],
      rows,
    ),
  );
  out(
    '  max/mean: the largest IRQ over the mean CPU load (below 1, the bound is the average); effort: the\n' +
      '  default time limit for n IRQs (work units, not wall time); plan/cpu ms: one plan() call, churn step included.',
  );
  out(`  worst gap ${pct(worst)} (target ≤ 0.01%: ${worst <= 0.01 ? 'met' : 'MISSED'})`);

  // The whole command, from a rate file, as a user runs it.
  const root = repoRoot();
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], {
    encoding: 'utf8',
  });
  const cli = join(root, 'dist', 'irqkit.cjs');
  if (build.status !== 0 || !existsSync(cli)) {
    out(`  irqkit balance: not measured, the build failed: ${(build.stderr || '').trim().split('\n')[0]}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-frontier-'));
  try {
    const brows: string[][] = [];
    let slowest = 0;
    for (const f of files) {
      const file = join(dir, `${f.family}.txt`);
      writeFileSync(file, rateFile(f.loads, f.k));
      const run = runBalance(cli, file);
      slowest = Math.max(slowest, run.wallMs);
      brows.push([
        f.family,
        String(f.loads.length),
        String(f.k),
        ms(run.wallMs),
        run.planMs === null ? '—' : ms(run.planMs),
        run.gapPercent === null ? (run.error ?? '—') : pct(run.gapPercent),
      ]);
    }
    out('\n`irqkit balance FILE --json` (the bundle; wall time from spawn to exit, Node start-up included):');
    out(
      table(
        [
          { header: 'family' },
          { header: 'n', align: 'right' },
          { header: 'k', align: 'right' },
          { header: 'total ms', align: 'right' },
          { header: 'plan ms', align: 'right' },
          { header: 'gap%', align: 'right' },
        ],
        brows,
      ),
    );
    out(`  slowest ${ms(slowest)} ms (target < 1500 ms: ${slowest < 1500 ? 'met' : 'MISSED'})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Small instances

const SMALL_FAMILIES: Family[] = ['uniform', 'elephants-under', 'near-equal', 'lognormal', 'small-ints'];

function runSmall(quick: boolean, out: (line: string) => void): void {
  out(section('Planner frontier 1: small instances, proven optimal? (default effort)'));
  const rows: string[][] = [];
  const summary: string[] = [];
  for (const [n, k] of [
    [20, 8],
    [30, 12],
  ] as const) {
    let proven = 0;
    let count = 0;
    let slowest = 0;
    let above = 0;
    for (const family of SMALL_FAMILIES) {
      for (let i = 0; i < (quick ? 1 : 3); i++) {
        const seed = seedFor(`${family}#${i}`, n, k);
        const loads = generate(family, n, k, seed);
        const t = timed(() => plan({ cpus: cpusOf(k), items: itemsFromLoads(loads, k) }));
        const r = t.value;
        count++;
        if (r.metrics.provenOptimal) proven++;
        if (r.metrics.bestMakespan > r.metrics.lowerBound) above++;
        slowest = Math.max(slowest, t.wallMs);
        rows.push([
          `${n}×${k}`,
          family,
          String(seed),
          r.metrics.provenOptimal ? 'yes' : 'NO',
          r.method,
          r.search.stoppedBy,
          pct(gapPct(r.metrics.bestMakespan, r.metrics.lowerBound)),
          pct(gapPct(r.baselines.lpt, r.metrics.lowerBound)),
          String(r.search.units),
          ms(t.wallMs),
        ]);
      }
    }
    summary.push(
      `  ${n}×${k}: proven ${proven}/${count} (${above} with the optimum above the lower bound), slowest ${ms(slowest)} ms (target: all proven, < 2000 ms: ${proven === count && slowest < 2000 ? 'met' : 'MISSED'})`,
    );
  }
  out(
    table(
      [
        { header: 'size' },
        { header: 'family' },
        { header: 'seed', align: 'right' },
        { header: 'proven' },
        { header: 'method' },
        { header: 'stop' },
        { header: 'optimum vs bound', align: 'right' },
        { header: 'LPT vs bound', align: 'right' },
        { header: 'units', align: 'right' },
        { header: 'plan ms', align: 'right' },
      ],
      rows,
    ),
  );
  for (const line of summary) out(line);
}

// ---------------------------------------------------------------------------------------------
// 3. Churn on stationary noisy traffic

interface ChurnScenario {
  name: string;
  family: Family;
  n: number;
  k: number;
  /** Multiplies the generated loads into expected counts per measuring window. */
  scale: number;
  replans: number;
}

type Planner = 'LPT' | 'plan(), confidence 0' | 'plan(), default confidence';

interface ChurnRow {
  movesFirst: number[];
  movesAfter: number[];
  cvAfter: number[];
  peakAfter: number[];
}

/** Loads per CPU of a placement, on the true (noise-free) rates. */
function trueLoads(rates: readonly number[], placement: readonly number[], k: number): number[] {
  const loads = new Array<number>(k).fill(0);
  rates.forEach((r, j) => {
    loads[placement[j] as number] = (loads[placement[j] as number] as number) + r;
  });
  return loads;
}

function cv(xs: readonly number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return mean > 0 ? Math.sqrt(variance) / mean : 0;
}

/** Converged: the first two replans balance the round-robin start; the rest should move nothing. */
const SETTLING_REPLANS = 2;

function churnRun(s: ChurnScenario, planner: Planner, seed: number): ChurnRow {
  const rates = generate(s.family, s.n, s.k, seed).map((x) => x * s.scale);
  // Every planner sees the same sequence of measurements.
  const noise = new Rng(seed ^ 0x5eed);
  let placement = rates.map((_, j) => j % s.k);
  const row: ChurnRow = { movesFirst: [], movesAfter: [], cvAfter: [], peakAfter: [] };
  for (let r = 0; r < s.replans; r++) {
    const items: PlanItem[] = rates.map((rate, j) => {
      const count = noise.poisson(rate);
      return { id: String(j), load: count, current: placement[j] as number, variance: Math.max(count, 1) };
    });
    let next: number[];
    if (planner === 'LPT') {
      next = Array.from(longestProcessingTime(buildProblem(cpusOf(s.k), items)));
    } else {
      const result = plan({
        cpus: cpusOf(s.k),
        items,
        ...(planner === 'plan(), confidence 0' ? { confidence: 0 } : {}),
      });
      next = result.assignments.map((a) => a.cpu);
    }
    const moves = next.filter((c, j) => c !== placement[j]).length;
    placement = next;
    if (r < SETTLING_REPLANS) row.movesFirst.push(moves);
    else {
      const loads = trueLoads(rates, placement, s.k);
      const mean = loads.reduce((a, b) => a + b, 0) / s.k;
      row.movesAfter.push(moves);
      row.cvAfter.push(cv(loads));
      row.peakAfter.push(Math.max(...loads) / mean);
    }
  }
  return row;
}

const meanOf = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function runChurn(quick: boolean, out: (line: string) => void): void {
  out(section('Planner frontier 3: churn on stationary noisy traffic'));
  const scenarios: ChurnScenario[] = [
    // Expected counts per window: median queue around 1e5 (a 10 s window at 10k interrupts/s).
    {
      name: 'NIC queues, 128 × 16',
      family: 'rss-wide',
      n: 128,
      k: 16,
      scale: 1 / 50,
      replans: quick ? 8 : 20,
    },
    { name: 'elephants, 64 × 8', family: 'elephants-under', n: 64, k: 8, scale: 1, replans: quick ? 8 : 20 },
  ];
  if (!quick)
    scenarios.push({
      name: 'NIC queues, 2000 × 256',
      family: 'rss-wide',
      n: 2000,
      k: 256,
      scale: 1,
      replans: 8,
    });
  const planners: Planner[] = ['LPT', 'plan(), confidence 0', 'plan(), default confidence'];
  const rows: string[][] = [];
  for (const s of scenarios) {
    const seed = seedFor(`churn/${s.family}`, s.n, s.k);
    for (const planner of planners) {
      const r = churnRun(s, planner, seed);
      rows.push([
        s.name,
        planner,
        String(s.replans),
        r.movesFirst.join(', '),
        meanOf(r.movesAfter).toFixed(1),
        String(Math.max(0, ...r.movesAfter)),
        `${r.movesAfter.filter((m) => m === 0).length}/${r.movesAfter.length}`,
        pct(meanOf(r.cvAfter) * 100),
        meanOf(r.peakAfter).toFixed(5),
      ]);
    }
  }
  out(
    table(
      [
        { header: 'traffic' },
        { header: 'planner' },
        { header: 'replans', align: 'right' },
        { header: 'moves, first 2' },
        { header: 'moves/replan after', align: 'right' },
        { header: 'max after', align: 'right' },
        { header: 'zero-move replans', align: 'right' },
        { header: 'CV of CPU loads', align: 'right' },
        { header: 'peak/mean', align: 'right' },
      ],
      rows,
    ),
  );
  out(
    '  Each replan measures the same true rates again (Poisson counts, variance = max(count, 1) per IRQ) and\n' +
      '  plans from the previous placement; round-robin placement at the start. "after": replans 3 onwards.\n' +
      '  CV and peak/mean are of the true per-CPU loads under each plan, averaged over those replans.',
  );
}

export function runFrontierBench(quick: boolean, out: (line: string) => void): void {
  runSmall(quick, out);
  runLarge(quick, out);
  runChurn(quick, out);
}
