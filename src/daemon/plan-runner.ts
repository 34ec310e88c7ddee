/**
 * Runs plans in a worker thread, one at a time, so a long search holds neither the HTTP server
 * nor the sampler. A request while a plan runs is refused at once (IRQ_ERR_BUSY, 429 with
 * Retry-After) rather than queued: queued plans would pile up behind each other. A cancelled
 * plan (the client went away, the daemon stops) terminates the worker; the next plan starts a
 * fresh one.
 *
 * The autopilot's plans run in the background: a plan asked through the API cancels one (the
 * round is skipped and tries again at the next) instead of being refused, so an operator never
 * waits for the autopilot.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { IrqkitError } from '../core/errors.ts';
import { defaultTimeLimitMs, type PlanRequest, type PlanResult } from '../core/planner/plan.ts';
import { type PlanReply, replyError } from './plan-worker.ts';
import { planWorkerCode } from './plan-worker-source.ts';

interface Running {
  id: number;
  startedAt: number;
  timeLimitMs: number;
  background: boolean;
  resolve(result: PlanResult): void;
  reject(error: IrqkitError): void;
}

export interface PlanRunnerHealth {
  /** A plan is being computed now. */
  planning: boolean;
  /** Plans answered (results and planner errors). */
  plans: number;
  /** Requests refused because a plan was running. */
  refused: number;
  /** Plans cancelled (client gone, shutdown). */
  cancelled: number;
}

export class PlanRunner {
  private worker: Worker | null = null;
  private running: Running | null = null;
  private nextId = 1;
  private closed = false;
  private readonly counts = { plans: 0, refused: 0, cancelled: 0 };
  private readonly spawn: () => Worker;

  constructor(options: { spawn?: () => Worker } = {}) {
    this.spawn = options.spawn ?? (() => new Worker(planWorkerCode(), { eval: true }));
  }

  health(): PlanRunnerHealth {
    return { planning: this.running !== null, ...this.counts };
  }

  run(
    request: PlanRequest,
    signal?: AbortSignal,
    options: { background?: boolean } = {},
  ): Promise<PlanResult> {
    if (this.closed) return Promise.reject(stopping());
    if (signal?.aborted) return Promise.reject(cancelled());
    const background = options.background === true;
    if (this.running?.background === true && !background) {
      this.cancel(
        this.running.id,
        new IrqkitError('IRQ_ERR_BUSY', 'the autopilot plan gave way to a plan asked through the API', {
          retryAfterSeconds: 1,
        }),
      );
    }
    const busy = this.running;
    if (busy) {
      this.counts.refused++;
      const left = busy.startedAt + busy.timeLimitMs - performance.now();
      return Promise.reject(
        new IrqkitError('IRQ_ERR_BUSY', 'a plan is being computed; irqkitd computes one at a time', {
          retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)),
        }),
      );
    }
    const worker = this.ensureWorker();
    return new Promise<PlanResult>((resolve, reject) => {
      const id = this.nextId++;
      const onAbort = (): void => this.cancel(id, cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.running = {
        id,
        startedAt: performance.now(),
        timeLimitMs: request.timeLimitMs ?? defaultTimeLimitMs(request.items.length),
        background,
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      // `now` is a function and cannot cross threads; the worker's planner uses its own clock.
      const { now: _now, ...plain } = request;
      worker.postMessage({ id, request: plain });
    });
  }

  /** Cancels the running plan and stops the worker; later plans are refused (shutdown). */
  close(): void {
    this.closed = true;
    if (this.running) this.cancel(this.running.id, stopping());
    this.stopWorker();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = this.spawn();
    // The HTTP server keeps the daemon alive; an idle worker must not.
    w.unref();
    w.on('message', (reply: PlanReply) => {
      const r = this.running;
      if (!r || r.id !== reply.id) return;
      this.running = null;
      this.counts.plans++;
      if ('result' in reply) r.resolve(reply.result);
      else r.reject(replyError(reply.error));
    });
    const lost = (why: string): void => {
      if (this.worker !== w) return;
      this.worker = null;
      const r = this.running;
      this.running = null;
      r?.reject(new IrqkitError('IRQ_ERR_INTERNAL', `the planner stopped: ${why}`));
    };
    w.on('error', (e) => lost(e.message));
    w.on('exit', (code) => lost(`exit ${code}`));
    this.worker = w;
    return w;
  }

  private cancel(id: number, error: IrqkitError): void {
    const r = this.running;
    if (!r || r.id !== id) return;
    this.running = null;
    this.counts.cancelled++;
    r.reject(error);
    // The only way to stop a synchronous search is to end its thread.
    this.stopWorker();
  }

  private stopWorker(): void {
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
  }
}

function stopping(): IrqkitError {
  return new IrqkitError(
    'IRQ_ERR_UNAVAILABLE',
    'the daemon is shutting down; nothing was written (the plan was cancelled)',
  );
}

function cancelled(): IrqkitError {
  return new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the plan was cancelled');
}
