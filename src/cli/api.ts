/**
 * The JSON irqkitd answers with, as the CLI reads it. The types come from the daemon's own
 * TypeBox schemas and service types, so the client cannot drift from the API; the imports are
 * type-only, so none of the daemon is bundled into irqkit.
 */
import type { Static } from '@sinclair/typebox';
import type { Snapshot } from '../core/snapshot.ts';
import type * as P from '../daemon/pin-schemas.ts';
import type { RestoreResult } from '../daemon/pins.ts';
import type { SamplerHealth } from '../daemon/sampler.ts';
import type * as S from '../daemon/schemas.ts';
import type { DaemonPlan, IrqDetails } from '../daemon/service.ts';
import type { AffinityOutcome, BatchResult } from '../io/system.ts';

export type { AffinityOutcome, BatchResult, DaemonPlan, IrqDetails, RestoreResult };

export type WindowInfo = Static<typeof S.WindowInfo>;
export type Distribution = Static<typeof S.Distribution>;
export type CpuSummary = Static<typeof S.CpuSummary>;
export type PinsDoc = Static<typeof P.PinsDoc>;
export type PinView = Static<typeof P.PinView>;
export type UnpinResult = Static<typeof P.UnpinResult>;

/** GET /api/v1/interrupts: the latest snapshot (its schema is loose; the service sends this). */
export interface InterruptsDoc extends Snapshot {
  at: string;
}

export interface PlanApplyDoc {
  plan: DaemonPlan;
  result: BatchResult;
}

export interface HealthDoc {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  system: string;
  readOnly: boolean;
  sampler: SamplerHealth;
}
