/**
 * Assembles irqkitd: system access (real or simulated), the sampler, the service, the route
 * table and one HTTP server per --listen target. `startDaemon` returns once it is listening;
 * `close()` shuts everything down in order (stop accepting, finish requests, stop sampling).
 */
import { CounterTotals } from '../core/counter-totals.ts';
import type { IrqkitError } from '../core/errors.ts';
import type { SystemAccess } from '../io/system.ts';
import { buildOpenApi } from './http/openapi.ts';
import { type ApiServer, createApiServer } from './http/server.ts';
import { describeTarget, type ListenTarget } from './listen.ts';
import { metricFamilies } from './metrics.ts';
import { buildRoutes } from './routes.ts';
import { Sampler } from './sampler.ts';
import { IrqService } from './service.ts';

export interface DaemonOptions {
  system: SystemAccess;
  listen: ListenTarget[];
  extraHosts: string[];
  intervalMs: number;
  retentionMs: number;
  maxWaitMs: number;
  readOnly: boolean;
  bannedIrqs: Set<string>;
  metricsIrqCpu: boolean;
  version: string;
  log(entry: Record<string, unknown>): void;
  /** Runs when the daemon closes (e.g. stop and remove a simulated machine). */
  onClose?: () => void;
}

export interface RunningDaemon {
  addresses: ListenTarget[];
  urls: string[];
  close(): Promise<void>;
}

/** The window behind the imbalance gauges in /metrics. */
const METRICS_WINDOW_MS = 10_000;

export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const startedAt = Date.now();
  const totals = new CounterTotals({ perIrqCpu: o.metricsIrqCpu });
  let lastErrorLogged = '';
  const sampler = new Sampler({
    read: () => o.system.readInterrupts(),
    intervalMs: o.intervalMs,
    retentionMs: o.retentionMs,
    onDelta: (delta) => totals.add(delta),
    onError: (e: IrqkitError) => {
      // One line per distinct failure, not one per interval.
      if (e.message !== lastErrorLogged)
        o.log({ level: 'warn', msg: 'sampling failed', code: e.code, error: e.message });
      lastErrorLogged = e.message;
    },
    onSample: () => {
      if (lastErrorLogged !== '') o.log({ level: 'info', msg: 'sampling recovered' });
      lastErrorLogged = '';
    },
  });
  sampler.start();
  const service = new IrqService({
    system: o.system,
    sampler,
    bannedIrqs: o.bannedIrqs,
    maxWaitMs: o.maxWaitMs,
  });
  let openapi: unknown = null;
  const routes = buildRoutes({
    service,
    version: o.version,
    readOnly: o.readOnly,
    startedAt,
    now: () => Date.now(),
    retentionMs: o.retentionMs,
    openapi: () => openapi,
    metrics: () => {
      const w = sampler.windowNow(METRICS_WINDOW_MS);
      let recent = null;
      if (w) {
        const perCpu = w.snapshot.cpus.map((_, i) => {
          let sum = 0;
          for (const r of w.snapshot.rows) if (r.numeric) sum += r.counts[i] ?? 0;
          return sum;
        });
        recent = { cpus: w.snapshot.cpus, perCpu, seconds: w.seconds };
      }
      return metricFamilies({
        totals,
        health: sampler.health(),
        recent,
        startedAtSeconds: Math.floor(startedAt / 1000),
        version: o.version,
      });
    },
  });
  openapi = buildOpenApi(routes, {
    title: 'irqkitd',
    version: o.version,
    description:
      'Watches how interrupts are spread over CPUs and sets IRQ affinity. Errors are application/problem+json with a stable `code`.',
  });
  const servers: ApiServer[] = [];
  const addresses: ListenTarget[] = [];
  try {
    for (const target of o.listen) {
      const api = createApiServer({
        routes,
        readOnly: o.readOnly,
        extraHosts: o.extraHosts,
        logger: (entry) => o.log({ level: 'info', ...entry }),
      });
      servers.push(api);
      addresses.push(await api.listen(target));
    }
  } catch (e) {
    sampler.stop();
    await Promise.all(servers.map((s) => s.close({ timeoutMs: 0 })));
    o.onClose?.();
    throw e;
  }
  const urls = addresses.map((a) => describeTarget(a));
  o.log({
    level: 'info',
    msg: 'irqkitd listening',
    urls,
    system: o.system.description,
    readOnly: o.readOnly,
    intervalMs: o.intervalMs,
    retentionMs: o.retentionMs,
  });
  let closing: Promise<void> | null = null;
  return {
    addresses,
    urls,
    close() {
      closing ??= (async () => {
        // Stop sampling first: it wakes window queries that wait for history, so they answer
        // with the window so far instead of holding the shutdown until its deadline.
        sampler.stop();
        await Promise.all(servers.map((s) => s.close()));
        o.onClose?.();
        o.log({ level: 'info', msg: 'irqkitd stopped' });
      })();
      return closing;
    },
  };
}
