/**
 * irqkitd's API contract: the TypeBox schema of every request and response, each next to its
 * static type of the same name. The daemon validates requests with them, checks its handlers'
 * return types against them at compile time (defineRoute) and generates /openapi.json from them;
 * the CLI, the dashboard's typedefs and the tests read the wire format through the same types.
 *
 * Clients import these with `import type` only, so no TypeBox code is bundled into irqkit.
 * Response objects leave `additionalProperties` unset (clients must tolerate new members), but
 * the daemon's response check in tests treats them as closed, so every member sent is declared.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorCode } from '../core/errors.ts';

// ---------------------------------------------------------------------------------------------
// request parts

export const IrqParam = Type.Object({
  irq: Type.Integer({ minimum: 0, maximum: 1_048_575, description: 'Linux IRQ number' }),
});
export type IrqParam = Static<typeof IrqParam>;

/**
 * `x-irqkit-limit` marks the schemas whose limit depends on the running daemon: the daemon's
 * document (src/daemon/api-limits.ts) sets the CPU maximum to the machine's highest possible CPU
 * and states the longest window (its --retention) as `x-maximum-ms`, so that the document allows
 * exactly what the daemon accepts.
 */
export const Cpu = Type.Integer({
  minimum: 0,
  maximum: 65_535,
  description: 'CPU id',
  'x-irqkit-limit': 'cpu',
});

/** Positive (a non-zero digit somewhere), no blanks, at most 9 digits either side of the point. */
const DURATION_PATTERN = '^(?=[0-9.]*[1-9])\\d{1,9}(\\.\\d{1,9})?(ms|s|m|h)?$';

/** A window: the same syntax, at most the history the daemon keeps (`x-maximum-ms`, set at run time). */
const WindowDuration = Type.String({
  pattern: DURATION_PATTERN,
  maxLength: 16,
  description:
    'A positive duration: 500ms, 5s, 1m, 15m (a bare number is seconds), at most the history kept (--retention)',
  'x-irqkit-limit': 'window',
});

/** REGION(,REGION)* with REGION = N, N-M or N-M:USED/GROUP, as the kernel's cpulist syntax. */
const CPULIST_REGION = '\\d{1,5}(-\\d{1,5}(:\\d{1,5}/\\d{1,5})?)?';

const CpuList = Type.String({
  pattern: `^${CPULIST_REGION}(,${CPULIST_REGION})*$`,
  maxLength: 4096,
  description:
    'A cpulist as in smp_affinity_list, e.g. 0-7,16 or 0-15:1/2: ranges ascending (N-M with N <= M), USED <= GROUP, GROUP > 0, CPUs of this machine',
  'x-irqkit-limit': 'cpulist',
});

export const NumaPolicy = Type.Union(
  [Type.Literal('strict'), Type.Literal('prefer'), Type.Literal('ignore')],
  {
    description:
      "Keep each device's IRQs on CPUs of its NUMA node: strict (always), prefer (where that node has planned CPUs), ignore",
  },
);
export type NumaPolicy = Static<typeof NumaPolicy>;

const Persist = Type.Boolean({
  description:
    'Keep it: save a pin in the state file and apply it again at start-up and whenever the IRQ comes back (driver reload, NIC reset)',
});

export const WindowQuery = Type.Object({
  window: Type.Optional(WindowDuration),
  wait: Type.Optional(
    Type.Boolean({
      description: 'Wait for enough history when the daemon has run for less than the window (default true)',
    }),
  ),
});
export type WindowQuery = Static<typeof WindowQuery>;

export const InterruptsQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')])),
});
export type InterruptsQuery = Static<typeof InterruptsQuery>;

const Confidence = Type.Number({
  minimum: 0,
  maximum: 10,
  description:
    'How many standard errors of a difference count as measuring noise (default 2): loads closer than that margin count as equal, and every move must gain more than it. 0 plans on the measured loads as if they were exact',
});

const MaxMoves = Type.Integer({
  minimum: 0,
  description: 'At most this many moves, the most valuable first (default: no cap)',
});

