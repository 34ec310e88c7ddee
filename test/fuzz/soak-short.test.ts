/**
 * The CI-sized soak: irqkitd on a simulated 64-CPU machine, sampling every 100 ms with a 3 s
 * history (so its ring buffer is full after 3 s and turns over ~8 times in the run), under
 * continuous read traffic for about 25 s. A memory-growth check, not a speed test: once warmed
 * up, the history it holds (/healthz `storedCounters`) stays at its bound and its RSS (from
 * /proc/<pid>/status) does not keep growing beyond a generous margin. `npm run bench:soak` is
 * the long version with figures.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type DaemonProcess, simArgs, sleep, startDaemon } from '../helpers/daemon-process.ts';
import { after } from '../helpers/node-test-hooks.ts';

/** Warm-up: the history fills in 3 s; JIT, heap sizing and socket buffers settle after that. */
const WARM_UP_MS = 8_000;
const RUN_MS = 25_000;
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
    timeout: 90_000,
  }, async () => {
    const daemon = await startDaemon(simArgs('64cpu,4node', ['--retention', '3s']));
    d = daemon;
    const pid = daemon.child.pid as number;
    const t0 = Date.now();
    let requests = 0;
    let running = true;
    // Four clients in a loop, each request on a fresh connection (the helper uses no agent).
    const clients = Array.from({ length: 4 }, async (_, k) => {
      for (let i = k; running; i++) {
        const r = await daemon.request({ path: PATHS[i % PATHS.length] as string, timeoutMs: 20_000 });
        assert.equal(r.status, 200, `${PATHS[i % PATHS.length]}: ${r.text.slice(0, 200)}`);
        requests++;
      }
    });
    const readings: Array<{ t: number; rss: number; stored: number }> = [];
    while (Date.now() - t0 < RUN_MS) {
      await sleep(500);
      const h = (await daemon.request({ path: '/healthz' })).json<{ sampler: { storedCounters: number } }>();
      readings.push({ t: Date.now() - t0, rss: vmRss(pid), stored: h.sampler.storedCounters });
    }
    running = false;
    await Promise.all(clients);

    const warm = readings.filter((r) => r.t >= WARM_UP_MS);
    const third = Math.floor(warm.length / 3);
    const early = warm.slice(0, third);
    const late = warm.slice(-third);
    const growth = median(late.map((r) => r.rss)) - median(early.map((r) => r.rss));
    const storedEarly = Math.max(...early.map((r) => r.stored));
    const storedLate = Math.max(...late.map((r) => r.stored));
    const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;
    console.log(
      `# soak-short: ${requests} requests in ${RUN_MS / 1000} s; RSS median ${mib(median(early.map((r) => r.rss)))} → ` +
        `${mib(median(late.map((r) => r.rss)))} (${growth >= 0 ? '+' : ''}${mib(growth)}), max ` +
        `${mib(Math.max(...readings.map((r) => r.rss)))}; stored counters ${storedEarly} → ${storedLate}`,
    );
    assert.ok(requests > 100, `the clients kept the daemon busy (${requests} requests)`);
    // The ring buffer: the same 3 s of history at the end as after warm-up (±25 % for noise).
    assert.ok(storedLate <= storedEarly * 1.25, `history grew from ${storedEarly} to ${storedLate} counters`);
    assert.ok(
      growth < RSS_GROWTH_LIMIT,
      `RSS grew by ${mib(growth)} after warm-up (limit ${mib(RSS_GROWTH_LIMIT)})`,
    );
    assert.ok(daemon.running());
  });
});
