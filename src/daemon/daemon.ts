/**
 * Assembles irqkitd: system access (real or simulated), the sampler, the service, the route
 * table and one HTTP server per --listen target. `startDaemon` returns once it is listening;
 * `close()` shuts everything down in order (stop accepting, finish requests, stop sampling).
 */
import type { OpenApiDoc } from '../api/schemas.ts';
import { CounterTotals } from '../core/counter-totals.ts';
import type { IrqkitError } from '../core/errors.ts';
import { renderMetrics } from '../core/metrics-text.ts';
import type { SystemAccess } from '../io/system.ts';
import { highestCpu, withApiLimits } from './api-limits.ts';
import { autoMetricFamilies } from './auto-metrics.ts';
import { type AutoSettings, autoSettingsView, resolveAutoSettings } from './auto-settings.ts';
import { Autopilot } from './autopilot.ts';
import { EventLoopMonitor } from './event-loop.ts';
import { buildOpenApi } from './http/openapi.ts';
import { type ApiServer, createApiServer } from './http/server.ts';
import { shareBody } from './http/shared-body.ts';
import { describeTarget, type ListenTarget } from './listen.ts';
import { type MetricsInput, metricFamilies } from './metrics.ts';
import { pinMetricFamilies } from './pin-metrics.ts';
import { PinKeeper } from './pins.ts';
import { PlanRunner } from './plan-runner.ts';
import { buildRoutes } from './routes.ts';
import { runtimeMetricFamilies } from './runtime-metrics.ts';
import { Sampler, type SamplerClock } from './sampler.ts';
import { IrqService } from './service.ts';
import { createStateStore, type StateFs } from './state-store.ts';

export interface DaemonOptions {
  system: SystemAccess;
  listen: ListenTarget[];
  extraHosts: string[];
  intervalMs: number;
  retentionMs: number;
  maxWaitMs: number;
  readOnly: boolean;
  /** Plans leave these alone. The daemon keeps this set and changes it in place on reload. */
  bannedIrqs: Set<string>;
  metricsIrqCpu: boolean;
  version: string;
  /** Where the state file (pins, original affinities) lives; null or absent: memory only. */
  stateDir?: string | null;
  /** The state file's file system calls (tests inject failures such as ENOSPC). */
  stateFs?: StateFs;
  /** procfs root for boot_id and for finding irqbalance (default /proc). */
  procRoot?: string;
  /** Put back the affinities irqkitd changed when it stops. */
  restoreOnExit?: boolean;
  log(entry: Record<string, unknown>): void;
  /** Runs when the daemon closes (e.g. stop and remove a simulated machine). */
  onClose?: () => void;
  /** Check every answer against the API contract (tests; see ApiServerOptions.checkResponses). */
  checkResponses?: boolean;
  /** The sampler's clock: real time by default; tests pass a manual one to sample when they say. */
  samplerClock?: SamplerClock;
  /** The autopilot's settings (off when absent or not enabled). */
  auto?: AutoSettings;
}

export interface RunningDaemon {
  addresses: ListenTarget[];
  urls: string[];
  /** Pins and originals (tests look inside). */
  pins: PinKeeper;
  autopilot: Autopilot;
  /**
   * SIGHUP: takes the new bans and restore-on-exit setting, reads the state file again and
   * applies its pins. A state file that cannot be read keeps the pins in memory (stateError).
   */
  reload(config: ReloadableConfig): Promise<{ pins: number; originals: number; stateError?: string }>;
  close(): Promise<void>;
}

export interface ReloadableConfig {
  bannedIrqs: ReadonlySet<string>;
  restoreOnExit: boolean;
  /** Absent: the autopilot keeps its settings. */
  auto?: AutoSettings;
}

/** The window behind the imbalance gauges in /metrics. */
const METRICS_WINDOW_MS = 10_000;