/** The most search effort a plan request may ask for (irqkitd answers 400 above it). */
export const MAX_PLAN_TIME_LIMIT_MS = 10_000;

const TimeLimit = Type.String({
  pattern: DURATION_PATTERN,
  maxLength: 16,
  description: `The planner's search effort, a duration as for window, at most ${MAX_PLAN_TIME_LIMIT_MS / 1000}s (400 IRQ_ERR_USAGE above it). Default: 250ms, growing with the IRQ count up to 1s. Plans run one at a time: another plan request meanwhile gets 429 IRQ_ERR_BUSY with Retry-After`,
  'x-maximum-ms': MAX_PLAN_TIME_LIMIT_MS,
  // A pattern miss is told with the description, not the regex.
  'x-irqkit-limit': 'duration',
});

export const PlanQuery = Type.Object({
  window: Type.Optional(WindowDuration),
  wait: Type.Optional(Type.Boolean()),
  cpus: Type.Optional(CpuList),
  numa: Type.Optional(NumaPolicy),
  tolerance: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'Percent above the best makespan accepted for fewer moves',
    }),
  ),
  timeLimit: Type.Optional(TimeLimit),
  confidence: Type.Optional(Confidence),
  maxMoves: Type.Optional(MaxMoves),
});
export type PlanQuery = Static<typeof PlanQuery>;

export const PlanApplyBody = Type.Object(
  {
    window: Type.Optional(WindowDuration),
    wait: Type.Optional(Type.Boolean()),
    cpus: Type.Optional(CpuList),
    numa: Type.Optional(NumaPolicy),
    tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    timeLimit: Type.Optional(TimeLimit),
    confidence: Type.Optional(Confidence),
    maxMoves: Type.Optional(MaxMoves),
    dryRun: Type.Optional(Type.Boolean()),
    persist: Type.Optional(Persist),
  },
  { additionalProperties: false },
);
export type PlanApplyBody = Static<typeof PlanApplyBody>;

export const AffinityBody = Type.Object(
  { cpu: Cpu, persist: Type.Optional(Persist) },
  { additionalProperties: false },
);
export type AffinityBody = Static<typeof AffinityBody>;

