/**
 * The evenness stage, run after the search and churn steps: it turns their plan into one a
 * person would call balanced, keeps only moves that pay for themselves, and leaves a balanced
 * placement alone, with loads compared within their noise margins (docs/design.md, "Noise
 * model and objective").
 *
 *  - The current placement is balanced when the floor holds on it: no single move or swap
 *    gains more than its pair's floor margin. Then it stays, unless a plan's busiest CPU is
 *    lower by more than the (wide) margin between plans.
 *  - Otherwise IRQs move, and every start (the search's best plan, the churn step's choice, the
 *    current placement) is settled: evened out to the (narrower) pair margin, tightened with
 *    the IRQs that move anyway, and pruned of moves and swaps that do not pay; the results are
 *    compared rank by rank within the pair margin, then by moves.
 *  - With `maxMoves`, the least valuable moves beyond the cap are put back.
 */
import type { Budget, WorkBudget } from './budget.ts';
import { EVEN, evenOut, FLOOR, slack, violation } from './even.ts';
import { type Noise, pairMargin, rankMargin } from './noise.ts';
import { cap, homeOf, type MoveValue, moveValue, prune } from './pays.ts';
import { Placement } from './placement.ts';
import { isAllowed, type Problem } from './problem.ts';

export interface Settled {
  s: Placement;
  /** The floor holds and every move pays (false only when the budget or the rounds ran out). */
  settled: boolean;
  /** Moves put back because of `maxMoves`. */
  dropped: number;
}

/**
 * Evens out every pair to its margin (only pairs with a CPU in `only`, when the rest are known
 * to be even), then puts back moves that do not pay, which keeps the floor. False when the
 * budget ran out first.
 */
function clean(p: Problem, noise: Noise, s: Placement, budget: WorkBudget, only?: Uint8Array): boolean {
  if (!evenOut(p, noise, s, budget, EVEN, only).converged) return false;
  prune(p, noise, s, budget);
  return true;
}

/**
 * From one start: even out every pair to its (pair) margin and put back moves that do not pay;
 * then tighten with the IRQs that move anyway, and keep that if it cleans up again; then let
 * pairs of CPUs trade contents where that saves moves; then apply the cap. Evening out to the pair margin, below the floor margin that decides whether a
 * placement needs moves at all, and tightening are the hysteresis: once IRQs move, they land
 * well inside the floor, so the next measurement, with fresh noise, does not find the
 * placement at its edge.
 */
/** The CPUs whose contents changed since `versions` was taken from `s.version`. */
function changedSince(s: Placement, versions: Int32Array): Uint8Array {
  return Uint8Array.from(s.version, (v, c) => (v !== versions[c] ? 1 : 0));
}

/** Trades CPU contents where that saves moves, then cleans up around the CPUs it changed. */
function tradeContents(p: Problem, noise: Noise, s: Placement, budget: WorkBudget): void {
  const versions = Int32Array.from(s.version);
  if (swapContents(p, s, budget) > 0) clean(p, noise, s, budget, changedSince(s, versions));
}

export function settle(
  p: Problem,
  noise: Noise,
  start: Int32Array,
  budget: WorkBudget,
  maxMoves?: number,
): Settled {
  let s = new Placement(p, noise, start);
  const settled = clean(p, noise, s, budget);
  if (settled) {
    tradeContents(p, noise, s, budget);
  }
  if (!settled) {
    // Out of budget: the floor comes first.
    evenOut(p, noise, s, budget, EVEN);
  } else if (!noise.exact || noise.allowance > 0) {
    // (With exact input every margin is 0, and the floor already admits no gain at all.)
    const before = Int32Array.from(s.assign);
    const versions = Int32Array.from(s.version);
    const home = Int32Array.from({ length: p.n }, (_, j) => homeOf(p, j));
    const tight = evenOut(p, noise, s, budget, { kind: 'tighten', home });
    // Tightening lowers some pairs and raises others, and can change which pair margin a moved
    // IRQ is held to: even out and prune again around the CPUs it touched, or undo it.
    const touched = changedSince(s, versions);
    if (tight.steps > 0 && !clean(p, noise, s, budget, touched)) s = new Placement(p, noise, before);
  }
  if (settled) {
    tradeContents(p, noise, s, budget);
  }
  const dropped = maxMoves === undefined ? 0 : cap(p, noise, s, maxMoves, budget);
  return { s, settled, dropped };
}

/**
 * Fewer moves for the same loads: where two CPUs could trade everything movable on them (every
 * IRQ allowed on the other) with fewer IRQs away from home and the higher of the two loads no
 * higher, they do. A plan that sends one IRQ to a CPU and that CPU's IRQ elsewhere, say, keeps
 * the second at home instead. Only pairs where an IRQ sits on the other's home are tried.
 */
