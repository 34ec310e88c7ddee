/** The autopilot's settings: defaults that follow the period, layers where the later wins, and refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrqkitError } from '../../src/core/errors.ts';
import { parseAutoConfig, resolveAutoSettings } from '../../src/daemon/auto-settings.ts';

const limits = { intervalMs: 1000, retentionMs: 900_000 };
const usage = (pattern: RegExp) => (e: unknown) =>
  e instanceof IrqkitError && e.code === 'IRQ_ERR_USAGE' && pattern.test(e.message);

describe('autopilot settings', () => {
  it('defaults: every 30 s on the last 30 s, 32 moves, cooldown of two rounds, NUMA prefer, off', () => {
    assert.deepEqual(resolveAutoSettings([], limits), {
      enabled: false,
      everyMs: 30_000,
      windowMs: 30_000,
      maxMoves: 32,
      cooldownMs: 60_000,
      cpus: null,
      numa: 'prefer',
    });
  });

  it('the window and the cooldown follow the period unless given; "0" turns the cooldown off', () => {
    const s = resolveAutoSettings([{ enabled: true, every: '10s' }], limits);
    assert.equal(s.windowMs, 10_000);
    assert.equal(s.cooldownMs, 20_000);
    assert.equal(resolveAutoSettings([{ enabled: true, cooldown: '0' }], limits).cooldownMs, 0);
    assert.deepEqual(resolveAutoSettings([{ cpus: '2-5,7' }], limits).cpus, [2, 3, 4, 5, 7]);
  });

  it('a later layer wins key by key (the config file, then the flags)', () => {
    const s = resolveAutoSettings(
      [
        { enabled: true, every: '20s', maxMoves: 8 },
        { maxMoves: 2, numa: 'strict' },
      ],
      limits,
    );
    assert.equal(s.everyMs, 20_000);
    assert.equal(s.maxMoves, 2);
    assert.equal(s.numa, 'strict');
  });

  it('refuses what cannot work, only when it is on', () => {
    assert.throws(() => resolveAutoSettings([{ enabled: true, window: '1h' }], limits), usage(/--retention/));
    assert.throws(
      () => resolveAutoSettings([{ enabled: true, every: '500ms' }], limits),
      usage(/--interval/),
    );
    assert.throws(
      () => resolveAutoSettings([{ enabled: true, window: '1s' }], limits),
      usage(/two --interval/),
    );
    assert.equal(resolveAutoSettings([{ window: '1h' }], limits).windowMs, 3_600_000);
    assert.throws(() => resolveAutoSettings([{ maxMoves: 0 }], limits), usage(/from 1 to 100000/));
    assert.throws(() => resolveAutoSettings([{ numa: 'near' }], limits), usage(/strict, prefer or ignore/));
    assert.throws(() => resolveAutoSettings([{ cpus: '3-1' }], limits), IrqkitError);
  });

  it('the "auto" object of the config file: typed keys, unknown keys named', () => {
    assert.deepEqual(parseAutoConfig({ enabled: true, every: '5s', maxMoves: 4 }, 'f.json'), {
      enabled: true,
      every: '5s',
      maxMoves: 4,
    });
    assert.throws(() => parseAutoConfig([], 'f.json'), usage(/^f\.json: "auto" must be a JSON object/));
    assert.throws(
      () => parseAutoConfig({ enabled: 'yes' }, 'f.json'),
      usage(/"enabled" must be true or false/),
    );
    assert.throws(
      () => parseAutoConfig({ every: 30 }, 'f.json'),
      usage(/"every" must be a string \(e\.g\. "30s"\)/),
    );
    assert.throws(
      () => parseAutoConfig({ maxMoves: 1.5 }, 'f.json'),
      usage(/"maxMoves" must be a whole number/),
    );
    assert.throws(
      () => parseAutoConfig({ rate: 1 }, 'f.json'),
      usage(/unknown key "rate" \(known: enabled, every/),
    );
  });
});
