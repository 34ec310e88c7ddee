/**
 * Single moves and swaps between pairs of CPUs, and the evenness floor they define: no single
 * move of one IRQ, and no swap of two, may lower the higher of its two CPUs' loads by more than
 * a margin. `evenOut` applies such steps, the largest gain first, until none is left;
 * `violation` finds one if there is one. Which margin, and which steps, is the `Rule`.
 *
 * A step on CPUs a (the higher, load La) and b (Lb) with difference D = La − Lb that shifts
 * load x from a to b leaves the pair at max(La − x, Lb + x), so it gains min(x, D − x): the
 * gain is largest for x nearest D/2. It counts when x and D − x each clear their own standard
 * errors, on a pair whose D/2 exceeds the pair margin z·√(Va + Vb) (`stepMargin`). Each CPU's
 * IRQs are kept sorted, so the best move is a walk out from a binary search and the best swap
 * one such walk per IRQ of a. A pair with D/2 within its margin is dismissed in O(1), and an O(n)
 * walk over the two sorted lists dismisses most of the rest before any gain is computed.
 *
 * Every step lowers the higher load of its pair and leaves both loads between the old two, so
 * the sorted vector of CPU loads falls lexicographically: the busiest CPU never rises and the
 * search cannot cycle.
 */
import type { WorkBudget } from './budget.ts';
import { floorMargin, type Noise, pairMargin, stepMargin } from './noise.ts';
import type { Placement } from './placement.ts';
import { isAllowed, type Problem } from './problem.ts';

export interface Step {
  /** The higher CPU of the pair (gives load) and the lower one (takes it). */
  a: number;
  b: number;
  /** The item moved from a to b. */
  i: number;
  /** For a swap, the item moved from b to a; -1 for a single move. */
  j: number;
  gain: number;
  margin: number;
}

/**
 * Slack for rounding in sums of non-integer loads; 0 when every load is an integer, where sums
 * (below 2^53) are exact and comparisons must be exact too.
 */
export function slack(p: Problem, la: number, lb: number): number {
  return p.integral ? 0 : 1e-9 * (Math.abs(la) + Math.abs(lb));
}

/**
 * Which steps a search may take.
 *  - 'floor': a step that gains more than its margin at the floor's z (noise.ts): is the
 *    placement balanced at all?
 *  - 'even': a step that gains more than its margin at z: once IRQs move, every pair is
 *    evened out to the noise.
 *  - 'tighten': on a pair further apart than TIGHT × its margin, any step that gains at all but
 *    adds no move: an IRQ that is away from home may go anywhere, and a swap may also send one
 *    IRQ away while it brings another one home.
 */
export type Rule = { kind: 'floor' } | { kind: 'even' } | { kind: 'tighten'; home: Int32Array };

export const FLOOR: Rule = { kind: 'floor' };
export const EVEN: Rule = { kind: 'even' };

/** Tightening leaves a pair alone once its difference is within this fraction of its margin. */
export const TIGHT = 0.5;

/** The pair margin under `rule` on CPUs with variances va and vb: the z of the rule times √(va + vb). */
function ruleMargin(noise: Noise, rule: Rule, va: number, vb: number): number {
  return rule.kind === 'floor' ? floorMargin(noise, va, vb) : pairMargin(noise, va, vb);
}

/** O(1): can any step on a pair this far apart satisfy the rule? (Evened, the pair gains D/2.) */
function mayStep(rule: Rule, d: number, margin: number): boolean {
  return rule.kind === 'tighten' ? d > 0 && d > TIGHT * margin : d / 2 > margin;
}

/**
 * O(n_a + n_b): is there any move or swap from a to b whose load shift lies in the open window
 * (lo, hi), disregarding per-IRQ CPU limits? Both CPUs' IRQs are sorted, so one merge-like walk
 * answers for swaps. Most pairs on an even placement fail this, before any gain is computed.
 */
function anyShiftIn(p: Problem, s: Placement, a: number, b: number, lo: number, hi: number): boolean {
  const w = p.w;
  const onA = s.members[a] as number[];
  const onB = s.members[b] as number[];
  const i = s.lowerIndex(a, lo);
  // The lightest item above lo: a single move of it fits when it is below hi.
  for (let x = i; x < onA.length; x++) {
    const wx = w[onA[x] as number] as number;
    if (wx >= hi) break;
    if (wx > lo) return true;
  }
  // Swaps: x on a (ascending) with y on b such that lo < wx − wy < hi, i.e. wx − hi < wy < wx − lo.
  let j = 0;
  for (let x = 0; x < onA.length; x++) {
    const wx = w[onA[x] as number] as number;
    if (!(wx > lo)) continue;
    while (j < onB.length && (w[onB[j] as number] as number) <= wx - hi) j++;
    if (j < onB.length && (w[onB[j] as number] as number) < wx - lo) return true;
  }
  return false;
}