function swapContents(p: Problem, s: Placement, budget: WorkBudget): number {
  let swapped = 0;
  const pairs = new Set<number>();
  for (let j = 0; j < p.n; j++) {
    const a = s.assign[j] as number;
    const b = homeOf(p, j);
    if (b >= 0 && b !== a) pairs.add(a < b ? a * p.k + b : b * p.k + a);
  }
  budget.spend(p.n / 8);
  for (const pair of [...pairs].sort((x, y) => x - y)) {
    if (budget.exhausted()) break;
    const a = Math.floor(pair / p.k);
    const b = pair % p.k;
    budget.spend(1 + ((s.members[a] as number[]).length + (s.members[b] as number[]).length) / 8);
    const onA = [...(s.members[a] as number[])];
    const onB = [...(s.members[b] as number[])];
    if (!onA.every((x) => isAllowed(p, x, b)) || !onB.every((x) => isAllowed(p, x, a))) continue;
    let delta = 0;
    let sumA = 0;
    let sumB = 0;
    for (const x of onA) {
      const h = homeOf(p, x);
      delta += (h === b ? 0 : 1) - (h === a ? 0 : 1);
      sumA += p.w[x] as number;
    }
    for (const x of onB) {
      const h = homeOf(p, x);
      delta += (h === a ? 0 : 1) - (h === b ? 0 : 1);
      sumB += p.w[x] as number;
    }
    const la = s.loads[a] as number;
    const lb = s.loads[b] as number;
    if (delta >= 0 || Math.max(la - sumA + sumB, lb - sumB + sumA) > Math.max(la, lb)) continue;
    for (const x of onA) s.move(x, b);
    for (const x of onB) s.move(x, a);
    swapped++;
  }
  return swapped;
}

/** Number of voluntary moves plus placements of items that cannot stay where they are. */
export function movesIn(p: Problem, assign: Int32Array): number {
  let moves = 0;
  for (let j = 0; j < p.n; j++) if (p.current[j] !== assign[j]) moves++;
  return moves;
}

/** CPU positions by load, busiest first (ties by position). */
function byLoadDesc(s: Placement): number[] {
  return Array.from({ length: s.loads.length }, (_, c) => c).sort(
    (a, b) => (s.loads[b] as number) - (s.loads[a] as number) || a - b,
  );
}

/**
 * (a), (b): the sorted loads, busiest first, rank by rank. A plan is better when, at some rank,
 * its load is lower by more than the margin of the two loads (`rankMargin` against a balanced
 * current placement, the pair margin otherwise) and at no rank before it higher at all: loads
 * within the margin count as equal, and a plan that is higher at an earlier rank, even within
 * the margin, is not better for being lower later. (c): then fewer moves. Negative: x first.
 */
export function compare(p: Problem, noise: Noise, x: Placement, y: Placement, how: 'stay' | 'move'): number {
  const ox = byLoadDesc(x);
  const oy = byLoadDesc(y);
  const ranks = how === 'stay' ? 1 : p.k;
  let xHigher = false;
  let yHigher = false;
  for (let i = 0; i < ranks && !(xHigher && yHigher); i++) {
    const cx = ox[i] as number;
    const cy = oy[i] as number;
    const lx = x.loads[cx] as number;
    const ly = y.loads[cy] as number;
    const vx = x.vars[cx] as number;
    const vy = y.vars[cy] as number;
    const margin =
      (how === 'stay' ? rankMargin(noise, vx, vy) : pairMargin(noise, vx, vy)) + slack(p, lx, ly);
    if (!xHigher && lx < ly - margin) return -1;
    if (!yHigher && ly < lx - margin) return 1;
    if (lx > ly) xHigher = true;
    if (ly > lx) yHigher = true;
  }
  return movesIn(p, x.assign) - movesIn(p, y.assign);
}

export interface Refined {
  assign: Int32Array;
  loads: Float64Array;
  vars: Float64Array;
  /** Per movable item: gain and margin of its move, null when it did not move or had to. */
  values: Array<MoveValue | null>;
  dropped: number;
  settled: boolean;
  /** Which start the plan came from. */
  from: 'plan' | 'current';
  /** The margins it was made with. */
  noise: Noise;
}

