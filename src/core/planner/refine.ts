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
import { EVEN, evenOut, FLOOR, type Rule, slack, violation } from './even.ts';
import { type Noise, pairMargin, rankMargin } from './noise.ts';
import { Placement } from './placement.ts';
import { isAllowed, type Problem } from './problem.ts';

/** Even-out and prune rounds before settling for the floor alone (in practice two or three). */
const MAX_ROUNDS = 16;

export interface MoveValue {
  /** How much the move lowers the higher of its two CPUs' loads against putting it back. */
  gain: number;
  /** That pair's noise margin. */
  margin: number;
}

/** Where an item may be put back: its current CPU, when that is planned and allowed. */
export function homeOf(p: Problem, j: number): number {
  const h = p.current[j] as number;
  return h >= 0 && isAllowed(p, j, h) ? h : -1;
}

/** Gain and margin of a moved item that could stay where it is; null for the others. */
export function moveValue(p: Problem, noise: Noise, s: Placement, j: number): MoveValue | null {
  const h = homeOf(p, j);
  const c = s.assign[j] as number;
  if (h < 0 || h === c) return null;
  const w = p.w[j] as number;
  const lh = s.loads[h] as number;
  const lc = s.loads[c] as number;
  return {
    gain: Math.max(lh + w, lc - w) - Math.max(lh, lc),
    margin: pairMargin(noise, s.vars[h] as number, s.vars[c] as number),
  };
}

function pays(p: Problem, s: Placement, a: number, b: number, v: MoveValue): boolean {
  return v.gain > v.margin + slack(p, s.loads[a] as number, s.loads[b] as number);
}

/** Voluntary moves (items that could stay where they are), with their values. */
function movesOf(p: Problem, noise: Noise, s: Placement): Array<{ j: number; v: MoveValue }> {
  const out: Array<{ j: number; v: MoveValue }> = [];
  for (let j = 0; j < p.n; j++) {
    const v = moveValue(p, noise, s, j);
    if (v) out.push({ j, v });
  }
  return out;
}

/** The least valuable move: the smallest gain beyond its margin, ties by position. */
function leastValuable(moves: Array<{ j: number; v: MoveValue }>): { j: number; v: MoveValue } | null {
  let worst: { j: number; v: MoveValue } | null = null;
  for (const m of moves) {
    if (!worst || m.v.gain - m.v.margin < worst.v.gain - worst.v.margin) worst = m;
  }
  return worst;
}

/** A change that does not pay: one move, or a swap (j ≥ 0) of two IRQs between two CPUs. */
interface Unpaid {
  i: number;
  j: number;
  excess: number;
}

/**
 * Gain and margin of a swap: two moved IRQs that exchanged their CPUs, against putting both
 * back. Putting back either one alone is costly, so only the pair shows whether it pays.
 */
export function swapValue(p: Problem, noise: Noise, s: Placement, i: number, j: number): MoveValue {
  const a = s.assign[j] as number; // i's home
  const b = s.assign[i] as number; // j's home
  const delta = (p.w[i] as number) - (p.w[j] as number);
  const la = s.loads[a] as number;
  const lb = s.loads[b] as number;
  return {
    gain: Math.max(la + delta, lb - delta) - Math.max(la, lb),
    margin: pairMargin(noise, s.vars[a] as number, s.vars[b] as number),
  };
}

/** Moved IRQs that exchanged CPUs with each other, each pair once (i < j). */
export function swapsOf(p: Problem, s: Placement): Array<[number, number]> {
  const byRoute = new Map<number, number[]>();
  const out: Array<[number, number]> = [];
  for (let j = 0; j < p.n; j++) {
    const h = homeOf(p, j);
    const c = s.assign[j] as number;
    if (h < 0 || h === c) continue;
    for (const i of byRoute.get(c * p.k + h) ?? []) out.push([i, j]);
    const key = h * p.k + c;
    const list = byRoute.get(key);
    if (list) list.push(j);
    else byRoute.set(key, [j]);
  }
  return out;
}

function leastValuableUnpaid(p: Problem, noise: Noise, s: Placement): Unpaid | null {
  let worst: Unpaid | null = null;
  // a and b: the two CPUs; shift: the load that putting the change back moves from b to a.
  const consider = (i: number, j: number, a: number, b: number, shift: number, v: MoveValue): void => {
    if (pays(p, s, a, b, v)) return;
    // Never past the tolerance's makespan ceiling (the search's own limit for fewer moves).
    const la = s.loads[a] as number;
    const lb = s.loads[b] as number;
    if (Math.max(la + shift, lb - shift) > Math.max(noise.ceiling, la, lb)) return;
    const excess = v.gain - v.margin;
    if (!worst || excess < worst.excess) worst = { i, j, excess };
  };
  for (const { j, v } of movesOf(p, noise, s)) {
    consider(j, -1, homeOf(p, j), s.assign[j] as number, p.w[j] as number, v);
  }
  for (const [i, j] of swapsOf(p, s)) {
    const shift = (p.w[i] as number) - (p.w[j] as number);
    consider(i, j, s.assign[j] as number, s.assign[i] as number, shift, swapValue(p, noise, s, i, j));
  }
  return worst;
}

