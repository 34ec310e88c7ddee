/**
 * Moves that pay for themselves: a moved IRQ's gain is how much it lowers the higher of its two
 * CPUs' loads against putting it back where it was, and it pays when that exceeds its margin:
 * the move and what it leaves behind each clear their own standard errors (`stepMargin`). A swap of two IRQs between the same two CPUs is judged as one change, since putting
 * back either alone would look costly. `prune` puts back what does not pay, unless the floor
 * needs it; `cap` enforces `maxMoves`, least valuable first.
 */
import type { WorkBudget } from './budget.ts';
import { bestStep, EVEN, slack } from './even.ts';
import { type Noise, stepMargin } from './noise.ts';
import type { Placement } from './placement.ts';
import { isAllowed, type Problem } from './problem.ts';

export interface MoveValue {
  /** How much the move lowers the higher of its two CPUs' loads against putting it back. */
  gain: number;
  /** The gain it must beat to count (`stepMargin`): its noise, plus any allowance. */
  margin: number;
}

/** Where an item may be put back: its current CPU, when that is planned and allowed. */
export function homeOf(p: Problem, j: number): number {
  const h = p.current[j] as number;
  return h >= 0 && isAllowed(p, j, h) ? h : -1;
}

/**
 * Gain and margin of a change that shifted load x (variance vx) from CPU a to CPU b, which
 * now carry la and lb (variances adding up to vPair, which a change leaves as it was): the
 * step it was, judged as `bestStep` judges one. A change that raised the higher load has a
 * negative gain and never pays.
 */
function changeValue(noise: Noise, la: number, lb: number, vPair: number, x: number, vx: number): MoveValue {
  const a = la + x;
  const b = lb - x;
  return {
    gain: Math.max(a, b) - Math.max(la, lb),
    margin: a >= b ? stepMargin(noise, noise.z, x, vx, a - b, vPair) : noise.allowance,
  };
}

