import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SimulatedMachine } from '../../src/sim/machine.ts';
import { procFile, smallSpec, withMachine } from '../helpers/sim.ts';

const lists = (m: SimulatedMachine, irqs: string[]) =>
  Object.fromEntries(irqs.map((irq) => [irq, procFile(m, irq, 'smp_affinity_list')]));

describe('affinity batches (property)', () => {
  it('any batch either fully applies or leaves every smp_affinity_list unchanged', () =>
    withMachine(smallSpec(), (m) => {
      const sys = m.system();
      const irqs = sys.listIrqs();
      const managed = m.irqsOf('nvme0');
      const movable = irqs.filter((irq) => !managed.includes(irq));
      // Mostly writes that can succeed, so batches apply, roll back (a managed IRQ) or fail
      // validation (unknown IRQs, path tricks, offline or missing CPUs, duplicates) in fair shares.
      const label = fc.oneof(
        { arbitrary: fc.constantFrom(...movable), weight: 12 },
        { arbitrary: fc.constantFrom(...managed), weight: 3 },
        { arbitrary: fc.constantFrom('999', 'LOC', '../0'), weight: 1 },
      );
      const cpu = fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 2 }), weight: 12 },
        fc.constantFrom(-1, 3, 4),
      );
      const write = fc.record({ irq: label, cpu });
      const batches = fc.oneof(
        { arbitrary: fc.uniqueArray(write, { selector: (w) => w.irq, maxLength: 5 }), weight: 4 },
        { arbitrary: fc.array(write, { maxLength: 5 }), weight: 1 },
      );
      const seen = { applied: 0, rolledBack: 0, refused: 0 };
      fc.assert(
        fc.property(batches, fc.boolean(), (batch, dryRun) => {
          const before = lists(m, irqs);
          const r = sys.setAffinities(batch, { dryRun });
          const after = lists(m, irqs);
          assert.equal(r.outcomes.length, batch.length);
          for (const o of r.outcomes)
            assert.equal(o.ok, o.error === undefined, 'an outcome fails iff it says why');
          if (r.ok && !dryRun) {
            const expected = { ...before };
            for (const w of batch) expected[w.irq] = String(w.cpu);
            assert.deepEqual(after, expected);
          } else {
            assert.deepEqual(after, before);
          }
          if (!r.ok) assert.ok(r.outcomes.some((o) => !o.ok));
          if (!dryRun && batch.length > 0) {
            if (r.ok) seen.applied++;
            else if (r.rolledBack) seen.rolledBack++;
            else seen.refused++;
          }
        }),
        { numRuns: 200, seed: 20260321 },
      );
      // The property means little unless every branch was taken often enough.
      assert.ok(seen.applied >= 10 && seen.rolledBack >= 5 && seen.refused >= 10, JSON.stringify(seen));
    }));
});
