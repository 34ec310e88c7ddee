/**
 * The daemon on the big simulated machine (256 CPUs, 4 nodes, 2,000 IRQs: load-machine.ts),
 * today's code and this tree side by side. Each column is a bundled irqkitd running read-only
 * against the tree of a simulated machine that lives in a process of its own (sim-child.ts), so
 * the daemon pays only for what it would pay on a real host.
 *
 * - Build: this tree's `dist/irqkitd.cjs`, and the bundle of `--baseline REF` (default: the
 *   merge-base with main), unpacked with `git archive` into a temporary directory and built
 *   there with esbuild (cached by commit under the system's temp dir).
 * - Fill: both daemons sample at `--interval 300ms` until each holds `fill` intervals (900, the
 *   number 15 minutes at 1 s holds), with the machine advancing every 300 ms; then RSS. The
 *   history's size depends on the number of intervals and on how many counters move in each,
 *   not on their length, so this is the RSS of the default retention, reached in 4½ minutes at
 *   best (8–12 on the shared 2-core VM).
 * - Pace: both restarted at the default `--interval 1s`, the machine advancing every second;
 *   after a warm-up, samples per second and CPU milliseconds per sample (utime + stime from
 *   /proc/PID/stat over the samples taken, idle daemon), then one daemon at a time: latency of
 *   `/api/v1/irqs`, `/api/v1/distribution?window=5s` and `/api/v1/plan?window=5s`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DaemonWatch, phaseStats } from './daemon-watch.ts';
import { get, type Sim, startSim, vmRss } from './load-machine.ts';
import { CORPUS_1152, daemonNodeFlags } from './paths.ts';
import { mb, median, ms, section, table } from './report.ts';
import { runWrk, wrkVersion } from './wrk.ts';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface CompareOptions {
  /** A git ref for the "today" column; null: the merge-base with main. */
  baseline: string | null;
  /** Intervals to fill before reading RSS. */
  fill: number;
  /** Seconds of idle pace measurement. */
  paceSeconds: number;
  requests: number;
  /** Which parts to run (all by default). */
  phases: ReadonlySet<'fill' | 'pace' | 'wide' | 'wrk'>;
}

interface Build {
  name: string;
  commit: string;
  bundle: string;
  /** The V8 flags its package runs irqkitd with (packaging/irqkitd-node-flags, if it has one). */
  nodeFlags: string[];
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
}

