/** irqkitd's route table: thin adapters from HTTP to IrqService. */

import type { AutoStatus } from '../api/auto-schemas.ts';
import * as S from '../api/schemas.ts';
import { parseCpuList } from '../core/cpuset.ts';
import { parseDuration } from '../core/duration.ts';
import { IrqkitError } from '../core/errors.ts';
import { METRICS_CONTENT_TYPE } from '../core/metrics-text.ts';
import type { BatchResult as BatchResultType } from '../io/system.ts';
import { type AutoRouteContext, autoRoutes } from './auto-routes.ts';
import { DASHBOARD_CONTENT_TYPE, dashboardPage } from './dashboard.ts';
import type { EventLoopDelay } from './event-loop.ts';
import { defineRoute, type RouteSpec } from './http/route.ts';
import { keeperOf, type PinRouteContext, pinRoutes } from './pin-routes.ts';
import type { PlanRunnerHealth } from './plan-runner.ts';
import type { IrqService, PlanQuery } from './service.ts';

export interface RouteContext extends PinRouteContext, AutoRouteContext {
  service: IrqService;
  version: string;
  readOnly: boolean;
  startedAt: number;
  now(): number;
  /** The Prometheus text of every metric family, as chunks of UTF-8 bytes. */
  metricsBody(): readonly Uint8Array[];
  openapi(): S.OpenApiDoc;
  /** Retention, for window bounds. */
  retentionMs: number;
  planner(): PlanRunnerHealth;
  eventLoop(): EventLoopDelay;
}

const DEFAULT_WINDOW = '5s';
const DEFAULT_PLAN_WINDOW = '10s';
/** The window over which /api/v1/irqs reports each IRQ's recent rate. */
const RATE_WINDOW_MS = 10_000;

/** An enabled autopilot that is held says so where an operator looks first. */
function autoWarnings(auto: AutoStatus | undefined): string[] {
  return auto?.enabled && auto.paused && auto.reason !== null ? [`autopilot paused: ${auto.reason}`] : [];
}

function windowMs(text: string | undefined, fallback: string, retentionMs: number): number {
  // A default must never ask for more history than --retention keeps; an explicit window may
  // (and gets a clear 400).
  if (text === undefined) return Math.min(parseDuration(fallback, 'window', 's'), retentionMs);
  return parseDuration(text, 'window', 's');
}

function planQuery(
  q: {
    window?: string;
    wait?: boolean;
    cpus?: string;
    numa?: S.NumaPolicy;
    tolerance?: number;
    timeLimit?: string;
    confidence?: number;
    maxMoves?: number;
  },
  retentionMs: number,
): PlanQuery {
  return {
    windowMs: windowMs(q.window, DEFAULT_PLAN_WINDOW, retentionMs),
    wait: q.wait ?? true,
    numa: q.numa ?? 'prefer',
    ...(q.cpus !== undefined ? { cpus: parseCpuList(q.cpus) } : {}),
    ...(q.tolerance !== undefined ? { tolerance: q.tolerance / 100 } : {}),
    ...(q.timeLimit !== undefined ? { timeLimitMs: planTimeLimitMs(q.timeLimit) } : {}),
    ...(q.confidence !== undefined ? { confidence: q.confidence } : {}),
    ...(q.maxMoves !== undefined ? { maxMoves: q.maxMoves } : {}),
  };
}

/**
 * The plan's search effort, capped: the planner runs in a worker, but one plan at a time, so an
 * unbounded limit (a page's <img src=".../plan?timeLimit=99999h">) would take planning away from
 * everyone for that long.
 */
function planTimeLimitMs(text: string): number {
  const ms = parseDuration(text, 'timeLimit', 'ms');
  if (ms > S.MAX_PLAN_TIME_LIMIT_MS) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `timeLimit ${text.trim()} is over the most irqkitd allows, ${S.MAX_PLAN_TIME_LIMIT_MS / 1000}s`,
      { max: `${S.MAX_PLAN_TIME_LIMIT_MS / 1000}s` },
    );
  }
  return ms;
}

/** A failed batch is still a complete answer: 409 with every IRQ's outcome, not a bare problem. */
function batchResponse<T>(ok: boolean, body: T): { body: T } | { status: 409; body: T } {
  return ok ? { body } : { status: 409, body };
}

/**
 * `persist: true`: pins what the batch set (undoing it when the state cannot be saved) and
 * returns the warnings a client should show, such as irqbalance running.
 */
function persisted(ctx: RouteContext, result: BatchResultType, persist: boolean | undefined): string[] {
  if (persist !== true || result.dryRun || !result.ok) return [];
  const keeper = keeperOf(ctx);
  keeper.persist(result);
  return keeper.warnings();
}

const STATE_ERRORS = ['IRQ_ERR_STATE_WRITE'] as const;

