/**
 * Planner quality and time: irqkit's plan() against round-robin, LPT and Karmarkar–Karp on the
 * same instance, each timed, with the plan checked (every IRQ placed, makespan recomputed) and its
 * gap to the lower bound explained where possible.
 */
import { karmarkarKarp, longestProcessingTime, roundRobin } from '../src/core/planner/baselines.ts';
import { UNITS_PER_MS } from '../src/core/planner/budget.ts';
import { defaultTimeLimitMs, type PlanResult, plan } from '../src/core/planner/plan.ts';
import { buildProblem, loadsOf, maxOf, type Problem } from '../src/core/planner/problem.ts';
import { buildInstance, type CaseSpec, type Instance, plannerCases } from './cases.ts';
import { generate, itemsFromLoads } from './generators.ts';
import { int, median, ms, pct, section, table } from './report.ts';

export interface Timing {
  /** Median wall time of one call, in ms. */
  ms: number;
  runs: number;
}

/** Median time per call: one warm-up call, then calls until `budgetMs` is used (3 to 200 calls). */
export function timeIt(fn: () => unknown, budgetMs: number): Timing {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (times.length < 200 && performance.now() - start < budgetMs)) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return { ms: median(times), runs: times.length };
}

/**
 * A lower bound the bench computes itself for integer loads without fixed load, stronger than
 * max(⌈total/k⌉, largest) when item counts matter. Two pigeonhole arguments:
 *  - among the t·k+1 largest loads some CPU holds t+1 of them, so the makespan is at least the
 *    sum of the t+1 smallest of those (t = 1 is the classic w[k−1] + w[k]);
 *  - with n = q·k + r, the m CPUs holding the most IRQs hold at least m·q + min(m, r) of them
 *    (the balanced count vector is majorised by every other), so together at least the sum of
 *    that many smallest loads, and the busiest of them at least 1/m of that
 *    (m = k gives ⌈total/k⌉; m = 1 gives "some CPU holds ⌈n/k⌉ IRQs").
 */
export function pigeonholeBound(loads: readonly number[], k: number): number {
  const n = loads.length;
  const desc = [...loads].sort((a, b) => b - a);
  const prefixDesc = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefixDesc[i + 1] = (prefixDesc[i] as number) + (desc[i] as number);
  let best = desc[0] ?? 0;
  for (let t = 1; t * k < n; t++) {
    const hi = t * k; // index of the (t·k+1)-th largest
    best = Math.max(best, (prefixDesc[hi + 1] as number) - (prefixDesc[hi - t] as number));
  }
  // prefix sums of the smallest loads: smallest(c) = total − (sum of the n − c largest)
  const total = prefixDesc[n] as number;
  const smallest = (c: number): number => total - (prefixDesc[n - c] as number);
  const q = Math.floor(n / k);
  const r = n - q * k;
  for (let m = 1; m <= k; m++) {
    const c = Math.min(n, m * q + Math.min(m, r));
    best = Math.max(best, Math.ceil(smallest(c) / m - 1e-9));
  }
  return best;
}

/**
 * A plan the bench builds itself for instances where IRQ counts matter (n = q·k + r, 0 < r):
 * the r·(q+1) smallest IRQs on r CPUs, the rest on the other k − r, each part planned by plan()
 * with the default time limit. Any result is a valid plan for the whole instance, so a smaller
 * makespan than irqkit's shows that irqkit's plan is not optimal. Null when it does not apply.
 */
export function cardinalitySplit(inst: Instance): number | null {
  const n = inst.items.length;
  const k = inst.cpus.length;
  const q = Math.floor(n / k);
  const r = n - q * k;
  if (q < 1 || r === 0 || inst.items.some((it) => it.fixed || it.allowed)) return null;
  const sorted = inst.items.map(({ id, load }) => ({ id, load })).sort((a, b) => a.load - b.load);
  const cut = r * (q + 1);
  const small = plan({ cpus: inst.cpus.slice(0, r), items: sorted.slice(0, cut) });
  const large = plan({ cpus: inst.cpus.slice(r), items: sorted.slice(cut) });
  return Math.max(small.metrics.makespan, large.metrics.makespan);
}

