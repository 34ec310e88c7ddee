/**
 * Plans run in a worker thread, one at a time, on the real bundle: a long plan holds neither
 * /healthz nor /metrics, a second plan meanwhile gets 429 with Retry-After, timeLimit is capped at
 * 10 s, and SIGTERM cancels a running plan instead of waiting for it. Synchronised by /healthz's
 * `planning` field and the log, never by time.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import type { Health } from '../../src/api/schemas.ts';
import { runCli } from '../helpers/cli.ts';
import { assertOneLineError } from '../helpers/client-cli.ts';
import { type DaemonProcess, startDaemon } from '../helpers/daemon-process.ts';
import type { HttpResponse } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

/**
 * 8 CPUs and 53 queues whose rates spread from 1 to 100 units, without noise (counts are exactly
 * rate × time): no plan reaches the lower bound, so an exact plan (confidence=0) searches until
 * its whole time limit is spent. With noise, some windows admit a plan at the bound, found fast.
 */
const HARD_SPEC = JSON.stringify({
  cpus: 8,
  nodes: 1,
  noise: 0,
  devices: [
    {
      name: 'eth0',
      pci: '0000:3b:00.0',
      queues: 53,
      rate: 2_650_000,
      skew: Array.from({ length: 53 }, (_, i) => 1000 + ((i * 7919) % 100_000)),
    },
  ],
});

const LONG_PLAN = '/api/v1/plan?window=1s&timeLimit=10s&confidence=0&numa=ignore';

describe('irqkitd plans in a worker thread', () => {
  let d: DaemonProcess;
  before(async () => {
    d = await startDaemon(['--simulate', HARD_SPEC, '--listen', '127.0.0.1:0', '--interval', '200ms']);
  });
  after(async () => {
    await d?.stop();
  });

  it('cancels a plan whose client went away, and the next plan runs', async () => {
    const health = async (): Promise<Health> => (await d.request({ path: '/healthz' })).json<Health>();
    const warm = await d.request({ path: '/api/v1/plan?window=1s&timeLimit=10ms' });
    assert.equal(warm.status, 200, warm.text);
    const { host, port } = d.endpoint as { host: string; port: number };
    const req = request({ host, port, path: LONG_PLAN });
    let answered = false;
    req.on('response', () => {
      answered = true;
    });
    req.on('error', () => undefined);
    req.end();
    while (!(await health()).planning)
      assert.equal(answered, false, 'the plan ended before it was seen running');
    req.destroy();
    // The handshake: the worker is stopped when the server sees the connection close.
    while ((await health()).planning);
    const h = await health();
    assert.equal(h.planner.cancelled, 1);
    const next = await d.request({ path: '/api/v1/plan?window=1s&timeLimit=10ms' });
    assert.equal(next.status, 200, next.text);
  });

  it('answers /healthz during a long plan, refuses a second plan with 429, and SIGTERM cancels the plan', async () => {
    const health = async (): Promise<Health> => {
      const res = await d.request({ path: '/healthz' });
      assert.equal(res.status, 200);
      return res.json<Health>();
    };
    // A short plan first: it waits for the window's history, so the long one below does not.
    const warm = await d.request({ path: '/api/v1/plan?window=1s&timeLimit=10ms' });
    assert.equal(warm.status, 200, warm.text);

    let settled: HttpResponse | Error | null = null;
    const long = d.request({ path: LONG_PLAN }).then(
      (r) => {
        settled = r;
        return r;
      },
      (e: Error) => {
        settled = e;
        return e;
      },
    );
    // The handshake: /healthz answers while the worker searches, and says so.
    let h = await health();
    while (!h.planning) {
      assert.equal(settled, null, 'the long plan ended before /healthz saw it running');
      h = await health();
    }
    assert.equal(h.planning, true);

    const second = await d.request({ path: '/api/v1/plan?window=1s' });
    assert.equal(second.status, 429, second.text);
    assert.equal(second.json().code, 'IRQ_ERR_BUSY');
    assert.match(String(second.headers['retry-after']), /^[1-9]\d*$/);
    assert.equal(second.json().retryAfterSeconds, Number(second.headers['retry-after']));
    // The CLI says it in one line, exit 75 (try again later).
    assertOneLineError(
      runCli(['plan', '--window', '1s', '--url', d.urls[0] as string]),
      75,
      /^irqkit plan: a plan is being computed; irqkitd computes one at a time \(IRQ_ERR_BUSY\)$/,
    );

    const metrics = await d.request({ path: '/metrics' });
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^irqkit_planning 1$/m);
    assert.match(metrics.text, /^irqkit_plans_refused_total 2$/m);
    assert.match(metrics.text, /^irqkit_event_loop_delay_p99_seconds \d/m);
    assert.match(metrics.text, /^irqkit_event_loop_delay_max_seconds \d/m);
    // The process's own memory, under prom-client's names.
    const gauge = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics.text)?.[1]);
    assert.ok(gauge('process_resident_memory_bytes') > 10 * 2 ** 20);
    assert.ok(gauge('nodejs_heap_size_used_bytes') > 0);
    assert.ok(gauge('nodejs_heap_size_used_bytes') <= gauge('nodejs_heap_size_total_bytes'));
    assert.ok(gauge('nodejs_external_memory_bytes') > 0);

    h = await health();
    assert.equal(h.planning, true, 'the long plan is still running');
    assert.equal(h.planner.refused, 2);
    assert.equal(h.planner.cancelled, 1, 'only the plan of the first test');
    assert.ok(h.eventLoop.maxSeconds >= h.eventLoop.p50Seconds);

    const stopped = await d.stop({ killAfterMs: 60_000 });
    assert.equal(stopped.killed, false);
    assert.equal(stopped.code, 0);
    const res = await long;
    // Cancelled: answered 503 before the server closed (or the connection closed with it).
    if (!(res instanceof Error)) {
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json().code, 'IRQ_ERR_UNAVAILABLE');
    }
    const msgs = d.logs().map((e) => e.msg);
    const at = (m: string): number => msgs.indexOf(m);
    assert.ok(at('stopping') >= 0, msgs.join(' | '));
    assert.ok(at('plan cancelled: stopping') > at('stopping'), msgs.join(' | '));
    assert.ok(at('irqkitd stopped') > at('plan cancelled: stopping'), msgs.join(' | '));
    // The long plan never got a 200: it was cancelled, not waited for (the earlier test's plan,
    // whose client left, is the line before).
    const planLine = d
      .logs()
      .filter((e) => e.msg === 'request' && e.path === LONG_PLAN)
      .at(-1);
    if (planLine)
      assert.equal(planLine.status, 503, JSON.stringify(d.logs().filter((e) => e.path === LONG_PLAN)));
  });
});

