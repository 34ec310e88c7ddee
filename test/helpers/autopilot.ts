/** Autopilot tests on a stepped simulated machine: settings and stepping to the next round. */
import assert from 'node:assert/strict';
import type { AutoRound } from '../../src/api/auto-schemas.ts';
import { type AutoSettingsInput, resolveAutoSettings } from '../../src/daemon/auto-settings.ts';
import type { SteppedDaemon } from './sim-daemon.ts';

/** Autopilot settings for a stepped daemon (1 s samples, 60 s history): on, every 5 s. */
export function autoSettings(input: AutoSettingsInput = {}) {
  return resolveAutoSettings([{ enabled: true, every: '5s', ...input }], {
    intervalMs: 1000,
    retentionMs: 60_000,
  });
}

/** Steps the machine a second at a time until a periodic round falls due; resolves with it. */
export async function stepToRound(d: SteppedDaemon): Promise<AutoRound> {
  const auto = d.daemon.autopilot;
  const next = auto.nextRound('round');
  const started = auto.roundsStarted;
  for (let i = 0; i < 600 && auto.roundsStarted === started; i++) d.run(1);
  assert.notEqual(auto.roundsStarted, started, 'a round fell due');
  return next;
}