export const BatchBody = Type.Object(
  {
    assignments: Type.Array(
      Type.Object(
        {
          irq: Type.String({ pattern: '^[0-9]{1,7}$', description: 'IRQ number as a string' }),
          cpu: Cpu,
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 16_384 },
    ),
    dryRun: Type.Optional(Type.Boolean()),
    persist: Type.Optional(Persist),
  },
  { additionalProperties: false },
);
export type BatchBody = Static<typeof BatchBody>;

// ---------------------------------------------------------------------------------------------
// affinity writes

/** A code of the error catalogue (src/core/errors.ts): what went wrong, for programs. */
export const ErrorCodeSchema = Type.Union(
  (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => Type.Literal(code)),
  { description: 'A code of the error catalogue: what went wrong, for programs' },
);

const ErrorInfo = Type.Object({
  code: ErrorCodeSchema,
  message: Type.String(),
  errno: Type.Optional(Type.String()),
});

/** The members of one IRQ's outcome, shared by the write and the restore outcomes. */
export const outcomeMembers = {
  irq: Type.String(),
  cpu: Type.Integer({ description: 'The CPU asked for' }),
  ok: Type.Boolean({ description: 'Set as asked (in a dry run: would be); false for a write undone' }),
  previous: Type.Array(Type.Integer(), { description: 'smp_affinity_list before the write' }),
  affinity: Type.Array(Type.Integer(), { description: 'smp_affinity_list after the write or rollback' }),
  effective: Type.Union([Type.Array(Type.Integer()), Type.Null()], {
    description: 'effective_affinity_list read back; null where the kernel has no such file',
  }),
  pending: Type.Boolean({
    description: 'Accepted, but the kernel moves it at its next interrupt (x86 without interrupt remapping)',
  }),
  rolledBack: Type.Boolean(),
  error: Type.Optional(ErrorInfo),
};

export const Outcome = Type.Object(outcomeMembers);
export type Outcome = Static<typeof Outcome>;

export const SetAffinityResult = Type.Object({
  ...outcomeMembers,
  warnings: Type.Optional(
    Type.Array(Type.String(), { description: 'With persist: e.g. irqbalance runs and will undo the pin' }),
  ),
});
export type SetAffinityResult = Static<typeof SetAffinityResult>;

export const BatchResult = Type.Object({
  ok: Type.Boolean(),
  dryRun: Type.Boolean(),
  rolledBack: Type.Boolean(),
  outcomes: Type.Array(Outcome),
  warnings: Type.Optional(
    Type.Array(Type.String(), { description: 'With persist: e.g. irqbalance runs and will undo the pins' }),
  ),
});
export type BatchResult = Static<typeof BatchResult>;

// ---------------------------------------------------------------------------------------------
// interrupts and windows

export const WindowInfo = Type.Object({
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' }),
  seconds: Type.Number(),
  complete: Type.Boolean({ description: 'False when the daemon had less history than the window asked for' }),
  requestedSeconds: Type.Number(),
});
export type WindowInfo = Static<typeof WindowInfo>;

const CpuTotal = Type.Object({
  cpu: Type.Integer(),
  interrupts: Type.Number(),
  share: Type.Number(),
  ratePerSecond: Type.Number(),
});
export type CpuTotal = Static<typeof CpuTotal>;

export const DistributionRow = Type.Object({
  irq: Type.String(),
  name: Type.String(),
  chip: Type.Union([Type.String(), Type.Null()]),
  perCpu: Type.Array(Type.Number(), { description: 'Interrupts in the window, aligned with `cpus`' }),
  total: Type.Number(),
  ratePerSecond: Type.Number(),
});
export type DistributionRow = Static<typeof DistributionRow>;

export const TopologyView = Type.Object(
  {
    online: Type.String(),
    isolated: Type.String(),
    nohzFull: Type.String(),
    nodes: Type.Array(Type.Object({ node: Type.Integer(), cpus: Type.String() })),
  },
  { description: 'The CPUs as cpulists: online, isolated, nohz_full, and each NUMA node' },
);
export type TopologyView = Static<typeof TopologyView>;

export const Distribution = Type.Object({
  window: WindowInfo,
  cpus: Type.Array(Type.Integer()),
  irqs: Type.Array(DistributionRow),
  named: Type.Array(
    Type.Object({
      row: Type.String(),
      description: Type.String(),
      perCpu: Type.Union([Type.Array(Type.Number()), Type.Null()]),
      total: Type.Number(),
      ratePerSecond: Type.Number(),
    }),
  ),
  cpuTotals: Type.Array(CpuTotal),
  total: Type.Number(),
  ratePerSecond: Type.Number(),
  topology: Type.Union([TopologyView, Type.Null()], {
    description:
      'Which CPUs are online, isolated, nohz_full and on which node; null when sysfs cannot be read',
  }),
});
export type Distribution = Static<typeof Distribution>;

export const CpuSummary = Type.Object({
  window: WindowInfo,
  cpus: Type.Array(CpuTotal),
  total: Type.Number(),
  ratePerSecond: Type.Number(),
});
export type CpuSummary = Static<typeof CpuSummary>;

/** One row of /proc/interrupts as parsed (src/core/snapshot.ts). */
export const InterruptRow = Type.Object({
  label: Type.String({ description: 'Before the first colon: "132", "NMI", "LOC"' }),
  numeric: Type.Boolean({ description: 'An IRQ number (a row a balancer may move)' }),
  occurrence: Type.Integer({ description: '0 for the first row with this label, 1 for the second …' }),
  counts: Type.Array(Type.Number(), { description: 'Per-CPU counts in the order of `cpus` (may be fewer)' }),
  total: Type.Number(),
  tail: Type.String({ description: 'Everything after the counts' }),
  chip: Type.Optional(Type.String()),
  hwirq: Type.Optional(Type.String()),
  trigger: Type.Optional(Type.String()),
  flow: Type.Optional(Type.String()),
  actions: Type.Optional(Type.Array(Type.String())),
  description: Type.Optional(Type.String()),
  line: Type.Integer({ description: '1-based line where the row starts' }),
});
export type InterruptRow = Static<typeof InterruptRow>;

export const InterruptsDoc = Type.Object({
  at: Type.String({ format: 'date-time' }),
  cpus: Type.Array(Type.Integer()),
  rows: Type.Array(InterruptRow),
  warnings: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String(), text: Type.String() }), {
    description: 'Lines the parser could not read as they are',
  }),
});
export type InterruptsDoc = Static<typeof InterruptsDoc>;