/** Gain and margin of a moved item that could stay where it is; null for the others. */
export function moveValue(p: Problem, noise: Noise, s: Placement, j: number): MoveValue | null {
  const h = homeOf(p, j);
  const c = s.assign[j] as number;
  if (h < 0 || h === c) return null;
  const vPair = (s.vars[h] as number) + (s.vars[c] as number);
  return changeValue(
    noise,
    s.loads[h] as number,
    s.loads[c] as number,
    vPair,
    p.w[j] as number,
    noise.itemVar[j] as number,
  );
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

/** Passes over the changes that do not pay; each pass puts some back or moves them to pay. */
const MAX_PRUNE_PASSES = 64;

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
  const vPair = (s.vars[a] as number) + (s.vars[b] as number);
  const vDelta = (noise.itemVar[i] as number) + (noise.itemVar[j] as number);
  return changeValue(noise, s.loads[a] as number, s.loads[b] as number, vPair, delta, vDelta);
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

/**
 * Whether shifting `shift` from CPU b to CPU a (putting a change back) stays under the
 * tolerance's makespan ceiling, the limit the churn step trades makespan for fewer moves under.
 */
function belowCeiling(noise: Noise, s: Placement, a: number, b: number, shift: number): boolean {
  const la = s.loads[a] as number;
  const lb = s.loads[b] as number;
  return Math.max(la + shift, lb - shift) <= Math.max(noise.ceiling, la, lb);
}

/** Every move and swap that does not pay, the least valuable first. */
function unpaidChanges(p: Problem, noise: Noise, s: Placement): Unpaid[] {
  const out: Unpaid[] = [];
  // a and b: the two CPUs; shift: the load that putting the change back moves from b to a.
  const consider = (i: number, j: number, a: number, b: number, shift: number, v: MoveValue): void => {
    if (pays(p, s, a, b, v) || !belowCeiling(noise, s, a, b, shift)) return;
    out.push({ i, j, excess: v.gain - v.margin });
  };
  for (const { j, v } of movesOf(p, noise, s)) {
    consider(j, -1, homeOf(p, j), s.assign[j] as number, p.w[j] as number, v);
  }
  for (const [i, j] of swapsOf(p, s)) {
    const shift = (p.w[i] as number) - (p.w[j] as number);
    consider(i, j, s.assign[j] as number, s.assign[i] as number, shift, swapValue(p, noise, s, i, j));
  }
  return out.sort((x, y) => x.excess - y.excess || x.i - y.i || x.j - y.j);
}

/** True when no single move or swap on a pair that includes CPU a or b gains beyond its margin. */
function evenAround(p: Problem, noise: Noise, s: Placement, a: number, b: number): boolean {
  for (let x = 0; x < p.k; x++) {
    for (const c of [a, b]) {
      if (x === c || (x === a && c === b)) continue;
      const [hi, lo] = (s.loads[x] as number) > (s.loads[c] as number) ? [x, c] : [c, x];
      if (bestStep(p, noise, s, hi, lo, EVEN)) return false;
    }
  }
  const [hi, lo] = (s.loads[a] as number) > (s.loads[b] as number) ? [a, b] : [b, a];
  return a === b || bestStep(p, noise, s, hi, lo, EVEN) === null;
}

/**
 * Puts back, one change at a time and the least valuable first, every move and every swap
 * that does not pay for itself, unless putting it back would break the floor: a change whose
 * removal leaves a single move or swap gaining beyond its margin is needed. (Margins depend on
 * which CPU an IRQ sits on, so in rare cases the floor and "every move pays" cannot both hold;
 * the floor comes first.) Never breaks the floor, so the result stays even. Unguarded (after
 * the cap, where the floor may not hold), it puts back every change that does not pay.
 */
export function prune(p: Problem, noise: Noise, s: Placement, budget: WorkBudget, guarded = true): number {
  let undone = 0;
  for (let pass = 0; pass < MAX_PRUNE_PASSES; pass++) {
    budget.spend(1 + p.n / 8);
    let progress = false;
    for (const { i, j } of unpaidChanges(p, noise, s)) {
      if (budget.exhausted()) return undone;
      // Earlier changes in this pass moved loads: look again.
      if (!stillUnpaid(p, noise, s, i, j)) continue;
      const at = s.assign[i] as number;
      const home = homeOf(p, i);
      s.move(i, home);
      if (j >= 0) s.move(j, at);
      budget.spend(2 * p.k);
      if (!guarded || evenAround(p, noise, s, home, at)) {
        progress = true;
        undone++;
        continue;
      }
      s.move(i, at);
      if (j >= 0) s.move(j, home);
      // Needed away from home, but not where it is: it may pay on another CPU.
      if (j < 0 && retarget(p, noise, s, i, budget)) progress = true;
    }
    if (!progress) break;
  }
  return undone;
}

function stillUnpaid(p: Problem, noise: Noise, s: Placement, i: number, j: number): boolean {
  const home = homeOf(p, i);
  const at = s.assign[i] as number;
  if (j < 0) {
    const v = moveValue(p, noise, s, i);
    return v !== null && !pays(p, s, home, at, v) && belowCeiling(noise, s, home, at, p.w[i] as number);
  }
  if (s.assign[j] !== home || homeOf(p, j) !== at) return false;
  const shift = (p.w[i] as number) - (p.w[j] as number);
  return !pays(p, s, home, at, swapValue(p, noise, s, i, j)) && belowCeiling(noise, s, home, at, shift);
}

/** How many of the least-loaded CPUs a move that does not pay may try instead. */
const RETARGETS = 4;

/**
 * Moves IRQ i, which is needed away from home but does not pay where it is, to one of the
 * least-loaded CPUs it may use where it pays, the floor still holds around both CPUs, and the
 * busiest CPU stays the busiest.
 */
function retarget(p: Problem, noise: Noise, s: Placement, i: number, budget: WorkBudget): boolean {
  const at = s.assign[i] as number;
  const home = homeOf(p, i);
  const w = p.w[i] as number;
  let busiest = Number.NEGATIVE_INFINITY;
  for (const l of s.loads) busiest = Math.max(busiest, l);
  const options: number[] = [];
  for (let d = 0; d < p.k; d++) {
    // Never onto a CPU it would make the busiest.
    if (d !== at && d !== home && isAllowed(p, i, d) && (s.loads[d] as number) + w <= busiest)
      options.push(d);
  }
  options.sort((x, y) => (s.loads[x] as number) - (s.loads[y] as number) || x - y);
  for (const d of options.slice(0, RETARGETS)) {
    s.move(i, d);
    budget.spend(2 * p.k);
    const v = moveValue(p, noise, s, i);
    if (v && pays(p, s, home, d, v) && evenAround(p, noise, s, at, d)) return true;
    s.move(i, at);
  }
  return false;
}

/** Puts back the least valuable moves until at most `maxMoves` remain, then prunes again. */
export function cap(p: Problem, noise: Noise, s: Placement, maxMoves: number, budget: WorkBudget): number {
  let dropped = 0;
  for (;;) {
    const moves = movesOf(p, noise, s);
    budget.spend(1 + p.n / 16);
    if (moves.length <= maxMoves) break;
    const worst = leastValuable(moves) as { j: number; v: MoveValue };
    s.move(worst.j, homeOf(p, worst.j));
    dropped++;
  }
  // Past the cap the floor may not hold, so nothing is kept for its sake.
  return dropped > 0 ? dropped + prune(p, noise, s, budget, false) : 0;
}
