/** GET /api/v1/auto (the autopilot's state, settings and last rounds) and POST (pause, resume). */
import * as A from '../api/auto-schemas.ts';
import { IrqkitError } from '../core/errors.ts';
import type { Autopilot } from './autopilot.ts';
import { defineRoute, type RouteSpec } from './http/route.ts';

export interface AutoRouteContext {
  /** Absent only in route-table tests that never call a handler. */
  autopilot?: Autopilot;
}

function autopilotOf(ctx: AutoRouteContext): Autopilot {
  if (!ctx.autopilot) throw new IrqkitError('IRQ_ERR_INTERNAL', 'the autopilot is not set up in this daemon');
  return ctx.autopilot;
}

export function autoRoutes(ctx: AutoRouteContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/auto',
      operationId: 'getAutopilot',
      summary: "The autopilot: enabled, paused and why, its settings and its last rounds' decisions",
      tags: ['auto'],
      response: A.AutoStatus,
      handler: () => ({ body: autopilotOf(ctx).status() }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/auto',
      operationId: 'pauseAutopilot',
      summary: 'Pause ({"paused":true}) or resume ({"paused":false}) the autopilot; answers its state',
      description:
        'A pause lasts until resumed or until irqkitd restarts. While irqbalance runs the autopilot stays paused whatever is asked (pausedBy says so). 409 IRQ_ERR_AUTO_OFF when irqkitd runs without --auto.',
      tags: ['auto'],
      body: A.AutoBody,
      response: A.AutoStatus,
      errors: ['IRQ_ERR_AUTO_OFF'],
      handler: ({ body }) => {
        const auto = autopilotOf(ctx);
        if (!auto.enabled) {
          throw new IrqkitError('IRQ_ERR_AUTO_OFF', auto.status().reason ?? 'the autopilot is not enabled');
        }
        auto.setPaused(body.paused);
        return { body: auto.status() };
      },
    }),
  ];
}
