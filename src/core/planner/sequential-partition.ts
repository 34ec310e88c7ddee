/**
 * Exact multi-way partitioning for small instances: sequential number partitioning (SNP) driven
 * by iterative weakening, after Schreiber, Korf and Moffitt, "Optimal Multi-Way Number
 * Partitioning" (JACM 2018).
 *
 * The search is a sequence of decision problems, "can every CPU stay at or below C?", with C
 * between the lower bound and the best plan found. Each decision fills the CPUs one after another with a whole subset
 * of the remaining IRQs (SNP), so the pruning acts on complete CPU loads: a subset must fit under
 * C, and it must leave no more than the later CPUs can take. That window is narrow when C is near
 * the average load, which is where proofs are hard and where item-by-item branch-and-bound is weak.
 *
 * Iterative weakening: when a decision fails, every pruning test that cut it records the smallest C
 * at which it would have passed, and the smallest of those is a proven bound: for any C below it the
 * search tree is the same and fails the same way. Failed states are cached with that threshold (the
 * "cached" part: a state proven to fail below t is never searched again below t), so repeated
 * decisions are cheap. Which C to try next: the paper steps from the bound upwards; here C bisects
 * the interval between that proven bound and the best plan found (a success lowers the top, a
 * failure lifts the bottom to its threshold), which on these instances needed far fewer decisions
 * when the optimum lies well above the bound. The search ends when the two meet: the optimum.
 *
 * Constraints: CPUs with the same fixed load and the same eligibility for every IRQ form groups of
 * interchangeable CPUs, filled consecutively. Inside a group the CPUs are ordered by their largest
 * IRQ, which breaks the symmetry; with one group (no per-IRQ limits, equal fixed loads) this is
 * exactly SNP's rule that each CPU takes the largest remaining IRQ. A CPU takes only IRQs allowed
 * on it, and an IRQ whose last allowed CPU is being filled must go there.
 *
 * Bin-completion dominance (Korf): a subset that leaves room for a smaller excluded IRQ, or could
 * swap one of its IRQs for a larger excluded one and still fit, is dominated by the subset with
 * that change, whose search covers every solution of the first. Both tests only get stronger as C
 * grows, so they never hide a C at which the search would change.
 */
import type { WorkBudget } from './budget.ts';
import type { Problem } from './problem.ts';

export interface SequentialResult {
  /** An assignment with a smaller makespan than the incumbent, or null if none was found. */
  assign: Int32Array | null;
  makespan: number;
  /** True when the search proved `makespan` optimal. */
  complete: boolean;
  /** Decision problems solved (values of C tried). */
  iterations: number;
}

/** IRQs with a non-zero load that SNP handles; beyond this, branch-and-bound takes over. */
export const SEQUENTIAL_MAX_ITEMS = 40;

/** Cached failed states kept at most; beyond it the search goes on without caching more. */
const MEMO_MAX = 400_000;

const nonZero = (p: Problem): number => {
  let m = 0;
  for (let j = 0; j < p.n; j++) if ((p.w[j] as number) > 0) m++;
  return m;
};

/** Small enough: at most 40 IRQs with load, and the state key (remaining set, symmetry limit, CPU) exact in a double. */
export function canPartitionSequentially(p: Problem): boolean {
  const m = nonZero(p);
  return p.k >= 2 && m <= SEQUENTIAL_MAX_ITEMS && 2 ** m * (m + 2) * p.k < 2 ** 53;
}

/** Zero loads change no makespan: each stays on its current CPU when allowed, else its first allowed. */
function placeZero(p: Problem, j: number): number {
  const cur = p.current[j] as number;
  const mask = p.allowedMask[j];
  if (cur >= 0 && (mask === null || mask === undefined || mask[cur] === 1)) return cur;
  const list = p.allowed[j];
  return list ? (list[0] as number) : 0;
}