// ---------------------------------------------------------------------------------------------
// IRQs

const Device = Type.Union([
  Type.Object({
    name: Type.String(),
    path: Type.String(),
    numaNode: Type.Union([Type.Integer(), Type.Null()]),
    localCpus: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
  }),
  Type.Null(),
]);

export const IrqDetails = Type.Object({
  irq: Type.String(),
  name: Type.String(),
  chip: Type.Union([Type.String(), Type.Null()]),
  hwirq: Type.Union([Type.String(), Type.Null()]),
  device: Device,
  affinity: Type.String({ description: 'smp_affinity_list' }),
  effectiveAffinity: Type.Union([Type.String(), Type.Null()]),
  node: Type.Union([Type.Integer(), Type.Null()]),
  affinityHint: Type.Union([Type.String(), Type.Null()]),
  managed: Type.Union([Type.Boolean(), Type.Null()], {
    description: 'null: cannot be known without trying a write',
  }),
  banned: Type.Boolean(),
  ratePerSecond: Type.Number(),
  rateWindowSeconds: Type.Number(),
  total: Type.Number({ description: 'Interrupts since boot (32-bit per-CPU counters summed)' }),
});
export type IrqDetails = Static<typeof IrqDetails>;

export const IrqList = Type.Object({ irqs: Type.Array(IrqDetails) });
export type IrqList = Static<typeof IrqList>;

// ---------------------------------------------------------------------------------------------
// plans

const balanceMembers = {
  makespan: Type.Number({ description: "The busiest CPU's load: what the planner minimises" }),
  lowerBound: Type.Number({ description: 'No placement can have a smaller makespan' }),
  gap: Type.Number({ description: 'makespan - lowerBound' }),
  gapPercent: Type.Number(),
  total: Type.Number(),
  mean: Type.Number(),
  min: Type.Number(),
  peakToAverage: Type.Number({ description: 'makespan / mean: 1 is perfect' }),
  spread: Type.Number({ description: '(max - min) / mean: 0 is perfect' }),
  cv: Type.Number({ description: 'Coefficient of variation of the loads' }),
};

export const BalanceMetrics = Type.Object(balanceMembers);
export type BalanceMetrics = Static<typeof BalanceMetrics>;

export const PlannedMetrics = Type.Object({
  ...balanceMembers,
  provenOptimal: Type.Boolean({ description: 'No placement has a smaller makespan' }),
  bestMakespan: Type.Number({
    description: 'The smallest makespan found, before trading some for fewer moves',
  }),
  moves: Type.Integer(),
  tolerance: Type.Number(),
});
export type PlannedMetrics = Static<typeof PlannedMetrics>;

const IrqCpu = Type.Object({ irq: Type.String(), cpu: Type.Integer() });

export const PlanAssignment = Type.Object({
  irq: Type.String(),
  name: Type.String(),
  load: Type.Number(),
  current: Type.Union([Type.Integer(), Type.Null()]),
  cpu: Type.Integer(),
  moved: Type.Boolean(),
  fixed: Type.Boolean(),
  allowed: Type.Optional(Type.String({ description: 'The CPUs it may go to (its NUMA node), as a cpulist' })),
  gain: Type.Optional(
    Type.Number({
      description:
        "For a moved IRQ: how much the move lowers the higher of its two CPUs' loads, against leaving this one IRQ where it is",
    }),
  ),
  margin: Type.Optional(
    Type.Number({
      description:
        'For a moved IRQ: the gain it had to beat, from the noise of its own load and of its two CPUs (a move whose gain does not exceed it is kept only when the rest of the plan needs it)',
    }),
  ),
});
export type PlanAssignment = Static<typeof PlanAssignment>;

