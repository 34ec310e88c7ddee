/**
 * `npm run bench:load [-- --seconds N] [-- --connections N] [-- --sim outside|inside] [-- --quick]`
 *
 * irqkitd on loopback against a simulated 256-CPU, 2,000-IRQ machine (bench/load-machine.ts),
 * driven by wrk one endpoint at a time: requests per second and p50/p99/max latency for
 * `/api/v1/cpus?window=5s`, `/api/v1/distribution?window=5s` and `/metrics`, and whether sampling
 * keeps its 1 s interval meanwhile (sample spacing and samples per second from /healthz before,
 * during and after each run; bench/daemon-watch.ts says how). Figures only; asserts nothing.
 */
import { cpus, loadavg, release } from 'node:os';
import { DaemonWatch, type PhaseStats, phaseStats, type DaemonWatch as Watch } from './daemon-watch.ts';
import { get, startLoadDaemon } from './load-machine.ts';
import { mb, median, ms, section, table } from './report.ts';
import { runWrk, type WrkResult, wrkVersion } from './wrk.ts';

const USAGE =
  'usage: npm run bench:load [-- --seconds N] [-- --connections N] [-- --sim outside|inside] [-- --quick]';

interface Options {
  seconds: number;
  connections: number;
  sim: 'outside' | 'inside';
  idleSeconds: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { seconds: 20, connections: 16, sim: 'outside', idleSeconds: 10 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') {
      o.seconds = 5;
      o.idleSeconds = 4;
    } else if (a === '--seconds') o.seconds = positive(value(), a);
    else if (a === '--connections') o.connections = positive(value(), a);
    else if (a === '--sim') {
      const v = value();
      if (v !== 'outside' && v !== 'inside') throw new Error(`--sim takes outside or inside, not '${v}'`);
      o.sim = v;
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'`);
  }
  return o;
}