/**
 * The text (UTF-8) of the metric families that change only with a sample (64-bit totals per IRQ and
 * CPU, the recent window's load), rendered once per sample: on a 256-CPU, 2,000-IRQ machine
 * that is ~0.2 MB, and scrapers polling faster than the sampler, or several Prometheus servers,
 * share it instead of each rendering it again.
 */
function sampleMetricsOf(
  sampler: Sampler,
  fixed: () => Omit<MetricsInput, 'health' | 'recent'>,
): () => Buffer {
  let cached: { at: number | null; bytes: Buffer } | null = null;
  return () => {
    const health = sampler.health();
    if (cached !== null && cached.at === health.lastSampleAt) return cached.bytes;
    const w = sampler.windowNow(METRICS_WINDOW_MS);
    let recent: MetricsInput['recent'] = null;
    if (w) {
      const perCpu = w.snapshot.cpus.map((_, i) => {
        let sum = 0;
        for (const r of w.snapshot.rows) if (r.numeric) sum += r.counts[i] ?? 0;
        return sum;
      });
      recent = { cpus: w.snapshot.cpus, perCpu, seconds: w.seconds };
    }
    // Kept as bytes: encoding 0.2 MB of text for every scrape was most of a scrape's cost.
    const bytes = Buffer.from(renderMetrics(metricFamilies({ ...fixed(), health, recent })));
    cached = { at: health.lastSampleAt, bytes };
    return bytes;
  };
}

