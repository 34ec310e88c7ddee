/**
 * A manual clock for the sampler: time moves only when a test says so, and due timers fire then.
 * Timers run on the monotonic time; `stepWall` moves only the wall clock, as NTP or date(1) does.
 */
export class FakeClock {
  private t: number;
  private wallOffset = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now = (): number => this.t + this.wallOffset;

  monotonic = (): number => this.t;

  /** Steps the wall clock by `ms` (negative: back) without moving monotonic time. */
  stepWall(ms: number): void {
    this.wallOffset += ms;
  }

  setTimeout = (fn: () => void, ms: number): { unref(): void; id: number } => {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return { unref: () => {}, id };
  };

  clearTimeout = (handle: unknown): void => {
    const id = (handle as { id?: number } | null)?.id;
    this.timers = this.timers.filter((t) => t.id !== id);
  };

  /** Time passes inside a synchronous computation (a sample's own cost): no timer can fire meanwhile. */
  spend(ms: number): void {
    this.t += ms;
  }

  /** Advances time, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}
