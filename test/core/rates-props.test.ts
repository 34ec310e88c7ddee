import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { COUNTER_MODULUS, diffSnapshots, toRates, WRAP_LIMIT, wrapDelta } from '../../src/core/rates.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import { makeRow, makeSnapshot } from '../helpers/snapshots.ts';

const M = COUNTER_MODULUS;

/** Any 32-bit counter value, with the edges well represented. */
const u32 = fc.oneof(
  fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([hi, lo]) => hi * 65536 + lo),
  fc.constantFrom(0, 1, WRAP_LIMIT - 1, WRAP_LIMIT, M - 1),
  fc.nat(1000).map((x) => M - 1 - x),
  fc.nat(1000),
);
/** A step no larger than the wrap rule accepts. */
const step = fc.oneof(fc.nat(WRAP_LIMIT - 1), fc.nat(1000), fc.constant(WRAP_LIMIT - 1));

const cpuIds = fc
  .uniqueArray(fc.nat(15), { minLength: 1, maxLength: 8 })
  .map((ids) => ids.sort((a, b) => a - b));

const LABELS = ['0', '1', '9', '24', '25', '130', 'NMI', 'LOC', 'RES', 'ERR', 'MIS'] as const;
const SHORT = new Set(['ERR', 'MIS']);

/** A random snapshot: some of LABELS, counts of the right shape (or, rarely, a broken numeric row). */
function snapshotArb(cpusArb: fc.Arbitrary<number[]>): fc.Arbitrary<Snapshot> {
  return cpusArb.chain((cpus) =>
    fc
      .subarray([...LABELS])
      .chain((labels) =>
        fc.tuple(
          ...labels.map((label) => {
            const width = SHORT.has(label) ? 1 : cpus.length;
            const broken = fc.constant(Math.max(0, width - 1));
            const len = /^\d/.test(label)
              ? fc.oneof({ weight: 9, arbitrary: fc.constant(width) }, { weight: 1, arbitrary: broken })
              : fc.constant(width);
            return len.chain((n) =>
              fc.array(u32, { minLength: n, maxLength: n }).map((counts) => makeRow(label, counts)),
            );
          }),
        ),
      )
      .map((rows) => makeSnapshot(cpus, rows)),
  );
}

const anySnapshot = snapshotArb(cpuIds);

