/**
 * A mutable placement for the evenness stage: per-CPU loads and variances, and each CPU's IRQs
 * kept sorted by load, so that the single move or swap closest to halving a pair's difference
 * is a binary search away instead of a scan over every pair of IRQs.
 */
import type { Noise } from './noise.ts';
import type { Problem } from './problem.ts';

export class Placement {
  readonly assign: Int32Array;
  readonly loads: Float64Array;
  readonly vars: Float64Array;
  /** Movable items per CPU position, ascending by load (ties by position). */
  readonly members: number[][];
  /** Bumped whenever a CPU's items change, so cached per-pair results can be recognised as stale. */
  readonly version: Int32Array;
  private readonly p: Problem;
  private readonly noise: Noise;

  constructor(p: Problem, noise: Noise, assign: Int32Array) {
    this.p = p;
    this.noise = noise;
    this.assign = Int32Array.from(assign);
    this.loads = Float64Array.from(p.base);
    this.vars = Float64Array.from(noise.baseVar);
    this.members = Array.from({ length: p.k }, () => []);
    this.version = new Int32Array(p.k);
    for (let j = 0; j < p.n; j++) {
      const c = assign[j] as number;
      this.loads[c] = (this.loads[c] as number) + (p.w[j] as number);
      this.vars[c] = (this.vars[c] as number) + (noise.itemVar[j] as number);
      this.members[c]?.push(j);
    }
    for (const list of this.members) list.sort((a, b) => this.before(a, b));
  }

  /** Sort order within a CPU: lighter first, then lower position. */
  private before(a: number, b: number): number {
    return (this.p.w[a] as number) - (this.p.w[b] as number) || a - b;
  }

  /** Index of the first item on `cpu` whose load is at least `load`. */
  lowerIndex(cpu: number, load: number): number {
    const list = this.members[cpu] as number[];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.p.w[list[mid] as number] as number) < load) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  move(j: number, to: number): void {
    const from = this.assign[j] as number;
    if (from === to) return;
    const p = this.p;
    const w = p.w[j] as number;
    const v = this.noise.itemVar[j] as number;
    const src = this.members[from] as number[];
    const at = this.indexOf(from, j);
    src.splice(at, 1);
    // Where j sorts among `to`'s items: indexOf's lower bound, j not being there yet.
    (this.members[to] as number[]).splice(this.indexOf(to, j), 0, j);
    this.loads[from] = (this.loads[from] as number) - w;
    this.loads[to] = (this.loads[to] as number) + w;
    this.vars[from] = (this.vars[from] as number) - v;
    this.vars[to] = (this.vars[to] as number) + v;
    this.assign[j] = to;
    this.version[from] = (this.version[from] as number) + 1;
    this.version[to] = (this.version[to] as number) + 1;
  }

  private indexOf(cpu: number, j: number): number {
    const list = this.members[cpu] as number[];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.before(list[mid] as number, j) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
