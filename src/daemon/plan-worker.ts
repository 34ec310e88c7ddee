/**
 * The planner's side of the plan worker: takes plan requests from the daemon's thread and answers
 * each with its result or a catalogued error. It runs in a worker thread so that a long search
 * holds neither the HTTP server nor the sampler (see plan-runner.ts).
 */
import { IrqkitError, toIrqkitError } from '../core/errors.ts';
import { type PlanRequest, type PlanResult, plan } from '../core/planner/plan.ts';

/** What crosses the thread boundary (structured clone: plain data only). */
export type PlanReply =
  | { id: number; result: PlanResult }
  | { id: number; error: { code: IrqkitError['code']; message: string; details?: Record<string, unknown> } };

export interface PlanPort {
  on(event: 'message', listener: (message: { id: number; request: PlanRequest }) => void): unknown;
  postMessage(reply: PlanReply): void;
}

export function servePlans(port: PlanPort): void {
  port.on('message', ({ id, request }) => {
    let reply: PlanReply;
    try {
      reply = { id, result: plan(request) };
    } catch (e) {
      const err = toIrqkitError(e);
      reply = {
        id,
        error: {
          code: err.code,
          message: err.message,
          ...(err.details ? { details: { ...err.details } } : {}),
        },
      };
    }
    port.postMessage(reply);
  });
}

/** The error a reply carries, as the catalogued error it was in the worker. */
export function replyError(e: Extract<PlanReply, { error: unknown }>['error']): IrqkitError {
  return new IrqkitError(e.code, e.message, e.details);
}
