/** The autopilot's endpoints: GET /api/v1/auto (state, settings, last rounds) and POST (pause). */
import { type Static, Type } from '@sinclair/typebox';
import { NumaPolicy, WindowInfo } from './schemas.ts';

export const AutoOutcome = Type.Union(
  [
    Type.Literal('applied'),
    Type.Literal('balanced'),
    Type.Literal('placed'),
    Type.Literal('paused'),
    Type.Literal('skipped'),
    Type.Literal('failed'),
  ],
  {
    description:
      'applied: moves written; balanced: nothing gains more than the noise margin; placed: new IRQs placed; paused: by an operator or because irqbalance runs; skipped: not enough history yet, or a plan asked through the API was running; failed: the plan or a write failed (a failed batch is rolled back)',
  },
);
export type AutoOutcome = Static<typeof AutoOutcome>;

export const AutoMove = Type.Object({
  irq: Type.String(),
  name: Type.String({ description: 'Handler names' }),
  from: Type.Union([Type.Integer(), Type.Null()], { description: 'The CPU it was on; null when unknown' }),
  to: Type.Integer(),
  ratePerSecond: Type.Number({ description: 'Its interrupts per second in the round window' }),
  ok: Type.Boolean(),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});
export type AutoMove = Static<typeof AutoMove>;

export const AutoRound = Type.Object({
  at: Type.String({ format: 'date-time', description: 'The sample the round ran after' }),
  kind: Type.Union([Type.Literal('round'), Type.Literal('new-irqs')], {
    description:
      'round: a periodic plan; new-irqs: IRQs that appeared (driver load, NIC reset), placed at once',
  }),
  outcome: AutoOutcome,
  reason: Type.String({ description: 'Why it did what it did, in one sentence' }),
  window: Type.Union([WindowInfo, Type.Null()]),
  busiestBefore: Type.Union([Type.Number(), Type.Null()], {
    description: "The busiest planned CPU's interrupts per second in the window",
  }),
  busiestAfter: Type.Union([Type.Number(), Type.Null()], {
    description: "The busiest planned CPU's interrupts per second predicted after the moves",
  }),
  lowerBound: Type.Union([Type.Number(), Type.Null()], {
    description: 'No placement can make the busiest CPU less busy than this (per second)',
  }),
  margin: Type.Union([Type.Number(), Type.Null()], {
    description: "The noise margin on the busiest CPU's rate: a gain within it is not worth a move",
  }),
  held: Type.Object(
    {
      pinned: Type.Integer(),
      cooldown: Type.Integer({ description: 'Moved in an earlier round, within --auto-cooldown' }),
    },
    { description: 'IRQs the round left where they are on purpose' },
  ),
  movesLeftOut: Type.Integer({
    description: 'Worthwhile moves beyond --auto-max-moves, left for a later round',
  }),
  moves: Type.Array(AutoMove),
});
export type AutoRound = Static<typeof AutoRound>;

export const AutoSettingsView = Type.Object({
  everySeconds: Type.Number(),
  windowSeconds: Type.Number(),
  maxMoves: Type.Integer(),
  cooldownSeconds: Type.Number(),
  cpus: Type.Union([Type.String(), Type.Null()], {
    description: 'The CPUs it balances over (null: every online CPU but isolated and nohz_full ones)',
  }),
  numa: NumaPolicy,
});
export type AutoSettingsView = Static<typeof AutoSettingsView>;

export const AutoStatus = Type.Object({
  enabled: Type.Boolean({ description: 'irqkitd runs with --auto (or "auto.enabled" in --config)' }),
  paused: Type.Boolean(),
  pausedBy: Type.Union([Type.Literal('operator'), Type.Literal('irqbalance'), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'Why it is paused or off' }),
  settings: AutoSettingsView,
  nextRoundAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  rounds: Type.Array(AutoRound, { description: 'The last rounds, oldest first' }),
  totals: Type.Object({
    rounds: Type.Record(Type.String(), Type.Integer(), { description: 'Rounds by outcome' }),
    moves: Type.Integer({ description: 'Affinity moves the autopilot wrote' }),
  }),
});
export type AutoStatus = Static<typeof AutoStatus>;

export const AutoBody = Type.Object(
  {
    paused: Type.Boolean({
      description:
        'true pauses the autopilot (no round moves anything); false resumes it unless irqbalance runs',
    }),
  },
  { additionalProperties: false },
);
export type AutoBody = Static<typeof AutoBody>;
