/**
 * A handler's answer is typed by its route's response schemas, so a handler and its schema cannot
 * drift apart unnoticed: each `@ts-expect-error` below marks an answer tsc must refuse (`npm test`
 * type-checks before it runs anything, and an expected error that stops happening fails it).
 * The response check refuses the same answers at run time, and also a member the schema does not
 * declare, which tsc cannot see (it checks no excess members of an inferred return type).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { Plan } from '../../src/api/schemas.ts';
import { defineRoute, type RouteSpec } from '../../src/daemon/http/route.ts';
import { createApiServer } from '../../src/daemon/http/server.ts';
import { send } from '../helpers/http.ts';

const Count = Type.Object({ n: Type.Integer() });
const Conflict = Type.Object({ reason: Type.String() });

const base = { method: 'GET', summary: 's', response: Count } as const;

/** Answers off their schema: none of them may reach a client unnoticed. */
const drifted: RouteSpec[] = [
  defineRoute({
    ...base,
    path: '/wrong-type',
    operationId: 'wrongType',
    // @ts-expect-error n is an integer in the schema, not a string
    handler: () => ({ body: { n: 'one' } }),
  }),
  defineRoute({
    ...base,
    path: '/missing',
    operationId: 'missing',
    // @ts-expect-error n is required
    handler: () => ({ body: {} }),
  }),
  defineRoute({
    ...base,
    path: '/undeclared',
    operationId: 'undeclared',
    // tsc checks no excess members of a function's inferred return: only the run-time check sees m.
    handler: () => ({ body: { n: 1, m: 2 } }),
  }),
  defineRoute({
    ...base,
    path: '/status',
    operationId: 'undeclaredStatus',
    // @ts-expect-error the route declares no 409 body
    handler: () => ({ status: 409, body: { n: 1 } }),
  }),
  defineRoute({
    ...base,
    path: '/conflict',
    operationId: 'conflictBody',
    responses: { 409: Conflict },
    // @ts-expect-error a 409 answers with the 409 schema, not the 200 one
    handler: () => ({ status: 409, body: { n: 1 } }),
  }),
];

describe('irqkitd handler answers are typed by their response schemas', () => {
  it('accepts the answers the schemas describe, for each declared status (compile-time check)', () => {
    const r = defineRoute({
      ...base,
      path: '/ok',
      operationId: 'ok',
      query: Type.Object({ fail: Type.Optional(Type.Boolean()) }),
      responses: { 409: Conflict },
      handler: ({ query }) => (query.fail ? { status: 409, body: { reason: 'no' } } : { body: { n: 1 } }),
    });
    assert.equal(r.operationId, 'ok');
    // The real API's types are the schemas' static types: a plan's method is one of the planner's.
    const method: Plan['method'] = 'lpt';
    // @ts-expect-error not a method the Plan schema allows
    const unknown: Plan['method'] = 'magic';
    assert.deepEqual([method, unknown], ['lpt', 'magic']);
  });

  it('refuses the drifted answers at run time too, when responses are checked', async () => {
    const api = createApiServer({
      routes: drifted,
      readOnly: false,
      checkResponses: true,
      logger: () => undefined,
    });
    const endpoint = await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      for (const r of drifted) {
        const res = await send(endpoint, { path: r.path });
        assert.equal(res.status, 500, `${r.path}: ${res.text}`);
        assert.equal(res.json().code, 'IRQ_ERR_INTERNAL', r.path);
      }
    } finally {
      await api.close();
    }
  });
});
