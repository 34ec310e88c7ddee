/**
 * The CI-sized soak: irqkitd on a simulated 64-CPU machine, sampling every 100 ms with a 3 s
 * history (so its ring buffer is full after ~30 samples and turns over ~8 times in the run),
 * under continuous read traffic for 250 samples. A memory-growth check, not a speed test: the
 * history never holds more than its 3 s nor more counters than its intervals can have (an exact
 * bound, not a comparison of two moments), and its RSS (from /proc/<pid>/status) does not keep
 * growing beyond a generous margin after warm-up. The run is counted in samples, not seconds: a
 * loaded machine makes it longer, not different. `npm run bench:soak` is the long version with
 * figures.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  afterSamples,
  type DaemonProcess,
  type SamplerFigures,
  samplerFigures,
  simArgs,
  startDaemon,
} from '../helpers/daemon-process.ts';
import { after } from '../helpers/node-test-hooks.ts';

const RETENTION_S = 3;
/** Warm-up: the history fills in ~30 samples; JIT, heap sizing and socket buffers settle after that. */
const WARM_UP_SAMPLES = 80;
const RUN_SAMPLES = 250;
const READ_EVERY_SAMPLES = 5;
/** RSS may wobble with GC; a leak of one window answer per request would add far more. */
const RSS_GROWTH_LIMIT = 48 * 1024 * 1024;

const PATHS = [
  '/api/v1/distribution?window=3s',
  '/api/v1/cpus?window=1s',
  '/metrics',
  '/api/v1/interrupts',
  '/api/v1/irqs',
  '/api/v1/plan?window=2s',
  '/api/v1/interrupts?format=text',
];

function vmRss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

describe('irqkitd memory over a short soak (real daemon process)', () => {
  let d: DaemonProcess | undefined;
  after(async () => {
    const r = await d?.stop();
    assert.equal(r?.code, 0, `irqkitd exits 0 on SIGTERM; stderr:\n${d?.stderr().slice(-2000)}`);
  });

  it('holds a bounded history and does not keep growing its RSS after warm-up', {
    timeout: 300_000,
  }, async () => {
    const daemon = await startDaemon(simArgs('64cpu,4node', ['--retention', `${RETENTION_S}s`]));
    d = daemon;
    const pid = daemon.child.pid as number;
    let requests = 0;
    let running = true;
    // Four clients in a loop, each request on a fresh connection (the helper uses no agent).
    let plans = 0;
    const clients = Array.from({ length: 4 }, async (_, k) => {
      for (let i = k; running; i++) {
        const path = PATHS[i % PATHS.length] as string;
        const r = await daemon.request({ path, timeoutMs: 60_000 });
        requests++;
        // irqkitd computes one plan at a time: another client's plan meanwhile is a documented 429.
        if (path.startsWith('/api/v1/plan') && r.status === 429) {
          assert.equal(r.json<{ code: string }>().code, 'IRQ_ERR_BUSY', r.text);
          assert.ok(Number(r.headers['retry-after']) > 0, 'a busy answer says when to retry');
          continue;
        }
        assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 200)}`);
        if (path.startsWith('/api/v1/plan')) plans++;
      }
    });
    // What one interval can hold (history.ts keeps non-zero per-CPU deltas plus one per row):
    // each numbered IRQ counts on the one CPU it is routed to (the soak moves nothing), each
    // named row on every CPU, a global row (ERR, MIS) in its one value. More would be zeros kept.
    const snap = (await daemon.request({ path: '/api/v1/interrupts' })).json<{
      cpus: number[];
      rows: Array<{ numeric: boolean; counts: number[] }>;
    }>();
    const perInterval = snap.rows.reduce(
      (n, r) => n + (r.numeric ? 1 : r.counts.length === snap.cpus.length ? snap.cpus.length : 0) + 1,
      0,
    );
    const readings: Array<{ samples: number; rss: number; sampler: SamplerFigures }> = [];
    let figures = await samplerFigures(daemon);
    // The clients keep the daemon busy for the whole run: at least 100 requests, whatever the load.
    while (figures.samples < RUN_SAMPLES || requests <= 100) {
      figures = await afterSamples(daemon, READ_EVERY_SAMPLES);
      readings.push({ samples: figures.samples, rss: vmRss(pid), sampler: figures });
    }
    running = false;
    await Promise.all(clients);

    for (const { samples, sampler } of readings) {
      assert.ok(
        sampler.historySeconds <= RETENTION_S,
        `after ${samples} samples the history holds ${sampler.historySeconds} s`,
      );
      assert.ok(
        sampler.storedCounters <= sampler.intervals * perInterval,
        `after ${samples} samples: ${sampler.storedCounters} counters in ${sampler.intervals} intervals of at most ${perInterval}`,
      );
    }
    const warm = readings.filter((r) => r.samples >= WARM_UP_SAMPLES);
    const third = Math.floor(warm.length / 3);
    const early = warm.slice(0, third);
    const late = warm.slice(-third);
    const growth = median(late.map((r) => r.rss)) - median(early.map((r) => r.rss));
    const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;
    const stored = (rs: typeof readings): number => Math.max(...rs.map((r) => r.sampler.storedCounters));
    console.log(
      `# soak-short: ${requests} requests over ${figures.samples} samples; RSS median ${mib(median(early.map((r) => r.rss)))} → ` +
        `${mib(median(late.map((r) => r.rss)))} (${growth >= 0 ? '+' : ''}${mib(growth)}), max ` +
        `${mib(Math.max(...readings.map((r) => r.rss)))}; stored counters ${stored(early)} → ${stored(late)} ` +
        `(bound ${perInterval} per interval)`,
    );
    assert.ok(third >= 3, `${warm.length} readings after warm-up`);
    assert.ok(
      growth < RSS_GROWTH_LIMIT,
      `RSS grew by ${mib(growth)} after warm-up (limit ${mib(RSS_GROWTH_LIMIT)})`,
    );
    assert.ok(plans > 0, 'plans were answered, not only refused as busy');
    assert.ok(daemon.running());
  });
});