export type BoundStatus = 'at bound' | 'exact' | 'bench LB' | 'beaten' | 'open';

export interface CaseResult {
  spec: CaseSpec;
  n: number;
  k: number;
  rr: number;
  lpt: number;
  kk: number | null;
  irqkit: number;
  bound: number;
  boundReason: string;
  benchBound: number;
  /** Makespan of the bench's cardinality-split plan, or null. */
  benchPlan: number | null;
  proven: boolean;
  status: BoundStatus;
  method: string;
  stoppedBy: string;
  units: number;
  moves: number;
  planMs: number;
  buildMs: number;
  rrMs: number;
  lptMs: number;
  kkMs: number | null;
  bestBaseline: number;
  /** irqkit ≤ min(baselines). */
  atMostBest: boolean;
  /** Anything wrong with the plan itself (misplaced IRQ, wrong makespan, baselines disagree). */
  problems: string[];
}

function makespanOf(p: Problem, assign: Int32Array): number {
  return maxOf(loadsOf(p, assign));
}

function checkPlan(inst: Instance, r: PlanResult): string[] {
  const problems: string[] = [];
  const load = new Map<number, number>(inst.cpus.map((c) => [c, 0]));
  if (r.assignments.length !== inst.items.length) problems.push('assignment count differs from IRQ count');
  for (const a of r.assignments) {
    const l = load.get(a.cpu);
    if (l === undefined) problems.push(`IRQ ${a.id} on CPU ${a.cpu}, not a planned CPU`);
    else load.set(a.cpu, l + a.load);
  }
  const max = Math.max(...load.values());
  if (max !== r.metrics.makespan)
    problems.push(`recomputed makespan ${max} ≠ reported ${r.metrics.makespan}`);
  if (r.metrics.makespan !== r.metrics.bestMakespan)
    problems.push(`makespan ${r.metrics.makespan} ≠ bestMakespan ${r.metrics.bestMakespan} at tolerance 0`);
  return problems;
}

export function runCase(inst: Instance, budgetMs: number): CaseResult {
  const { spec, cpus, items } = inst;
  const buildMs = timeIt(() => buildProblem(cpus, items), budgetMs).ms;
  const p = buildProblem(cpus, items);
  const rrT = timeIt(() => roundRobin(p), budgetMs).ms;
  const lptT = timeIt(() => longestProcessingTime(p), budgetMs).ms;
  const kkAssign = karmarkarKarp(p);
  const kkT = kkAssign ? timeIt(() => karmarkarKarp(p), budgetMs).ms : null;
  const rr = makespanOf(p, roundRobin(p));
  const lpt = makespanOf(p, longestProcessingTime(p));
  const kk = kkAssign ? makespanOf(p, kkAssign) : null;

  const t0 = performance.now();
  const r = plan({ cpus, items });
  const planMs = performance.now() - t0;

  const problems = checkPlan(inst, r);
  // The planner skips KK when LPT already meets the lower bound (KK cannot beat it then).
  const kkSkipped = r.baselines.kk === null && lpt <= r.metrics.lowerBound;
  if (r.baselines.roundRobin !== rr || r.baselines.lpt !== lpt || (r.baselines.kk !== kk && !kkSkipped))
    problems.push(`plan's baselines ${JSON.stringify(r.baselines)} ≠ bench's ${rr}/${lpt}/${kk}`);
  const irqkit = r.metrics.makespan;
  const benchBound = pigeonholeBound(Array.from(p.w), p.k);
  if (benchBound > irqkit) problems.push(`bench bound ${benchBound} > makespan ${irqkit}: bench bug`);
  if (r.metrics.provenOptimal && benchBound > irqkit) problems.push('provenOptimal contradicted');
  const bestBaseline = Math.min(rr, lpt, kk ?? Number.POSITIVE_INFINITY);
  const bound = r.metrics.lowerBound;
  const benchPlan = irqkit > bound ? cardinalitySplit(inst) : null;
  if (r.metrics.provenOptimal && benchPlan !== null && benchPlan < irqkit)
    problems.push(`provenOptimal, yet the bench found a plan with makespan ${benchPlan}`);
  const status: BoundStatus =
    irqkit <= bound
      ? 'at bound'
      : r.metrics.provenOptimal
        ? 'exact'
        : irqkit <= benchBound
          ? 'bench LB'
          : benchPlan !== null && benchPlan < irqkit
            ? 'beaten'
            : 'open';
  return {
    spec,
    n: p.n,
    k: p.k,
    rr,
    lpt,
    kk,
    irqkit,
    bound,
    boundReason: r.lowerBoundReason,
    benchBound,
    benchPlan,
    proven: r.metrics.provenOptimal,
    status,
    method: r.method,
    stoppedBy: r.search.stoppedBy,
    units: r.search.units,
    moves: r.metrics.moves,
    planMs,
    buildMs,
    rrMs: rrT,
    lptMs: lptT,
    kkMs: kkT,
    bestBaseline,
    atMostBest: irqkit <= bestBaseline,
    problems,
  };
}

