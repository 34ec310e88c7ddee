/**
 * The sampler's byte-level fast path (InterruptsTemplate) gives exactly what parseInterrupts
 * gives, or null and the caller parses in full: on every corpus file, on the same files with
 * counts rewritten and with random damage, and on the simulator's rendered reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InterruptsTemplate } from '../../src/core/interrupts-template.ts';
import { parseInterrupts, renderInterrupts } from '../../src/core/parse-interrupts.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import { corpusNames, readCorpus } from '../helpers/paths.ts';
import { applyMutations, describeMutations, mutationArb, mutationsArb } from '../helpers/text-mutations.ts';

const encoder = new TextEncoder();

function templateOf(text: string): InterruptsTemplate | null {
  const bytes = encoder.encode(text);
  return InterruptsTemplate.from(bytes, bytes.length, parseInterrupts(text));
}

/** The fast parse of `text`, checked against the full parse whenever it answers. */
function fastAgrees(template: InterruptsTemplate, text: string, what: string): Snapshot | null {
  // A larger buffer than the text, as the sampler's reused one is.
  const bytes = new Uint8Array(text.length * 3 + 16);
  const length = encoder.encodeInto(text, bytes).written;
  const fast = template.parse(bytes, length);
  if (fast !== null) assert.deepEqual(fast, parseInterrupts(text), what);
  return fast;
}

const files = corpusNames();

describe('InterruptsTemplate: the fast path reads as parseInterrupts does', () => {
  it('builds a template for the plain corpus dumps and reads the same file back identically', () => {
    const with_ = files.filter((name) => {
      const text = readCorpus(name);
      const t = templateOf(text);
      if (t) assert.ok(fastAgrees(t, text, name), `${name}: its own template reads it`);
      return t !== null;
    });
    // Most dumps are laid out plainly; a few (wrapped lines, CRs, warnings) always go the long way.
    assert.ok(with_.length >= files.length / 2, `templates for ${with_.length} of ${files.length} dumps`);
    assert.ok(
      with_.some((n) => n.includes('1152cpu')),
      'the 1152-CPU dump takes the fast path',
    );
  });

  it('agrees with the full parser on corpus reads with rewritten counts and random damage', () => {
    const templated = files
      .map((name) => ({ name, text: readCorpus(name) }))
      .filter((f) => f.text.length < 400_000)
      .map((f) => ({ ...f, template: templateOf(f.text) }))
      .filter((f): f is typeof f & { template: InterruptsTemplate } => f.template !== null);
    let fast = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: templated.length - 1 }),
        fc.oneof(
          fc.array(
            fc.record({
              kind: fc.constant('replace-number' as const),
              line: fc.nat(),
              nth: fc.nat({ max: 300 }),
              digits: fc.oneof(fc.nat().map(String), fc.stringMatching(/^[0-9]{1,17}$/)),
            }),
            { minLength: 1, maxLength: 8 },
          ),
          mutationsArb({ maxMutations: 3, maxRepeat: 50 }),
          fc.array(mutationArb({ maxRepeat: 10 }), { minLength: 1, maxLength: 1 }),
        ),
        (i, mutations) => {
          const f = templated[i] as (typeof templated)[number];
          const text = applyMutations(f.text, mutations);
          if (fastAgrees(f.template, text, `${f.name} after ${describeMutations(mutations)}`)) fast++;
        },
      ),
      { numRuns: 400 },
    );
    assert.ok(fast > 0, 'some rewritten reads took the fast path');
  });

  it('takes the fast path on every read of a machine whose counts move, and not after an IRQ goes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.nat({ max: 2 ** 32 }), { minLength: 1, maxLength: 50 }),
        (cpuCount, moves) => {
          const cpus = Array.from({ length: cpuCount }, (_, i) => i * 3);
          const base = parseInterrupts(
            `${cpus.map((c) => `CPU${c}`).join(' ')}\n` +
              ` 24: ${cpus.map(() => '1').join(' ')} PCI-MSI 524288-edge eth0-TxRx-0\n` +
              ` 25: ${cpus.map(() => '0').join(' ')} PCI-MSI 524289-edge eth0-TxRx-1, eth1\n` +
              `NMI: ${cpus.map(() => '0').join(' ')} Non-maskable interrupts\n` +
              'ERR: 3\n',
          );
          const first = renderInterrupts(base);
          const template = templateOf(first);
          assert.ok(template);
          let m = 0;
          const moved: Snapshot = {
            ...base,
            rows: base.rows.map((r) => {
              const counts = r.counts.map((v) => v + (moves[m++ % moves.length] as number));
              return { ...r, counts, total: counts.reduce((a, b) => a + b, 0) };
            }),
          };
          const next = renderInterrupts(moved);
          assert.ok(fastAgrees(template, next, 'moved counts'), 'moved counts take the fast path');
          const gone = renderInterrupts({ ...moved, rows: moved.rows.filter((r) => r.label !== '25') });
          assert.equal(fastAgrees(template, gone, 'an IRQ gone'), null);
          assert.equal(fastAgrees(template, next.slice(0, -5), 'cut short'), null);
          assert.equal(fastAgrees(template, next.replace(/\n/g, '\r\n'), 'CRLF'), null);
        },
      ),
      { numRuns: 200 },
    );
  });
});
