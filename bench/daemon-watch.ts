/**
 * Watching irqkitd from outside while it is under load or soaking: /healthz every few hundred
 * ms (its sample count and last sample time, history held) plus the process's RSS and CPU time
 * from /proc/<pid>. Nothing is added to the daemon for this:
 *
 * - sample spacing: the gap between consecutive `lastSampleAt` values the daemon reports (only
 *   pairs exactly one sample apart). It is interval + time to read and parse + timer lateness,
 *   so a busy event loop shows up as spacing above the interval;
 * - /healthz probe latency: the time a tiny request waits to be served. With no other traffic it
 *   is the event loop's delay as a client sees it (plus ~1 ms of loopback HTTP); under load it
 *   also includes queueing behind the load.
 */
import { readFileSync } from 'node:fs';
import { get, vmRss } from './load-machine.ts';
import { median } from './report.ts';

export interface Reading {
  /** ms since the watch started, when the answer arrived (the daemon's figures are from then). */
  t: number;
  probeMs: number;
  status: number;
  samples: number;
  lastSampleAt: number | null;
  historySeconds: number;
  storedCounters: number;
  rss: number | null;
  /** utime + stime of the daemon in ms (from /proc/<pid>/stat). */
  cpuMs: number | null;
  /** The daemon's own event-loop delay, the longest since it started (ms; from /healthz). */
  loopMaxMs: number | null;
}

interface Health {
  sampler: { samples: number; lastSampleAt: number | null; historySeconds: number; storedCounters: number };
  eventLoop?: { maxSeconds: number };
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on every Linux ABI Node supports
/** Probes in flight at most: enough for 10 s of queueing at 4 probes a second. */
const MAX_OUTSTANDING = 40;

function cpuMs(pid: number): number | null {
  try {
    // Fields after the command name (which may hold blanks) start at ') '.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * CLOCK_TICK_MS;
  } catch {
    return null;
  }
}

export class DaemonWatch {
  readonly readings: Reading[] = [];
  private readonly t0 = performance.now();
  private running = true;
  private readonly loop: Promise<void>;

  private readonly port: number;
  private readonly pid: number;

  constructor(port: number, pid: number, everyMs: number) {
    this.port = port;
    this.pid = pid;
    // Probes go out on a fixed schedule without waiting for each other: under load each one
    // queues for seconds, and one at a time would leave the busiest phases with no readings. The
    // answers then still arrive about `everyMs` apart, so consecutive samples are seen.
    this.loop = (async () => {
      const outstanding = new Set<Promise<void>>();
      let next = this.now();
      while (this.running) {
        if (outstanding.size < MAX_OUTSTANDING) {
          const p = this.probe().finally(() => outstanding.delete(p));
          outstanding.add(p);
        }
        next += everyMs;
        const wait = next - this.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await Promise.all(outstanding);
    })();
  }

  private async probe(): Promise<void> {
    try {
      const r = await get<Health>(this.port, '/healthz', true, 60_000);
      const s = r.body?.sampler;
      this.readings.push({
        t: this.now(),
        probeMs: r.ms,
        status: r.status,
        samples: s?.samples ?? -1,
        lastSampleAt: s?.lastSampleAt ?? null,
        historySeconds: s?.historySeconds ?? 0,
        storedCounters: s?.storedCounters ?? 0,
        rss: vmRss(this.pid),
        cpuMs: cpuMs(this.pid),
        loopMaxMs: r.body?.eventLoop ? r.body.eventLoop.maxSeconds * 1000 : null,
      });
    } catch {
      this.readings.push({
        t: this.now(),
        probeMs: Number.NaN,
        status: 0,
        samples: -1,
        lastSampleAt: null,
        historySeconds: 0,
        storedCounters: 0,
        rss: vmRss(this.pid),
        cpuMs: cpuMs(this.pid),
        loopMaxMs: null,
      });
    }
  }

  now(): number {
    return performance.now() - this.t0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /**
   * The readings answered in [from, to), plus the last one before and the first one after, so
   * that a phase's counts and rates span the whole phase even when probes are slow.
   */
  between(from: number, to: number): Reading[] {
    const ok = this.readings.filter((r) => r.status === 200).sort((a, b) => a.t - b.t);
    const inside = ok.filter((r) => r.t >= from && r.t < to);
    const before = ok.filter((r) => r.t < from).pop();
    const after = ok.find((r) => r.t >= to);
    return [...(before ? [before] : []), ...inside, ...(after ? [after] : [])];
  }
}

export interface PhaseStats {
  readings: number;
  failed: number;
  /** Samples taken per second of the daemon's clock between the phase's first and last reading. */
  samplesPerSecond: number;
  /** Mean ms between samples over the phase (daemon timestamps, exact however slow the probes). */
  meanSpacing: number;
  /** Pairs of readings exactly one sample apart: their spacing. Few when probes queue behind load. */
  spacing: { n: number; p50: number; p99: number; max: number };
  probe: { p50: number; p99: number; max: number };
  cpuPercent: number | null;
  rssMax: number | null;
  /**
   * The daemon's longest event-loop delay since start-up, as of the phase's last answer: when it
   * does not grow in a phase, slow probes queued behind requests or waited on the client side.
   */
  loopMaxMs: number | null;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

/**
 * Figures of a phase [from, to): sampling and CPU over the readings that span it (one on each
 * side included, see `between`), probe latency and RSS over the probes answered inside it.
 */
export function phaseStats(watch: DaemonWatch, from: number, to: number): PhaseStats {
  const rs = watch.readings.filter((r) => r.t >= from && r.t < to);
  const ok = watch.between(from, to);
  const spacing: number[] = [];
  const seen = new Map<number, number>();
  for (const r of ok) if (r.lastSampleAt !== null) seen.set(r.samples, r.lastSampleAt);
  for (const [n, at] of seen) {
    const prev = seen.get(n - 1);
    if (prev !== undefined) spacing.push(at - prev);
  }
  const first = ok[0];
  const last = ok[ok.length - 1];
  const seconds = first && last ? (last.t - first.t) / 1000 : 0;
  const sampled = first && last ? last.samples - first.samples : 0;
  const daemonMs =
    first?.lastSampleAt != null && last?.lastSampleAt != null ? last.lastSampleAt - first.lastSampleAt : 0;
  const cpu = first?.cpuMs != null && last?.cpuMs != null && seconds > 0 ? last.cpuMs - first.cpuMs : null;
  const probes = rs.filter((r) => r.status === 200).map((r) => r.probeMs);
  const rss = rs.map((r) => r.rss).filter((x): x is number => x !== null);
  return {
    readings: rs.length,
    failed: rs.filter((r) => r.status !== 200).length,
    samplesPerSecond: daemonMs > 0 ? sampled / (daemonMs / 1000) : Number.NaN,
    meanSpacing: sampled > 0 ? daemonMs / sampled : Number.NaN,
    spacing: {
      n: spacing.length,
      p50: median(spacing),
      p99: percentile(spacing, 99),
      max: spacing.length > 0 ? Math.max(...spacing) : Number.NaN,
    },
    probe: {
      p50: median(probes),
      p99: percentile(probes, 99),
      max: probes.length > 0 ? Math.max(...probes) : Number.NaN,
    },
    cpuPercent: cpu === null ? null : (cpu / (seconds * 1000)) * 100,
    rssMax: rss.length > 0 ? Math.max(...rss) : null,
    loopMaxMs:
      ok
        .map((r) => r.loopMaxMs)
        .filter((x): x is number => x !== null)
        .pop() ?? null,
  };
}