describe('irqkitd caps timeLimit', () => {
  let d: DaemonProcess;
  before(async () => {
    d = await startDaemon(['--simulate', '4cpu', '--listen', '127.0.0.1:0', '--interval', '100ms']);
  });
  after(async () => {
    await d?.stop();
  });

  it('refuses timeLimit above 10 s with 400, on GET /plan and POST /plan/apply, and says the cap in /openapi.json', async () => {
    for (const t of ['11s', '10001ms', '1m', '99999h']) {
      const res = await d.request({ path: `/api/v1/plan?timeLimit=${t}` });
      assert.equal(res.status, 400, `${t}: ${res.text}`);
      assert.equal(res.json().code, 'IRQ_ERR_USAGE');
      assert.match(String(res.json().detail), /at most|over the most/);
    }
    const apply = await d.request({
      method: 'POST',
      path: '/api/v1/plan/apply',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ timeLimit: '11s', dryRun: true }),
    });
    assert.equal(apply.status, 400, apply.text);
    const ok = await d.request({ path: '/api/v1/plan?window=1s&timeLimit=10s' });
    assert.equal(ok.status, 200, ok.text);
    const doc = (await d.request({ path: '/openapi.json' })).json<{
      paths: Record<
        string,
        { get?: { parameters?: Array<{ name: string; schema: { description?: string } }> } }
      >;
    }>();
    const param = doc.paths['/api/v1/plan']?.get?.parameters?.find((p) => p.name === 'timeLimit');
    assert.match(String(param?.schema.description), /at most 10s/);
  });
});
