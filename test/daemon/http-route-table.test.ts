import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { IrqkitError } from '../../src/core/errors.ts';
import { defineRoute, openApiPath, parsePattern, type RouteSpec } from '../../src/daemon/http/route.ts';
import { createRouter } from '../../src/daemon/http/router.ts';
import { createApiServer } from '../../src/daemon/http/server.ts';
import { send } from '../helpers/http.ts';

const ok = () => ({ body: {} });

function route(overrides: Partial<RouteSpec>): RouteSpec {
  return {
    method: 'GET',
    path: '/x',
    operationId: `op${Math.random()}`,
    summary: 's',
    response: Type.Object({}),
    handler: ok,
    ...overrides,
  };
}

describe('irqkitd route table checks at startup', () => {
  it('rejects two routes with the same method and shape, even with different parameter names', () => {
    assert.throws(
      () =>
        createRouter([
          route({ path: '/irqs/:irq', params: Type.Object({ irq: Type.String() }) }),
          route({ path: '/irqs/:id', params: Type.Object({ id: Type.String() }) }),
        ]),
      /duplicate route GET \/irqs\/:id/,
    );
  });

  it('rejects a repeated operationId', () => {
    assert.throws(
      () => createRouter([route({ operationId: 'a' }), route({ path: '/y', operationId: 'a' })]),
      /duplicate operationId 'a'/,
    );
  });

  it('rejects a GET declared mutating: browsers send cross-site GETs without asking', () => {
    assert.throws(() => createRouter([route({ mutating: true })]), /a GET must not be mutating/);
  });

  it('rejects :params that the params schema does not declare, and the reverse', () => {
    assert.throws(
      () => createRouter([route({ path: '/irqs/:irq' })]),
      /declares \[\] but the path has \[irq\]/,
    );
    assert.throws(
      () =>
        createRouter([
          route({ path: '/irqs/:irq', params: Type.Object({ irq: Type.String(), cpu: Type.String() }) }),
        ]),
      /declares \[cpu,irq\] but the path has \[irq\]/,
    );
  });

  it('rejects path patterns with dot segments, odd characters or __proto__ parameters', () => {
    for (const p of ['x', '/a/../b', '/a/./b', '/a b', '/a/:', '/a/:__proto__', '/a/:1x', '/a%2fb']) {
      assert.throws(() => parsePattern(p), TypeError, p);
    }
    assert.deepEqual(parsePattern('/'), []);
    assert.equal(openApiPath('/api/v1/irqs/:irq/cpus/:cpu'), '/api/v1/irqs/{irq}/cpus/{cpu}');
  });

  it('rejects a body object schema that leaves additionalProperties open, at any depth', () => {
    const open = Type.Object({ cpus: Type.Array(Type.Integer()) });
    const nested = Type.Object(
      { moves: Type.Array(Type.Object({ irq: Type.String() })) },
      { additionalProperties: false },
    );
    for (const body of [open, nested]) {
      assert.throws(
        () => createApiServer({ routes: [route({ method: 'PUT', body })], readOnly: false }),
        /must set additionalProperties/,
      );
    }
  });

  it('rejects a query or params schema that is not an object', () => {
    assert.throws(
      () => createApiServer({ routes: [route({ query: Type.String() })], readOnly: false }),
      /query: must be an object schema/,
    );
  });

  it('types handler inputs from the schemas (compile-time check)', () => {
    const r = defineRoute({
      method: 'GET',
      path: '/irqs/:irq',
      operationId: 'typed',
      summary: 's',
      params: Type.Object({ irq: Type.Integer() }),
      query: Type.Object({ verbose: Type.Optional(Type.Boolean()) }),
      response: Type.Object({ n: Type.Integer() }),
      handler: ({ params, query, body }) => {
        const n: number = params.irq;
        const v: boolean | undefined = query.verbose;
        const none: undefined = body;
        return { body: { n, v, none } };
      },
    });
    assert.equal(r.operationId, 'typed');
  });
});

describe('irqkitd handler contract at run time', () => {
  const contract = (handler: RouteSpec['handler'], checkResponses = true) =>
    createApiServer({
      routes: [
        route({
          path: '/r',
          operationId: 'r',
          response: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
          errors: ['IRQ_ERR_UNKNOWN_IRQ'],
          handler,
        }),
      ],
      readOnly: false,
      checkResponses,
      logger: () => undefined,
    });

  async function status(handler: RouteSpec['handler'], checkResponses = true): Promise<[number, string]> {
    const api = contract(handler, checkResponses);
    const endpoint = await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = await send(endpoint, { path: '/r' });
      return [r.status, r.status >= 400 ? String(r.json().code) : r.text];
    } finally {
      await api.close();
    }
  }

  it('with checkResponses, turns a body that breaks its schema into 500 IRQ_ERR_INTERNAL', async () => {
    assert.deepEqual(await status(() => ({ body: { n: 1 } })), [200, '{"n":1}']);
    assert.deepEqual(await status(() => ({ body: { n: 'one' } })), [500, 'IRQ_ERR_INTERNAL']);
    assert.deepEqual(await status(() => ({ body: { n: 1 }, contentType: 'text/plain' })), [
      500,
      'IRQ_ERR_INTERNAL',
    ]);
    assert.deepEqual(await status(() => ({ body: { n: 'one' } }), false), [200, '{"n":"one"}']);
  });

  it('never lets a handler send CORS headers, a non-text body as text, or a status outside 200-599', async () => {
    assert.deepEqual(
      await status(() => ({ body: { n: 1 }, headers: { 'Access-Control-Allow-Origin': '*' } }), false),
      [500, 'IRQ_ERR_INTERNAL'],
    );
    assert.deepEqual(await status(() => ({ body: { n: 1 }, contentType: 'text/plain' }), false), [
      500,
      'IRQ_ERR_INTERNAL',
    ]);
    assert.deepEqual(await status(() => ({ status: 99, body: {} }), false), [500, 'IRQ_ERR_INTERNAL']);
  });

  it('passes an async IrqkitError through with its own status', async () => {
    const [code, text] = await status(async () => {
      throw new IrqkitError('IRQ_ERR_UNKNOWN_IRQ', 'no IRQ 7');
    });
    assert.deepEqual([code, text], [404, 'IRQ_ERR_UNKNOWN_IRQ']);
  });

  it('with checkResponses, turns an error the route does not document into 500 IRQ_ERR_INTERNAL', async () => {
    const managed = () => {
      throw new IrqkitError('IRQ_ERR_MANAGED', 'kernel-managed');
    };
    assert.deepEqual(await status(managed), [500, 'IRQ_ERR_INTERNAL']);
    assert.deepEqual(await status(managed, false), [409, 'IRQ_ERR_MANAGED']);
  });
});
