/**
 * The rules that decide, per check, whether a pin is applied, waits, or is reported as drift; and
 * the rule that tells a truncated /proc/interrupts read from a real change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import {
  decidePin,
  type PinObservation,
  type PinStatus,
  type PinTrigger,
} from '../../src/daemon/pin-watch.ts';
import { truncatedRead } from '../../src/daemon/truncated-read.ts';

const pin = { irq: '41', cpu: 3, name: 'eth0-TxRx-0' };
const at = (affinity: number[], extra: Partial<PinObservation> = {}): PinObservation => ({
  present: { affinity, name: 'eth0-TxRx-0' },
  cpuOnline: true,
  reappeared: false,
  ...extra,
});

describe('pin decisions', () => {
  it('follows the table', () => {
    const rows: Array<
      [string, PinObservation, PinStatus | undefined, PinTrigger, PinStatus, boolean, string?]
    > = [
      ['in place', at([3]), 'applied', 'sample', 'applied', false],
      ['changed by something else', at([0, 1]), 'applied', 'sample', 'drifted', false],
      ['still drifted', at([0, 1]), 'drifted', 'sample', 'drifted', false],
      ['drifted, then asked to apply', at([0, 1]), 'drifted', 'request', 'applied', true, 'request'],
      ['at start-up', at([0]), undefined, 'startup', 'applied', true, 'startup'],
      ['after SIGHUP', at([0]), 'applied', 'reload', 'applied', true, 'reload'],
      ['gone', { present: null, cpuOnline: true, reappeared: false }, 'applied', 'sample', 'missing', false],
      ['back after being gone', at([0]), 'missing', 'sample', 'applied', true, 'reappeared'],
      [
        'counters restarted (a reload within one interval)',
        at([0], { reappeared: true }),
        'applied',
        'sample',
        'applied',
        true,
        'reappeared',
      ],
      ['its CPU offline', at([0, 1, 2, 4], { cpuOnline: false }), 'applied', 'sample', 'cpu-offline', false],
      ['its CPU back', at([0, 1, 2, 4]), 'cpu-offline', 'sample', 'applied', true, 'cpu-online'],
      [
        'another device now',
        { ...at([0]), present: { affinity: [0], name: 'nvme0q1' } },
        'missing',
        'startup',
        'mismatch',
        false,
      ],
      ['a failed pin is not retried on every sample', at([0]), 'failed', 'sample', 'failed', false],
      [
        'no handler name to compare',
        { ...at([0]), present: { affinity: [0], name: '' } },
        'missing',
        'sample',
        'applied',
        true,
      ],
    ];
    for (const [what, obs, prev, trigger, status, apply, reason] of rows) {
      const d = decidePin(pin, obs, prev, trigger);
      assert.equal(d.status, status, what);
      assert.equal(d.apply, apply, what);
      if (reason !== undefined) assert.equal(d.reason, reason, what);
    }
  });
});

describe('truncated /proc/interrupts reads', () => {
  const whole =
    '           CPU0       CPU1\n  0:         10          0   IO-APIC   2-edge      timer\n 24:        500        300   PCI-MSIX-0000:3b:00.0 0-edge      eth0\nNMI:          0          0   Non-maskable interrupts\nLOC:        100        100   Local timer interrupts\n';
  const prev = { text: whole, snapshot: parseInterrupts(whole) };
  const check = (text: string): string | null => truncatedRead(prev, text, parseInterrupts(text));

  it('accepts a whole read, and IRQs coming and going', () => {
    assert.equal(check(whole), null);
    assert.equal(check(whole.replace(/^ 24:.*\n/m, '')), null, 'an IRQ vanishing is real');
  });

  it('refuses a read cut in the middle of a line, or one that lost the named rows at the end', () => {
    assert.match(check(whole.slice(0, whole.indexOf('Local') + 3)) ?? '', /middle of a line/);
    assert.match(check(whole.slice(0, whole.indexOf('NMI'))) ?? '', /lacks the NMI, LOC rows/);
  });
});
