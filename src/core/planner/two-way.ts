/**
 * Exact two-way partitioning: Korf's Complete Karmarkar–Karp (CKK).
 *
 * The first leaf CKK reaches is the Karmarkar–Karp differencing solution; after that it searches
 * the "same side" branches in order, so stopping early still leaves a KK-or-better answer, and a
 * finished search (or a difference equal to the total's parity) proves optimality.
 *
 * Forced items and base loads are folded into one "anchor" number: only the difference between
 * the two fixed sides matters, and free items are symmetric, so the anchor can sit on either side
 * and the sides are named afterwards.
 */
import type { WorkBudget } from './budget.ts';

export interface TwoWayResult {
  /** Side (0 or 1) for each input item. */
  side: Uint8Array;
  load0: number;
  load1: number;
  /** True when the search proved that max(load0, load1) is the smallest possible. */
  optimal: boolean;
  /** Search nodes visited. */
  nodes: number;
}

/**
 * @param weights non-negative loads
 * @param forced  per item: -1 free, 0 or 1 forced onto that side (null: all free)
 * @param base0   load already on side 0 that cannot move
 * @param goal    stop as soon as the larger side is at most this (then `optimal` says only
 *                whether that split happens to be provably the best)
 */
export function partitionTwoWay(
  weights: ArrayLike<number>,
  forced: ArrayLike<number> | null,
  base0: number,
  base1: number,
  budget: WorkBudget,
  goal?: number,
): TwoWayResult {
  const n = weights.length;
  let fixed0 = base0;
  let fixed1 = base1;
  let integral = Number.isInteger(base0) && Number.isInteger(base1);
  const free: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    if (!Number.isInteger(w)) integral = false;
    const f = forced ? (forced[i] as number) : -1;
    if (f === 0) fixed0 += w;
    else if (f === 1) fixed1 += w;
    else if (w > 0) free.push(i);
  }
  const anchorDiff = fixed0 - fixed1;
  const anchorId = n;
  // Free items largest first; ties by index keep the search deterministic.
  free.sort((a, b) => (weights[b] as number) - (weights[a] as number) || a - b);

  const m = free.length + (anchorDiff !== 0 ? 1 : 0);
  const cap = 3 * m + 4;
  const vals = new Float64Array(cap);
  const ids = new Int32Array(cap);
  let lo = m;
  let hi = m;
  let sum = 0;
  {
    // Insert the anchor among the sorted free items.
    const entries: Array<[number, number]> = free.map((i) => [weights[i] as number, i]);
    if (anchorDiff !== 0) {
      const a = Math.abs(anchorDiff);
      let p = 0;
      while (p < entries.length && (entries[p] as [number, number])[0] >= a) p++;
      entries.splice(p, 0, [a, anchorId]);
    }
    for (const [v, id] of entries) {
      vals[hi] = v;
      ids[hi] = id;
      hi++;
      sum += v;
    }
  }
  const target = integral ? sum % 2 : 0;
  // The larger side is (both sides' total + difference) / 2.
  const enough =
    goal === undefined ? Number.NEGATIVE_INFINITY : 2 * goal - (fixed0 + fixed1 + sum - Math.abs(anchorDiff));

  // Merge records: at depth d the two largest (ids mergeA/mergeB) became id firstMerge + d.
  const firstMerge = n + 1;
  const maxDepth = Math.max(1, m);
  const mergeA = new Int32Array(maxDepth);
  const mergeB = new Int32Array(maxDepth);
  const mergeSame = new Uint8Array(maxDepth);
  // Per-depth undo state.
  const branch = new Uint8Array(maxDepth + 1); // 0: take difference next, 1: take sum next, 2: done
  const savedA = new Float64Array(maxDepth);
  const savedB = new Float64Array(maxDepth);
  const placedAt = new Int32Array(maxDepth); // -1 when the merged value was 0 and dropped
  const placedLeft = new Uint8Array(maxDepth);

  let bestDiff = Number.POSITIVE_INFINITY;
  let bestLiveIds: Int32Array = new Int32Array(0);
  let bestLiveSides: Uint8Array = new Uint8Array(0);
  let bestDepth = 0;
  let bestMergeA = new Int32Array(0);
  let bestMergeB = new Int32Array(0);
  let bestMergeSame = new Uint8Array(0);
  let nodes = 0;
  let finished = false;

  const recordLeaf = (depth: number, diff: number): void => {
    bestDiff = diff;
    const count = hi - lo;
    bestLiveIds = ids.slice(lo, hi);
    bestLiveSides = new Uint8Array(count);
    // The largest stands alone on side 0 against everything else.
    for (let j = 1; j < count; j++) bestLiveSides[j] = 1;
    bestDepth = depth;
    bestMergeA = mergeA.slice(0, depth);
    bestMergeB = mergeB.slice(0, depth);
    bestMergeSame = mergeSame.slice(0, depth);
  };

  let depth = 0;
  branch[0] = 0;
  for (;;) {
    const state = branch[depth] as number;
    if (state === 0) {
      nodes++;
      const count = hi - lo;
      const largest = count > 0 ? (vals[lo] as number) : 0;
      if (count <= 1 || largest >= sum - largest) {
        const diff = count === 0 ? 0 : 2 * largest - sum;
        if (diff < bestDiff) recordLeaf(depth, diff);
        if (bestDiff <= target) {
          finished = true;
          break;
        }
        if (bestDiff <= enough) break;
        branch[depth] = 2;
      } else if (!budget.spend(1) && bestDiff !== Number.POSITIVE_INFINITY) {
        // Never stop before the first leaf: that leaf is the KK answer we promise at least.
        break;
      }
    }
    const st = branch[depth] as number;
    if (st === 2) {
      if (depth === 0) {
        finished = true;
        break;
      }
      depth--;
      // Undo the merge made at this depth.
      const pos = placedAt[depth] as number;
      if (pos >= 0) {
        if (placedLeft[depth]) {
          vals.copyWithin(lo + 1, lo, pos);
          ids.copyWithin(lo + 1, lo, pos);
          lo++;
        } else {
          vals.copyWithin(pos, pos + 1, hi);
          ids.copyWithin(pos, pos + 1, hi);
          hi--;
        }
      }
      const a = savedA[depth] as number;
      const b = savedB[depth] as number;
      lo -= 2;
      vals[lo] = a;
      vals[lo + 1] = b;
      ids[lo] = mergeA[depth] as number;
      ids[lo + 1] = mergeB[depth] as number;
      if (!mergeSame[depth]) sum += 2 * b;
      continue;
    }
    // Expand: combine the two largest, difference first (the KK choice), then sum.
    const a = vals[lo] as number;
    const b = vals[lo + 1] as number;
    const same = st === 1;
    branch[depth] = same || b === 0 ? 2 : 1;
    savedA[depth] = a;
    savedB[depth] = b;
    mergeA[depth] = ids[lo] as number;
    mergeB[depth] = ids[lo + 1] as number;
    mergeSame[depth] = same ? 1 : 0;
    lo += 2;
    const x = same ? a + b : a - b;
    if (!same) sum -= 2 * b;
    if (x === 0) {
      placedAt[depth] = -1;
    } else {
      // Binary search for the first slot holding a value smaller than x.
      let l = lo;
      let r = hi;
      while (l < r) {
        const mid = (l + r) >>> 1;
        if ((vals[mid] as number) >= x) l = mid + 1;
        else r = mid;
      }
      const p = l;
      if (p - lo <= hi - p) {
        vals.copyWithin(lo - 1, lo, p);
        ids.copyWithin(lo - 1, lo, p);
        lo--;
        vals[p - 1] = x;
        ids[p - 1] = firstMerge + depth;
        placedAt[depth] = p - 1;
        placedLeft[depth] = 1;
      } else {
        vals.copyWithin(p + 1, p, hi);
        ids.copyWithin(p + 1, p, hi);
        hi++;
        vals[p] = x;
        ids[p] = firstMerge + depth;
        placedAt[depth] = p;
        placedLeft[depth] = 0;
      }
    }
    depth++;
    branch[depth] = 0;
  }

  // Rebuild sides from the best leaf: live entries first, then merges from the deepest down.
  const sideOf = new Int8Array(firstMerge + maxDepth).fill(-1);
  for (let j = 0; j < bestLiveIds.length; j++) sideOf[bestLiveIds[j] as number] = bestLiveSides[j] as number;
  for (let d = bestDepth - 1; d >= 0; d--) {
    let s = sideOf[firstMerge + d] as number;
    if (s < 0) s = 0; // a merge that cancelled to zero: either side is equally good
    sideOf[bestMergeA[d] as number] = s;
    sideOf[bestMergeB[d] as number] = bestMergeSame[d] ? s : 1 - s;
  }
  const anchorSide = anchorDiff !== 0 ? (sideOf[anchorId] as number) : 0;
  const anchorRealSide = anchorDiff >= 0 ? 0 : 1;
  const side = new Uint8Array(n);
  let load0 = base0;
  let load1 = base1;
  for (let i = 0; i < n; i++) {
    const f = forced ? (forced[i] as number) : -1;
    let s: number;
    if (f === 0 || f === 1) s = f;
    else {
      const raw = sideOf[i] as number;
      s = raw < 0 ? 0 : raw === anchorSide ? anchorRealSide : 1 - anchorRealSide;
    }
    side[i] = s;
    if (s === 0) load0 += weights[i] as number;
    else load1 += weights[i] as number;
  }
  return { side, load0, load1, optimal: finished, nodes };
}