/** The best single move or swap from a to b that the rule allows, or null. */
export function bestStep(
  p: Problem,
  noise: Noise,
  s: Placement,
  a: number,
  b: number,
  rule: Rule = FLOOR,
): Step | null {
  const la = s.loads[a] as number;
  const lb = s.loads[b] as number;
  const d = la - lb;
  const va = s.vars[a] as number;
  const vb = s.vars[b] as number;
  const pair = ruleMargin(noise, rule, va, vb);
  if (!mayStep(rule, d, pair)) return null;
  const tight = rule.kind === 'tighten';
  const sl = slack(p, la, lb);
  // Every step's own margin is at least the allowance (stepMargin), so no gain below it counts.
  const need = (tight ? 0 : noise.allowance) + sl;
  const half = d / 2;
  if (!(half > need) || !anyShiftIn(p, s, a, b, need, d - need)) return null;
  const z = rule.kind === 'floor' ? noise.zFloor : noise.z;
  const itemVar = noise.itemVar;
  // The margin of a step shifting x with variance vx: tightening takes any gain at all.
  const marginFor = (x: number, vx: number): number =>
    tight ? pair : stepMargin(noise, z, x, vx, d, va + vb);
  const counts = (g: number, margin: number): boolean => tight || g > margin + sl;
  // Tightening may not add a move: it counts IRQs away from home before and after a step.
  const home = rule.kind === 'tighten' ? rule.home : null;
  const w = p.w;
  const onA = s.members[a] as number[];
  const onB = s.members[b] as number[];
  let best: Step | null = null;
  let bestGain = need;

  // Single moves: walk outwards from the item nearest D/2; the first allowed one is the best.
  // A step moving x gains D/2 − |x − D/2|.
  let r = s.lowerIndex(a, half);
  let l = r - 1;
  while (l >= 0 || r < onA.length) {
    const gl = l >= 0 ? half - Math.abs((w[onA[l] as number] as number) - half) : Number.NEGATIVE_INFINITY;
    const gr =
      r < onA.length ? half - Math.abs((w[onA[r] as number] as number) - half) : Number.NEGATIVE_INFINITY;
    const useLeft = gl >= gr;
    const g = useLeft ? gl : gr;
    if (!(g > bestGain)) break;
    const x = onA[useLeft ? l : r] as number;
    if ((home === null || home[x] !== a) && isAllowed(p, x, b)) {
      const margin = marginFor(w[x] as number, itemVar[x] as number);
      if (counts(g, margin)) {
        best = { a, b, i: x, j: -1, gain: g, margin };
        bestGain = g;
        break;
      }
    }
    if (useLeft) l--;
    else r++;
  }

  // Swaps: for each item x on a, the item y on b with x − y nearest D/2.
  for (let ia = onA.length - 1; ia >= 0 && bestGain < half; ia--) {
    const x = onA[ia] as number;
    const wx = w[x] as number;
    // x − y ≤ wx, so a swap with this or any lighter x gains at most wx.
    if (!(wx > bestGain)) break;
    if (!isAllowed(p, x, b)) continue;
    const xAwayNow = home === null || home[x] !== a ? 1 : 0;
    const xAwayThen = home === null || home[x] !== b ? 1 : 0;
    const target = wx - half;
    let rr = s.lowerIndex(b, target);
    let ll = rr - 1;
    while (ll >= 0 || rr < onB.length) {
      const gl =
        ll >= 0 ? half - Math.abs(wx - (w[onB[ll] as number] as number) - half) : Number.NEGATIVE_INFINITY;
      const gr =
        rr < onB.length
          ? half - Math.abs(wx - (w[onB[rr] as number] as number) - half)
          : Number.NEGATIVE_INFINITY;
      const useLeft = gl >= gr;
      const g = useLeft ? gl : gr;
      if (!(g > bestGain)) break;
      const y = onB[useLeft ? ll : rr] as number;
      const neutral =
        home === null || xAwayThen + (home[y] !== a ? 1 : 0) <= xAwayNow + (home[y] !== b ? 1 : 0);
      if (neutral && isAllowed(p, y, a)) {
        const wy = w[y] as number;
        const margin = marginFor(wx - wy, (itemVar[x] as number) + (itemVar[y] as number));
        if (counts(g, margin)) {
          best = { a, b, i: x, j: y, gain: g, margin };
          bestGain = g;
          break;
        }
      }
      if (useLeft) ll--;
      else rr++;
    }
  }
  return best;
}

