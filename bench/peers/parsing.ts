/**
 * Parsing and sampling cost on the 1,152-CPU corpus file (13.4 MB, ~1,000 IRQ rows): irqkitd
 * sampling a fake procfs every second and serving /metrics, against Debian's
 * prometheus-node-exporter's interrupts collector reading the same file per scrape. CPU time is
 * each process's utime + stime from /proc/PID/stat (all threads), over several samples or scrapes.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_1152 } from '../paths.ts';
import { median, section, table } from '../report.ts';
import {
  bytes,
  cpuSeconds,
  freePort,
  get,
  IRQKITD,
  irqkitdSamples,
  memory,
  REPO,
  seriesCount,
  sleep,
  startServer,
} from './proc.ts';

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

export interface ParsingSummary {
  /** irqkitd on the static corpus file. */
  irqkitdRss: number;
  irqkitdHwm: number;
  irqkitdCpuPerSample: number;
}

interface Measured {
  label: string;
  series: number;
  bytes: number;
  /** CPU seconds per scrape (irqkitd: net of the sampling that ran meanwhile). */
  cpuPerScrape: number;
  wallPerScrape: number;
  /** irqkitd only. */
  cpuPerSample: number | null;
  samples: number | null;
  scrapes: number;
  rss: number;
  hwm: number;
  startMs: number;
}

const s3 = (sec: number): string => (sec >= 1 ? `${sec.toFixed(2)} s` : `${(sec * 1000).toFixed(0)} ms`);

async function measureIrqkitd(
  label: string,
  procDir: string,
  sysDir: string,
  work: string,
  extra: readonly string[],
  sampleSeconds: number,
  scrapes: number,
): Promise<Measured> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const state = mkdtempSync(join(work, 'state-'));
  const srv = await startServer(
    process.execPath,
    [
      IRQKITD,
      '--procfs',
      procDir,
      '--sysfs',
      sysDir,
      '--interval',
      '1s',
      '--listen',
      `127.0.0.1:${port}`,
      '--state-dir',
      state,
      ...extra,
    ],
    url,
    '/healthz',
    join(work, `irqkitd-${label.replace(/\W+/g, '-')}.log`),
  );
  try {
    // Warm-up: the JIT compiles the parser on the first samples.
    for (let i = 0; i < 100 && (await irqkitdSamples(url)) < 3; i++) await sleep(200);
    const c0 = cpuSeconds(srv.pid);
    const n0 = await irqkitdSamples(url);
    await sleep(sampleSeconds * 1000);
    const c1 = cpuSeconds(srv.pid);
    const n1 = await irqkitdSamples(url);
    const perSample = (c1 - c0) / (n1 - n0);
    await get(`${url}/metrics`); // warm
    const c2 = cpuSeconds(srv.pid);
    const n2 = await irqkitdSamples(url);
    const walls: number[] = [];
    let last = { bytes: 0, body: '' };
    for (let i = 0; i < scrapes; i++) {
      const r = await get(`${url}/metrics`);
      walls.push(r.ms / 1000);
      last = r;
    }
    const c3 = cpuSeconds(srv.pid);
    const n3 = await irqkitdSamples(url);
    const mem = memory(srv.pid);
    return {
      label,
      series: seriesCount(last.body),
      bytes: last.bytes,
      cpuPerScrape: Math.max(0, (c3 - c2 - (n3 - n2) * perSample) / scrapes),
      wallPerScrape: median(walls),
      cpuPerSample: perSample,
      samples: n1 - n0,
      scrapes,
      rss: mem.rss,
      hwm: mem.hwm,
      startMs: srv.startMs,
    };
  } finally {
    await srv.stop();
  }
}

async function measureNodeExporter(
  procDir: string,
  sysDir: string,
  work: string,
  warm: boolean,
  scrapes: number,
): Promise<Measured> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const srv = await startServer(
    NODE_EXPORTER,
    [
      '--collector.disable-defaults',
      '--collector.interrupts',
      '--path.procfs',
      procDir,
      '--path.sysfs',
      sysDir,
      '--web.listen-address',
      `127.0.0.1:${port}`,
    ],
    url,
    '/',
    join(work, 'node-exporter.log'),
  );
  try {
    if (warm) await get(`${url}/metrics`);
    const c0 = cpuSeconds(srv.pid);
    const walls: number[] = [];
    let last = { bytes: 0, body: '' };
    for (let i = 0; i < scrapes; i++) {
      const r = await get(`${url}/metrics`, 300_000);
      walls.push(r.ms / 1000);
      last = r;
    }
    const c1 = cpuSeconds(srv.pid);
    const mem = memory(srv.pid);
    return {
      label: 'node_exporter 1.5 --collector.interrupts',
      series: seriesCount(last.body),
      bytes: last.bytes,
      cpuPerScrape: (c1 - c0) / scrapes,
      wallPerScrape: median(walls),
      cpuPerSample: null,
      samples: null,
      scrapes,
      rss: mem.rss,
      hwm: mem.hwm,
      startMs: srv.startMs,
    };
  } finally {
    await srv.stop();
  }
}

