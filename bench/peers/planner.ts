/**
 * Planner against the textbook peers and the exact optimum: round-robin, LPT and Karmarkar–Karp
 * on the bench's cases (bench/cases.ts), each makespan's gap to the optimum where an exact method
 * can get it, and the times. The optimum comes from, in order: brute force (tiny extra cases), a
 * lower bound that irqkit's plan meets, the planner's own proof (CKK / branch-and-bound finished),
 * or the same exact searches run here with a budget 20× the default (k = 2: CKK; n ≤ 200: B&B).
 */

import { branchAndBound } from '../../src/core/planner/branch-and-bound.ts';
import type { WorkBudget } from '../../src/core/planner/budget.ts';
import { UNITS_PER_MS } from '../../src/core/planner/budget.ts';
import { DEFAULT_TIME_LIMIT_MS, plan } from '../../src/core/planner/plan.ts';
import { buildProblem, type Problem } from '../../src/core/planner/problem.ts';
import { partitionTwoWay } from '../../src/core/planner/two-way.ts';
import { buildInstance, type CaseSpec, type Instance, plannerCases, seedFor } from '../cases.ts';
import { type Family, generate, itemsFromLoads } from '../generators.ts';
import { type CaseResult, runCase } from '../planner-quality.ts';
import { ms, pct, section, table } from '../report.ts';

/** A work budget with a unit cap and a wall-clock cap, for the exact searches run here. */
class BigBudget implements WorkBudget {
  private used = 0;
  private next = 65_536;
  private late = false;
  private readonly deadline: number;
  private readonly units: number;

  constructor(units: number, wallMs: number) {
    this.units = units;
    this.deadline = performance.now() + wallMs;
  }

  spend(n = 1): boolean {
    this.used += n;
    if (this.used >= this.next) {
      this.next = this.used + 65_536;
      if (performance.now() > this.deadline) this.late = true;
    }
    return !this.exhausted();
  }

  exhausted(): boolean {
    return this.late || this.used >= this.units;
  }
}

/**
 * Optimal makespan by exhaustive search over set partitions (CPUs are interchangeable: item i
 * goes on one of the CPUs already used or the next empty one), pruned by the incumbent. Only for
 * tiny instances.
 */
export function bruteForce(w: readonly number[], k: number): number {
  const loads = new Array<number>(k).fill(0);
  let best = Number.POSITIVE_INFINITY;
  const go = (i: number, used: number, max: number): void => {
    if (max >= best) return;
    if (i === w.length) {
      best = max;
      return;
    }
    const x = w[i] as number;
    for (let c = 0; c < Math.min(k, used + 1); c++) {
      loads[c] = (loads[c] as number) + x;
      go(i + 1, Math.max(used, c + 1), Math.max(max, loads[c] as number));
      loads[c] = (loads[c] as number) - x;
    }
  };
  go(0, 0, 0);
  return best;
}

type How =
  | 'brute force'
  | 'at bound'
  | 'bench LB'
  | 'CKK (plan)'
  | 'B&B (plan)'
  | 'CKK (bench)'
  | 'B&B (bench)'
  | 'LB only';

interface Row {
  r: CaseResult;
  /** The optimum, or the best lower bound when `how` is 'LB only'. */
  ref: number;
  how: How;
  exactMs: number | null;
  /** A plan better than irqkit's that an unfinished exact search found (so irqkit is not optimal). */
  found?: number;
}

const TINY: Array<{ family: Family; n: number; k: number }> = [
  { family: 'nic-rss', n: 12, k: 3 },
  { family: 'elephants', n: 12, k: 4 },
  { family: 'lumpy', n: 12, k: 4 },
  { family: 'near-uniform', n: 11, k: 3 },
];