/** Same input twice → same assignment (the planner counts work units, not wall time). */
function deterministic(inst: Instance): boolean {
  const a = plan({ cpus: inst.cpus, items: inst.items });
  const b = plan({ cpus: inst.cpus, items: inst.items });
  return a.assignments.every((x, i) => x.cpu === b.assignments[i]?.cpu);
}

const excess = (m: number, bound: number): number => (bound > 0 ? ((m - bound) / bound) * 100 : 0);

function qualityTable(results: readonly CaseResult[]): string {
  const cols = [
    { header: 'family' },
    { header: 'n', align: 'right' as const },
    { header: 'k', align: 'right' as const },
    { header: 'round-robin', align: 'right' as const },
    { header: 'LPT', align: 'right' as const },
    { header: 'KK', align: 'right' as const },
    { header: 'irqkit', align: 'right' as const },
    { header: 'lower bound', align: 'right' as const },
    { header: 'LB why' },
    { header: 'gap', align: 'right' as const },
    { header: 'gap%', align: 'right' as const },
    { header: 'proven' },
    { header: '≤best' },
    { header: 'vs bound' },
  ];
  return table(
    cols,
    results.map((r) => [
      r.spec.family,
      String(r.n),
      String(r.k),
      int(r.rr),
      int(r.lpt),
      int(r.kk),
      int(r.irqkit),
      int(r.bound),
      r.boundReason,
      int(r.irqkit - r.bound),
      pct(excess(r.irqkit, r.bound)),
      r.proven ? 'yes' : 'no',
      r.atMostBest ? (r.irqkit < r.bestBaseline ? 'yes <' : 'yes =') : 'NO',
      r.status,
    ]),
  );
}

function timeTable(results: readonly CaseResult[]): string {
  const cols = [
    { header: 'family' },
    { header: 'n', align: 'right' as const },
    { header: 'k', align: 'right' as const },
    { header: 'seed', align: 'right' as const },
    { header: 'method' },
    { header: 'stop' },
    { header: 'units', align: 'right' as const },
    { header: 'plan ms', align: 'right' as const },
    { header: 'build ms', align: 'right' as const },
    { header: 'rr ms', align: 'right' as const },
    { header: 'LPT ms', align: 'right' as const },
    { header: 'KK ms', align: 'right' as const },
    { header: 'moves', align: 'right' as const },
    { header: 'bench LB', align: 'right' as const },
    { header: 'bench plan', align: 'right' as const },
  ];
  return table(
    cols,
    results.map((r) => [
      r.spec.family,
      String(r.n),
      String(r.k),
      r.spec.seed ? String(r.spec.seed) : 'file',
      r.method,
      r.stoppedBy,
      String(r.units),
      ms(r.planMs),
      ms(r.buildMs),
      ms(r.rrMs),
      ms(r.lptMs),
      r.kkMs === null ? '—' : ms(r.kkMs),
      String(r.moves),
      int(r.benchBound),
      int(r.benchPlan),
    ]),
  );
}

