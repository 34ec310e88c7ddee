/** /metrics families about irqkitd itself: its event loop, its planner and its shared answers. */
import { type MetricFamily, single } from '../core/metrics-text.ts';
import type { AnswerCache } from './answer-cache.ts';
import type { EventLoopDelay } from './event-loop.ts';
import type { PlanRunnerHealth } from './plan-runner.ts';

export function runtimeMetricFamilies(input: {
  eventLoop: EventLoopDelay;
  planner: PlanRunnerHealth;
  answers: AnswerCache;
  skippedSamples: number;
  /** process.memoryUsage(), passed in so that a test can give fixed figures. */
  memory: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}): MetricFamily[] {
  const { eventLoop, planner, answers } = input;
  const byKind = (m: ReadonlyMap<string, number>): MetricFamily['samples'] =>
    [...m].sort((a, b) => a[0].localeCompare(b[0])).map(([answer, value]) => ({ labels: { answer }, value }));
  return [
    // One gauge per quantile, as prom-client's nodejs_eventloop_lag_p99_seconds: a `quantile`
    // label belongs to summaries, which need a count Node 16's histogram does not give.
    ...eventLoop.quantiles.map(
      (q): MetricFamily =>
        single(
          `irqkit_event_loop_delay_p${Math.round(q.quantile * 100)}_seconds`,
          `How late irqkitd's event loop ran timers since it started, ${Math.round(q.quantile * 100)}th percentile (requests and samples wait this long)`,
          'gauge',
          q.seconds,
        ),
    ),
    single(
      'irqkit_event_loop_delay_max_seconds',
      'The longest the event loop was held since irqkitd started',
      'gauge',
      eventLoop.maxSeconds,
    ),
    single(
      'irqkit_sampler_skipped_total',
      'Sampling deadlines skipped because a sample overran them',
      'counter',
      input.skippedSamples,
    ),
    single(
      'irqkit_planning',
      'A plan is being computed now (1) or not (0); plans run in a worker thread, one at a time',
      'gauge',
      planner.planning ? 1 : 0,
    ),
    single(
      'irqkit_plans_total',
      'Plans computed (answered with a plan or a planner error)',
      'counter',
      planner.plans,
    ),
    single(
      'irqkit_plans_refused_total',
      'Plan requests refused with 429 because another plan was running',
      'counter',
      planner.refused,
    ),
    single(
      'irqkit_plans_cancelled_total',
      'Plans cancelled before they finished (client gone, shutdown)',
      'counter',
      planner.cancelled,
    ),
    // The names prom-client's default metrics use, so existing Node dashboards read them.
    single('process_resident_memory_bytes', 'Resident memory size in bytes', 'gauge', input.memory.rss),
    single('nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes', 'gauge', input.memory.heapTotal),
    single('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes', 'gauge', input.memory.heapUsed),
    single(
      'nodejs_external_memory_bytes',
      'Memory outside the V8 heap held by JavaScript objects (Buffers, typed arrays), in bytes',
      'gauge',
      input.memory.external,
    ),
    {
      name: 'irqkit_answers_computed_total',
      help: 'Window answers computed, by kind; requests between two samples share one',
      type: 'counter',
      samples: byKind(answers.computed),
    },
    {
      name: 'irqkit_answers_shared_total',
      help: "Window answers served from another request's computation of the same sample, by kind",
      type: 'counter',
      samples: byKind(answers.shared),
    },
  ];
}