describe('rates properties', () => {
  it('wrapDelta((p + d) mod 2^32) = d for every d below 2^32', () => {
    fc.assert(
      fc.property(u32, u32, (p, d) => {
        assert.equal(wrapDelta(p, (p + d) % M), d);
      }),
      { numRuns: 1000 },
    );
  });

  it('a counter advanced by d < 2^31 (wrapping or not) comes back as d', () => {
    fc.assert(
      fc.property(u32, step, (p, d) => {
        const c = (p + d) % M;
        assert.equal(wrapDelta(p, c), d);
        const delta = diffSnapshots(
          makeSnapshot([0], [makeRow('24', [p])]),
          makeSnapshot([0], [makeRow('24', [c])]),
        );
        assert.deepEqual(delta.rows[0]?.perCpu, [d]);
        assert.equal(delta.rows[0]?.status, 'steady');
        assert.equal(delta.wraps, p + d >= M ? 1 : 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('every delta is an integer in [0, 2^32)', () => {
    fc.assert(
      fc.property(anySnapshot, anySnapshot, (prev, curr) => {
        const d = diffSnapshots(prev, curr);
        for (const r of d.rows) {
          assert.equal(r.perCpu.length, d.cpus.length);
          for (const v of [...r.perCpu, ...(r.global ? [r.total] : [])]) {
            assert.ok(Number.isInteger(v) && v >= 0 && v < M, `${r.key}: ${v}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a snapshot diffed with itself is all zeros', () => {
    fc.assert(
      fc.property(anySnapshot, (s) => {
        const d = diffSnapshots(s, s);
        for (const r of d.rows) {
          assert.equal(r.total, 0);
          assert.ok(r.perCpu.every((v) => v === 0));
          assert.equal(r.status, 'steady');
        }
        assert.ok(d.cpuTotals.every((v) => v === 0));
        assert.equal(d.wraps, 0);
        assert.deepEqual(d.vanished, []);
        assert.deepEqual(d.cpusOnline, []);
        assert.deepEqual(d.cpusOffline, []);
      }),
      { numRuns: 300 },
    );
  });

  it('the sum of cpuTotals is the sum of the numeric rows’ totals', () => {
    fc.assert(
      fc.property(anySnapshot, anySnapshot, (prev, curr) => {
        const d = diffSnapshots(prev, curr);
        const numeric = d.rows.filter((r) => r.numeric).reduce((a, r) => a + r.total, 0);
        assert.equal(
          d.cpuTotals.reduce((a, b) => a + b, 0),
          numeric,
        );
        d.rows.forEach((r) => {
          if (!r.global)
            assert.equal(
              r.total,
              r.perCpu.reduce((a, b) => a + b, 0),
            );
        });
      }),
      { numRuns: 500 },
    );
  });

  it('rows that appear and vanish are reported by key', () => {
    fc.assert(
      fc.property(anySnapshot, anySnapshot, (prev, curr) => {
        const before = new Set(prev.rows.map((r) => r.label));
        const after = new Set(curr.rows.map((r) => r.label));
        const d = diffSnapshots(prev, curr);
        assert.deepEqual(
          d.rows.map((r) => r.key),
          curr.rows.map((r) => r.label),
        );
        for (const r of d.rows) assert.equal(r.status === 'appeared', !before.has(r.key), r.key);
        assert.deepEqual(
          d.vanished,
          prev.rows.map((r) => r.label).filter((l) => !after.has(l)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('aligns CPUs by id across hotplug, never by position', () => {
    const arb = fc
      .tuple(cpuIds, cpuIds)
      .chain(([a, b]) =>
        fc.tuple(
          fc.constant(a),
          fc.constant(b),
          fc.array(fc.tuple(u32, step), { minLength: 16, maxLength: 16 }),
          fc.array(fc.tuple(u32, step), { minLength: 16, maxLength: 16 }),
        ),
      );
    fc.assert(
      fc.property(arb, ([a, b, irq, loc]) => {
        // Counts are a function of the CPU id, so a misaligned column shows.
        const at = (table: Array<[number, number]>, id: number, later: boolean) => {
          const [base, inc] = table[id] as [number, number];
          return later ? (base + inc) % M : base;
        };
        const build = (ids: number[], later: boolean) =>
          makeSnapshot(ids, [
            makeRow(
              '24',
              ids.map((id) => at(irq, id, later)),
            ),
            makeRow(
              'LOC',
              ids.map((id) => at(loc, id, later)),
            ),
          ]);
        const d = diffSnapshots(build(a, false), build(b, true));
        const inA = new Set(a);
        const inB = new Set(b);
        assert.deepEqual(d.cpus, b);
        assert.deepEqual(
          d.cpusOffline,
          a.filter((id) => !inB.has(id)),
        );
        assert.deepEqual(
          d.cpusOnline,
          b.filter((id) => !inA.has(id)),
        );
        const [r24, rLoc] = d.rows;
        b.forEach((id, i) => {
          assert.equal(r24?.perCpu[i], inA.has(id) ? (irq[id] as [number, number])[1] : 0, `IRQ 24 CPU${id}`);
          assert.equal(rLoc?.perCpu[i], inA.has(id) ? (loc[id] as [number, number])[1] : 0, `LOC CPU${id}`);
        });
        assert.deepEqual(d.cpuTotals, r24?.perCpu);
      }),
      { numRuns: 300 },
    );
  });

  it('a counter that went back by less than 2^31 resets the whole row to its current counts', () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.nat(7)).chain(([n, k]) =>
      fc.tuple(
        fc.constant(k % n),
        fc.array(fc.tuple(u32, step), { minLength: n, maxLength: n }),
        fc.integer({ min: 1, max: WRAP_LIMIT - 1 }).chain((p) => fc.tuple(fc.constant(p), fc.nat(p - 1))),
      ),
    );
    fc.assert(
      fc.property(arb, ([k, pairs, [p, c]]) => {
        const prev = pairs.map(([base]) => base);
        const curr = pairs.map(([base, inc]) => (base + inc) % M);
        prev[k] = p;
        curr[k] = c;
        const cpus = pairs.map((_, i) => i);
        const d = diffSnapshots(
          makeSnapshot(cpus, [makeRow('40', prev)]),
          makeSnapshot(cpus, [makeRow('40', curr)]),
        );
        assert.equal(d.rows[0]?.status, 'reset');
        assert.deepEqual(d.rows[0]?.perCpu, curr);
        assert.equal(d.wraps, 0);
      }),
      { numRuns: 500 },
    );
  });

  it('deltas add up: diff(a, c) = diff(a, b) + diff(b, c) while the sum stays below 2^31', () => {
    const arb = fc.integer({ min: 1, max: 6 }).chain((n) =>
      fc.array(
        fc
          .tuple(u32, fc.nat(WRAP_LIMIT - 1))
          .chain(([base, total]) => fc.tuple(fc.constant(base), fc.constant(total), fc.nat(total))),
        { minLength: n, maxLength: n },
      ),
    );
    fc.assert(
      fc.property(arb, (cols) => {
        const cpus = cols.map((_, i) => i);
        const a = makeSnapshot(cpus, [
          makeRow(
            '24',
            cols.map(([base]) => base),
          ),
        ]);
        const b = makeSnapshot(cpus, [
          makeRow(
            '24',
            cols.map(([base, , part]) => (base + part) % M),
          ),
        ]);
        const c = makeSnapshot(cpus, [
          makeRow(
            '24',
            cols.map(([base, total]) => (base + total) % M),
          ),
        ]);
        const ab = diffSnapshots(a, b).rows[0]?.perCpu ?? [];
        const bc = diffSnapshots(b, c).rows[0]?.perCpu ?? [];
        const ac = diffSnapshots(a, c).rows[0]?.perCpu ?? [];
        assert.deepEqual(
          ac,
          ab.map((v, i) => v + (bc[i] as number)),
        );
        assert.deepEqual(
          ac,
          cols.map(([, total]) => total),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('rates times the interval give back the delta', () => {
    const seconds = fc.double({ min: 0.001, max: 3600, noNaN: true });
    fc.assert(
      fc.property(anySnapshot, anySnapshot, seconds, (prev, curr, s) => {
        const d = diffSnapshots(prev, curr, { seconds: s });
        const r = toRates(d);
        assert.equal(r.seconds, s);
        r.rows.forEach((rr, i) => {
          const dr = d.rows[i];
          assert.ok(dr);
          assert.ok(Math.abs(rr.total * s - dr.total) <= 1e-6 * Math.max(1, dr.total));
          rr.perCpu.forEach((v, j) => {
            const want = dr.perCpu[j] as number;
            assert.ok(Math.abs(v * s - want) <= 1e-6 * Math.max(1, want));
          });
        });
      }),
      { numRuns: 200 },
    );
  });
});