/** Work units for one pair check: two binary searches and one per item of the higher CPU. */
function pairCost(s: Placement, a: number, b: number): number {
  const na = (s.members[a] as number[]).length;
  const nb = (s.members[b] as number[]).length;
  return 0.5 + ((na + 1) * (1 + Math.log2(nb + 1))) / 16;
}

/**
 * The pairs of CPUs still to look at, at most one entry per pair, by key: for a pair not yet
 * examined since its CPUs last changed, D/2, a bound on any step's gain; for an examined pair,
 * its best step's gain. An indexed binary max-heap over pair ids (min·k + max), so a pair whose
 * CPUs change is updated in place rather than queued again; only the position index is k² long.
 * Ties go to single moves, then to the lower pair id, so the order is deterministic.
 */
class PairQueue {
  /** Heap position of each pair, or -1. */
  private readonly pos: Int32Array;
  // By heap position: the pair, its key, its higher CPU, its examined step (null: a bound).
  private id = new Int32Array(256);
  private key = new Float64Array(256);
  private hi = new Int32Array(256);
  private step: Array<Step | null> = [];
  private n = 0;
  private readonly k: number;

  constructor(k: number) {
    this.k = k;
    this.pos = new Int32Array(k * k).fill(-1);
  }

  get size(): number {
    return this.n;
  }

  /** Empties the queue in O(entries), so one queue serves every search on a problem. */
  clear(): void {
    for (let i = 0; i < this.n; i++) this.pos[this.id[i] as number] = -1;
    this.n = 0;
    this.step.length = 0;
  }

  /** Position x above position y: higher key; on a tie, a move (or a bound) before a swap. */
  private above(x: number, y: number): boolean {
    const kx = this.key[x] as number;
    const ky = this.key[y] as number;
    if (kx !== ky) return kx > ky;
    const sx = (this.step[x]?.j ?? -1) >= 0 ? 1 : 0;
    const sy = (this.step[y]?.j ?? -1) >= 0 ? 1 : 0;
    return sx !== sy ? sx < sy : (this.id[x] as number) < (this.id[y] as number);
  }

  private swap(x: number, y: number): void {
    const ix = this.id[x] as number;
    const iy = this.id[y] as number;
    this.id[x] = iy;
    this.id[y] = ix;
    this.pos[iy] = x;
    this.pos[ix] = y;
    const kx = this.key[x] as number;
    this.key[x] = this.key[y] as number;
    this.key[y] = kx;
    const hx = this.hi[x] as number;
    this.hi[x] = this.hi[y] as number;
    this.hi[y] = hx;
    const sx = this.step[x] ?? null;
    this.step[x] = this.step[y] ?? null;
    this.step[y] = sx;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const m = r < this.n && this.above(r, l) ? r : l;
      if (!this.above(m, i)) break;
      this.swap(i, m);
      i = m;
    }
  }

  private grow(): void {
    const size = this.id.length * 2;
    const id = new Int32Array(size);
    id.set(this.id);
    const key = new Float64Array(size);
    key.set(this.key);
    const hi = new Int32Array(size);
    hi.set(this.hi);
    this.id = id;
    this.key = key;
    this.hi = hi;
  }

  private idOf(x: number, y: number): number {
    return x < y ? x * this.k + y : y * this.k + x;
  }

  /** Queues or updates the pair (a higher than b) with this key and examined step, if any. */
  set(a: number, b: number, key: number, step: Step | null): void {
    const id = this.idOf(a, b);
    let at = this.pos[id] as number;
    if (at < 0) {
      if (this.n === this.id.length) this.grow();
      at = this.n++;
      this.id[at] = id;
      this.pos[id] = at;
    }
    this.key[at] = key;
    this.hi[at] = a;
    this.step[at] = step;
    this.up(at);
    this.down(this.pos[id] as number);
  }

  remove(x: number, y: number): void {
    const id = this.idOf(x, y);
    const at = this.pos[id] as number;
    if (at < 0) return;
    const last = --this.n;
    if (at !== last) {
      this.swap(at, last);
      this.pos[id] = -1;
      this.step[last] = null;
      this.up(at);
      this.down(at);
    } else {
      this.pos[id] = -1;
      this.step[last] = null;
    }
  }

  /** The top pair: [higher CPU, lower CPU, its examined step or null]. */
  top(): [number, number, Step | null] {
    const id = this.id[0] as number;
    const a = this.hi[0] as number;
    const lo = Math.floor(id / this.k);
    const b = lo === a ? id % this.k : lo;
    return [a, b, this.step[0] ?? null];
  }
}

