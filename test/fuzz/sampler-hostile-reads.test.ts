/**
 * The daemon's sampler fed a random sequence of damaged /proc/interrupts reads (and reads that
 * fail outright), driven by its own timer on a fake clock. A throw out of a sampling tick would
 * escape the timer and kill irqkitd, so the property is: every tick returns, a bad read is
 * recorded as the sampler's last error with a catalogued code, and what reaches the history
 * and the /metrics totals stays finite.
 *
 * Found this way: a header that names a CPU twice (a warning to the parser) made diffSnapshots
 * throw from the timer, and the daemon died (fixed in src/daemon/sampler.ts, sampleOnce).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CounterTotals } from '../../src/core/counter-totals.ts';
import { ERROR_CODES } from '../../src/core/errors.ts';
import { Sampler } from '../../src/daemon/sampler.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { readCorpus } from '../helpers/paths.ts';
import { applyMutations, describeMutations, type Mutation, mutationsArb } from '../helpers/text-mutations.ts';

/** Small, different architectures: x86 old and new layouts, arm64 IPIs, a 1-CPU guest, ppc. */
const FILES = [
  '01-x86-4cpu-old-combined-chiptype-node_exporter.txt',
  '10-x86-4cpu-kvm-virtio-net-mq-near-wrap-datadog.txt',
  '12-x86-8cpu-laptop-pcp.txt',
  '19-x86-7cpu-offline-cpu6-sysstat-derived.txt',
  '26-arm64-4cpu-gicv2-rpi4-brcmstb-msi-openwrt.txt',
  '30-ppc64-1cpu-xive-pseries-kvm-guest-dup-LOC-qemu-devel.txt',
];

/** One read: the file as it is, damaged, or a read that throws (EIO, a vanished procfs). */
type Read = { kind: 'good' } | { kind: 'damaged'; mutations: Mutation[] } | { kind: 'fail' };

const readArb: fc.Arbitrary<Read> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Read>({ kind: 'good' }) },
  {
    weight: 5,
    arbitrary: mutationsArb({ maxMutations: 4, maxRepeat: 5_000 }).map<Read>((mutations) => ({
      kind: 'damaged',
      mutations,
    })),
  },
  { weight: 1, arbitrary: fc.constant<Read>({ kind: 'fail' }) },
);

const finite = (v: number): boolean => Number.isFinite(v) && v >= 0;

describe('sampler on hostile reads', () => {
  it('survives any sequence of damaged or failing reads, records them, and keeps its numbers finite', () => {
    let ticks = 0;
    let errors = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...FILES),
        fc.array(readArb, { minLength: 1, maxLength: 25 }),
        (file, reads) => {
          const good = readCorpus(file);
          const clock = new FakeClock();
          const totals = new CounterTotals({ perIrqCpu: true });
          let next: Read = { kind: 'good' };
          const failures: string[] = [];
          const sampler = new Sampler({
            read: () => {
              if (next.kind === 'fail')
                throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
              return next.kind === 'good' ? good : applyMutations(good, next.mutations);
            },
            intervalMs: 1000,
            retentionMs: 10_000,
            clock,
            onInterval: (d) => totals.add(d),
            onError: (e) => failures.push(e.code),
          });
          sampler.start();
          for (const r of reads) {
            next = r;
            const before = sampler.health();
            try {
              clock.advance(1000);
            } catch (e) {
              const what = r.kind === 'damaged' ? describeMutations(r.mutations) : r.kind;
              throw new Error(`a sampling tick threw on a ${what} read of ${file}: ${String(e)}`, {
                cause: e,
              });
            }
            ticks++;
            const after = sampler.health();
            const sampled = after.samples === before.samples + 1;
            const failed = after.lastError !== null && after.lastError.at === clock.now();
            assert.ok(sampled !== failed, 'each tick either takes a sample or records an error');
            if (failed) {
              errors++;
              assert.ok((after.lastError?.code ?? '') in ERROR_CODES, `catalogued: ${after.lastError?.code}`);
            }
            if (r.kind === 'fail') assert.ok(failed, 'a read that throws is an error');
          }
          assert.ok(failures.every((c) => c in ERROR_CODES));
          const w = sampler.windowNow(10_000);
          for (const row of w?.snapshot.rows ?? []) {
            for (const v of row.counts) assert.ok(finite(v), `window ${row.label}: ${v}`);
          }
          for (const v of totals.perCpu.values()) assert.ok(finite(v), `cpu total ${v}`);
          for (const v of totals.perIrq.values()) assert.ok(finite(v.total), `irq total ${v.total}`);
          for (const v of totals.namedTotals.values()) assert.ok(finite(v.total), `named total ${v.total}`);
          sampler.stop();
        },
      ),
      { seed: 0x5a3b1e, numRuns: 400, includeErrorInReport: true },
    );
    console.log(`# sampler: 400 sequences, ${ticks} ticks, ${errors} recorded as sampling errors`);
  });
});
