/**
 * Single moves and swaps between pairs of CPUs, and the evenness floor they define: no single
 * move of one IRQ, and no swap of two, may lower the higher of its two CPUs' loads by more than
 * a margin. `evenOut` applies such steps, the largest gain first, until none is left;
 * `violation` finds one if there is one. Which margin, and which steps, is the `Rule`.
 *
 * A step on CPUs a (the higher, load La) and b (Lb) with difference D = La − Lb that shifts
 * load x from a to b leaves the pair at max(La − x, Lb + x), so it gains min(x, D − x): the
 * gain is largest for x nearest D/2 and exceeds a margin m only for m < x < D − m. Each CPU's
 * IRQs are kept sorted, so the best move is a binary search and the best swap one per IRQ of a.
 * No step can gain more than D/2, so a pair with D ≤ 2m is dismissed in O(1), and an O(n) walk
 * over the two sorted lists dismisses most of the rest before any gain is computed.
 *
 * Every step lowers the higher load of its pair and leaves both loads between the old two, so
 * the sorted vector of CPU loads falls lexicographically: the busiest CPU never rises and the
 * search cannot cycle.
 */
import type { WorkBudget } from './budget.ts';
import { floorMargin, type Noise, pairMargin } from './noise.ts';
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
 *  - 'floor': a step that gains more than the pair's floor margin (noise.ts): is the placement
 *    balanced at all?
 *  - 'even': a step that gains more than the pair's margin: once IRQs move, every pair is
 *    evened out to its margin.
 *  - 'tighten': on a pair further apart than TIGHT × its margin, any step that gains at all but
 *    adds no move: an IRQ that is away from home may go anywhere, and a swap may also send one
 *    IRQ away while it brings another one home.
 */
export type Rule = { kind: 'floor' } | { kind: 'even' } | { kind: 'tighten'; home: Int32Array };

export const FLOOR: Rule = { kind: 'floor' };
export const EVEN: Rule = { kind: 'even' };

/** Tightening leaves a pair alone once its difference is within this fraction of its margin. */
export const TIGHT = 0.5;

/** The margin a step under `rule` must beat on CPUs with variances va and vb. */
function ruleMargin(noise: Noise, rule: Rule, va: number, vb: number): number {
  return rule.kind === 'floor' ? floorMargin(noise, va, vb) : pairMargin(noise, va, vb);
}

/** O(1): can any step on a pair this far apart satisfy the rule? (No step gains more than D/2.) */
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
  const margin = ruleMargin(noise, rule, s.vars[a] as number, s.vars[b] as number);
  if (!mayStep(rule, d, margin)) return null;
  const need = (rule.kind === 'tighten' ? 0 : margin) + slack(p, la, lb);
  const half = d / 2;
  if (!(half > need) || !anyShiftIn(p, s, a, b, need, d - need)) return null;
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
      best = { a, b, i: x, j: -1, gain: g, margin };
      bestGain = g;
      break;
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
        best = { a, b, i: x, j: y, gain: g, margin };
        bestGain = g;
        break;
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
 * A max-heap of pairs to look at, by key: for a pair not yet examined at its current version,
 * the key is D/2, a bound on any step's gain; for an examined pair, its best step's gain. Ties
 * go to lower CPU positions, so the order is deterministic. Entries carry the two CPUs'
 * versions and are skipped once either CPU has changed (a fresh entry was queued then).
 * Entries live in typed arrays and the heap orders their indices, so nothing is allocated per
 * entry.
 */
class PairHeap {
  private key = new Float64Array(1024);
  private cpus = new Int32Array(4 * 1024); // a, b, va, vb per entry
  private ref = new Int32Array(1024);
  private heap = new Int32Array(1024);
  private free: number[] = [];
  private used = 0;
  private n = 0;
  readonly steps: Step[] = [];

  get size(): number {
    return this.n;
  }

  private above(x: number, y: number): boolean {
    const kx = this.key[x] as number;
    const ky = this.key[y] as number;
    if (kx !== ky) return kx > ky;
    const ax = this.cpus[4 * x] as number;
    const ay = this.cpus[4 * y] as number;
    if (ax !== ay) return ax < ay;
    const bx = this.cpus[4 * x + 1] as number;
    const by = this.cpus[4 * y + 1] as number;
    if (bx !== by) return bx < by;
    // An examined step before a bound of the same value.
    return (this.ref[x] as number) > (this.ref[y] as number);
  }

  private grow(): void {
    const size = this.key.length * 2;
    const key = new Float64Array(size);
    key.set(this.key);
    const cpus = new Int32Array(4 * size);
    cpus.set(this.cpus);
    const ref = new Int32Array(size);
    ref.set(this.ref);
    const heap = new Int32Array(size);
    heap.set(this.heap);
    this.key = key;
    this.cpus = cpus;
    this.ref = ref;
    this.heap = heap;
  }