export async function runParsingBench(
  quick: boolean,
  out: (line: string) => void,
): Promise<ParsingSummary | null> {
  const size = existsSync(CORPUS_1152) ? statSync(CORPUS_1152).size : 0;
  out(
    section(
      `Parsing and sampling cost: irqkitd vs prometheus-node-exporter on the 1,152-CPU corpus file (${bytes(size)})`,
    ),
  );
  if (!existsSync(CORPUS_1152)) {
    out(`  skipped: no corpus file at ${CORPUS_1152}`);
    return null;
  }
  const work = mkdtempSync(join(tmpdir(), 'irqkit-peers-parse-'));
  const procDir = join(work, 'proc');
  const sysDir = join(work, 'sys');
  const tickDir = join(work, 'proc-ticking');
  mkdirSync(procDir);
  mkdirSync(sysDir);
  mkdirSync(tickDir);
  copyFileSync(CORPUS_1152, join(procDir, 'interrupts'));
  const sampleSeconds = quick ? 8 : 30;
  const results: Measured[] = [];
  let summary: ParsingSummary | null = null;
  try {
    const a = await measureIrqkitd('irqkitd', procDir, sysDir, work, [], sampleSeconds, quick ? 3 : 10);
    results.push(a);
    summary = { irqkitdRss: a.rss, irqkitdHwm: a.hwm, irqkitdCpuPerSample: a.cpuPerSample ?? Number.NaN };
    if (!quick) {
      // The counters move: every non-zero cell +1 per second, so the history and the IRQ×CPU
      // series hold what a real machine's would.
      const ticker = spawn(
        process.execPath,
        [join(REPO, 'bench', 'peers', 'ticker.mjs'), CORPUS_1152, tickDir, '1000'],
        {
          stdio: 'ignore',
        },
      );
      try {
        for (let i = 0; i < 100 && !existsSync(join(tickDir, 'interrupts')); i++) await sleep(100);
        results.push(
          await measureIrqkitd(
            'irqkitd --metrics-irq-cpu, ticking file',
            tickDir,
            sysDir,
            work,
            ['--metrics-irq-cpu'],
            20,
            3,
          ),
        );
      } finally {
        ticker.kill('SIGTERM');
      }
    }
    if (existsSync(NODE_EXPORTER))
      results.push(await measureNodeExporter(procDir, sysDir, work, !quick, quick ? 1 : 3));
    else out(`  node_exporter: ${NODE_EXPORTER} not installed (apt-get install -y prometheus-node-exporter)`);
  } catch (e) {
    out(`  FAILED: ${(e as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  out(
    table(
      [
        { header: 'exporter' },
        { header: 'series', align: 'right' },
        { header: 'bytes/scrape', align: 'right' },
        { header: 'CPU/scrape', align: 'right' },
        { header: 'wall/scrape', align: 'right' },
        { header: 'CPU/sample', align: 'right' },
        { header: 'measured over', align: 'right' },
        { header: 'RSS', align: 'right' },
        { header: 'peak RSS', align: 'right' },
      ],
      results.map((m) => [
        m.label,
        String(m.series),
        bytes(m.bytes),
        s3(m.cpuPerScrape),
        s3(m.wallPerScrape),
        m.cpuPerSample === null ? '— (reads per scrape)' : s3(m.cpuPerSample),
        m.samples === null ? `${m.scrapes} scrapes` : `${m.samples} samples, ${m.scrapes} scrapes`,
        bytes(m.rss),
        bytes(m.hwm),
      ]),
    ),
  );
  out(
    '  CPU: utime+stime of the process (all threads) from /proc/PID/stat (10 ms ticks). irqkitd reads and\n' +
      '  parses the file once per sample (every 1 s) and a scrape only renders its totals, so its CPU/scrape\n' +
      '  is net of the samples taken meanwhile; node_exporter reads and parses the file on every scrape.\n' +
      '  Plain-text scrapes (no gzip). irqkitd exports totals since it started: k + n series by default;\n' +
      '  its IRQ×CPU series hold only the pairs that counted since then (hence the ticking file).',
  );
  const ik = results.find((m) => m.label === 'irqkitd');
  const ne = results.find((m) => m.label.startsWith('node_exporter'));
  if (ik?.cpuPerSample != null && ne) {
    out('\nTarget');
    out(
      `  irqkitd CPU per sample < node_exporter CPU per scrape: ${s3(ik.cpuPerSample)} vs ${s3(ne.cpuPerScrape)} ` +
        `(${(ne.cpuPerScrape / ik.cpuPerSample).toFixed(0)}× less): ${ik.cpuPerSample < ne.cpuPerScrape ? 'met' : 'NOT met'}`,
    );
    out(
      `  at their usual rates: irqkitd sampling every 1 s uses ${(ik.cpuPerSample * 100).toFixed(1)}% of a CPU; ` +
        `node_exporter scraped every 15 s, ${((ne.cpuPerScrape / 15) * 100).toFixed(1)}%`,
    );
  }
  return summary;
}