function familyTable(results: readonly CaseResult[]): string {
  const families = [...new Set(results.map((r) => r.spec.family))];
  const cell = (xs: number[]): string => {
    if (xs.length === 0) return '—';
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `${pct(mean)} / ${pct(Math.max(...xs))}`;
  };
  const rows = families.map((f) => {
    const rs = results.filter((r) => r.spec.family === f);
    return [
      f,
      String(rs.length),
      cell(rs.map((r) => excess(r.rr, r.bound))),
      cell(rs.map((r) => excess(r.lpt, r.bound))),
      cell(rs.filter((r) => r.kk !== null).map((r) => excess(r.kk as number, r.bound))),
      cell(rs.map((r) => excess(r.irqkit, r.bound))),
      `${rs.filter((r) => r.status === 'at bound').length}/${rs.length}`,
      ms(Math.max(...rs.map((r) => r.planMs))),
    ];
  });
  return table(
    [
      { header: 'family' },
      { header: 'cases', align: 'right' },
      { header: 'round-robin', align: 'right' },
      { header: 'LPT', align: 'right' },
      { header: 'KK', align: 'right' },
      { header: 'irqkit', align: 'right' },
      { header: 'at bound', align: 'right' },
      { header: 'max plan ms', align: 'right' },
    ],
    rows,
  );
}

/** The spec with the largest n × k among the cases a run would plan. */
export function largestCase(quick: boolean): CaseSpec | undefined {
  let largest: CaseSpec | undefined;
  for (const s of plannerCases().filter((c) => !quick || c.quick))
    if (!largest || s.n * s.k > largest.n * largest.k) largest = s;
  return largest;
}

