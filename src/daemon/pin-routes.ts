/** Routes for pins and restore: thin adapters over PinKeeper. */
import * as P from '../api/pin-schemas.ts';
import { IrqkitError } from '../core/errors.ts';
import { defineRoute, type RouteSpec } from './http/route.ts';
import type { PinKeeper } from './pins.ts';

export interface PinRouteContext {
  /** Absent only in route-table tests that never call a handler. */
  pins?: PinKeeper;
}

export function keeperOf(ctx: PinRouteContext): PinKeeper {
  if (!ctx.pins) throw new IrqkitError('IRQ_ERR_INTERNAL', 'pins are not set up in this daemon');
  return ctx.pins;
}

/** GET /api/v1/pins, and what the mutating pin routes answer with. */
export function pinsDoc(keeper: PinKeeper): P.PinsDoc {
  return {
    pins: keeper.views(),
    originals: keeper.originals(),
    state: keeper.health(),
    irqbalance: keeper.irqbalance(),
    warnings: keeper.warnings(),
  };
}

export function pinRoutes(ctx: PinRouteContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/pins',
      operationId: 'listPins',
      summary:
        'Pins (kept and re-applied affinities) with their status, and the originals restore would put back',
      tags: ['pins'],
      response: P.PinsDoc,
      handler: () => ({ body: pinsDoc(keeperOf(ctx)) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/pins/remove',
      operationId: 'unpin',
      summary: 'Remove pins ({"irqs":["41"]} or {"all":true}); the affinities stay as they are',
      tags: ['pins'],
      body: P.UnpinBody,
      response: P.UnpinResult,
      errors: ['IRQ_ERR_NOT_PINNED', 'IRQ_ERR_STATE_WRITE', 'IRQ_ERR_UNAVAILABLE'],
      handler: ({ body }) => {
        const keeper = keeperOf(ctx);
        const unpinned = keeper.unpin('all' in body ? 'all' : body.irqs);
        return { body: { unpinned, pins: keeper.views() } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/pins/apply',
      operationId: 'reapplyPins',
      summary:
        'Apply every pin that is not in effect now, drifted ones included (e.g. after banning them from irqbalance)',
      tags: ['pins'],
      body: P.EmptyBody,
      response: P.PinsDoc,
      errors: ['IRQ_ERR_UNAVAILABLE'],
      handler: () => {
        const keeper = keeperOf(ctx);
        keeper.reapply();
        return { body: pinsDoc(keeper) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/restore',
      operationId: 'restoreAffinities',
      summary:
        'Put back the affinities irqkitd changed, as they were before its first change (all, or "irqs"), and unpin them',
      description:
        "Each IRQ on its own: one that cannot be restored (gone, CPU offline) keeps its record for a later try. 200 when every IRQ was restored; 409 with every IRQ's outcome otherwise.",
      tags: ['pins'],
      body: P.RestoreBody,
      response: P.RestoreResult,
      responses: { 409: P.RestoreResult },
      errors: ['IRQ_ERR_NOT_CHANGED', 'IRQ_ERR_STATE_WRITE', 'IRQ_ERR_UNAVAILABLE'],
      handler: ({ body }) => {
        const r = keeperOf(ctx).restore({
          ...(body.irqs !== undefined ? { irqs: body.irqs } : {}),
          dryRun: body.dryRun ?? false,
          unpin: true,
        });
        return r.ok ? { body: r } : { status: 409, body: r };
      },
    }),
  ];
}