export function sequentialPartition(
  p: Problem,
  incumbentMakespan: number,
  lowerBound: number,
  budget: WorkBudget,
): SequentialResult {
  const k = p.k;
  const items: number[] = [];
  for (let j = 0; j < p.n; j++) if ((p.w[j] as number) > 0) items.push(j);
  // Largest first; equal loads with the same allowed set next to each other (a run).
  const setId = new Map<Int32Array | null | undefined, number>();
  for (const j of items) if (!setId.has(p.allowed[j])) setId.set(p.allowed[j], setId.size);
  const setOf = (j: number): number => setId.get(p.allowed[j]) as number;
  items.sort((a, b) => (p.w[b] as number) - (p.w[a] as number) || setOf(a) - setOf(b) || a - b);
  const m = items.length;
  const w = Float64Array.from(items, (j) => p.w[j] as number);
  const pow2 = Float64Array.from({ length: m }, (_, t) => 2 ** t);

  // Groups of interchangeable CPUs: same fixed load, same eligibility for every IRQ.
  const signature = (c: number): string => {
    let s = `${p.base[c]}|`;
    for (const j of items) {
      const mask = p.allowedMask[j];
      s += mask === null || mask === undefined || mask[c] === 1 ? '1' : '0';
    }
    return s;
  };
  const groups = new Map<string, number[]>();
  for (let c = 0; c < k; c++) {
    const sig = signature(c);
    const g = groups.get(sig);
    if (g) g.push(c);
    else groups.set(sig, [c]);
  }
  const eligibleCount = (c: number): number => {
    let e = 0;
    for (const j of items) {
      const mask = p.allowedMask[j];
      if (mask === null || mask === undefined || mask[c] === 1) e++;
    }
    return e;
  };
  // Tightest CPUs first: the highest fixed load, then the fewest IRQs allowed.
  const ordered = [...groups.values()].sort(
    (a, b) =>
      (p.base[b[0] as number] as number) - (p.base[a[0] as number] as number) ||
      eligibleCount(a[0] as number) - eligibleCount(b[0] as number) ||
      (a[0] as number) - (b[0] as number),
  );
  const binCpu = new Int32Array(k);
  const binBase = new Float64Array(k);
  const groupStart = new Int32Array(k);
  const groupEnd = new Int32Array(k);
  {
    let i = 0;
    for (const g of ordered) {
      const start = i;
      for (const c of g) {
        binCpu[i] = c;
        binBase[i] = p.base[c] as number;
        i++;
      }
      for (let b = start; b < i; b++) {
        groupStart[b] = start;
        groupEnd[b] = i;
      }
    }
  }
  const laterBase = new Float64Array(k);
  for (let i = k - 2; i >= 0; i--) laterBase[i] = (laterBase[i + 1] as number) + (binBase[i + 1] as number);

  const eligible = new Uint8Array(m * k);
  const lastElig = new Int32Array(m).fill(-1);
  for (let t = 0; t < m; t++) {
    const mask = p.allowedMask[items[t] as number];
    for (let i = 0; i < k; i++) {
      if (mask === null || mask === undefined || mask[binCpu[i] as number] === 1) {
        eligible[t * k + i] = 1;
        lastElig[t] = i;
      }
    }
  }
  // Equal IRQs (same load, same allowed set) are interchangeable: a CPU takes a prefix of a run.
  const run = new Int32Array(m);
  for (let t = 1; t < m; t++) {
    const same = w[t] === w[t - 1] && setOf(items[t] as number) === setOf(items[t - 1] as number);
    run[t] = same ? (run[t - 1] as number) : t;
  }
  // A swap (x out, larger y in) needs x allowed wherever y may go.
  const covers = (x: number, y: number): boolean => {
    const ax = p.allowed[items[x] as number];
    return ax === null || ax === undefined || ax === p.allowed[items[y] as number];
  };

  const integral = p.integral;
  // Fractional sums depend on the order of addition; the "leave no more than the rest can take"
  // test must not cut a subset for an error in the last bits (it is a pruning test only: a bin
  // that really leaves too much fails on the next CPU).
  let scale = 0;
  for (let t = 0; t < m; t++) scale += w[t] as number;
  for (let c = 0; c < k; c++) scale += p.base[c] as number;
  const slack = integral ? 0 : 1e-12 * scale;
  const ratio = (x: number, d: number): number => (integral ? Math.ceil(x / d) : x / d);

  const inRem = new Uint8Array(m).fill(1);
  let remMask = 0;
  for (let t = 0; t < m; t++) remMask += pow2[t] as number;
  let remSum = 0;
  for (let t = 0; t < m; t++) remSum += w[t] as number;
  let remCount = m;
  const binOf = new Int32Array(m).fill(-1);
  const inBin = new Uint8Array(m);
  const memo = new Map<number, number>();
  const limKeys = m + 2;

  let C = 0;
  let found: Int32Array | null = null;
  let aborted = false;
  let work = 0;
  // A subset step costs about a sixth of a work unit, a CPU node (scan, cache look-up) a few units.
  const TICKS_PER_UNIT = 6;
  const nodeTicks = 8 + (m >> 1);
  const tick = (n: number): boolean => {
    work += n;
    if (work >= 256 * TICKS_PER_UNIT) {
      work -= 256 * TICKS_PER_UNIT;
      if (!budget.spend(256)) aborted = true;
    }
    return !aborted;
  };

  // Per-depth scratch for candidate lists, so the search allocates nothing per node.
  const candAt: Int32Array[] = Array.from({ length: k }, () => new Int32Array(m));
  const availAt: Float64Array[] = Array.from({ length: k }, () => new Float64Array(m + 1));

  const solveBin = (i: number, lim: number): number => {
    if (remCount === 0) {
      found = new Int32Array(p.n);
      for (let j = 0; j < p.n; j++) found[j] = placeZero(p, j);
      for (let t = 0; t < m; t++) found[items[t] as number] = binCpu[binOf[t] as number] as number;
      return C;
    }
    if (i === k || !tick(nodeTicks)) return Number.POSITIVE_INFINITY;
    const limKey = groupStart[i] === i ? 0 : lim + 1;
    const key = (remMask * limKeys + limKey) * k + i;
    const cached = memo.get(key);
    if (cached !== undefined && cached > C) return cached;

    const base = binBase[i] as number;
    const cap = C - base;
    if (cap < 0) return base;
    const after = k - 1 - i;
    const later = laterBase[i] as number;
    const need = remSum - (after * C - later) - slack;
    const gEnd = groupEnd[i] as number;

    // Candidates, forced IRQs (this is their last allowed CPU) and the symmetry limit.
    const cands = candAt[i] as Int32Array;
    let nc = 0;
    let mustG = -1;
    for (let t = 0; t < m; t++) {
      if (!inRem[t]) continue;
      const last = lastElig[t] as number;
      if (last < i) return Number.POSITIVE_INFINITY;
      if (!eligible[t * k + i]) continue;
      // An IRQ that can only go to this group must be in the group's CPU with the largest IRQ.
      if (mustG < 0 && last < gEnd) mustG = t;
      if (t > lim) cands[nc++] = t;
      else if (last === i || last < gEnd) return Number.POSITIVE_INFINITY;
    }
    const avail = availAt[i] as Float64Array;
    avail[nc] = 0;
    for (let q = nc - 1; q >= 0; q--) avail[q] = (avail[q + 1] as number) + (w[cands[q] as number] as number);

    let next = Number.POSITIVE_INFINITY;
    const sameGroupNext = i + 1 < k && groupStart[i + 1] === groupStart[i];

    const leaf = (s: number, first: number): void => {
      // Dominance: room for an excluded IRQ, or a swap for a larger excluded one that still fits.
      const room = cap - s;
      let lastOut = -1;
      for (let q = 0; q < nc; q++) {
        const t = cands[q] as number;
        if (inBin[t]) {
          if (t !== first && lastOut > first && covers(t, lastOut)) {
            const gain = (w[lastOut] as number) - (w[t] as number);
            if (gain > 0 && gain <= room) return;
          }
        } else if (t > first || first < 0) {
          if ((w[t] as number) <= room) return;
          lastOut = t;
        }
      }
      // Place the subset and go to the next CPU.
      let placedMask = 0;
      let placedCount = 0;
      for (let q = 0; q < nc; q++) {
        const t = cands[q] as number;
        if (!inBin[t]) continue;
        inRem[t] = 0;
        binOf[t] = i;
        placedMask += pow2[t] as number;
        placedCount++;
      }
      remMask -= placedMask;
      remSum -= s;
      remCount -= placedCount;
      const childLim = sameGroupNext ? (first < 0 ? m : first) : -1;
      const t = solveBin(i + 1, childLim);
      remMask += placedMask;
      remSum += s;
      remCount += placedCount;
      for (let q = 0; q < nc; q++) {
        const u = cands[q] as number;
        if (inBin[u]) inRem[u] = 1;
      }
      if (t < next) next = t;
    };

    const pick = (q: number, s: number, first: number): void => {
      if (found || aborted) return;
      if (s + (avail[q] as number) < need) {
        // Too little left to take: the later CPUs could absorb the rest only at a larger C.
        if (after > 0) {
          const t = ratio(remSum - s - (avail[q] as number) + later, after);
          if (t < next) next = t;
        }
        return;
      }
      if (q === nc) {
        leaf(s, first);
        return;
      }
      if (!tick(1)) return;
      const t = cands[q] as number;
      const wt = w[t] as number;
      const orderOk = first >= 0 || mustG < 0 || t <= mustG;
      if (orderOk) {
        if (s + wt <= cap) {
          inBin[t] = 1;
          pick(q + 1, s + wt, first >= 0 ? first : t);
          inBin[t] = 0;
          if (found || aborted) return;
        } else if (s + wt + base < next) next = s + wt + base;
      }
      // Leave t out: not if this is its last CPU, not if it is the group's largest that must lead.
      if (lastElig[t] === i) return;
      if (first < 0 && mustG >= 0 && t >= mustG) return;
      let r = q + 1;
      while (r < nc && run[cands[r] as number] === run[t]) r++;
      pick(r, s, first);
    };

    pick(0, 0, -1);
    if (found || aborted) return C;
    if (memo.size < MEMO_MAX) memo.set(key, next);
    return next;
  };

  let lo = integral ? Math.ceil(lowerBound - 1e-9) : lowerBound;
  let hi = incumbentMakespan;
  let best: Int32Array | null = null;
  let iterations = 0;
  while (lo < hi) {
    // Bisection between the proven bound and the incumbent; a failure still moves `lo` to its
    // threshold, past every C that would fail the same way.
    const mid = lo + (hi - lo) / 2;
    C = integral ? Math.floor(mid) : mid;
    if (!(C >= lo && C < hi)) C = lo;
    iterations++;
    found = null;
    const t = solveBin(0, -1);
    if (aborted) break;
    const assign = found as Int32Array | null;
    if (assign) {
      const loads = Float64Array.from(p.base);
      for (let j = 0; j < p.n; j++)
        loads[assign[j] as number] = (loads[assign[j] as number] as number) + (p.w[j] as number);
      let makespan = 0;
      for (const l of loads) if (l > makespan) makespan = l;
      // Float sums in another order could land a hair above the incumbent: keep the incumbent.
      if (!(makespan < hi)) break;
      best = assign;
      hi = makespan;
      continue;
    }
    // Rounding in a non-integral threshold must not stall the loop.
    const nextLo = t > C ? t : C + Math.max(Math.abs(C) * 1e-12, Number.MIN_VALUE);
    if (nextLo > lo) lo = nextLo;
  }
  budget.spend(Math.floor(work / TICKS_PER_UNIT));
  return { assign: best, makespan: hi, complete: !aborted, iterations };
}
