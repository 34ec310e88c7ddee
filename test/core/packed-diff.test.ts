/**
 * The sampler's fast diff (diffPackedCounts) packs exactly the interval the Delta path packs,
 * sparseInterval(diffSnapshots(prev, curr)), and names the same reset IRQs: on corpus dumps
 * whose counts are rewritten at random (increases, 32-bit wraps, resets, global rows).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RowKeys, sparseInterval } from '../../src/core/history.ts';
import { InterruptsTemplate } from '../../src/core/interrupts-template.ts';
import { diffPackedCounts } from '../../src/core/packed-diff.ts';
import { parseInterrupts, renderInterrupts } from '../../src/core/parse-interrupts.ts';
import { diffSnapshots } from '../../src/core/rates.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import { corpusNames, readCorpus } from '../helpers/paths.ts';

const encoder = new TextEncoder();

interface Templated {
  name: string;
  snapshot: Snapshot;
  template: InterruptsTemplate;
}

const templated: Templated[] = corpusNames()
  .map((name) => ({ name, text: readCorpus(name) }))
  .filter((f) => f.text.length < 400_000)
  .flatMap((f) => {
    // Rendered by our own renderer, so that reads with other counts can be rendered alike.
    const text = renderInterrupts(parseInterrupts(f.text));
    const snapshot = parseInterrupts(text);
    const bytes = encoder.encode(text);
    const template = InterruptsTemplate.from(bytes, bytes.length, snapshot);
    return template ? [{ name: f.name, snapshot, template }] : [];
  });

/** How one count moves from one read to the next. */
const step = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'same' as const, by: 0 }) },
  { weight: 6, arbitrary: fc.nat({ max: 5000 }).map((by) => ({ kind: 'up' as const, by })) },
  // Past 2^32: printed wrapped, so it reads as a small number after a large one.
  { weight: 1, arbitrary: fc.nat({ max: 1000 }).map((by) => ({ kind: 'wrap' as const, by })) },
  // Down by more than a wrap explains: a reset.
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const, by: 0 }) },
);

/** A read laid out as `base`, its counts set from `values` (one per count, in order). */
function readWith(base: Snapshot, values: number[]): Snapshot {
  let i = 0;
  return {
    ...base,
    rows: base.rows.map((r) => {
      const counts = r.counts.map(() => values[i++] as number);
      return { ...r, counts, total: counts.reduce((a, b) => a + b, 0) };
    }),
  };
}

function countsOf(t: InterruptsTemplate, s: Snapshot): Float64Array {
  const bytes = encoder.encode(renderInterrupts(s));
  const counts = t.parseCounts(bytes, bytes.length);
  assert.ok(counts, 'the rewritten read keeps the template layout');
  return counts;
}

describe('diffPackedCounts: the fast diff packs what the Delta path packs', () => {
  it('equals sparseInterval(diffSnapshots(prev, curr)) on corpus layouts with random counts', () => {
    assert.ok(templated.length >= 10, `${templated.length} corpus layouts`);
    fc.assert(
      fc.property(
        fc.nat({ max: templated.length - 1 }),
        fc.infiniteStream(step),
        fc.infiniteStream(fc.nat({ max: 2 ** 32 - 1 })),
        (i, steps, starts) => {
          const f = templated[i] as Templated;
          const total = f.template.size;
          const before: number[] = [];
          const after: number[] = [];
          const s = steps[Symbol.iterator]();
          const st = starts[Symbol.iterator]();
          for (let k = 0; k < total; k++) {
            const how = s.next().value as { kind: string; by: number };
            const start = Number(st.next().value) % 2 ** 31;
            if (how.kind === 'wrap') {
              before.push(2 ** 32 - 1 - how.by);
              after.push(how.by);
            } else if (how.kind === 'reset') {
              before.push(start + 2 ** 31);
              after.push(start % 100);
            } else {
              before.push(start);
              after.push(start + how.by);
            }
          }
          const a = readWith(f.snapshot, before);
          const b = readWith(f.snapshot, after);
          const keys = new RowKeys();
          const fast = diffPackedCounts(
            f.template,
            countsOf(f.template, a),
            countsOf(f.template, b),
            0,
            1000,
            keys,
          );
          const delta = diffSnapshots(a, b);
          const slow = sparseInterval(0, 1000, delta, keys);
          assert.deepEqual(fast.interval, slow, f.name);
          assert.deepEqual(
            fast.reset,
            delta.rows.filter((r) => r.numeric && r.status === 'reset').map((r) => r.label),
          );
          assert.deepEqual(
            fast.rowIndex.map((r) => f.snapshot.rows[r]?.label),
            delta.rows.filter((r) => r.total !== 0).map((r) => r.label),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
