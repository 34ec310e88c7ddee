/**
 * A small route table that exercises every feature of the HTTP layer without the real daemon.
 */
import { Type } from '@sinclair/typebox';
import { IrqkitError } from '../../src/core/errors.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from '../../src/core/metrics-text.ts';
import { defineRoute, type RouteSpec } from '../../src/daemon/http/route.ts';
import { type ApiServer, type ApiServerOptions, createApiServer } from '../../src/daemon/http/server.ts';
import type { ListenTarget } from '../../src/daemon/listen.ts';

export interface DummyState {
  /** Signals of /api/v1/slow requests, to see them aborted. */
  slowSignals: AbortSignal[];
  /** Resolves the slow handler early (for graceful-close tests). */
  releaseSlow: Array<() => void>;
  writes: Array<{ irq: string; cpus: number[] }>;
}

const IrqNumber = Type.Integer({ minimum: 0, maximum: 1_048_575, description: 'Linux IRQ number' });

export function dummyRoutes(state: DummyState): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/health',
      operationId: 'getHealth',
      summary: 'Liveness',
      tags: ['meta'],
      response: Type.Object({ ok: Type.Boolean() }),
      handler: () => ({ body: { ok: true } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/irqs/summary',
      operationId: 'getIrqSummary',
      summary: 'A static segment that also matches the :irq pattern',
      tags: ['irqs'],
      response: Type.Object({ summary: Type.Literal(true) }),
      handler: () => ({ body: { summary: true as const } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/irqs/:irq',
      operationId: 'getIrq',
      summary: 'One IRQ',
      tags: ['irqs'],
      params: Type.Object({ irq: IrqNumber }),
      query: Type.Object({
        verbose: Type.Optional(Type.Boolean()),
        cpu: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))),
        format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')])),
        limit: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('all')])),
      }),
      response: Type.Object({
        irq: Type.Integer(),
        verbose: Type.Boolean(),
        cpus: Type.Array(Type.Integer()),
        limit: Type.Union([Type.Integer(), Type.Literal('all'), Type.Null()]),
      }),
      errors: ['IRQ_ERR_UNKNOWN_IRQ'],
      produces: ['application/json', 'text/plain; charset=utf-8'],
      handler: ({ params, query }) => {
        if (params.irq === 404)
          throw new IrqkitError('IRQ_ERR_UNKNOWN_IRQ', 'IRQ 404 does not exist', { irq: '404' });
        if (query.format === 'text')
          return { body: `IRQ ${params.irq}\n`, contentType: 'text/plain; charset=utf-8' };
        return {
          body: {
            irq: params.irq,
            verbose: query.verbose ?? false,
            cpus: query.cpu ?? [],
            limit: query.limit ?? null,
          },
        };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/irqs/:irq/affinity',
      operationId: 'setIrqAffinity',
      summary: 'Pin an IRQ',
      tags: ['irqs'],
      params: Type.Object({ irq: Type.String({ pattern: '^[0-9]{1,7}$' }) }),
      body: Type.Object(
        {
          cpus: Type.Array(Type.Integer({ minimum: 0, maximum: 8191 }), { minItems: 1 }),
          dryRun: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({ irq: Type.String(), cpus: Type.Array(Type.Integer()), dryRun: Type.Boolean() }),
      responses: { 202: Type.Object({ queued: Type.Boolean() }) },
      handler: ({ params, body }) => {
        state.writes.push({ irq: params.irq, cpus: body.cpus });
        return { body: { irq: params.irq, cpus: body.cpus, dryRun: body.dryRun ?? false } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/plan',
      operationId: 'previewPlan',
      summary: 'Computes without changing anything, so it runs read-only too',
      tags: ['plan'],
      mutating: false,
      body: Type.Object({ cpus: Type.Array(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
      response: Type.Object({ cpus: Type.Integer() }),
      handler: ({ body }) => ({ body: { cpus: body.cpus.length } }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/pins/:irq',
      operationId: 'deletePin',
      summary: 'Drop a pin',
      tags: ['irqs'],
      params: Type.Object({ irq: Type.String({ pattern: '^[0-9]+$' }) }),
      response: Type.Object({ deleted: Type.String() }),
      handler: ({ params }) => ({ body: { deleted: params.irq } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/boom',
      operationId: 'boom',
      summary: 'A handler bug',
      response: Type.Object({}),
      handler: () => {
        throw new Error('secret detail: /root/.ssh/id_rsa');
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/not-ready',
      operationId: 'notReady',
      summary: 'Not enough history yet',
      response: Type.Object({}),
      errors: ['IRQ_ERR_UNAVAILABLE'],
      handler: () => {
        throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'no interval has been sampled yet', {
          retryAfterSeconds: 2,
          code: 'IRQ_ERR_SPOOFED',
        });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/slow',
      operationId: 'slow',
      summary: 'Waits until released or aborted',
      query: Type.Object({ ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })) }),
      response: Type.Object({ waited: Type.Boolean() }),
      handler: ({ query, signal }) => {
        state.slowSignals.push(signal);
        return new Promise((resolve, reject) => {
          const timer =
            query.ms === undefined
              ? undefined
              : setTimeout(() => resolve({ body: { waited: true } }), query.ms);
          state.releaseSlow.push(() => {
            clearTimeout(timer);
            resolve({ body: { waited: true } });
          });
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new Error('aborted'));
          });
        });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      tags: ['meta'],
      response: Type.String(),
      produces: [METRICS_CONTENT_TYPE],
      handler: () => ({
        contentType: METRICS_CONTENT_TYPE,
        body: renderMetrics([
          { name: 'irqkit_up', help: 'Always 1', type: 'gauge', samples: [{ value: 1 }] },
        ]),
      }),
    }),
  ];
}

export function dummyState(): DummyState {
  return { slowSignals: [], releaseSlow: [], writes: [] };
}

export interface DummyServer {
  api: ApiServer;
  endpoint: ListenTarget;
  state: DummyState;
  logs: Array<Record<string, unknown>>;
}

/** The dummy routes on a real server: 127.0.0.1 on a free port unless `target` says otherwise. */
export async function startDummy(
  options: Partial<ApiServerOptions> = {},
  target: ListenTarget = { host: '127.0.0.1', port: 0 },
): Promise<DummyServer> {
  const state = dummyState();
  const logs: Array<Record<string, unknown>> = [];
  const api = createApiServer({
    routes: dummyRoutes(state),
    readOnly: false,
    checkResponses: true,
    logger: (entry) => logs.push(entry as Record<string, unknown>),
    ...options,
  });
  const endpoint = await api.listen(target);
  return { api, endpoint, state, logs };
}