export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const startedAt = Date.now();
  const totals = new CounterTotals({ perIrqCpu: o.metricsIrqCpu });
  let restoreOnExit = o.restoreOnExit === true;
  const pins = new PinKeeper({
    system: o.system,
    store: createStateStore({ dir: o.stateDir ?? null, ...(o.stateFs ? { fs: o.stateFs } : {}) }),
    procRoot: o.procRoot ?? '/proc',
    readOnly: o.readOnly,
    log: o.log,
  });
  let lastErrorLogged = '';
  // Made once the service exists; the sampler starts first, so early samples find it null.
  let autopilot: Autopilot | null = null;
  const sampler = new Sampler({
    read: () => o.system.readInterrupts(),
    ...(o.system.readInterruptsInto ? { readInto: o.system.readInterruptsInto.bind(o.system) } : {}),
    intervalMs: o.intervalMs,
    retentionMs: o.retentionMs,
    ...(o.samplerClock ? { clock: o.samplerClock } : {}),
    onInterval: (sampled) => {
      totals.add(sampled);
      // Pins of IRQs that came back are applied again right after the sample that shows it.
      pins.afterSample(sampled.restarted);
      autopilot?.afterSample(sampled.interval.end, sampled.restarted);
    },
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
  const sampleMetrics = sampleMetricsOf(sampler, () => ({
    totals,
    startedAtSeconds: Math.floor(startedAt / 1000),
    version: o.version,
  }));
  // Pins are in place before the API answers.
  try {
    await pins.start();
  } catch (e) {
    sampler.stop();
    throw e;
  }
  // Plans run in a worker thread, so a long search holds neither requests nor samples.
  const planner = new PlanRunner();
  const eventLoop = new EventLoopMonitor();
  const service = new IrqService({
    system: pins.system,
    sampler,
    bannedIrqs: o.bannedIrqs,
    maxWaitMs: o.maxWaitMs,
    planner: (request, signal, options) => planner.run(request, signal, options),
  });
  autopilot = new Autopilot({
    settings: o.auto ?? resolveAutoSettings([], { intervalMs: o.intervalMs, retentionMs: o.retentionMs }),
    plan: (query, signal) => service.plan(query, signal),
    system: pins.system,
    pinnedIrqs: () => pins.pinnedIrqs(),
    irqbalance: (fresh) => pins.irqbalance(fresh),
    bannedIrqs: o.bannedIrqs,
    windowNow: (ms) => sampler.windowNow(ms),
    readOnly: o.readOnly,
    intervalMs: o.intervalMs,
    log: o.log,
  });
  const auto = autopilot;
  // Built from the route table, so after it; no request is served before either exists.
  let openapi: OpenApiDoc | undefined;
  let maxCpu: number | null = null;
  try {
    maxCpu = highestCpu(o.system.topology());
  } catch {
    // No topology: the document keeps the static CPU maximum; the writes still check each CPU.
  }
  const routes = withApiLimits(
    buildRoutes({
      service,
      version: o.version,
      readOnly: o.readOnly,
      pins,
      autopilot: auto,
      startedAt,
      now: () => Date.now(),
      retentionMs: o.retentionMs,
      planner: () => planner.health(),
      eventLoop: () => eventLoop.read(),
      openapi: () => {
        if (openapi === undefined) throw new Error('the OpenAPI document is not built yet');
        return openapi;
      },
      metricsBody: () => [
        sampleMetrics(),
        Buffer.from(
          renderMetrics([
            ...pinMetricFamilies(pins),
            ...autoMetricFamilies(auto),
            ...runtimeMetricFamilies({
              eventLoop: eventLoop.read(),
              planner: planner.health(),
              answers: service.answers,
              skippedSamples: sampler.health().skipped,
              memory: process.memoryUsage(),
            }),
          ]),
        ),
      ],
    }),
    { retentionMs: o.retentionMs, maxCpu },
  );
  openapi = shareBody(
    buildOpenApi(routes, {
      title: 'irqkitd',
      version: o.version,
      description:
        'Watches how interrupts are spread over CPUs and sets IRQ affinity. Errors are application/problem+json with a stable `code`.',
    }),
  );
  const servers: ApiServer[] = [];
  const addresses: ListenTarget[] = [];
  try {
    for (const target of o.listen) {
      const api = createApiServer({
        routes,
        readOnly: o.readOnly,
        extraHosts: o.extraHosts,
        checkResponses: o.checkResponses === true,
        logger: (entry) => o.log({ level: 'info', ...entry }),
      });
      servers.push(api);
      addresses.push(await api.listen(target));
    }
  } catch (e) {
    sampler.stop();
    void auto.close();
    planner.close();
    eventLoop.stop();
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
    stateFile: pins.health().file,
    restoreOnExit,
    auto: auto.enabled ? autoSettingsView(o.auto as AutoSettings) : false,
  });
  let closing: Promise<void> | null = null;
  return {
    addresses,
    urls,
    pins,
    autopilot: auto,
    async reload(config) {
      o.bannedIrqs.clear();
      for (const irq of config.bannedIrqs) o.bannedIrqs.add(irq);
      restoreOnExit = config.restoreOnExit;
      if (config.auto) auto.reconfigure(config.auto);
      try {
        return await pins.reload();
      } catch (e) {
        const h = pins.health();
        return { pins: h.pins, originals: h.originals, stateError: (e as Error).message };
      }
    },
    close() {
      closing ??= (async () => {
        // No write starts from here on: a request still waiting (a plan/apply waiting for
        // history) is answered 503 with nothing written rather than applied on a cut window.
        pins.beginShutdown();
        // The autopilot's plan is cancelled with the others; it writes nothing after this.
        const autoStopped = auto.close();
        // Stop sampling first: it wakes window queries that wait for history, so they answer
        // with the window so far instead of holding the shutdown until its deadline.
        sampler.stop();
        // A plan being computed is cancelled (its worker terminated, its request answered 503):
        // a stop must not wait for a search.
        if (planner.health().planning) o.log({ level: 'info', msg: 'plan cancelled: stopping' });
        planner.close();
        eventLoop.stop();
        await Promise.all([autoStopped, ...servers.map((s) => s.close())]);
        // Every request is over, so nothing can write after the restore.
        if (restoreOnExit && !o.readOnly) {
          try {
            pins.restore({ unpin: false, onExit: true });
          } catch (e) {
            o.log({ level: 'error', msg: 'restore on exit failed', error: (e as Error).message });
          }
        }
        o.onClose?.();
        o.log({ level: 'info', msg: 'irqkitd stopped' });
      })();
      return closing;
    },
  };
}
