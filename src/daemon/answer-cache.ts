/**
 * Window answers shared between requests: an answer depends only on the newest sample and its
 * parameters, so N clients polling /distribution, /cpus or /irqs between two samples get one
 * computation (the first request's promise) instead of N. A new sample drops every entry.
 */

import { shareBody } from './http/shared-body.ts';

/** Distinct parameter sets kept per sample: a few dashboards and scrapers, not every window. */
const MAX_ENTRIES = 8;

export class AnswerCache {
  private sample: number | undefined;
  private readonly entries = new Map<string, Promise<unknown>>();
  /** Per answer kind: computed, and served from another request's computation. */
  readonly computed = new Map<string, number>();
  readonly shared = new Map<string, number>();

  get<T>(sample: number, kind: string, params: string, compute: () => Promise<T>): Promise<T> {
    if (sample !== this.sample) {
      this.entries.clear();
      this.sample = sample;
    }
    const key = `${kind}|${params}`;
    const hit = this.entries.get(key);
    if (hit) {
      bump(this.shared, kind);
      return hit as Promise<T>;
    }
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    bump(this.computed, kind);
    // Every request until the next sample answers with this object: serialised once.
    const p = compute().then(shareBody);
    this.entries.set(key, p);
    // A failure (no interval yet) is not an answer: the next request tries again.
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    return p;
  }
}

function bump(m: Map<string, number>, kind: string): void {
  m.set(kind, (m.get(kind) ?? 0) + 1);
}
