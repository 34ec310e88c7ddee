import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../src/core/errors.ts';
import { buildOpenApi } from '../../src/daemon/http/openapi.ts';
import { openApiPath } from '../../src/daemon/http/route.ts';
import { dummyRoutes, dummyState } from '../helpers/dummy-routes.ts';

type Json = Record<string, unknown>;

const routes = dummyRoutes(dummyState());
const doc = buildOpenApi(routes, { title: 'irqkitd', version: '0.1.0' });

/** The schema as JSON (TypeBox's symbol keys dropped), which is what the document must hold. */
const plain = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema));

function op(method: string, path: string): Json {
  const o = doc.paths[openApiPath(path)]?.[method.toLowerCase()];
  assert.ok(o, `${method} ${path} is missing`);
  return o;
}

describe('irqkitd OpenAPI document', () => {
  it('is OpenAPI 3.1 with the given info and every tag used', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.info, { title: 'irqkitd', version: '0.1.0' });
    assert.deepEqual(
      doc.tags.map((t) => t.name),
      ['irqs', 'meta', 'plan'],
    );
  });

  it('has exactly one operation per route, and a HEAD for each GET, with its operationId, summary and tags', () => {
    const ops = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const expected = routes.flatMap((r) => {
      const own = `${r.method} ${openApiPath(r.path)}`;
      return r.method === 'GET' ? [own, `HEAD ${openApiPath(r.path)}`] : [own];
    });
    assert.deepEqual(ops.sort(), expected.sort());
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const head = op('HEAD', r.path);
      assert.equal(head.operationId, `${r.operationId}Head`);
      for (const [status, resp] of Object.entries(head.responses as Record<string, Json>)) {
        assert.equal(resp.content, undefined, `HEAD ${r.path} ${status} has no body`);
      }
    }
    for (const r of routes) {
      const o = op(r.method, r.path);
      assert.equal(o.operationId, r.operationId);
      assert.equal(o.summary, r.summary);
      assert.deepEqual(o.tags, r.tags);
    }
  });

  it('embeds the very schemas that validate params, query, bodies and responses', () => {
    for (const r of routes) {
      const o = op(r.method, r.path);
      const params = (o.parameters ?? []) as Json[];
      for (const [name, schema] of Object.entries(
        (r.params as { properties?: Json } | undefined)?.properties ?? {},
      )) {
        const p = params.find((x) => x.in === 'path' && x.name === name);
        assert.ok(p, `${r.operationId}: path parameter ${name}`);
        assert.equal(p.required, true);
        assert.deepEqual(p.schema, plain(schema));
      }
      const required = new Set((r.query as { required?: string[] } | undefined)?.required ?? []);
      for (const [name, schema] of Object.entries(
        (r.query as { properties?: Json } | undefined)?.properties ?? {},
      )) {
        const p = params.find((x) => x.in === 'query' && x.name === name);
        assert.ok(p, `${r.operationId}: query parameter ${name}`);
        assert.deepEqual(p.schema, plain(schema));
        assert.equal(p.required, required.has(name));
      }
      const body = o.requestBody as { content: Record<string, { schema: unknown }> } | undefined;
      if (r.body) assert.deepEqual(body?.content['application/json']?.schema, plain(r.body));
      else assert.equal(body, undefined);
      const responses = o.responses as Record<string, { content?: Record<string, { schema: unknown }> }>;
      const produces = r.produces ?? ['application/json'];
      assert.deepEqual(Object.keys(responses['200']?.content ?? {}), produces);
      const jsonType = produces.find((t) => t.includes('json')) ?? produces[0] ?? '';
      assert.deepEqual(responses['200']?.content?.[jsonType]?.schema, plain(r.response));
      for (const [status, schema] of Object.entries(r.responses ?? {})) {
        assert.deepEqual(responses[status]?.content?.['application/json']?.schema, plain(schema));
      }
    }
  });

  it('documents repeated query keys as exploded form arrays', () => {
    const cpu = (op('GET', '/api/v1/irqs/:irq').parameters as Json[]).find((p) => p.name === 'cpu');
    assert.equal(cpu?.style, 'form');
    assert.equal(cpu?.explode, true);
  });

  it('lists the problem+json errors each route can produce, by status and code', () => {
    const codesAt = (o: Json, status: number): string[] => {
      const r = (o.responses as Record<string, Json>)[String(status)];
      const schema = (r?.content as Record<string, { schema: { allOf: Json[] } }> | undefined)?.[
        'application/problem+json'
      ]?.schema;
      assert.ok(schema, `${o.operationId}: no ${status} response`);
      assert.deepEqual(schema.allOf[0], { $ref: '#/components/schemas/Problem' });
      const own = schema.allOf[1] as { properties: { code: { enum: string[] } } };
      return own.properties.code.enum;
    };
    const get = op('GET', '/api/v1/irqs/:irq');
    assert.deepEqual(codesAt(get, 400), ['IRQ_ERR_USAGE']);
    assert.deepEqual(codesAt(get, 404), ['IRQ_ERR_UNKNOWN_IRQ']);
    assert.deepEqual(codesAt(get, 421), ['IRQ_ERR_HOST']);
    assert.deepEqual(codesAt(get, 500), ['IRQ_ERR_INTERNAL']);
    assert.deepEqual(codesAt(get, 403), ['IRQ_ERR_CROSS_SITE'], 'a GET is never refused as read-only');
    // The server reads and checks a body (and its type) on any route, and answers 405 and 417 on all.
    assert.deepEqual(codesAt(get, 405), ['IRQ_ERR_METHOD']);
    assert.deepEqual(codesAt(get, 413), ['IRQ_ERR_BODY_TOO_LARGE']);
    assert.deepEqual(codesAt(get, 415), ['IRQ_ERR_MEDIA_TYPE']);
    assert.deepEqual(codesAt(get, 417), ['IRQ_ERR_EXPECTATION']);
    const put = op('PUT', '/api/v1/irqs/:irq/affinity');
    assert.deepEqual(codesAt(put, 403), ['IRQ_ERR_CROSS_SITE', 'IRQ_ERR_READ_ONLY']);
    assert.deepEqual(codesAt(put, 413), ['IRQ_ERR_BODY_TOO_LARGE']);
    assert.deepEqual(codesAt(put, 415), ['IRQ_ERR_MEDIA_TYPE']);
    const preview = op('POST', '/api/v1/plan');
    assert.deepEqual(codesAt(preview, 403), ['IRQ_ERR_CROSS_SITE'], 'mutating: false runs read-only');
    for (const [status, r] of Object.entries(put.responses as Record<string, Json>)) {
      if (Number(status) < 400) continue;
      const codes = codesAt(put, Number(status));
      for (const c of codes) assert.equal(ERROR_CODES[c as keyof typeof ERROR_CODES].status, Number(status));
      assert.match(String(r.description), new RegExp(codes.join(', ')));
    }
  });

  it('defines the Problem schema and serialises to plain JSON', () => {
    const problem = doc.components.schemas.Problem as { required: string[] };
    assert.deepEqual([...problem.required].sort(), ['code', 'detail', 'status', 'title', 'type']);
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
  });
});
