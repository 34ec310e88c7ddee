/** TypeBox schemas of the pin and restore endpoints (validation and /openapi.json alike). */
import { Type } from '@sinclair/typebox';
import { Outcome } from './schemas.ts';

const IrqString = Type.String({ pattern: '^[0-9]{1,7}$', description: 'IRQ number as a string' });
const IrqList = Type.Array(IrqString, { minItems: 1, maxItems: 16_384, uniqueItems: true });

export const PinStatus = Type.Union(
  ['applied', 'drifted', 'missing', 'cpu-offline', 'mismatch', 'failed', 'unchecked'].map((s) =>
    Type.Literal(s),
  ),
  {
    description:
      'applied: in effect; drifted: something else changed the affinity (reported, not fought); missing: the IRQ is gone, re-applied when it returns; cpu-offline: re-applied when the CPU returns; mismatch: the IRQ number now belongs to other handlers; failed: the kernel refused; unchecked: not looked at yet',
  },
);

export const PinView = Type.Object({
  irq: Type.String(),
  cpu: Type.Integer(),
  name: Type.String({ description: 'Handler names when pinned' }),
  since: Type.String({ description: 'When it was pinned' }),
  status: PinStatus,
  detail: Type.Union([Type.String(), Type.Null()]),
  affinity: Type.Union([Type.String(), Type.Null()], { description: 'smp_affinity_list at the last check' }),
  statusSince: Type.Union([Type.String(), Type.Null()]),
  checkedAt: Type.Union([Type.String(), Type.Null()]),
});

export const IrqbalanceStatus = Type.Object({
  running: Type.Boolean(),
  pids: Type.Array(Type.Integer()),
  checkedAt: Type.String(),
});

export const StateHealth = Type.Object({
  file: Type.Union([Type.String(), Type.Null()]),
  pins: Type.Integer(),
  originals: Type.Integer(),
  notApplied: Type.Integer(),
  lastSaveError: Type.Union([Type.Object({ message: Type.String(), at: Type.String() }), Type.Null()]),
  loadProblem: Type.Union([Type.String(), Type.Null()]),
});

export const PinsDoc = Type.Object({
  pins: Type.Array(PinView),
  originals: Type.Array(
    Type.Object({ irq: Type.String(), affinity: Type.String(), name: Type.String(), since: Type.String() }),
    { description: 'Affinities irqkitd changed, as they were before: what restore puts back' },
  ),
  state: StateHealth,
  irqbalance: IrqbalanceStatus,
  warnings: Type.Array(Type.String()),
});

export const UnpinBody = Type.Object(
  {
    irqs: Type.Optional(IrqList),
    all: Type.Optional(Type.Boolean({ description: 'Remove every pin' })),
  },
  { additionalProperties: false },
);

export const UnpinResult = Type.Object({ unpinned: Type.Array(Type.String()), pins: Type.Array(PinView) });

/** `{}`: a POST needs a JSON body to pass the content-type check that keeps HTML forms out. */
export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const RestoreBody = Type.Object(
  {
    irqs: Type.Optional(IrqList),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RestoreResult = Type.Object({
  ok: Type.Boolean(),
  dryRun: Type.Boolean(),
  outcomes: Type.Array(Type.Intersect([Outcome, Type.Object({ original: Type.Array(Type.Integer()) })])),
  unpinned: Type.Array(Type.String()),
});
