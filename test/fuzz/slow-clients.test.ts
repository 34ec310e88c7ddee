/**
 * Clients that hold connections: 200 window queries that wait for history at once, and
 * slow-loris connections (headers one byte at a time, or nothing at all). irqkitd must keep
 * answering everyone else, keep sampling (after each /healthz probe the test waits for the sample
 * count to rise before it probes again), answer every waiting query once its window is there, and
 * shed the slow connections by its own timeouts (10 s for headers; the request timeout of 30 s
 * covers a connection that never sends a byte on Node 16, so that figure is logged rather than
 * waited for).
 *
 * No timing is asserted: a loaded machine makes this slower, not red; the figures go to the log.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { Distribution, Health } from '../../src/api/schemas.ts';
import {
  afterSamples,
  type DaemonProcess,
  eventually,
  simArgs,
  startDaemon,
} from '../helpers/daemon-process.ts';
import { after } from '../helpers/node-test-hooks.ts';

interface Probe {
  at: number;
  ms: number;
  status: number;
  samples: number;
}

/**
 * Probes /healthz until `stop()` says so, each probe's latency and sample count; between two
 * probes it waits until the daemon has sampled again, so a stalled sampler fails the wait.
 */
function probeHealth(d: DaemonProcess, stop: () => boolean): Promise<Probe[]> {
  return (async () => {
    const probes: Probe[] = [];
    const t0 = Date.now();
    while (!stop()) {
      const started = Date.now();
      const r = await d.request({ path: '/healthz', timeoutMs: 30_000 });
      const samples = r.status === 200 ? r.json<Health>().sampler.samples : -1;
      probes.push({ at: started - t0, ms: Date.now() - started, status: r.status, samples });
      if (r.status !== 200) break;
      await afterSamples(d, 1);
    }
    return probes;
  })();
}

function checkProbes(probes: readonly Probe[], what: string): void {
  assert.ok(probes.length >= 2, `${what}: ${probes.length} probes`);
  for (const p of probes) assert.equal(p.status, 200, `${what}: /healthz answered ${p.status}`);
  for (let i = 1; i < probes.length; i++) {
    const a = probes[i - 1] as Probe;
    const b = probes[i] as Probe;
    assert.ok(b.samples > a.samples, `${what}: samples stalled between probes at ${a.at} and ${b.at} ms`);
  }
}

const figures = (probes: readonly Probe[]): string => {
  const ms = probes.map((p) => p.ms).sort((a, b) => a - b);
  const p50 = ms[Math.floor(ms.length / 2)] ?? 0;
  return `${probes.length} probes, latency p50 ${p50} ms, max ${ms[ms.length - 1] ?? 0} ms`;
};

describe('irqkitd with clients that hold connections (real daemon process)', () => {
  const daemons: DaemonProcess[] = [];
  after(async () => {
    for (const d of daemons) {
      const r = await d.stop();
      assert.equal(r.code, 0, `irqkitd exits 0 on SIGTERM; stderr:\n${d.stderr().slice(-2000)}`);
    }
  });

  it('200 concurrent 5 s window queries on a fresh daemon wait for their history and all get it, while others are served and sampling goes on', {
    timeout: 180_000,
  }, async () => {
    const d = await startDaemon(simArgs('8cpu,2node', ['--retention', '10s', '--max-wait', '15s']));
    daemons.push(d);
    const started = Date.now();
    let done = false;
    const probing = probeHealth(d, () => done);
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        d.request({ path: '/api/v1/distribution?window=5s&wait=true', timeoutMs: 30_000 }),
      ),
    );
    const waited = Date.now() - started;
    done = true;
    const probes = await probing;
    for (const r of answers) {
      assert.equal(r.status, 200, r.text.slice(0, 200));
      const w = r.json<Distribution>().window;
      assert.equal(w.complete, true, 'each answer covers the whole window');
    }
    checkProbes(probes, 'during the waits');
    // A window query that did not need to wait is answered as usual next to them.
    assert.equal((await d.request({ path: '/api/v1/cpus?window=1s' })).status, 200);
    console.log(
      `# 200 waiting window queries: all answered after ${waited} ms; /healthz: ${figures(probes)}`,
    );
  });

  it('200 slow-loris connections and 50 silent ones do not stop other clients or sampling, and the slow ones are shed by the header timeout', {
    timeout: 180_000,
  }, async () => {
    const d = await startDaemon(simArgs('8cpu,2node', ['--retention', '10s']));
    daemons.push(d);
    const { port } = d.endpoint as { port: number };
    const t0 = Date.now();
    const request = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Pad: ${'a'.repeat(1000)}\r\n\r\n`;
    const sockets: Array<{
      socket: Socket;
      kind: 'slow' | 'silent';
      closedAt: number | null;
      answer: string;
    }> = [];
    const timers: Array<ReturnType<typeof setInterval>> = [];
    const open = (kind: 'slow' | 'silent'): void => {
      const socket = connect(port, '127.0.0.1');
      const entry = { socket, kind, closedAt: null as number | null, answer: '' };
      socket.on('data', (b: Buffer) => {
        entry.answer += b.toString('latin1');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        entry.closedAt = Date.now() - t0;
      });
      if (kind === 'slow') {
        let i = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || i >= request.length) return;
          socket.write(request[i++] as string);
        }, 100);
        timers.push(timer);
      }
      sockets.push(entry);
    };
    for (let i = 0; i < 200; i++) open('slow');
    for (let i = 0; i < 50; i++) open('silent');
    const slow = sockets.filter((s) => s.kind === 'slow');
    const silent = sockets.filter((s) => s.kind === 'silent');

    let done = false;
    const probing = probeHealth(d, () => done);
    // Headers time out after 10 s (checked every second on Node ≥ 18, on the next byte on 16);
    // meanwhile, window queries are answered, one after each sample.
    let windows = 0;
    await eventually(
      'every slow-loris connection to be shed',
      async () => {
        const r = await d.request({ path: '/api/v1/cpus?window=1s' });
        assert.equal(r.status, 200, 'window queries are answered meanwhile');
        windows++;
        await afterSamples(d, 1);
        return slow.every((s) => s.closedAt !== null) ? true : undefined;
      },
      120_000,
      0,
    );
    done = true;
    const probes = await probing;
    for (const t of timers) clearInterval(t);
    const shed = slow.filter((s) => s.closedAt !== null);
    const silentShed = silent.filter((s) => s.closedAt !== null);
    const times = shed.map((s) => s.closedAt as number).sort((a, b) => a - b);
    const answered408 = shed.filter((s) => s.answer.startsWith('HTTP/1.1 408')).length;
    console.log(
      `# slow-loris (Node ${process.version}): ${shed.length}/200 shed, first at ${times[0] ?? '—'} ms, last at ` +
        `${times[times.length - 1] ?? '—'} ms (${answered408} with a 408); silent: ${silentShed.length}/50 shed within ` +
        `${Date.now() - t0} ms; ${windows} window queries and /healthz: ${figures(probes)}`,
    );
    for (const s of sockets) s.socket.destroy();
    checkProbes(probes, 'during the slow-loris');
    assert.equal(shed.length, 200, 'every slow-loris connection was closed by the daemon');
    for (const s of shed) {
      assert.ok(
        s.answer === '' || /^HTTP\/1\.1 408 /.test(s.answer),
        `a slow client gets a 408 or nothing: ${s.answer.slice(0, 80)}`,
      );
    }
    assert.ok(d.running());
    assert.equal((await d.request({ path: '/healthz' })).json().status, 'ok');
  });
});