function exact(inst: Instance, r: CaseResult, quick: boolean, tiny: boolean): Row {
  const lb = Math.max(r.bound, r.benchBound);
  if (tiny) {
    const t = performance.now();
    const opt = bruteForce(
      inst.items.map((i) => i.load),
      inst.cpus.length,
    );
    return { r, ref: opt, how: 'brute force', exactMs: performance.now() - t };
  }
  if (r.irqkit <= r.bound) return { r, ref: r.irqkit, how: 'at bound', exactMs: null };
  if (r.irqkit <= r.benchBound) return { r, ref: r.irqkit, how: 'bench LB', exactMs: null };
  if (r.proven) return { r, ref: r.irqkit, how: r.k === 2 ? 'CKK (plan)' : 'B&B (plan)', exactMs: null };
  // 20× the planner's default budget in work units (a tenth of that with --quick), and a wall cap.
  const units = DEFAULT_TIME_LIMIT_MS * UNITS_PER_MS * (quick ? 2 : 20);
  const wallMs = quick ? 1500 : 10_000;
  const p: Problem = buildProblem(inst.cpus, inst.items);
  const t = performance.now();
  if (p.k === 2) {
    const res = partitionTwoWay(
      p.w,
      null,
      p.base[0] as number,
      p.base[1] as number,
      new BigBudget(units, wallMs),
    );
    const exactMs = performance.now() - t;
    const m = Math.max(res.load0, res.load1);
    if (res.optimal) return { r, ref: m, how: 'CKK (bench)', exactMs };
    return { r, ref: lb, how: 'LB only', exactMs, ...(m < r.irqkit ? { found: m } : {}) };
  }
  if (p.n <= 200) {
    const res = branchAndBound(p, r.irqkit, lb, new BigBudget(units, wallMs));
    const exactMs = performance.now() - t;
    if (res.complete) return { r, ref: Math.min(res.makespan, r.irqkit), how: 'B&B (bench)', exactMs };
    return {
      r,
      ref: lb,
      how: 'LB only',
      exactMs,
      ...(res.makespan < r.irqkit ? { found: res.makespan } : {}),
    };
  }
  return { r, ref: lb, how: 'LB only', exactMs: null };
}

const gap = (m: number | null, row: Row): string => {
  if (m === null) return '—';
  const g = row.ref > 0 ? ((m - row.ref) / row.ref) * 100 : 0;
  return row.how === 'LB only' ? `≤${pct(g)}` : pct(g);
};