const WINDOW_ERRORS = ['IRQ_ERR_USAGE', 'IRQ_ERR_UNAVAILABLE'] as const;

function quantile(d: EventLoopDelay, q: number): number {
  return d.quantiles.find((x) => x.quantile === q)?.seconds ?? 0;
}

export function buildRoutes(ctx: RouteContext): RouteSpec[] {
  const { service } = ctx;
  return [
    defineRoute({
      method: 'GET',
      path: '/',
      operationId: 'getDashboard',
      summary: 'The web dashboard: heat map, per-CPU bars and planner (HTML, inline script; uses this API)',
      tags: ['meta'],
      response: S.TextBody,
      produces: [DASHBOARD_CONTENT_TYPE],
      // Reading it changes nothing; its Apply button sends a JSON POST like any other client.
      mutating: false,
      handler: () => {
        const page = dashboardPage();
        return { body: page.html, contentType: DASHBOARD_CONTENT_TYPE, headers: page.headers };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/healthz',
      operationId: 'getHealth',
      summary: 'Liveness and sampler health',
      tags: ['meta'],
      response: S.Health,
      handler: () => {
        const sampler = service.samplerHealth();
        const keeper = keeperOf(ctx);
        const stale = sampler.lastError !== null && (sampler.lastSampleAt ?? 0) < sampler.lastError.at;
        const status: S.Health['status'] = stale ? 'degraded' : 'ok';
        const { planning, plans, refused, cancelled } = ctx.planner();
        const loop = ctx.eventLoop();
        const auto = ctx.autopilot?.status();
        return {
          body: {
            status,
            version: ctx.version,
            uptimeSeconds: Math.round((ctx.now() - ctx.startedAt) / 1000),
            system: service.system.description,
            readOnly: ctx.readOnly,
            sampler,
            state: keeper.health(),
            irqbalance: keeper.irqbalance(),
            warnings: [...keeper.warnings(), ...autoWarnings(auto)],
            planning,
            auto: {
              enabled: auto?.enabled ?? false,
              paused: auto?.paused ?? false,
              reason: auto?.reason ?? null,
            },
            planner: { plans, refused, cancelled },
            eventLoop: {
              p50Seconds: quantile(loop, 0.5),
              p90Seconds: quantile(loop, 0.9),
              p99Seconds: quantile(loop, 0.99),
              maxSeconds: loop.maxSeconds,
            },
          },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'getOpenApi',
      summary: 'This API as an OpenAPI 3.1 document',
      tags: ['meta'],
      response: S.OpenApiDoc,
      handler: () => ({ body: ctx.openapi() }),
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      tags: ['meta'],
      response: S.TextBody,
      produces: [METRICS_CONTENT_TYPE],
      handler: () => ({ body: ctx.metricsBody(), contentType: METRICS_CONTENT_TYPE }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/interrupts',
      operationId: 'getInterrupts',
      summary: 'The latest /proc/interrupts snapshot, named rows included (format=text: the raw file)',
      tags: ['interrupts'],
      query: S.InterruptsQuery,
      response: S.InterruptsDoc,
      produces: ['application/json', 'text/plain; charset=utf-8'],
      handler: ({ query }) => {
        const cur = service.interrupts();
        if (query.format === 'text') return { body: cur.text, contentType: 'text/plain; charset=utf-8' };
        return {
          body: {
            at: cur.at,
            cpus: cur.snapshot.cpus,
            rows: cur.snapshot.rows,
            warnings: cur.snapshot.warnings,
          },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/distribution',
      operationId: 'getDistribution',
      summary: 'Interrupts per IRQ and CPU within a time window, with per-CPU totals and rates',
      tags: ['interrupts'],
      query: S.WindowQuery,
      response: S.Distribution,
      errors: [...WINDOW_ERRORS],
      handler: async ({ query, signal }) => ({
        body: await service.distribution(
          windowMs(query.window, DEFAULT_WINDOW, ctx.retentionMs),
          query.wait ?? true,
          signal,
        ),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/cpus',
      operationId: 'getCpus',
      summary: 'Interrupts serviced by each CPU within a time window, with shares and rates',
      tags: ['interrupts'],
      query: S.WindowQuery,
      response: S.CpuSummary,
      errors: [...WINDOW_ERRORS],
      handler: async ({ query, signal }) => ({
        body: await service.cpus(
          windowMs(query.window, DEFAULT_WINDOW, ctx.retentionMs),
          query.wait ?? true,
          signal,
        ),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/irqs',
      operationId: 'listIrqs',
      summary: 'Every IRQ: name, chip, device, affinity, effective affinity, NUMA node, hint, managed, rate',
      tags: ['irqs'],
      response: S.IrqList,
      handler: async () => ({
        body: await service.irqs(Math.min(RATE_WINDOW_MS, ctx.retentionMs)),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/irqs/:irq',
      operationId: 'getIrq',
      summary: 'One IRQ in detail',
      tags: ['irqs'],
      params: S.IrqParam,
      response: S.IrqDetails,
      errors: ['IRQ_ERR_UNKNOWN_IRQ'],
      handler: async ({ params }) => ({
        body: await service.irq(String(params.irq), Math.min(RATE_WINDOW_MS, ctx.retentionMs)),
      }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/irqs/:irq/affinity',
      operationId: 'setIrqAffinity',
      summary: 'Pin one IRQ to one CPU; returns the affinity and effective affinity read back',
      tags: ['affinity'],
      params: S.IrqParam,
      body: S.AffinityBody,
      response: S.SetAffinityResult,
      errors: [
        'IRQ_ERR_UNKNOWN_IRQ',
        'IRQ_ERR_UNKNOWN_CPU',
        'IRQ_ERR_CPU_OFFLINE',
        'IRQ_ERR_MANAGED',
        'IRQ_ERR_NO_VECTOR',
        'IRQ_ERR_PERMISSION',
        ...STATE_ERRORS,
        'IRQ_ERR_UNAVAILABLE',
      ],
      handler: ({ params, body }) => {
        const result = service.setAffinity(String(params.irq), body.cpu);
        const outcome = result.outcomes[0];
        if (!outcome) throw new IrqkitError('IRQ_ERR_INTERNAL', 'the write produced no outcome');
        if (outcome.error) {
          throw new IrqkitError(outcome.error.code, outcome.error.message, {
            irq: outcome.irq,
            cpu: outcome.cpu,
            affinity: outcome.affinity,
            ...(outcome.error.errno ? { errno: outcome.error.errno } : {}),
          });
        }
        const warnings = persisted(ctx, result, body.persist);
        return { body: warnings.length > 0 ? { ...outcome, warnings } : outcome };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/affinity',
      operationId: 'applyAffinityBatch',
      summary: 'Pin many IRQs at once: all or nothing (earlier writes are rolled back if one fails)',
      description:
        "200 when every write succeeded (or the dry run found no problem); 409 with every IRQ's outcome when one failed and the rest were rolled back or not attempted.",
      tags: ['affinity'],
      body: S.BatchBody,
      response: S.BatchResult,
      responses: { 409: S.BatchResult },
      errors: [...STATE_ERRORS, 'IRQ_ERR_UNAVAILABLE'],
      handler: ({ body }) => {
        const result = service.applyBatch(body.assignments, body.dryRun ?? false);
        const warnings = persisted(ctx, result, body.persist);
        return batchResponse(result.ok, warnings.length > 0 ? { ...result, warnings } : result);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/plan',
      operationId: 'getPlan',
      summary:
        'A balancing plan from measured rates: current and proposed assignments, each move with its gain, per-CPU loads and metrics before and after with their measuring noise',
      description:
        'Loads that differ by less than the noise margin (confidence standard errors of their difference) count as equal, so a balanced machine gets a plan with no moves and nothingWorthMoving: true, a normal 200 answer.',
      tags: ['plan'],
      query: S.PlanQuery,
      response: S.Plan,
      errors: [
        ...WINDOW_ERRORS,
        'IRQ_ERR_UNKNOWN_CPU',
        'IRQ_ERR_CPUSET',
        'IRQ_ERR_EMPTY',
        'IRQ_ERR_INFEASIBLE',
        'IRQ_ERR_BUSY',
      ],
      handler: async ({ query, signal }) => ({
        body: await service.plan(planQuery(query, ctx.retentionMs), signal),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/plan/apply',
      operationId: 'applyPlan',
      summary: 'Compute a plan as GET /api/v1/plan does and apply its moves as one all-or-nothing batch',
      description:
        'A plan with nothing worth moving is applied as a 200 no-op: nothing is written and result.outcomes is empty.',
      tags: ['plan'],
      body: S.PlanApplyBody,
      response: S.PlanApplyResult,
      responses: { 409: S.PlanApplyResult },
      errors: [
        ...WINDOW_ERRORS,
        'IRQ_ERR_UNKNOWN_CPU',
        'IRQ_ERR_CPUSET',
        'IRQ_ERR_EMPTY',
        'IRQ_ERR_INFEASIBLE',
        'IRQ_ERR_BUSY',
        ...STATE_ERRORS,
      ],
      handler: async ({ body, signal }) => {
        const r = await service.applyPlan(planQuery(body, ctx.retentionMs), body.dryRun ?? false, signal);
        const warnings = persisted(ctx, r.result, body.persist);
        return batchResponse(
          r.result.ok,
          warnings.length > 0 ? { ...r, result: { ...r.result, warnings } } : r,
        );
      },
    }),
    ...pinRoutes(ctx),
    ...autoRoutes(ctx),
  ];
}