export function refine(
  p: Problem,
  noise: Noise,
  starts: readonly Int32Array[],
  budget: Budget,
  maxMoves?: number,
): Refined {
  // IRQs with no home go where the churn step's choice (the second start) put them.
  const home = Int32Array.from(starts[1] ?? (starts[0] as Int32Array), (c, j) => {
    const h = homeOf(p, j);
    return h >= 0 ? h : c;
  });
  const others = starts.filter(
    (a, i) => !sameAssign(a, home) && starts.slice(0, i).every((b) => !sameAssign(a, b)),
  );
  const current = new Placement(p, noise, home);
  const balanced = fits(noise, current) && violation(p, noise, current, FLOOR, budget) === null;
  if (balanced) {
    // The hysteresis: a balanced current placement is left only for a plan whose busiest CPU
    // is lower beyond the wide margin between plans (rankMargin), after evening out.
    const rivals = others.filter((a) => compare(p, noise, new Placement(p, noise, a), current, 'stay') < 0);
    let best: Settled = kept(current);
    let from: Refined['from'] = 'current';
    for (const start of rivals) {
      const c = settle(p, noise, start, budget.slice(0.5), maxMoves);
      if (!c.settled || compare(p, noise, c.s, current, 'stay') >= 0) continue;
      if (from === 'current' || compare(p, noise, c.s, best.s, 'move') < 0) {
        best = c;
        from = 'plan';
      }
    }
    return refined(p, noise, best, from);
  }
  // IRQs move anyway: settle every start. The search's plan comes first: it is near the best
  // makespan, so cheap to even out, and a result must exist. Every other start (the churn
  // step's choice, the current placement) may be far from even and slow to settle: it gets at
  // most what the first took, and is dropped if it does not settle in that. Then rank
  // by rank within the pair margin, then by moves.
  const candidates: Array<[Refined['from'], Settled]> = [];
  let cap = Number.POSITIVE_INFINITY;
  for (const [from, start] of [
    ...others.map((a): [Refined['from'], Int32Array] => ['plan', a]),
    ['current', home] as [Refined['from'], Int32Array],
  ]) {
    const spent = budget.spent;
    candidates.push([from, settle(p, noise, start, budget.slice(0.5, cap), maxMoves)]);
    if (cap === Number.POSITIVE_INFINITY) cap = Math.max(budget.spent - spent, 10_000);
  }
  const ok = (c: Settled): boolean => c.settled && fits(noise, c.s);
  let [from, best] = (candidates.find(([, c]) => ok(c)) ??
    candidates.find(([, c]) => c.settled) ??
    candidates[0]) as [Refined['from'], Settled];
  for (const [f, c] of candidates) {
    if (c !== best && ok(c) && compare(p, noise, c.s, best.s, 'move') < 0) {
      from = f;
      best = c;
    }
  }
  return refined(p, noise, best, from);
}

/** Within the tolerance's makespan ceiling (always, without a tolerance). */
function fits(noise: Noise, s: Placement): boolean {
  let max = Number.NEGATIVE_INFINITY;
  for (const l of s.loads) if (l > max) max = l;
  return max <= noise.ceiling;
}

function sameAssign(x: Int32Array, y: Int32Array): boolean {
  for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  return true;
}

function kept(s: Placement): Settled {
  return { s, settled: true, dropped: 0 };
}

/**
 * With a tolerance every margin widens by it, and the local search takes other paths: it can
 * end with more moves and a plan that the one made without the tolerance beats on evenness by
 * more than the tolerance. So that one is made too (from the churn step's choice without a
 * tolerance), and it wins in that case: a tolerance never costs moves and evenness at once.
 */
export function refineTolerant(
  p: Problem,
  noises: { strict: Noise; loose: Noise },
  starts: { loose: readonly Int32Array[]; strict: readonly Int32Array[] },
  budget: () => Budget,
  maxMoves?: number,
): Refined {
  const loose = refine(p, noises.loose, starts.loose, budget(), maxMoves);
  const strict = refine(p, noises.strict, starts.strict, budget(), maxMoves);
  const worse =
    movesIn(p, loose.assign) > movesIn(p, strict.assign) &&
    evenerBeyond(strict.loads, loose.loads, noises.loose.allowance);
  return worse && strict.settled ? strict : loose;
}

/** Lower by more than `margin` at some rank of the sorted loads, and higher at no rank before. */
function evenerBeyond(x: ArrayLike<number>, y: ArrayLike<number>, margin: number): boolean {
  const sx = Array.from(x).sort((a, b) => b - a);
  const sy = Array.from(y).sort((a, b) => b - a);
  for (let i = 0; i < sx.length; i++) {
    if ((sx[i] as number) < (sy[i] as number) - margin) return true;
    if ((sx[i] as number) > (sy[i] as number)) return false;
  }
  return false;
}

function refined(p: Problem, noise: Noise, best: Settled, from: Refined['from']): Refined {
  const s = best.s;
  return {
    assign: s.assign,
    loads: s.loads,
    vars: s.vars,
    values: Array.from({ length: p.n }, (_, j) => moveValue(p, noise, s, j)),
    dropped: best.dropped,
    settled: best.settled,
    from,
    noise,
  };
}
