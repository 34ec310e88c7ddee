/**
 * Every route of irqkitd's real route table answers within its contract: the daemon runs in this
 * process with every answer checked (a body off its schema, read as closed, or an error the route
 * does not document becomes a 500 and an error log), on a simulated machine, over loopback HTTP.
 * Each operation of /openapi.json is called at least once, and each status seen must be one the
 * document lists for that operation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpenApiDoc } from '../../src/api/schemas.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { type InProcessDaemon, inProcessDaemon, runningMachine } from '../helpers/sim-daemon.ts';

/** Log lines the response check (or a crash) leaves behind. */
const BREACHES = new Set([
  'handler failed',
  'request handling failed',
  'error answer breaks the API contract',
]);

describe('irqkitd answers within its API contract (real route table, every answer checked)', () => {
  const m = runningMachine(defaultSimSpec(8));
  let d: InProcessDaemon;
  let doc: OpenApiDoc;
  /** `METHOD /openapi/{template}` → statuses answered. */
  const seen = new Map<string, Set<number>>();

  /** Calls `template` with its `{params}` filled in and returns the parsed body (or text). */
  async function call(
    method: string,
    template: string,
    expect: number,
    o: { params?: Record<string, string>; query?: string; json?: unknown } = {},
  ): Promise<unknown> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => o.params?.[name] ?? `{${name}}`);
    const r = await d.request({
      method,
      path: o.query ? `${path}?${o.query}` : path,
      ...(o.json !== undefined ? { json: o.json } : {}),
    });
    const key = `${method} ${template}`;
    assert.equal(r.status, expect, `${key}${o.query ? `?${o.query}` : ''}: ${r.text.slice(0, 500)}`);
    seen.set(key, (seen.get(key) ?? new Set()).add(r.status));
    if (method === 'HEAD') {
      assert.equal(r.text, '', `${key}: HEAD answers without a body`);
      return undefined;
    }
    return /json/.test(String(r.headers['content-type'])) ? r.json() : r.text;
  }

  before(async () => {
    d = await inProcessDaemon(m);
  });
  after(async () => {
    await d?.close();
    m.cleanup();
  });

  it('answers every read route within its schema', async () => {
    doc = (await call('GET', '/openapi.json', 200)) as OpenApiDoc;
    // Waits for a second of history, so the window routes answer with a complete window.
    await call('GET', '/api/v1/distribution', 200, { query: 'window=1s' });
    await call('GET', '/api/v1/cpus', 200, { query: 'window=1s&wait=false' });
    await call('GET', '/', 200);
    await call('GET', '/healthz', 200);
    await call('GET', '/metrics', 200);
    await call('GET', '/api/v1/interrupts', 200);
    await call('GET', '/api/v1/interrupts', 200, { query: 'format=text' });
    await call('GET', '/api/v1/irqs', 200);
    await call('GET', '/api/v1/irqs/{irq}', 200, { params: { irq: m.irqsOf('eth0')[0] as string } });
    await call('GET', '/api/v1/irqs/{irq}', 404, { params: { irq: '9999' } });
    await call('GET', '/api/v1/plan', 200, { query: 'window=1s' });
    await call('GET', '/api/v1/plan', 200, { query: 'window=1s&confidence=3&maxMoves=2' });
    await call('GET', '/api/v1/plan', 400, { query: 'window=1s&confidence=-1' });
    await call('GET', '/api/v1/plan', 400, { query: 'window=1s&cpus=99' });
    await call('GET', '/api/v1/pins', 200);
    await call('GET', '/api/v1/auto', 200);
  });

  it('answers HEAD on every read route the document lists, as GET would but without a body', async () => {
    const heads = Object.entries(doc.paths).filter(([, item]) => 'head' in item);
    assert.ok(heads.length > 0, 'the document lists HEAD operations');
    for (const [template] of heads) {
      await call('HEAD', template, template.includes('{irq}') ? 404 : 200, {
        params: { irq: '9999' },
        ...(/distribution|cpus|plan/.test(template) ? { query: 'window=1s' } : {}),
      });
    }
  });

  it('answers every write route within its schema, failures included', async () => {
    const [eth0a, eth0b] = m.irqsOf('eth0') as [string, string];
    const nvme = m.irqsOf('nvme0')[0] as string;
    const affinity = '/api/v1/irqs/{irq}/affinity';
    await call('PUT', affinity, 200, { params: { irq: eth0a }, json: { cpu: 1, persist: true } });
    await call('PUT', affinity, 409, { params: { irq: nvme }, json: { cpu: 1 } });
    await call('POST', '/api/v1/affinity', 200, {
      json: { assignments: [{ irq: eth0b, cpu: 2 }], dryRun: true },
    });
    await call('POST', '/api/v1/affinity', 409, {
      json: {
        assignments: [
          { irq: eth0b, cpu: 2 },
          { irq: nvme, cpu: 3 },
        ],
      },
    });
    await call('POST', '/api/v1/plan/apply', 200, { json: { window: '1s', dryRun: true } });
    await call('POST', '/api/v1/plan/apply', 200, {
      json: { window: '1s', dryRun: true, confidence: 3, maxMoves: 1 },
    });
    await call('POST', '/api/v1/plan/apply', 400, { json: { window: '1s', confidence: -1 } });
    await call('POST', '/api/v1/plan/apply', 200, { json: { window: '1s', persist: true } });
    await call('POST', '/api/v1/pins/apply', 200, { json: {} });
    await call('POST', '/api/v1/pins/remove', 200, { json: { irqs: [eth0a] } });
    await call('POST', '/api/v1/pins/remove', 404, { json: { irqs: ['9999'] } });
    await call('POST', '/api/v1/restore', 200, { json: { dryRun: true } });
    await call('POST', '/api/v1/restore', 200, { json: {} });
    await call('POST', '/api/v1/restore', 404, { json: { irqs: [eth0a] } });
    // This daemon runs without --auto (autopilot-rounds.test.ts pauses and resumes a running one).
    await call('POST', '/api/v1/auto', 409, { json: { paused: true } });
  });

  it('called every operation of its OpenAPI document, with statuses the document lists', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual([...seen.keys()].sort(), operations.sort());
    for (const [key, statuses] of seen) {
      const [method = '', path = ''] = key.split(' ');
      const operation = doc.paths[path]?.[method.toLowerCase()] as { responses?: object } | undefined;
      for (const status of statuses) {
        assert.ok(String(status) in (operation?.responses ?? {}), `${key} answered ${status}`);
      }
    }
    const breaches = d.logs.filter((e) => BREACHES.has(String(e.msg)));
    assert.deepEqual(breaches, [], 'no answer broke the contract');
  });
});