export function runPlannerPeers(quick: boolean, out: (line: string) => void): void {
  const tinySpecs: CaseSpec[] = TINY.map((t) => ({ ...t, seed: seedFor(t.family, t.n, t.k) }));
  const specs = [...tinySpecs, ...plannerCases().filter((s) => !quick || s.quick)];
  out(
    section(
      `Planner: irqkit vs round-robin / LPT / KK, gap to the optimum (${specs.length} cases, default 250 ms budget)`,
    ),
  );
  // Warm the JIT so that the first case's time is not compile time.
  const warm = { cpus: [0, 1, 2, 3, 4, 5, 6, 7], items: itemsFromLoads(generate('nic-rss', 128, 8, 1), 8) };
  for (let i = 0; i < 3; i++) plan(warm);
  const rows: Row[] = [];
  const budgetMs = quick ? 10 : 30;
  for (const spec of specs) {
    const inst = buildInstance(spec);
    const r = runCase(inst, budgetMs);
    const row = exact(inst, r, quick, tinySpecs.includes(spec));
    rows.push(row);
    if (process.stderr.isTTY)
      process.stderr.write(
        `  ${spec.family} ${r.n}/${r.k}: plan ${ms(r.planMs)} ms, optimum by ${row.how}\n`,
      );
  }

  out(
    '\nGap of each method to the optimum (makespan − optimum) / optimum; "≤" where the optimum is unknown\n' +
      'and the gap is to the best lower bound instead (so the true gap is at most that).',
  );
  out(
    table(
      [
        { header: 'family' },
        { header: 'n', align: 'right' },
        { header: 'k', align: 'right' },
        { header: 'round-robin', align: 'right' },
        { header: 'LPT', align: 'right' },
        { header: 'KK', align: 'right' },
        { header: 'irqkit', align: 'right' },
        { header: 'optimum by' },
        { header: 'irqkit ms', align: 'right' },
        { header: 'rr ms', align: 'right' },
        { header: 'LPT ms', align: 'right' },
        { header: 'KK ms', align: 'right' },
        { header: 'exact ms', align: 'right' },
      ],
      rows.map((row) => [
        row.r.spec.family,
        String(row.r.n),
        String(row.r.k),
        gap(row.r.rr, row),
        gap(row.r.lpt, row),
        gap(row.r.kk, row),
        gap(row.r.irqkit, row),
        row.how,
        ms(row.r.planMs),
        ms(row.r.rrMs),
        ms(row.r.lptMs),
        row.r.kkMs === null ? '—' : ms(row.r.kkMs),
        row.exactMs === null ? '—' : ms(row.exactMs),
      ]),
    ),
  );
  out(
    '  irqkit ms: one plan() call (baselines, search, fewest-moves step); rr/LPT/KK ms: median of repeated\n' +
      "  calls on a built problem; exact ms: the bench's own exact search (brute force, or CKK / B&B with\n" +
      "  20× the default budget), — where a bound or the planner's own proof already gave the optimum.",
  );

  // By family.
  const families = [...new Set(rows.map((x) => x.r.spec.family))];
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rel = (m: number, row: Row): number => (row.ref > 0 ? ((m - row.ref) / row.ref) * 100 : 0);
  const famRows = families.map((f) => {
    const rs = rows.filter((x) => x.r.spec.family === f);
    const known = rs.filter((x) => x.how !== 'LB only');
    const cell = (pick: (x: Row) => number | null): string => {
      const xs = rs.flatMap((x) => {
        const m = pick(x);
        return m === null ? [] : [rel(m, x)];
      });
      return xs.length === 0 ? '—' : `${pct(mean(xs))} / ${pct(Math.max(...xs))}`;
    };
    return [
      f,
      String(rs.length),
      `${known.length}`,
      cell((x) => x.r.rr),
      cell((x) => x.r.lpt),
      cell((x) => x.r.kk),
      cell((x) => x.r.irqkit),
      `${known.filter((x) => x.r.irqkit === x.ref).length}/${known.length}`,
      ms(Math.max(...rs.map((x) => x.r.planMs))),
    ];
  });
  out('\nBy family: gap mean / max (to the optimum, or to the lower bound where it is unknown):');
  out(
    table(
      [
        { header: 'family' },
        { header: 'cases', align: 'right' },
        { header: 'optimum known', align: 'right' },
        { header: 'round-robin', align: 'right' },
        { header: 'LPT', align: 'right' },
        { header: 'KK', align: 'right' },
        { header: 'irqkit', align: 'right' },
        { header: 'irqkit = optimum', align: 'right' },
        { header: 'max irqkit ms', align: 'right' },
      ],
      famRows,
    ),
  );

  const known = rows.filter((x) => x.how !== 'LB only');
  const optimal = known.filter((x) => x.r.irqkit === x.ref);
  const worse = rows.filter((x) => x.r.irqkit > x.r.bestBaseline);
  const notOpt = known.filter((x) => x.r.irqkit > x.ref);
  out('\nSummary');
  out(`  optimum known                 ${known.length}/${rows.length} cases`);
  out(`  irqkit at the optimum         ${optimal.length}/${known.length} of those`);
  for (const x of notOpt)
    out(
      `    not optimal: ${x.r.spec.family} ${x.r.n}/${x.r.k}: irqkit ${x.r.irqkit}, optimum ${x.ref} (${x.how}), gap ${gap(x.r.irqkit, x)}`,
    );
  for (const x of rows.filter((y) => y.found !== undefined))
    out(
      `    not optimal: ${x.r.spec.family} ${x.r.n}/${x.r.k}: the bench's unfinished exact search found ${x.found} < irqkit ${x.r.irqkit}`,
    );
  const open = rows.filter((x) => x.how === 'LB only');
  if (open.length > 0)
    out(
      `  optimum unknown               ${open.map((x) => `${x.r.spec.family} ${x.r.n}/${x.r.k} (${gap(x.r.irqkit, x)})`).join(', ')}`,
    );
  out(
    `  irqkit worse than a baseline  ${worse.length}${worse.length ? ` ← ${worse.map((x) => `${x.r.spec.family} ${x.r.n}/${x.r.k}`).join(', ')}` : ''}`,
  );
  const slow = [...rows].sort((a, b) => b.r.planMs - a.r.planMs).slice(0, 3);
  out(
    `  slowest plans                 ${slow.map((x) => `${x.r.spec.family} ${x.r.n}/${x.r.k} ${ms(x.r.planMs)} ms`).join(', ')}`,
  );
}