  push(key: number, a: number, b: number, va: number, vb: number, ref: number): void {
    let e = this.free.pop();
    if (e === undefined) {
      if (this.used === this.key.length) this.grow();
      e = this.used++;
    }
    this.key[e] = key;
    this.cpus[4 * e] = a;
    this.cpus[4 * e + 1] = b;
    this.cpus[4 * e + 2] = va;
    this.cpus[4 * e + 3] = vb;
    this.ref[e] = ref;
    const h = this.heap;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pe = h[parent] as number;
      if (!this.above(e, pe)) break;
      h[i] = pe;
      i = parent;
    }
    h[i] = e;
  }

  /** Removes the top entry into `out` as [a, b, va, vb, ref]. */
  pop(out: Int32Array): void {
    const h = this.heap;
    const top = h[0] as number;
    out[0] = this.cpus[4 * top] as number;
    out[1] = this.cpus[4 * top + 1] as number;
    out[2] = this.cpus[4 * top + 2] as number;
    out[3] = this.cpus[4 * top + 3] as number;
    out[4] = this.ref[top] as number;
    this.free.push(top);
    const last = h[--this.n] as number;
    if (this.n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      let m = l;
      if (r < this.n && this.above(h[r] as number, h[l] as number)) m = r;
      if (!this.above(h[m] as number, last)) break;
      h[i] = h[m] as number;
      i = m;
    }
    h[i] = last;
  }
}

export function applyStep(s: Placement, step: Step): void {
  s.move(step.i, step.b);
  if (step.j >= 0) s.move(step.j, step.a);
}

/**
 * Applies the steps the rule allows, the largest gain first, until there are none (converged)
 * or the budget runs out. Pairs are examined lazily, in order of D/2, which bounds the gain of
 * any step on them: the best step is applied as soon as no unexamined pair could beat it, and
 * a pair whose CPUs change is queued again with its new bound. `steps` counts what it applied.
 */
export function evenOut(
  p: Problem,
  noise: Noise,
  s: Placement,
  budget: WorkBudget,
  rule: Rule,
): { converged: boolean; steps: number } {
  const heap = new PairHeap();
  const loads = s.loads;
  const vars = s.vars;
  const version = s.version;
  // Margins without a square root when every margin is the same (exact input).
  const flat = noise.exact;
  const flatMargin = noise.allowance;
  const factor = rule.kind === 'floor' ? noise.zFloor : noise.z;
  const tight = rule.kind === 'tighten';
  let examined = 0;
  // Pairs are queued with D/2, a bound on any step's gain, after an O(n) test that some step
  // could exist, and examined fully only when they reach the top: the best step is applied as
  // soon as no queued pair could beat it.
  const queue = (x: number, y: number): void => {
    const lx = loads[x] as number;
    const ly = loads[y] as number;
    const xHigher = lx > ly || (lx === ly && x < y);
    const d = xHigher ? lx - ly : ly - lx;
    if (!(d > 0)) return;
    const margin = flat
      ? flatMargin
      : factor * Math.sqrt(Math.max(0, (vars[x] as number) + (vars[y] as number))) + flatMargin;
    if (tight ? !(d > TIGHT * margin) : !(d / 2 > margin)) return;
    const a = xHigher ? x : y;
    const b = xHigher ? y : x;
    const need = (tight ? 0 : margin) + slack(p, loads[a] as number, loads[b] as number);
    examined += 0.1 + ((s.members[a] as number[]).length + (s.members[b] as number[]).length) / 64;
    if (!(d / 2 > need) || !anyShiftIn(p, s, a, b, need, d - need)) return;
    heap.push(d / 2, a, b, version[a] as number, version[b] as number, -1);
  };
  for (let x = 0; x < p.k; x++) for (let y = x + 1; y < p.k; y++) queue(x, y);
  budget.spend(0.01 * p.k * p.k + examined);
  let steps = 0;
  const top = new Int32Array(5);
  while (heap.size > 0) {
    if (budget.exhausted()) return { converged: false, steps };
    heap.pop(top);
    const [a, b, va, vb, ref] = top as unknown as [number, number, number, number, number];
    // Changed since it was queued: it was queued afresh then.
    if (version[a] !== va || version[b] !== vb) continue;
    if (ref < 0) {
      budget.spend(pairCost(s, a, b));
      const step = bestStep(p, noise, s, a, b, rule);
      if (step) {
        heap.steps.push(step);
        heap.push(step.gain, a, b, va, vb, heap.steps.length - 1);
      }
      continue;
    }
    applyStep(s, heap.steps[ref] as Step);
    steps++;
    examined = 0;
    for (let x = 0; x < p.k; x++) {
      if (x === a || x === b) continue;
      queue(x, a);
      queue(x, b);
    }
    queue(a, b);
    budget.spend(0.02 * p.k + examined);
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