/** One queue per problem: its k² arrays are too large to allocate for every search. */
const queues = new WeakMap<Problem, PairQueue>();

function queueFor(p: Problem): PairQueue {
  let q = queues.get(p);
  if (!q) {
    q = new PairQueue(p.k);
    queues.set(p, q);
  }
  q.clear();
  return q;
}

export function applyStep(s: Placement, step: Step): void {
  s.move(step.i, step.b);
  if (step.j >= 0) s.move(step.j, step.a);
}

/**
 * Applies the steps the rule allows, the largest gain first, until there are none (converged)
 * or the budget runs out. With `only`, the placement is known to have no such step on pairs
 * of CPUs outside it, and the first look is at pairs with a CPU in it. Pairs are queued with D/2, a bound on any step's gain, after an O(n)
 * test that some step could exist, and examined fully only when they reach the top: the best
 * step is applied as soon as no queued pair could beat it. When a step changes two CPUs, every
 * pair with one of them is queued afresh. `steps` counts what it applied.
 */
export function evenOut(
  p: Problem,
  noise: Noise,
  s: Placement,
  budget: WorkBudget,
  rule: Rule,
  only?: Uint8Array,
): { converged: boolean; steps: number } {
  const queue = queueFor(p);
  const loads = s.loads;
  const vars = s.vars;
  // Margins without a square root when every margin is the same (exact input).
  const flat = noise.exact;
  const flatMargin = noise.allowance;
  const factor = rule.kind === 'floor' ? noise.zFloor : noise.z;
  const tight = rule.kind === 'tighten';
  let examined = 0;
  const look = (x: number, y: number): void => {
    const lx = loads[x] as number;
    const ly = loads[y] as number;
    const xHigher = lx > ly || (lx === ly && x < y);
    const d = xHigher ? lx - ly : ly - lx;
    const a = xHigher ? x : y;
    const b = xHigher ? y : x;
    const margin = flat
      ? flatMargin
      : factor * Math.sqrt(Math.max(0, (vars[x] as number) + (vars[y] as number))) + flatMargin;
    const need = (tight ? 0 : flatMargin) + slack(p, lx, ly);
    let possible = d > 0 && (tight ? d > TIGHT * margin : d / 2 > margin) && d / 2 > need;
    if (possible) {
      examined += 0.1 + ((s.members[a] as number[]).length + (s.members[b] as number[]).length) / 64;
      possible = anyShiftIn(p, s, a, b, need, d - need);
    }
    if (possible) queue.set(a, b, d / 2, null);
    else queue.remove(a, b);
  };
  for (let x = 0; x < p.k; x++) {
    for (let y = x + 1; y < p.k; y++) if (!only || only[x] === 1 || only[y] === 1) look(x, y);
  }
  budget.spend(0.01 * p.k * p.k + examined);
  let steps = 0;
  while (queue.size > 0) {
    if (budget.exhausted()) return { converged: false, steps };
    const [a, b, step] = queue.top();
    if (step === null) {
      budget.spend(pairCost(s, a, b));
      const found = bestStep(p, noise, s, a, b, rule);
      if (found) queue.set(a, b, found.gain, found);
      else queue.remove(a, b);
      continue;
    }
    applyStep(s, step);
    steps++;
    examined = 0;
    for (let x = 0; x < p.k; x++) {
      if (x === a || x === b) continue;
      look(x, a);
      look(x, b);
    }
    look(a, b);
    budget.spend(0.03 * p.k + examined);
  }
  return { converged: true, steps };
}

/** The first step the rule allows, or null: O(k²) cheap checks plus the pairs that pass them. */
export function violation(
  p: Problem,
  noise: Noise,
  s: Placement,
  rule: Rule,
  budget?: WorkBudget,
): Step | null {
  for (let a = 0; a < p.k; a++) {
    for (let b = 0; b < p.k; b++) {
      if (a === b || !((s.loads[a] as number) > (s.loads[b] as number))) continue;
      budget?.spend(0.05);
      const step = bestStep(p, noise, s, a, b, rule);
      if (step) return step;
    }
  }
  return null;
}