export const NoiseSummary = Type.Object({
  confidence: Type.Number({ description: 'Standard errors of a difference that count as noise' }),
  exact: Type.Boolean({
    description: 'True when every load is exact (no variance, e.g. a rate file): so is the plan',
  }),
  makespanMargin: Type.Number({
    description: "The margin on the busiest CPU's load: loads within it of the makespan count as equal to it",
  }),
  movesDropped: Type.Integer({ description: 'Moves left out by maxMoves (the least valuable)' }),
});
export type NoiseSummary = Static<typeof NoiseSummary>;

export const Plan = Type.Object({
  window: WindowInfo,
  cpus: Type.Array(Type.Integer()),
  numa: NumaPolicy,
  assignments: Type.Array(PlanAssignment),
  moves: Type.Array(IrqCpu),
  pins: Type.Array(IrqCpu, {
    description: 'IRQs that stay on their CPU but whose mask allows others; apply narrows them to it',
  }),
  before: Type.Object({
    cpus: Type.Array(
      Type.Object({
        cpu: Type.Integer(),
        load: Type.Number(),
        stddev: Type.Number({ description: 'Standard deviation of the measured load: its measuring noise' }),
      }),
    ),
    metrics: BalanceMetrics,
  }),
  after: Type.Object({
    cpus: Type.Array(
      Type.Object({
        cpu: Type.Integer(),
        load: Type.Number(),
        share: Type.Number(),
        irqs: Type.Integer({ description: 'How many IRQs the CPU holds' }),
        stddev: Type.Number({ description: 'Standard deviation of the predicted load: its measuring noise' }),
      }),
    ),
    metrics: PlannedMetrics,
  }),
  noise: NoiseSummary,
  nothingWorthMoving: Type.Boolean({
    description:
      'True when the plan moves nothing and maxMoves left nothing out: no move gains more than the noise margin (a normal answer, not an error)',
  }),
  idle: Type.Array(Type.String(), { description: 'IRQs without interrupts in the window, left alone' }),
  method: Type.Union(
    [
      Type.Literal('trivial'),
      Type.Literal('round-robin'),
      Type.Literal('lpt'),
      Type.Literal('kk'),
      Type.Literal('ckk'),
      Type.Literal('pair-repartition'),
      Type.Literal('branch-and-bound'),
      Type.Literal('sequential'),
    ],
    { description: 'The step that produced the best makespan' },
  ),
  baselines: Type.Object({
    roundRobin: Type.Number(),
    lpt: Type.Number(),
    kk: Type.Union([Type.Number(), Type.Null()]),
  }),
  search: Type.Object({
    units: Type.Number(),
    stoppedBy: Type.Union(
      [
        Type.Literal('complete'),
        Type.Literal('budget'),
        Type.Literal('clock'),
        Type.Literal('bound'),
        Type.Literal('converged'),
      ],
      { description: 'Why the search ended' },
    ),
  }),
  notes: Type.Array(Type.String()),
  topology: TopologyView,
});
export type Plan = Static<typeof Plan>;

export const PlanApplyResult = Type.Object({ plan: Plan, result: BatchResult });
export type PlanApplyResult = Static<typeof PlanApplyResult>;

// ---------------------------------------------------------------------------------------------
// meta