function positive(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} takes a positive integer, not '${v}'`);
  return n;
}

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));

async function waitForHistory(watch: Watch, seconds: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const last = watch.readings[watch.readings.length - 1];
    if (last && last.historySeconds >= seconds) return;
    await sleep(250);
  }
  throw new Error(`irqkitd did not gather ${seconds} s of history within ${timeoutMs / 1000} s`);
}

const f = (x: number): string => (Number.isFinite(x) ? ms(x) : '—');

async function main(): Promise<void> {
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench:load: ${(e as Error).message}\n${USAGE}`);
    process.exit(64);
  }
  const wrk = wrkVersion();
  if (wrk === null) {
    console.error('bench:load needs wrk on PATH (Debian/Ubuntu: apt-get install wrk)');
    process.exit(69);
  }
  const out = (line: string): void => console.log(line);
  const started = performance.now();
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  out(
    `irqkit bench:load — Node ${process.version}, Linux ${release()}, ${cpus().length} × ${cpu}, load average ` +
      `${loadavg()[0]?.toFixed(2)}; ${wrk.split(' [')[0]}, ` +
      `1 thread, ${o.connections} connections, ${o.seconds} s per endpoint; simulator ${o.sim} the daemon`,
  );

  const d = await startLoadDaemon({ sim: o.sim, interval: '1s', retention: '15m' });
  const watch = new DaemonWatch(d.port, d.pid, 250);
  const phases: Array<{ name: string; from: number; to: number }> = [];
  const results: Array<{ path: string; single: number; bytes: number; wrk: WrkResult }> = [];
  try {
    out(
      `machine: ${d.cpus} CPUs, ${d.irqs} IRQs` +
        (d.interruptsBytes > 0 ? `, /proc/interrupts ${mb(d.interruptsBytes)}` : '') +
        `; irqkitd --interval 1s --retention 15m (pid ${d.pid})`,
    );
    await waitForHistory(watch, 6, 60_000);
    let from = watch.now();
    await sleep(o.idleSeconds * 1000);
    phases.push({ name: 'idle, before', from, to: watch.now() });

    for (const path of ['/api/v1/cpus?window=5s', '/api/v1/distribution?window=5s', '/metrics']) {
      // One request at a time first: the latency without queueing, and the answer's size.
      const singles = [];
      for (let i = 0; i < 5; i++) singles.push(await get(d.port, path, false));
      from = watch.now();
      const r = await runWrk({
        url: `${d.url}${path}`,
        seconds: o.seconds,
        connections: o.connections,
        threads: 1,
        timeoutSeconds: 10,
      });
      phases.push({ name: `wrk ${path}`, from, to: watch.now() });
      results.push({
        path,
        single: median(singles.map((s) => s.ms)),
        bytes: singles[0]?.bytes ?? 0,
        wrk: r,
      });
      await sleep(3000);
    }
    from = watch.now();
    await sleep(o.idleSeconds * 1000);
    phases.push({ name: 'idle, after', from, to: watch.now() });
  } finally {
    await watch.stop();
    const code = await d.stop();
    if (code !== 0) out(`irqkitd exited ${code}; stderr tail:\n${d.stderr().slice(-2000)}`);
  }

  out(section(`Throughput and latency (wrk, ${o.connections} connections, ${o.seconds} s each)`));
  out(
    table(
      [
        { header: 'endpoint' },
        { header: 'body', align: 'right' },
        { header: 'alone ms', align: 'right' },
        { header: 'requests', align: 'right' },
        { header: 'req/s', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'max ms', align: 'right' },
        { header: 'non-2xx', align: 'right' },
        { header: 'errors', align: 'right' },
      ],
      results.map((r) => [
        r.path,
        mb(r.wrk.bytesPerRequest || r.bytes),
        f(r.single),
        String(r.wrk.requests),
        r.wrk.rps.toFixed(1),
        f(r.wrk.p50),
        f(r.wrk.p99),
        f(r.wrk.max),
        String(r.wrk.non2xx),
        String(r.wrk.errors),
      ]),
    ),
  );
  out('  (alone: median of 5 sequential requests on fresh connections before the run; body incl. headers)');

  out(section('Sampling under load (interval 1 s; from /healthz every 250 ms)'));
  const stats: Array<[string, PhaseStats]> = phases.map((p) => [p.name, phaseStats(watch, p.from, p.to)]);
  out(
    table(
      [
        { header: 'phase' },
        { header: 'samples/s', align: 'right' },
        { header: 'mean spacing', align: 'right' },
        { header: 'pairs', align: 'right' },
        { header: 'spacing p50', align: 'right' },
        { header: 'max', align: 'right' },
        { header: 'probe p50', align: 'right' },
        { header: 'p99', align: 'right' },
        { header: 'max', align: 'right' },
        { header: 'CPU', align: 'right' },
        { header: 'RSS max', align: 'right' },
        { header: 'loop max', align: 'right' },
        { header: 'probes failed', align: 'right' },
      ],
      stats.map(([name, s]) => [
        name,
        s.samplesPerSecond.toFixed(3),
        f(s.meanSpacing),
        String(s.spacing.n),
        f(s.spacing.p50),
        f(s.spacing.max),
        f(s.probe.p50),
        f(s.probe.p99),
        f(s.probe.max),
        s.cpuPercent === null ? '—' : `${s.cpuPercent.toFixed(0)}%`,
        s.rssMax === null ? '—' : mb(s.rssMax),
        s.loopMaxMs === null ? '—' : f(s.loopMaxMs),
        String(s.failed),
      ]),
    ),
  );
  out(
    '  (spacing: ms between consecutive samples = interval + read/parse/diff time + timer lateness, from\n' +
      "   the daemon's own lastSampleAt; mean over the phase, and p50/max over the pairs of readings exactly\n" +
      '   one sample apart; probe: /healthz latency, queued behind the load in the wrk phases; CPU: daemon\n' +
      "   user+system time, 100% = one core; loop max: the daemon's longest event-loop delay since it\n" +
      '   started, as of the phase end (ms; a phase that does not raise it held the loop no longer))',
  );
  out(`\nbench:load finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e: unknown) => {
  console.error(`bench:load failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
