/** The pin and restore endpoints' schemas and types (see schemas.ts). */
import { type Static, Type } from '@sinclair/typebox';
import { IrqbalanceStatus, outcomeMembers, StateHealth } from './schemas.ts';

const IrqString = Type.String({ pattern: '^[0-9]{1,7}$', description: 'IRQ number as a string' });
const IrqList = Type.Array(IrqString, { minItems: 1, maxItems: 16_384, uniqueItems: true });

export const PinStatus = Type.Union(
  [
    Type.Literal('applied'),
    Type.Literal('drifted'),
    Type.Literal('missing'),
    Type.Literal('cpu-offline'),
    Type.Literal('mismatch'),
    Type.Literal('failed'),
    Type.Literal('unchecked'),
  ],
  {
    description:
      'applied: in effect; drifted: something else changed the affinity (reported, not fought); missing: the IRQ is gone, re-applied when it returns; cpu-offline: re-applied when the CPU returns; mismatch: the IRQ number now belongs to other handlers; failed: the kernel refused; unchecked: not looked at yet',
  },
);
export type PinStatus = Static<typeof PinStatus>;

const Iso = Type.String({ format: 'date-time' });

export const PinView = Type.Object({
  irq: Type.String(),
  cpu: Type.Integer(),
  name: Type.String({ description: 'Handler names when pinned' }),
  since: Type.String({ description: 'When it was pinned (empty when the state file did not say)' }),
  status: PinStatus,
  detail: Type.Union([Type.String(), Type.Null()]),
  affinity: Type.Union([Type.String(), Type.Null()], { description: 'smp_affinity_list at the last check' }),
  statusSince: Type.Union([Iso, Type.Null()]),
  checkedAt: Type.Union([Iso, Type.Null()]),
});
export type PinView = Static<typeof PinView>;

export const OriginalAffinity = Type.Object({
  irq: Type.String(),
  affinity: Type.String(),
  name: Type.String(),
  since: Type.String(),
});
export type OriginalAffinity = Static<typeof OriginalAffinity>;

export const PinsDoc = Type.Object({
  pins: Type.Array(PinView),
  originals: Type.Array(OriginalAffinity, {
    description: 'Affinities irqkitd changed, as they were before: what restore puts back',
  }),
  state: StateHealth,
  irqbalance: IrqbalanceStatus,
  warnings: Type.Array(Type.String()),
});
export type PinsDoc = Static<typeof PinsDoc>;

/** Exactly one of the two forms, so that the document allows no body the handler refuses (`{}`). */
export const UnpinBody = Type.Union(
  [
    Type.Object({ irqs: IrqList }, { additionalProperties: false }),
    Type.Object(
      { all: Type.Literal(true, { description: 'Remove every pin' }) },
      { additionalProperties: false },
    ),
  ],
  { description: 'The IRQs to unpin ({"irqs":["41"]}) or every pin ({"all":true})' },
);
export type UnpinBody = Static<typeof UnpinBody>;

export const UnpinResult = Type.Object({ unpinned: Type.Array(Type.String()), pins: Type.Array(PinView) });
export type UnpinResult = Static<typeof UnpinResult>;

/** `{}`: a POST needs a JSON body to pass the content-type check that keeps HTML forms out. */
export const EmptyBody = Type.Object({}, { additionalProperties: false });
export type EmptyBody = Static<typeof EmptyBody>;

export const RestoreBody = Type.Object(
  {
    irqs: Type.Optional(IrqList),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type RestoreBody = Static<typeof RestoreBody>;

export const RestoreOutcome = Type.Object({
  ...outcomeMembers,
  original: Type.Array(Type.Integer(), {
    description: "The affinity from before irqkitd's first change: what was (or would be) written back",
  }),
});
export type RestoreOutcome = Static<typeof RestoreOutcome>;

export const RestoreResult = Type.Object({
  ok: Type.Boolean(),
  dryRun: Type.Boolean(),
  outcomes: Type.Array(RestoreOutcome),
  unpinned: Type.Array(Type.String(), { description: 'Pins removed along with the restore' }),
});
export type RestoreResult = Static<typeof RestoreResult>;