/**
 * Puts back, one change at a time and the least valuable first, every move and every swap
 * that does not pay for itself.
 */
function prune(p: Problem, noise: Noise, s: Placement, budget: WorkBudget): number {
  let undone = 0;
  for (;;) {
    budget.spend(1 + p.n / 8);
    const worst = leastValuableUnpaid(p, noise, s);
    if (!worst) return undone;
    const { i, j } = worst;
    s.move(i, homeOf(p, i));
    if (j >= 0) s.move(j, homeOf(p, j));
    undone++;
  }
}

/** Puts back the least valuable moves until at most `maxMoves` remain, then prunes again. */
function cap(p: Problem, noise: Noise, s: Placement, maxMoves: number, budget: WorkBudget): number {
  let dropped = 0;
  for (;;) {
    const moves = movesOf(p, noise, s);
    budget.spend(1 + p.n / 16);
    if (moves.length <= maxMoves) break;
    const worst = leastValuable(moves) as { j: number; v: MoveValue };
    s.move(worst.j, homeOf(p, worst.j));
    dropped++;
  }
  return dropped > 0 ? dropped + prune(p, noise, s, budget) : 0;
}

export interface Settled {
  s: Placement;
  /** The floor holds and every move pays (false only when the budget or the rounds ran out). */
  settled: boolean;
  /** Moves put back because of `maxMoves`. */
  dropped: number;
}

/**
 * From one start: even out every pair to its (pair) margin, tighten, and put back moves that
 * do not pay, until nothing changes; then apply the cap. Evening out to the pair margin, below
 * the floor margin that decides whether a placement needs moves at all, and tightening are the
 * hysteresis: once IRQs move, they land well inside the floor, so the next measurement, with
 * fresh noise, does not find the placement at its edge.
 */
export function settle(
  p: Problem,
  noise: Noise,
  start: Int32Array,
  budget: WorkBudget,
  maxMoves?: number,
): Settled {
  const s = new Placement(p, noise, start);
  const home = Int32Array.from({ length: p.n }, (_, j) => homeOf(p, j));
  const tighten: Rule = { kind: 'tighten', home };
  let settled = false;
  for (let round = 0; round < MAX_ROUNDS && !settled; round++) {
    const even = evenOut(p, noise, s, budget, EVEN);
    if (!even.converged) break;
    const tight = evenOut(p, noise, s, budget, tighten);
    if (!tight.converged) break;
    const pruned = prune(p, noise, s, budget);
    settled = pruned === 0 && even.steps === 0 && tight.steps === 0;
  }
  // Out of rounds or budget with moves just put back: the floor comes first.
  if (!settled) evenOut(p, noise, s, budget, EVEN);
  const dropped = maxMoves === undefined ? 0 : cap(p, noise, s, maxMoves, budget);
  return { s, settled, dropped };
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
 * (a), (b): the sorted loads, busiest first, rank by rank; at each rank the two loads count as
 * equal within `rankMargin`. (c): fewer moves.
 */
export function compare(p: Problem, noise: Noise, x: Placement, y: Placement, how: 'stay' | 'move'): number {
  const ox = byLoadDesc(x);
  const oy = byLoadDesc(y);
  const ranks = how === 'stay' ? 1 : p.k;
  for (let i = 0; i < ranks; i++) {
    const cx = ox[i] as number;
    const cy = oy[i] as number;
    const lx = x.loads[cx] as number;
    const ly = y.loads[cy] as number;
    const vx = x.vars[cx] as number;
    const vy = y.vars[cy] as number;
    const margin =
      (how === 'stay' ? rankMargin(noise, vx, vy) : pairMargin(noise, vx, vy)) + slack(p, lx, ly);
    if (lx < ly - margin) return -1;
    if (ly < lx - margin) return 1;
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
}

export function refine(
  p: Problem,
  noise: Noise,
  starts: { best: Int32Array; chosen: Int32Array },
  budget: Budget,
  maxMoves?: number,
): Refined {
  const home = Int32Array.from(starts.chosen, (c, j) => {
    const h = homeOf(p, j);
    return h >= 0 ? h : c;
  });
  const others = [starts.best, starts.chosen].filter(
    (a, i, all) => !sameAssign(a, home) && (i === 0 || !sameAssign(a, all[0] as Int32Array)),
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
  // IRQs move anyway: settle every start, the plan's first (near the best makespan, so cheap
  // to even out, and the result must exist); the current placement, which may be far from
  // even and slow to settle, gets what is left and is dropped if it does not settle in that.
  // Then rank by rank within the pair margin, then by moves.
  const candidates: Array<[Refined['from'], Settled]> = others.map((a, i) => [
    'plan',
    settle(p, noise, a, budget.slice(i === 0 ? 0.5 : 0.6), maxMoves),
  ]);
  candidates.push(['current', settle(p, noise, home, budget.slice(1), maxMoves)]);
  let [from, best] = candidates[0] as [Refined['from'], Settled];
  for (const [f, c] of candidates.slice(1)) {
    if (c.settled && fits(noise, c.s) && (!best.settled || compare(p, noise, c.s, best.s, 'move') < 0)) {
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
  };
}