export const SamplerHealth = Type.Object({
  samples: Type.Integer({ description: 'Reads that succeeded' }),
  failures: Type.Integer({
    description: 'Reads that failed (unreadable, truncated, unparsable); each is skipped',
  }),
  lastSampleAt: Type.Union([Type.Number(), Type.Null()], { description: 'Unix time in ms' }),
  lastError: Type.Union([
    Type.Object({ code: Type.String(), message: Type.String(), at: Type.Number({ description: 'Unix ms' }) }),
    Type.Null(),
  ]),
  historySeconds: Type.Number(),
  intervals: Type.Integer({ description: 'Sampled intervals held in the history' }),
  storedCounters: Type.Integer({
    description: "Non-zero per-CPU deltas held, plus one per row: the history's size",
  }),
  waiting: Type.Integer({
    description: 'Window queries waiting now for history the sampler does not have yet',
  }),
  skipped: Type.Integer({
    description: 'Sampling deadlines skipped because a sample overran them (samples are not bunched)',
  }),
});
export type SamplerHealth = Static<typeof SamplerHealth>;

export const StateHealth = Type.Object({
  file: Type.Union([Type.String(), Type.Null()]),
  pins: Type.Integer(),
  originals: Type.Integer(),
  notApplied: Type.Integer({
    description: 'Pins not in effect (drifted, missing, cpu-offline, mismatch, failed)',
  }),
  lastSaveError: Type.Union([
    Type.Object({ message: Type.String(), at: Type.String({ format: 'date-time' }) }),
    Type.Null(),
  ]),
  loadProblem: Type.Union([Type.String(), Type.Null()]),
});
export type StateHealth = Static<typeof StateHealth>;

export const IrqbalanceStatus = Type.Object({
  running: Type.Boolean(),
  pids: Type.Array(Type.Integer()),
  checkedAt: Type.String({ format: 'date-time' }),
});
export type IrqbalanceStatus = Static<typeof IrqbalanceStatus>;

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
  system: Type.String(),
  readOnly: Type.Boolean(),
  sampler: SamplerHealth,
  state: StateHealth,
  irqbalance: IrqbalanceStatus,
  warnings: Type.Array(Type.String(), { description: 'e.g. irqbalance runs and undoes pins' }),
  planning: Type.Boolean({
    description: 'A plan is being computed now (in a worker thread); another plan request gets 429',
  }),
  auto: Type.Object(
    {
      enabled: Type.Boolean(),
      paused: Type.Boolean(),
      reason: Type.Union([Type.String(), Type.Null()]),
    },
    { description: 'The autopilot (irqkitd --auto); GET /api/v1/auto has its rounds' },
  ),
  planner: Type.Object({
    plans: Type.Integer({ description: 'Plans computed' }),
    refused: Type.Integer({ description: 'Plan requests refused because another plan was running' }),
    cancelled: Type.Integer({ description: 'Plans cancelled (client gone, shutdown)' }),
  }),
  eventLoop: Type.Object(
    {
      p50Seconds: Type.Number(),
      p90Seconds: Type.Number(),
      p99Seconds: Type.Number(),
      maxSeconds: Type.Number(),
    },
    { description: 'How late the event loop ran timers since start-up: what requests and samples wait' },
  ),
});
export type Health = Static<typeof Health>;

/** Any JSON object: the schemas inside the OpenAPI document are not described again. */
const JsonObject = Type.Object({}, { additionalProperties: true });

export const OpenApiOperation = Type.Object({
  operationId: Type.String(),
  summary: Type.String(),
  description: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
  parameters: Type.Optional(Type.Array(JsonObject)),
  requestBody: Type.Optional(JsonObject),
  responses: Type.Record(Type.String({ description: 'An HTTP status' }), JsonObject),
});
export type OpenApiOperation = Static<typeof OpenApiOperation>;

export const OpenApiDoc = Type.Object({
  openapi: Type.Literal('3.1.0'),
  info: Type.Object({
    title: Type.String(),
    version: Type.String(),
    description: Type.Optional(Type.String()),
  }),
  tags: Type.Array(Type.Object({ name: Type.String() })),
  paths: Type.Record(
    Type.String({ description: "A path template, e.g. '/api/v1/irqs/{irq}'" }),
    Type.Record(Type.String({ description: 'A lower-case HTTP method' }), OpenApiOperation),
  ),
  components: Type.Object({ schemas: Type.Record(Type.String(), JsonObject) }),
});
export type OpenApiDoc = Static<typeof OpenApiDoc>;

export const TextBody = Type.String();
