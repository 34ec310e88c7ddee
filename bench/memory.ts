/** Heap and RSS readings. `gc()` is exposed at run time so that heap deltas mean retained memory. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const exposed: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');

/** Collects garbage when possible (a full GC), so heapUsed afterwards is live data only. */
export function collect(): void {
  if (typeof exposed === 'function') (exposed as () => void)();
}

export const gcAvailable = typeof exposed === 'function';

export function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

/** Peak resident set size of the process so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function rss(): number {
  return process.memoryUsage().rss;
}

export interface ChildReading {
  job: string;
  /** RSS and heap once the input is in memory, before the measured call. */
  rssBefore: number;
  heapBefore: number;
  /** Peak RSS of the whole process after the call (includes Node, tsx and the input). */
  peakRss: number;
  /** heapUsed right after the call, garbage included (a floor for the call's peak heap). */
  heapAfter: number;
  /** Heap still held with the call's result alive, after a full GC. */
  heapRetained: number;
  ms: number;
}

/** Runs bench/memory-child.ts with `args` in a fresh Node process (same loader flags as this one). */
export function measureInChild(args: readonly string[]): ChildReading | Error {
  const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, child, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 20,
    });
    return JSON.parse(out.trim().split('\n').pop() ?? '') as ChildReading;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}