export function runPlannerBench(quick: boolean, out: (line: string) => void): CaseResult[] {
  const specs = plannerCases().filter((s) => !quick || s.quick);
  out(section(`Planner: irqkit vs round-robin / LPT / KK (${specs.length} cases, default time limit)`));
  // Warm the JIT on a small instance so that the first case's time is not compile time.
  const warm = { cpus: [0, 1, 2, 3, 4, 5, 6, 7], items: itemsFromLoads(generate('nic-rss', 128, 8, 1), 8) };
  for (let i = 0; i < 3; i++) plan(warm);

  const instances = specs.map(buildInstance);
  const results: CaseResult[] = [];
  const budgetMs = quick ? 10 : 40;
  const crashed: string[] = [];
  for (const inst of instances) {
    try {
      const r = runCase(inst, budgetMs);
      results.push(r);
      if (process.stderr.isTTY)
        process.stderr.write(`  planned ${r.spec.family} ${r.n}/${r.k} in ${ms(r.planMs)} ms\n`);
    } catch (e) {
      // One failing case must not hide the others' figures.
      crashed.push(
        `${inst.spec.family} ${inst.items.length}/${inst.cpus.length}: ${(e as Error).stack ?? e}`,
      );
    }
  }

  out('\nMakespans (busiest CPU load, input units); gap and gap% are irqkit vs the lower bound.');
  out(qualityTable(results));
  out('\nTimes (ms; baselines: median of repeated calls on a built Problem; plan: one call to plan()).');
  out(timeTable(results));
  out('\nExcess over the lower bound by family, mean / max:');
  out(familyTable(results));

  // Summary.
  const n = results.length;
  const atMost = results.filter((r) => r.atMostBest);
  const strictly = results.filter((r) => r.irqkit < r.bestBaseline);
  const atBound = results.filter((r) => r.status === 'at bound');
  const proven = results.filter((r) => r.proven);
  out('\nSummary');
  out(
    `  irqkit ≤ best baseline       ${atMost.length}/${n}${atMost.length === n ? '  (target: all)' : '  ← BUG'}`,
  );
  out(`  irqkit < best baseline       ${strictly.length}/${n}`);
  out(`  irqkit reached lower bound   ${atBound.length}/${n}`);
  out(`  proven optimal (planner)     ${proven.length}/${n}`);
  const beaten = results.filter((r) => r.status === 'beaten');
  out(
    `  beaten by the bench's plan   ${beaten.length}/${n}${beaten.length > 0 ? '  ← planner weakness (see below)' : ''}`,
  );
  for (const r of results.filter((x) => !x.atMostBest)) {
    out(
      `  WORSE THAN A BASELINE: ${r.spec.family} n=${r.n} k=${r.k} seed=${r.spec.seed}: irqkit ${r.irqkit} > ${r.bestBaseline}`,
    );
  }
  const off = results.filter((r) => r.status !== 'at bound');
  if (off.length > 0) {
    out('  Not at the lower bound:');
    for (const r of off) {
      const why =
        r.status === 'exact'
          ? 'proven optimal by exact search: the bound is not attainable'
          : r.status === 'bench LB'
            ? `optimal: the bench's pigeonhole bound ${r.benchBound} equals the makespan (planner's bound is weak)`
            : r.status === 'beaten'
              ? `NOT OPTIMAL: the bench's cardinality split has makespan ${r.benchPlan} (irqkit ${pct(excess(r.irqkit, r.benchPlan as number))} above it; bench LB ${r.benchBound})`
              : r.benchBound > r.bound
                ? `open: bench bound ${r.benchBound} leaves gap ${r.irqkit - r.benchBound} (${pct(excess(r.irqkit, r.benchBound))})`
                : 'open: attainability of the bound unknown';
      out(
        `    ${`${r.spec.family} ${r.n}/${r.k}`.padEnd(24)} gap ${int(r.irqkit - r.bound)} (${pct(excess(r.irqkit, r.bound))}), stop=${r.stoppedBy}: ${why}`,
      );
    }
  }
  const fullBudget = (n: number): number => defaultTimeLimitMs(n) * UNITS_PER_MS;
  const early = results.filter((r) => r.stoppedBy === 'budget' && r.units < fullBudget(r.n) * 0.9);
  if (early.length > 0) {
    out(
      `  stop=budget, budget unused   ${early.length} case(s) report stoppedBy=budget after < 90% of their default budget:`,
    );
    out(`    ${early.map((r) => `${r.spec.family} ${r.n}/${r.k} (${r.units})`).join(', ')}`);
  }
  const target = results.find((r) => r.n === 4096 && r.k === 1152);
  if (target)
    out(
      `  4,096 IRQs on 1,152 CPUs     ${ms(target.planMs)} ms (${target.spec.family}; target < 1000 ms: ${target.planMs < 1000 ? 'met' : 'MISSED'})`,
    );
  const slow = [...results].sort((a, b) => b.planMs - a.planMs).slice(0, 3);
  out(
    `  slowest plans                ${slow.map((r) => `${r.spec.family} ${r.n}/${r.k} ${ms(r.planMs)} ms`).join(', ')}`,
  );
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.spec.family} ${r.n}/${r.k}: ${p}`));
  out(
    `  plan checks                  ${problems.length === 0 ? 'all plans valid (every IRQ placed, makespan recomputed)' : `${problems.length} PROBLEMS`}`,
  );
  for (const p of problems) out(`    ${p}`);
  if (crashed.length > 0) out(`  CRASHED                      ${crashed.length} case(s):`);
  for (const c of crashed) out(`    ${c.split('\n').slice(0, 3).join('\n    ')}`);
  const detCases = instances.filter((i) => i.spec.quick && i.items.length >= 256).slice(0, 2);
  const det = detCases.map(
    (i) => `${i.spec.family} ${i.items.length}/${i.cpus.length} ${deterministic(i) ? 'same' : 'DIFFERENT'}`,
  );
  out(`  determinism (plan twice)     ${det.join(', ')}`);
  return results;
}
