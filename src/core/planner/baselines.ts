/**
 * The baselines irqkit must never lose to, and also its starting points:
 * round-robin (what vendor set_irq_affinity scripts do), LPT (greedy, largest first onto the
 * least-loaded CPU) and Karmarkar–Karp's multi-way largest differencing method.
 */
import { isAllowed, orderByLoadDesc, type Problem } from './problem.ts';

/** A min segment tree over CPU loads: the least-loaded CPU in O(1), an update in O(log k). */
export class MinLoadTree {
  private readonly size: number;
  private readonly val: Float64Array;
  private readonly arg: Int32Array;

  constructor(loads: ArrayLike<number>) {
    let size = 1;
    while (size < loads.length) size <<= 1;
    this.size = size;
    this.val = new Float64Array(2 * size).fill(Number.POSITIVE_INFINITY);
    this.arg = new Int32Array(2 * size).fill(-1);
    for (let i = 0; i < loads.length; i++) {
      this.val[size + i] = loads[i] as number;
      this.arg[size + i] = i;
    }
    for (let i = size - 1; i >= 1; i--) this.pull(i);
  }

  private pull(i: number): void {
    const l = 2 * i;
    const r = l + 1;
    // Ties go to the lower CPU position: deterministic and matches a left-to-right scan.
    if ((this.val[r] as number) < (this.val[l] as number)) {
      this.val[i] = this.val[r] as number;
      this.arg[i] = this.arg[r] as number;
    } else {
      this.val[i] = this.val[l] as number;
      this.arg[i] = this.arg[l] as number;
    }
  }

  set(pos: number, load: number): void {
    let i = this.size + pos;
    this.val[i] = load;
    for (i >>= 1; i >= 1; i >>= 1) this.pull(i);
  }

  get minPos(): number {
    return this.arg[1] as number;
  }
}

/** Least-loaded CPU among an item's allowed positions (ties: lowest position). */
function leastLoadedAllowed(list: Int32Array, loads: Float64Array): number {
  let best = list[0] as number;
  for (let i = 1; i < list.length; i++) {
    const c = list[i] as number;
    if ((loads[c] as number) < (loads[best] as number)) best = c;
  }
  return best;
}

export function longestProcessingTime(p: Problem): Int32Array {
  const assign = new Int32Array(p.n);
  const loads = Float64Array.from(p.base);
  const tree = new MinLoadTree(loads);
  for (const j of orderByLoadDesc(p)) {
    const list = p.allowed[j];
    const c = list ? leastLoadedAllowed(list, loads) : tree.minPos;
    assign[j] = c;
    loads[c] = (loads[c] as number) + (p.w[j] as number);
    tree.set(c, loads[c] as number);
  }
  return assign;
}

/** Round-robin in IRQ order over the CPUs, skipping CPUs an IRQ may not use; loads are ignored. */
export function roundRobin(p: Problem): Int32Array {
  const assign = new Int32Array(p.n);
  let next = 0;
  for (let j = 0; j < p.n; j++) {
    let c = next;
    for (let tries = 0; tries < p.k && !isAllowed(p, j, c); tries++) c = (c + 1) % p.k;
    assign[j] = c;
    next = (c + 1) % p.k;
  }
  return assign;
}

interface Part {
  sum: number;
  head: number;
  tail: number;
  /** The CPU position this part is bound to (it holds that CPU's base load), or -1. */
  cpu: number;
}

interface Tuple {
  /** Parts by descending sum; missing parts are empty. */
  parts: Part[];
  key: number;
  seq: number;
}

/**
 * Multi-way Karmarkar–Karp (largest differencing). Only defined without per-IRQ CPU limits;
 * returns null when the problem has them. Base loads enter as one pre-built tuple so that each
 * CPU's fixed load is differenced like any other part.
 */
export function karmarkarKarp(p: Problem): Int32Array | null {
  if (!p.unconstrained) return null;
  const { k, n } = p;
  const next = new Int32Array(n).fill(-1);
  const keyOf = (parts: Part[]): number => {
    const first = parts[0];
    if (!first) return 0;
    const last = parts.length < k ? 0 : (parts[parts.length - 1] as Part).sum;
    return first.sum - last;
  };
  const heap: Tuple[] = [];
  const less = (a: Tuple, b: Tuple): boolean => a.key > b.key || (a.key === b.key && a.seq < b.seq);
  const push = (t: Tuple): void => {
    heap.push(t);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i] as Tuple, heap[parent] as Tuple)) break;
      [heap[i], heap[parent]] = [heap[parent] as Tuple, heap[i] as Tuple];
      i = parent;
    }
  };
  const pop = (): Tuple => {
    const top = heap[0] as Tuple;
    const last = heap.pop() as Tuple;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l] as Tuple, heap[m] as Tuple)) m = l;
        if (r < heap.length && less(heap[r] as Tuple, heap[m] as Tuple)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Tuple, heap[i] as Tuple];
        i = m;
      }
    }
    return top;
  };
  let seq = 0;
  const hasBase = p.base.some((b) => b > 0);
  if (hasBase) {
    const parts: Part[] = Array.from(p.base, (sum, cpu) => ({ sum, head: -1, tail: -1, cpu }));
    parts.sort((a, b) => b.sum - a.sum || a.cpu - b.cpu);
    push({ parts, key: keyOf(parts), seq: seq++ });
  }
  for (const j of orderByLoadDesc(p)) {
    const parts: Part[] = [{ sum: p.w[j] as number, head: j, tail: j, cpu: -1 }];
    push({ parts, key: keyOf(parts), seq: seq++ });
  }
  const join = (a: Part | undefined, b: Part | undefined): Part | undefined => {
    if (!a) return b;
    if (!b) return a;
    let head = a.head;
    let tail = a.tail;
    if (b.head >= 0) {
      if (head < 0) head = b.head;
      else next[tail] = b.head;
      tail = b.tail;
    }
    return { sum: a.sum + b.sum, head, tail, cpu: a.cpu >= 0 ? a.cpu : b.cpu };
  };
  while (heap.length > 1) {
    const a = pop();
    const b = pop();
    // Pair a's largest with b's smallest: the differencing step.
    const out: Part[] = [];
    const p1 = a.parts.length;
    const q = b.parts.length;
    for (let i = 0; i < k; i++) {
      if (i >= p1 && k - 1 - i >= q) {
        i = k - q - 1; // skip the stretch where both sides are empty
        continue;
      }
      const part = join(a.parts[i], b.parts[k - 1 - i]);
      if (part) out.push(part);
    }
    out.sort((x, y) => y.sum - x.sum || x.cpu - y.cpu);
    push({ parts: out, key: keyOf(out), seq: seq++ });
  }
  const assign = new Int32Array(n).fill(-1);
  const final = heap[0];
  if (!final) return assign;
  const taken = new Uint8Array(k);
  for (const part of final.parts) if (part.cpu >= 0) taken[part.cpu] = 1;
  let free = 0;
  for (const part of final.parts) {
    let cpu = part.cpu;
    if (cpu < 0) {
      while (taken[free]) free++;
      cpu = free;
      taken[cpu] = 1;
    }
    for (let j = part.head; j >= 0; j = j === part.tail ? -1 : (next[j] as number)) assign[j] = cpu;
  }
  return assign;
}
