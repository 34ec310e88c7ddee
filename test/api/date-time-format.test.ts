/**
 * The `date-time` format of the API's schemas (src/api/formats.ts): RFC 3339, as the daemon
 * writes it with Date#toISOString, and nothing a client could not parse as such.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatRegistry } from '@sinclair/typebox';
import fc from 'fast-check';
import { isDateTime, registerFormats } from '../../src/api/formats.ts';
import { WindowInfo } from '../../src/api/schemas.ts';
import { compileResponseCheck } from '../../src/daemon/http/validate.ts';

describe('date-time format', () => {
  it('accepts every time Date#toISOString writes', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (t) => isDateTime(t.toISOString()),
      ),
    );
  });

  it('accepts RFC 3339 offsets, fractions, lower-case t and z, and a leap second', () => {
    for (const v of [
      '2024-02-29T12:00:00Z',
      '2024-05-01t08:30:15.123456z',
      '2024-05-01T08:30:15+05:30',
      '2024-05-01T08:30:15-00:00',
      '2016-12-31T23:59:60Z',
    ]) {
      assert.equal(isDateTime(v), true, v);
    }
  });

  it('refuses dates that do not exist, times out of range, and other shapes', () => {
    for (const v of [
      '',
      '2023-02-29T12:00:00Z',
      '2024-04-31T12:00:00Z',
      '2024-13-01T12:00:00Z',
      '2024-00-10T12:00:00Z',
      '2024-05-01T24:00:00Z',
      '2024-05-01T12:60:00Z',
      '2024-05-01T12:00:61Z',
      '2024-05-01T12:00:00+24:00',
      '2024-05-01T12:00:00',
      '2024-05-01 12:00:00Z',
      '2024-05-01',
      '1714550400000',
      '2024-05-01T12:00:00.Z',
    ]) {
      assert.equal(isDateTime(v), false, v);
    }
  });

  it('is what TypeBox checks once registered, so a window with a bad time is refused', () => {
    registerFormats();
    assert.equal(FormatRegistry.Get('date-time'), isDateTime);
    const check = compileResponseCheck(WindowInfo);
    const good = {
      start: '2024-05-01T12:00:00.000Z',
      end: '2024-05-01T12:00:05.000Z',
      seconds: 5,
      complete: true,
      requestedSeconds: 5,
    };
    assert.deepEqual(check(good), []);
    assert.deepEqual(
      check({ ...good, end: 1714565005000 }).map((i) => i.path),
      ['/end'],
    );
    assert.deepEqual(
      check({ ...good, start: 'yesterday' }).map((i) => i.path),
      ['/start'],
    );
  });
});
