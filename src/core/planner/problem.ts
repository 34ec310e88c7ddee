/**
 * The planner's internal form: CPUs are positions 0..k-1, movable items are positions 0..n-1,
 * and everything that cannot move is folded into per-CPU base loads.
 */
import { IrqkitError } from '../errors.ts';

export interface PlanItem {
  /** The IRQ label ("132"). */
  id: string;
  /** Interrupts over the measured window (or per day, per second: any unit, used consistently). */
  load: number;
  /** CPUs this IRQ may use (NUMA locality, exclusions). Absent: every planned CPU. */
  allowed?: readonly number[];
  /** The CPU it is on now; moves are counted against it. */
  current?: number;
  /** It cannot move (kernel-managed, banned): it stays on `current` and still loads that CPU. */
  fixed?: boolean;
  /**
   * The variance of `load` (in the load's unit, squared): how far a re-measurement may differ.
   * Absent or 0: the load is exact (a rate file given as input), and so are the plans made on it.
   */
  variance?: number;
}

export interface Problem {
  /** CPU ids by position. */
  cpus: readonly number[];
  k: number;
  /** Movable items, by position, and their index in the request. */
  itemIndex: Int32Array;
  n: number;
  w: Float64Array;
  /** Allowed CPU positions per movable item; null = all CPUs. Shared arrays for equal sets. */
  allowed: ReadonlyArray<Int32Array | null>;
  /** Membership masks matching `allowed` (null = all). */
  allowedMask: ReadonlyArray<Uint8Array | null>;
  /** Current CPU position per movable item, -1 when unknown or not a planned CPU. */
  current: Int32Array;
  /** Load per CPU position from fixed items and from `baseLoad`. */
  base: Float64Array;
  /** True when every load (items and base) is an integer, so ceilings and parity apply. */
  integral: boolean;
  /** True when no movable item has an allowed set smaller than all CPUs. */
  unconstrained: boolean;
}

export function buildProblem(
  cpus: readonly number[],
  items: readonly PlanItem[],
  baseLoad?: Readonly<Record<number, number>>,
): Problem {
  if (cpus.length === 0) throw new IrqkitError('IRQ_ERR_EMPTY', 'no CPUs to plan for');
  const posOf = new Map<number, number>();
  cpus.forEach((c, i) => {
    if (posOf.has(c)) throw new IrqkitError('IRQ_ERR_USAGE', `CPU ${c} is listed twice`);
    posOf.set(c, i);
  });
  const k = cpus.length;
  const base = new Float64Array(k);
  let integral = true;
  if (baseLoad) {
    for (const [cpu, load] of Object.entries(baseLoad)) {
      const p = posOf.get(Number(cpu));
      if (p !== undefined) {
        base[p] = (base[p] as number) + load;
        if (!Number.isInteger(load)) integral = false;
      }
    }
  }
  const movable: number[] = [];
  const ids = new Set<string>();
  items.forEach((it, idx) => {
    if (ids.has(it.id)) throw new IrqkitError('IRQ_ERR_USAGE', `IRQ ${it.id} is listed twice`);
    ids.add(it.id);
    if (!Number.isFinite(it.load) || it.load < 0) {
      throw new IrqkitError('IRQ_ERR_USAGE', `IRQ ${it.id} has an invalid load ${it.load}`);
    }
    if (!Number.isInteger(it.load)) integral = false;
    if (it.fixed) {
      if (it.current === undefined) {
        throw new IrqkitError('IRQ_ERR_USAGE', `IRQ ${it.id} is fixed but has no current CPU`);
      }
      // A fixed IRQ on a CPU outside the plan loads a CPU we do not balance: it does not count here.
      const p = it.current === undefined ? undefined : posOf.get(it.current);
      if (p !== undefined) base[p] = (base[p] as number) + it.load;
    } else {
      movable.push(idx);
    }
  });
  const n = movable.length;
  const w = new Float64Array(n);
  const current = new Int32Array(n).fill(-1);
  const allowed: Array<Int32Array | null> = [];
  const allowedMask: Array<Uint8Array | null> = [];
  const shared = new Map<string, [Int32Array, Uint8Array]>();
  let unconstrained = true;
  for (let j = 0; j < n; j++) {
    const it = items[movable[j] as number] as PlanItem;
    w[j] = it.load;
    if (it.current !== undefined) current[j] = posOf.get(it.current) ?? -1;
    if (it.allowed === undefined) {
      allowed.push(null);
      allowedMask.push(null);
      continue;
    }
    const positions = [...new Set(it.allowed.map((c) => posOf.get(c)).filter((p) => p !== undefined))].sort(
      (a, b) => a - b,
    );
    if (positions.length === 0) {
      throw new IrqkitError('IRQ_ERR_INFEASIBLE', `IRQ ${it.id} may use none of the planned CPUs`, {
        irq: it.id,
        allowed: [...it.allowed],
      });
    }
    if (positions.length === k) {
      allowed.push(null);
      allowedMask.push(null);
      continue;
    }
    unconstrained = false;
    const key = positions.join(',');
    let entry = shared.get(key);
    if (!entry) {
      const list = Int32Array.from(positions);
      const mask = new Uint8Array(k);
      for (const p of positions) mask[p] = 1;
      entry = [list, mask];
      shared.set(key, entry);
    }
    allowed.push(entry[0]);
    allowedMask.push(entry[1]);
  }
  return {
    cpus,
    k,
    itemIndex: Int32Array.from(movable),
    n,
    w,
    allowed,
    allowedMask,
    current,
    base,
    integral,
    unconstrained,
  };
}

export function isAllowed(p: Problem, item: number, cpu: number): boolean {
  const mask = p.allowedMask[item];
  return mask === null || mask === undefined || mask[cpu] === 1;
}

/** Per-CPU loads of an assignment (CPU position per movable item). */
export function loadsOf(p: Problem, assign: Int32Array): Float64Array {
  const loads = Float64Array.from(p.base);
  for (let j = 0; j < p.n; j++) {
    const c = assign[j] as number;
    loads[c] = (loads[c] as number) + (p.w[j] as number);
  }
  return loads;
}

export function maxOf(a: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < a.length; i++) if ((a[i] as number) > m) m = a[i] as number;
  return m;
}

/** Items by descending load, ties by position, so every heuristic sees the same order. */
export function orderByLoadDesc(p: Problem): Int32Array {
  const order = Array.from({ length: p.n }, (_, i) => i);
  order.sort((a, b) => (p.w[b] as number) - (p.w[a] as number) || a - b);
  return Int32Array.from(order);
}

export function countMoves(p: Problem, assign: Int32Array): number {
  let moves = 0;
  for (let j = 0; j < p.n; j++) if (p.current[j] !== assign[j]) moves++;
  return moves;
}
