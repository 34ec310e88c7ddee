/** diffSnapshots on snapshots from the project parser (rates-diff.test.ts builds them by hand). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import { COUNTER_MODULUS, diffSnapshots } from '../../src/core/rates.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import { readCorpus } from '../helpers/paths.ts';

const M = COUNTER_MODULUS;

/** Adds `inc(rowIndex, column)` to every count of rows that have one count per CPU, modulo 2^32. */
function advance(s: Snapshot, inc: (row: number, col: number) => number): Snapshot {
  return {
    ...s,
    rows: s.rows.map((r, i) =>
      r.counts.length === s.cpus.length ? { ...r, counts: r.counts.map((c, j) => (c + inc(i, j)) % M) } : r,
    ),
  };
}

describe('diffSnapshots on parsed corpus files', () => {
  it('fixture 10: pushes every counter 170 M forward and gets 170 M back, wraps undone', () => {
    const prev = parseInterrupts(readCorpus('10-x86-4cpu-kvm-virtio-net-mq-near-wrap-datadog.txt'));
    const curr = advance(prev, () => 170_000_000);
    const d = diffSnapshots(prev, curr, { seconds: 15 });
    // virtio1-input.0-.3 are within 170 M of 2^32 (the farthest, 4131689481, by 163.3 M).
    assert.equal(d.wraps, 4);
    for (const r of d.rows) {
      assert.equal(r.status, 'steady', r.key);
      if (r.global) assert.equal(r.total, 0, r.key);
      else assert.deepEqual(r.perCpu, [170_000_000, 170_000_000, 170_000_000, 170_000_000], r.key);
    }
  });

  it('fixture 21: 1152 CPUs, matched by id after CPU 7 goes offline', () => {
    const prev = parseInterrupts(readCorpus('21-x86-1152cpu-i40e-smartpqi-pcp.txt'));
    assert.equal(prev.cpus.length, 1152);
    const later = advance(prev, (i, j) => (i * 7 + j) % 1000);
    // Drop CPU 7's column as the kernel would after it went offline.
    const curr: Snapshot = {
      ...later,
      cpus: later.cpus.filter((id) => id !== 7),
      rows: later.rows.map((r) =>
        r.counts.length === later.cpus.length ? { ...r, counts: r.counts.filter((_, j) => j !== 7) } : r,
      ),
    };
    const d = diffSnapshots(prev, curr);
    assert.deepEqual(d.cpusOffline, [7]);
    assert.equal(d.cpus.length, 1151);
    assert.deepEqual(d.vanished, []);
    d.rows.forEach((r, i) => {
      if (r.global) return;
      const want = prev.cpus.filter((id) => id !== 7).map((id) => (i * 7 + id) % 1000);
      assert.deepEqual(r.perCpu, want, r.key);
    });
  });
});
