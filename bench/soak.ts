/**
 * `npm run bench:soak [-- --minutes N] [-- --retention DURATION] [-- --rate R] [-- --sim outside|inside]`
 *
 * irqkitd on the simulated 256-CPU, 2,000-IRQ machine for N minutes (default 10) under steady
 * mixed traffic (R requests/s, default 4, round-robin over the read endpoints, plus a plan a
 * minute), reporting per minute: the daemon's RSS (from /proc/<pid>/status), the history it
 * holds (/healthz `storedCounters`, the ring buffer's size), sampling rate and spacing, and the
 * /healthz probe latency as the event-loop delay seen from outside (bench/daemon-watch.ts).
 *
 * The retention defaults to 3 minutes, well inside the run, so the ring buffer fills and the
 * minutes after it show whether memory settles at that bound or keeps growing. Figures only.
 */
import { cpus, loadavg, release } from 'node:os';
import { DaemonWatch, percentile, phaseStats } from './daemon-watch.ts';
import { get, startLoadDaemon } from './load-machine.ts';
import { mb, median, ms, section, table } from './report.ts';

const USAGE =
  'usage: npm run bench:soak [-- --minutes N] [-- --retention DURATION] [-- --rate R] [-- --sim outside|inside]';

interface Options {
  minutes: number;
  retention: string;
  rate: number;
  sim: 'outside' | 'inside';
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { minutes: 10, retention: '3m', rate: 4, sim: 'outside' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--minutes') o.minutes = positive(value(), a);
    else if (a === '--rate') o.rate = positive(value(), a);
    else if (a === '--retention') {
      const v = value();
      // At least the 30 s window the traffic asks for.
      if (!/^\d+(s|m|h)$/.test(v) || (v.endsWith('s') && Number.parseInt(v, 10) < 30)) {
        throw new Error(`--retention takes a duration of at least 30s, such as 3m, not '${v}'`);
      }
      o.retention = v;
    } else if (a === '--sim') {
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
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${what} takes a positive number, not '${v}'`);
  return n;
}

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));
const f = (x: number): string => (Number.isFinite(x) ? ms(x) : '—');

/** The read endpoints a monitoring setup would poll, in turn. */
const ROUND = [
  '/api/v1/cpus?window=5s',
  '/api/v1/distribution?window=5s',
  '/metrics',
  '/api/v1/interrupts',
  '/api/v1/irqs',
  '/api/v1/cpus?window=30s',
];

async function main(): Promise<void> {
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench:soak: ${(e as Error).message}\n${USAGE}`);
    process.exit(64);
  }
  const out = (line: string): void => console.log(line);
  const started = performance.now();
  out(
    `irqkit bench:soak — Node ${process.version}, Linux ${release()}, ${cpus().length} × ` +
      `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, load average ${loadavg()[0]?.toFixed(2)}; ${o.minutes} min, ` +
      `${o.rate} req/s + a plan a minute; irqkitd --interval 1s --retention ${o.retention}; simulator ${o.sim} the daemon`,
  );
  const d = await startLoadDaemon({ sim: o.sim, interval: '1s', retention: o.retention });
  out(`machine: ${d.cpus} CPUs, ${d.irqs} IRQs; irqkitd pid ${d.pid}`);
  const watch = new DaemonWatch(d.port, d.pid, 1000);
  const requests = { ok: 0, failed: 0, ms: [] as number[] };
  let traffic = true;
  const driver = (async () => {
    let i = 0;
    let next = performance.now();
    let lastPlan = performance.now();
    while (traffic) {
      const plan = performance.now() - lastPlan >= 60_000;
      if (plan) lastPlan = performance.now();
      const path = plan ? '/api/v1/plan?window=10s' : (ROUND[i++ % ROUND.length] as string);
      // Not awaited: a slow answer must not lower the offered rate.
      void get(d.port, path, false, 60_000).then(
        (r) => {
          if (r.status === 200) requests.ok++;
          else requests.failed++;
          requests.ms.push(r.ms);
        },
        () => {
          requests.failed++;
        },
      );
      next += 1000 / o.rate;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
  })();

  const minute = 60_000;
  const rows: string[][] = [];
  const perMinute: Array<{ rssMedian: number; stored: number; history: number }> = [];
  try {
    for (let m = 0; m < o.minutes; m++) {
      const from = m * minute;
      while (watch.now() < from + minute) await sleep(1000);
      const rs = watch.readings.filter((r) => r.t >= from && r.t < from + minute);
      const s = phaseStats(watch, from, from + minute);
      const rss = rs.map((r) => r.rss).filter((x): x is number => x !== null);
      const stored = Math.max(0, ...rs.map((r) => r.storedCounters));
      const history = Math.max(0, ...rs.map((r) => r.historySeconds));
      perMinute.push({ rssMedian: median(rss), stored, history });
      const reqMs = requests.ms.splice(0);
      const row = [
        String(m + 1),
        mb(Math.min(...rss)),
        mb(median(rss)),
        mb(Math.max(...rss)),
        String(stored),
        history.toFixed(0),
        s.samplesPerSecond.toFixed(3),
        f(s.spacing.max),
        f(s.probe.p50),
        f(s.probe.p99),
        f(s.probe.max),
        `${requests.ok}/${requests.failed}`,
        f(median(reqMs)),
        f(percentile(reqMs, 99)),
      ];
      requests.ok = 0;
      requests.failed = 0;
      rows.push(row);
      // A line per minute as it happens, so a long run shows progress.
      out(
        `  minute ${row[0]}: RSS ${row[2]} (max ${row[3]}), history ${row[5]} s / ${row[4]} counters, probe p99 ${row[9]} ms`,
      );
    }
  } finally {
    traffic = false;
    await driver;
    await watch.stop();
    const code = await d.stop();
    if (code !== 0) out(`irqkitd exited ${code}; log tail:\n${d.stderr().slice(-2000)}`);
  }

  out(section(`Per minute (probes of /healthz every second; ${o.rate} req/s of traffic)`));
  out(
    table(
      [
        { header: 'min' },
        { header: 'RSS min', align: 'right' },
        { header: 'median', align: 'right' },
        { header: 'max', align: 'right' },
        { header: 'stored counters', align: 'right' },
        { header: 'history s', align: 'right' },
        { header: 'samples/s', align: 'right' },
        { header: 'spacing max', align: 'right' },
        { header: 'probe p50', align: 'right' },
        { header: 'p99', align: 'right' },
        { header: 'max', align: 'right' },
        { header: 'req ok/failed', align: 'right' },
        { header: 'req p50', align: 'right' },
        { header: 'p99', align: 'right' },
      ],
      rows,
    ),
  );
  out(
    '  (stored counters: non-zero per-CPU deltas held in the history, /healthz storedCounters;\n' +
      '   probe: /healthz latency, the event-loop delay seen from outside plus ~1 ms of loopback HTTP)',
  );
  // Growth once the ring buffer is full: the first whole minute with a full history against the last.
  const unit = { s: 1, m: 60, h: 3600 }[o.retention.replace(/^\d+/, '') as 's' | 'm' | 'h'] ?? 1;
  const retentionS = Number.parseInt(o.retention, 10) * unit;
  const fullFrom = perMinute.findIndex((p) => p.history >= retentionS - 2);
  const first = fullFrom >= 0 ? perMinute[Math.min(fullFrom + 1, perMinute.length - 1)] : undefined;
  const last = perMinute[perMinute.length - 1];
  if (first && last && fullFrom + 1 < perMinute.length - 1) {
    out(
      `\nAfter the history filled (minute ${fullFrom + 1}): median RSS ${mb(first.rssMedian)} in minute ${fullFrom + 2}, ` +
        `${mb(last.rssMedian)} in minute ${perMinute.length} (${last.rssMedian >= first.rssMedian ? '+' : '−'}` +
        `${mb(Math.abs(last.rssMedian - first.rssMedian))}); stored counters ${first.stored} → ${last.stored}`,
    );
  } else {
    out(`\nThe history (${o.retention}) did not fill with a minute to spare; run longer to see the plateau.`);
  }
  out(`\nbench:soak finished in ${((performance.now() - started) / 60_000).toFixed(1)} min`);
}

main().catch((e: unknown) => {
  console.error(`bench:soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