/** The bundle of `ref`, built once per commit into the temp dir. */
function buildBaseline(ref: string | null, out: (line: string) => void): Build {
  const commit = git(['rev-parse', ref ?? git(['merge-base', 'HEAD', 'main'])]);
  const dir = join(tmpdir(), `irqkit-bench-baseline-${commit.slice(0, 12)}`);
  const bundle = join(dir, 'dist', 'irqkitd.cjs');
  if (!existsSync(bundle)) {
    out(`  building the baseline ${commit.slice(0, 12)} in ${dir} (git archive + esbuild)`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C '${dir}'`], { cwd: repo });
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: dir, stdio: 'ignore' });
  }
  return { name: `baseline ${commit.slice(0, 9)}`, commit, bundle, nodeFlags: daemonNodeFlags(dir) };
}

function buildCurrent(): Build {
  execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: repo, stdio: 'ignore' });
  const dirty = git(['status', '--porcelain']) !== '' ? '+changes' : '';
  const commit = git(['rev-parse', 'HEAD']);
  return {
    name: `this tree ${commit.slice(0, 9)}${dirty}`,
    commit,
    bundle: join(repo, 'dist', 'irqkitd.cjs'),
    nodeFlags: daemonNodeFlags(repo),
  };
}

/** `bench/peers/ticker.mjs`: the 1,152-CPU corpus file, every non-zero cell +1 a second. */
async function startTicker(dir: string): Promise<Sim> {
  mkdirSync(join(dir, 'proc'), { recursive: true });
  mkdirSync(join(dir, 'sys'), { recursive: true });
  const child = spawn(
    process.execPath,
    [join(repo, 'bench', 'peers', 'ticker.mjs'), CORPUS_1152, join(dir, 'proc'), '1000'],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((res) => child.once('close', () => res()));
  while (!existsSync(join(dir, 'proc', 'interrupts'))) await sleep(100);
  return {
    procRoot: join(dir, 'proc'),
    sysRoot: join(dir, 'sys'),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Daemon {
  build: Build;
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

async function startDaemon(
  build: Build,
  sim: Sim,
  work: string,
  interval: string,
  retention: string,
): Promise<Daemon> {
  const log = join(work, `irqkitd-${build.commit.slice(0, 9)}-${Math.random().toString(36).slice(2, 8)}.log`);
  const fd = openSync(log, 'w');
  const child = spawn(
    process.execPath,
    [
      ...build.nodeFlags,
      build.bundle,
      '--listen',
      '127.0.0.1:0',
      '--read-only',
      '--procfs',
      sim.procRoot,
      '--sysfs',
      sim.sysRoot,
      '--state-dir',
      mkdtempSync(join(work, 'state-')),
      '--interval',
      interval,
      '--retention',
      retention,
    ],
    { stdio: ['ignore', 'ignore', fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
  );
  closeSync(fd);
  const exited = new Promise<void>((res) => child.once('close', () => res()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /"irqkitd listening","urls":\["http:\/\/127\.0\.0\.1:(\d+)"/.exec(readFileSync(log, 'utf8'));
    if (m) {
      return {
        build,
        child,
        port: Number(m[1]),
        async stop() {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(killer);
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${build.name}: irqkitd did not start:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    }
    await sleep(100);
  }
}

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));

interface Health {
  sampler: { samples: number; intervals: number; storedCounters: number };
}

async function health(d: Daemon): Promise<Health> {
  const r = await get<Health>(d.port, '/healthz');
  if (!r.body) throw new Error(`${d.build.name}: /healthz answered ${r.status}`);
  return r.body;
}

/** utime + stime of a process in milliseconds. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

interface Figures {
  fillIntervals: number;
  fillSeconds: number;
  rss: number;
  storedCounters: number;
  samplesPerSecond: number;
  cpuPerSample: number;
  latency: Record<string, number[]>;
  /** On the 1,152-CPU corpus file with moving counters. */
  wide: { rss: number; peak: number; samplesPerSecond: number; cpuPerSample: number };
  /** Under wrk, by endpoint: its throughput, and /healthz and the sampler meanwhile. */
  wrk: Record<string, WrkPhase>;
  /** RSS before the wrk runs and after them (idle again). */
  wrkRss: { before: number; after: number };
}

interface WrkPhase {
  rps: number;
  p99: number;
  probe: { p50: number; p99: number; max: number };
  /** The longest gap between two samples (ms; the interval is 1,000). */
  spacingMax: number;
  rssMax: number;
}

/** Endpoints driven by wrk, one at a time: the heavy window answers and the scrape. */
const WRK_ENDPOINTS = ['/api/v1/distribution?window=5s', '/api/v1/cpus?window=5s', '/metrics'];
const WRK_SECONDS = 15;
const WRK_CONNECTIONS = 16;

/** VmHWM (peak RSS) of a process in bytes. */
function vmHwm(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples per second and CPU ms per sample of idle daemons over `seconds`. */
async function pace(
  daemons: Daemon[],
  seconds: number,
): Promise<Array<{ perSecond: number; cpuPerSample: number }>> {
  const before = await Promise.all(
    daemons.map(async (d) => ({ h: await health(d), cpu: cpuMs(d.child.pid as number), t: Date.now() })),
  );
  await sleep(seconds * 1000);
  return Promise.all(
    daemons.map(async (d, i) => {
      const h = await health(d);
      const b = before[i] as (typeof before)[number];
      const samples = h.sampler.samples - b.h.sampler.samples;
      return {
        perSecond: samples / ((Date.now() - b.t) / 1000),
        cpuPerSample: samples > 0 ? (cpuMs(d.child.pid as number) - b.cpu) / samples : Number.NaN,
      };
    }),
  );
}

const ENDPOINTS = ['/api/v1/irqs', '/api/v1/distribution?window=5s', '/api/v1/plan?window=5s'];

function wrkCell(w: WrkPhase | undefined, show: (w: WrkPhase) => string): string {
  return w === undefined ? '—' : show(w);
}

export async function runDaemonCompare(o: CompareOptions, out: (line: string) => void): Promise<void> {
  out(section('The daemon on a 256-CPU, 2,000-IRQ machine: today and this tree'));
  const builds = [buildBaseline(o.baseline, out), buildCurrent()];
  const work = mkdtempSync(join(tmpdir(), 'irqkit-bench-daemon-'));
  const figures = new Map<Build, Figures>();
  for (const b of builds)
    figures.set(b, {
      fillIntervals: 0,
      fillSeconds: 0,
      rss: 0,
      storedCounters: 0,
      samplesPerSecond: 0,
      cpuPerSample: 0,
      latency: {},
      wide: { rss: 0, peak: 0, samplesPerSecond: 0, cpuPerSample: 0 },
      wrk: {},
      wrkRss: { before: 0, after: 0 },
    });
  try {
    let sim: Sim;
    let daemons: Daemon[];
    if (o.phases.has('fill')) {
      // Fill: 0.3 s intervals, as many as 15 minutes at 1 s holds.
      sim = await startSim(join(work, 'machine-fill'), 300);
      daemons = await Promise.all(
        builds.map((b) => startDaemon(b, sim, work, '300ms', `${Math.ceil((o.fill * 0.3 * 3) / 60)}m`)),
      );
      const started = Date.now();
      const pending = new Set(daemons);
      while (pending.size > 0 && Date.now() - started < o.fill * 1000) {
        await sleep(2000);
        for (const d of [...pending]) {
          const h = await health(d);
          if (h.sampler.intervals >= o.fill) {
            const f = figures.get(d.build) as Figures;
            f.fillIntervals = h.sampler.intervals;
            f.fillSeconds = (Date.now() - started) / 1000;
            f.rss = vmRss(d.child.pid as number) ?? 0;
            f.storedCounters = h.sampler.storedCounters;
            pending.delete(d);
            out(
              `  ${d.build.name}: ${f.fillIntervals} intervals after ${f.fillSeconds.toFixed(0)} s, RSS ${mb(f.rss)}`,
            );
          }
        }
      }
      for (const d of pending) {
        const h = await health(d);
        const f = figures.get(d.build) as Figures;
        f.fillIntervals = h.sampler.intervals;
        f.rss = vmRss(d.child.pid as number) ?? 0;
        f.storedCounters = h.sampler.storedCounters;
        out(`  ${d.build.name}: only ${f.fillIntervals} intervals in time`);
      }
      await Promise.all(daemons.map((d) => d.stop()));
      await sim.stop();
    }

    if (o.phases.has('pace')) {
      // Pace and latency at the defaults.
      sim = await startSim(join(work, 'machine-pace'), 1000);
      daemons = await Promise.all(builds.map((b) => startDaemon(b, sim, work, '1s', '15m')));
      await sleep(8000);
      const before = await Promise.all(
        daemons.map(async (d) => ({ h: await health(d), cpu: cpuMs(d.child.pid as number), t: Date.now() })),
      );
      await sleep(o.paceSeconds * 1000);
      for (const [i, d] of daemons.entries()) {
        const h = await health(d);
        const b = before[i] as (typeof before)[number];
        const samples = h.sampler.samples - b.h.sampler.samples;
        const f = figures.get(d.build) as Figures;
        f.samplesPerSecond = samples / ((Date.now() - b.t) / 1000);
        f.cpuPerSample = samples > 0 ? (cpuMs(d.child.pid as number) - b.cpu) / samples : Number.NaN;
      }
      for (const d of daemons) {
        const f = figures.get(d.build) as Figures;
        for (const path of ENDPOINTS) {
          const times: number[] = [];
          for (let k = 0; k < o.requests; k++) {
            const r = await get(d.port, path, false, 120_000);
            if (r.status === 200) times.push(r.ms);
          }
          f.latency[path] = times;
        }
      }
      await Promise.all(daemons.map((d) => d.stop()));
      await sim.stop();
    }

    if (o.phases.has('wrk')) {
      if (wrkVersion() === null) out('  wrk phase skipped: wrk is not installed (Debian package `wrk`)');
      else {
        // One daemon at a time under wrk, the other stopped: both get the machine's full 2 cores.
        sim = await startSim(join(work, 'machine-wrk'), 1000);
        for (const b of builds) {
          const d = await startDaemon(b, sim, work, '1s', '15m');
          await sleep(8000);
          const f = figures.get(b) as Figures;
          const pid = d.child.pid as number;
          f.wrkRss.before = vmRss(pid) ?? 0;
          const watch = new DaemonWatch(d.port, pid, 250);
          for (const path of WRK_ENDPOINTS) {
            const from = watch.now();
            const r = await runWrk({
              url: `http://127.0.0.1:${d.port}${path}`,
              seconds: WRK_SECONDS,
              connections: WRK_CONNECTIONS,
              threads: 1,
              timeoutSeconds: 30,
            });
            const st = phaseStats(watch, from, watch.now());
            f.wrk[path] = {
              rps: r.rps,
              p99: r.p99,
              probe: st.probe,
              spacingMax: st.spacing.max,
              rssMax: st.rssMax ?? 0,
            };
            await sleep(3000);
          }
          await watch.stop();
          f.wrkRss.after = vmRss(pid) ?? 0;
          await d.stop();
        }
        await sim.stop();
      }
    }

    if (o.phases.has('wide')) {
      // The 1,152-CPU corpus file, its non-zero cells ticking.
      sim = await startTicker(join(work, 'ticker'));
      daemons = await Promise.all(builds.map((b) => startDaemon(b, sim, work, '1s', '15m')));
      await sleep(8000);
      for (const [i, p] of (await pace(daemons, o.paceSeconds)).entries()) {
        const d = daemons[i] as Daemon;
        const f = figures.get(d.build) as Figures;
        f.wide = {
          rss: vmRss(d.child.pid as number) ?? 0,
          peak: vmHwm(d.child.pid as number),
          samplesPerSecond: p.perSecond,
          cpuPerSample: p.cpuPerSample,
        };
      }
      await Promise.all(daemons.map((d) => d.stop()));
      await sim.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const cols = builds.map((b) => figures.get(b) as Figures);
  const lat = (f: Figures, path: string): string => {
    const xs = f.latency[path] ?? [];
    return xs.length === 0 ? '—' : `${ms(median(xs))} (max ${ms(Math.max(...xs))}) ms`;
  };
  const rows: string[][] = [
    ...(o.phases.has('fill')
      ? [
          ['RSS with the history full', ...cols.map((f) => `${mb(f.rss)} at ${f.fillIntervals} intervals`)],
          ['stored counters', ...cols.map((f) => String(f.storedCounters))],
        ]
      : []),
    ...(o.phases.has('pace')
      ? [
          ['samples/s at --interval 1s', ...cols.map((f) => f.samplesPerSecond.toFixed(3))],
          ['CPU per sample (idle daemon)', ...cols.map((f) => `${ms(f.cpuPerSample)} ms`)],
          ...ENDPOINTS.map((p) => [`${p} median`, ...cols.map((f) => lat(f, p))]),
        ]
      : []),
    ...(o.phases.has('wide')
      ? [
          ['1,152-CPU file: RSS (peak)', ...cols.map((f) => `${mb(f.wide.rss)} (${mb(f.wide.peak)})`)],
          ['1,152-CPU file: samples/s', ...cols.map((f) => f.wide.samplesPerSecond.toFixed(3))],
          ['1,152-CPU file: CPU per sample', ...cols.map((f) => `${ms(f.wide.cpuPerSample)} ms`)],
        ]
      : []),
    ...(o.phases.has('wrk') && cols.some((f) => Object.keys(f.wrk).length > 0)
      ? [
          ...WRK_ENDPOINTS.flatMap((p) => [
            [
              `wrk ${p}: req/s (p99)`,
              ...cols.map((f) => wrkCell(f.wrk[p], (w) => `${w.rps.toFixed(0)} (${ms(w.p99)} ms)`)),
            ],
            [
              '  /healthz meanwhile: p50 / p99 / max',
              ...cols.map((f) =>
                wrkCell(f.wrk[p], (w) => `${ms(w.probe.p50)} / ${ms(w.probe.p99)} / ${ms(w.probe.max)} ms`),
              ),
            ],
            [
              '  longest gap between samples',
              ...cols.map((f) => wrkCell(f.wrk[p], (w) => `${ms(w.spacingMax)} ms`)),
            ],
            ['  RSS max', ...cols.map((f) => wrkCell(f.wrk[p], (w) => mb(w.rssMax)))],
          ]),
          ['RSS before wrk / after', ...cols.map((f) => `${mb(f.wrkRss.before)} / ${mb(f.wrkRss.after)}`)],
        ]
      : []),
  ];
  out(
    table([{ header: 'figure' }, ...builds.map((b) => ({ header: b.name, align: 'right' as const }))], rows),
  );
  out(
    `  (the machine runs in a process of its own; each daemon reads its tree --read-only. RSS: ${o.fill} intervals\n` +
      '   at --interval 300ms, the count 15 minutes holds at 1 s, both daemons and the machine running at once;\n' +
      `   pace over ${o.paceSeconds} s with both daemons idle at --interval 1s; latency: ${o.requests} requests each,\n` +
      '   one daemon at a time, the other one sampling; the 1,152-CPU file is test/fixtures/corpus/21-…, rewritten\n' +
      '   every second by bench/peers/ticker.mjs with each non-zero cell +1, both daemons reading it at once;\n' +
      `   wrk: ${WRK_CONNECTIONS} connections, ${WRK_SECONDS} s per endpoint, one daemon at a time at --interval 1s,\n` +
      '   /healthz probed every 250 ms by this process, which shares the cores with wrk and the daemon;\n' +
      `   node flags as each tree's package runs irqkitd: ${builds.map((b) => `${b.name}: ${b.nodeFlags.join(' ') || 'none'}`).join('; ')})`,
  );
}
