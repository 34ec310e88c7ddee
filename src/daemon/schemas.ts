/**
 * TypeBox schemas of irqkitd's API. They validate requests and generate /openapi.json, so the
 * documentation is the validator.
 */
import { Type } from '@sinclair/typebox';

export const IrqParam = Type.Object({
  irq: Type.Integer({ minimum: 0, maximum: 1_048_575, description: 'Linux IRQ number' }),
});

export const Cpu = Type.Integer({ minimum: 0, maximum: 65_535, description: 'CPU id' });

const Duration = Type.String({
  pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)?\\s*$',
  maxLength: 16,
  description: 'A duration: 500ms, 5s, 1m, 15m (a bare number is seconds)',
});

const CpuList = Type.String({
  pattern: '^[0-9,\\-:/ ]*$',
  maxLength: 4096,
  description: 'A cpulist as in smp_affinity_list, e.g. 0-7,16',
});

const NumaPolicy = Type.Union([Type.Literal('strict'), Type.Literal('prefer'), Type.Literal('ignore')], {
  description:
    "Keep each device's IRQs on CPUs of its NUMA node: strict (always), prefer (where that node has planned CPUs), ignore",
});

const Persist = Type.Boolean({
  description:
    'Keep it: save a pin in the state file and apply it again at start-up and whenever the IRQ comes back (driver reload, NIC reset)',
});

export const WindowQuery = Type.Object({
  window: Type.Optional(Duration),
  wait: Type.Optional(
    Type.Boolean({
      description: 'Wait for enough history when the daemon has run for less than the window (default true)',
    }),
  ),
});

export const InterruptsQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')])),
});

export const PlanQuery = Type.Object({
  window: Type.Optional(Duration),
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
  timeLimit: Type.Optional(Duration),
});

export const PlanApplyBody = Type.Object(
  {
    window: Type.Optional(Duration),
    wait: Type.Optional(Type.Boolean()),
    cpus: Type.Optional(CpuList),
    numa: Type.Optional(NumaPolicy),
    tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    timeLimit: Type.Optional(Duration),
    dryRun: Type.Optional(Type.Boolean()),
    persist: Type.Optional(Persist),
  },
  { additionalProperties: false },
);

export const AffinityBody = Type.Object(
  { cpu: Cpu, persist: Type.Optional(Persist) },
  { additionalProperties: false },
);

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

const ErrorInfo = Type.Object({
  code: Type.String(),
  message: Type.String(),
  errno: Type.Optional(Type.String()),
});

export const Outcome = Type.Object({
  irq: Type.String(),
  cpu: Type.Integer(),
  ok: Type.Boolean(),
  previous: Type.Array(Type.Integer()),
  affinity: Type.Array(Type.Integer()),
  effective: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
  pending: Type.Boolean(),
  rolledBack: Type.Boolean(),
  error: Type.Optional(ErrorInfo),
  warnings: Type.Optional(
    Type.Array(Type.String(), { description: 'With persist: e.g. irqbalance runs and will undo the pin' }),
  ),
});

export const BatchResult = Type.Object({
  ok: Type.Boolean(),
  dryRun: Type.Boolean(),
  rolledBack: Type.Boolean(),
  outcomes: Type.Array(Outcome),
  warnings: Type.Optional(
    Type.Array(Type.String(), { description: 'With persist: e.g. irqbalance runs and will undo the pins' }),
  ),
});

export const WindowInfo = Type.Object({
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' }),
  seconds: Type.Number(),
  complete: Type.Boolean({ description: 'False when the daemon had less history than the window asked for' }),
  requestedSeconds: Type.Number(),
});

const CpuTotal = Type.Object({
  cpu: Type.Integer(),
  interrupts: Type.Number(),
  share: Type.Number(),
  ratePerSecond: Type.Number(),
});

export const Distribution = Type.Object({
  window: WindowInfo,
  cpus: Type.Array(Type.Integer()),
  irqs: Type.Array(
    Type.Object({
      irq: Type.String(),
      name: Type.String(),
      chip: Type.Union([Type.String(), Type.Null()]),
      perCpu: Type.Array(Type.Number(), { description: 'Interrupts in the window, aligned with `cpus`' }),
      total: Type.Number(),
      ratePerSecond: Type.Number(),
    }),
  ),
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
});

export const CpuSummary = Type.Object({
  window: WindowInfo,
  cpus: Type.Array(CpuTotal),
  total: Type.Number(),
  ratePerSecond: Type.Number(),
});

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

export const IrqList = Type.Object({ irqs: Type.Array(IrqDetails) });

const Metrics = Type.Object(
  { makespan: Type.Number(), lowerBound: Type.Number(), peakToAverage: Type.Number(), spread: Type.Number() },
  { additionalProperties: true },
);

export const Plan = Type.Object(
  {
    window: WindowInfo,
    cpus: Type.Array(Type.Integer()),
    numa: NumaPolicy,
    assignments: Type.Array(
      Type.Object({
        irq: Type.String(),
        name: Type.String(),
        load: Type.Number(),
        current: Type.Union([Type.Integer(), Type.Null()]),
        cpu: Type.Integer(),
        moved: Type.Boolean(),
        fixed: Type.Boolean(),
        allowed: Type.Optional(Type.String()),
      }),
    ),
    moves: Type.Array(Type.Object({ irq: Type.String(), cpu: Type.Integer() })),
    pins: Type.Array(Type.Object({ irq: Type.String(), cpu: Type.Integer() }), {
      description: 'IRQs that stay on their CPU but whose mask allows others; apply narrows them to it',
    }),
    before: Type.Object({
      cpus: Type.Array(Type.Object({ cpu: Type.Integer(), load: Type.Number() })),
      metrics: Metrics,
    }),
    after: Type.Object({
      cpus: Type.Array(Type.Object({}, { additionalProperties: true })),
      metrics: Metrics,
    }),
    idle: Type.Array(Type.String()),
    method: Type.String(),
    notes: Type.Array(Type.String()),
  },
  { additionalProperties: true },
);

export const PlanApplyResult = Type.Object({ plan: Plan, result: BatchResult });

export const Snapshot = Type.Object(
  {
    at: Type.String({ format: 'date-time' }),
    cpus: Type.Array(Type.Integer()),
    rows: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

export const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    version: Type.String(),
    uptimeSeconds: Type.Number(),
    system: Type.String(),
    readOnly: Type.Boolean(),
    sampler: Type.Object({}, { additionalProperties: true }),
    state: Type.Optional(
      Type.Object(
        {},
        { additionalProperties: true, description: 'The state file: pins, originals, save errors' },
      ),
    ),
    irqbalance: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: 'Whether irqbalance runs' }),
    ),
    warnings: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);

export const OpenApiDoc = Type.Object({}, { additionalProperties: true });
export const TextBody = Type.String();
