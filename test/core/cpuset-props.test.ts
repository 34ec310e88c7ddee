import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  differenceCpus,
  formatCpuList,
  formatCpuMask,
  intersectCpus,
  parseCpuList,
  parseCpuMask,
  unionCpus,
} from '../../src/core/cpuset.ts';
import { IrqkitError } from '../../src/core/errors.ts';

const MAX = 2048;

/** Sorted, de-duplicated sets of CPUs below 2048, biased to include dense runs. */
const cpuSet = fc
  .oneof(
    fc.uniqueArray(fc.integer({ min: 0, max: MAX - 1 }), { maxLength: 200 }),
    fc
      .array(
        fc.record({ start: fc.integer({ min: 0, max: MAX - 1 }), len: fc.integer({ min: 1, max: 300 }) }),
        { maxLength: 6 },
      )
      .map((runs) => {
        const s = new Set<number>();
        for (const { start, len } of runs) for (let c = start; c < Math.min(MAX, start + len); c++) s.add(c);
        return [...s];
      }),
  )
  .map((cpus) => cpus.sort((a, b) => a - b));

/** A set together with a mask width that can hold it. */
const setWithWidth = cpuSet.chain((cpus) => {
  const min = cpus.length > 0 ? (cpus[cpus.length - 1] as number) + 1 : 0;
  return fc.tuple(fc.constant(cpus), fc.integer({ min, max: MAX }));
});

/** Reference %*pb built on BigInt (test oracle only). */
function oracleMask(cpus: readonly number[], nrCpus: number): string {
  if (nrCpus === 0) return '';
  let v = 0n;
  for (const c of cpus) v |= 1n << BigInt(c);
  const groups = Math.ceil(nrCpus / 32);
  const firstBits = nrCpus % 32 === 0 ? 32 : nrCpus % 32;
  const digits = Math.ceil(firstBits / 4) + 8 * (groups - 1);
  const hex = v.toString(16).padStart(digits, '0');
  const parts: string[] = [];
  for (let end = hex.length; end > 0; end -= 8) parts.unshift(hex.slice(Math.max(0, end - 8), end));
  return parts.join(',');
}

function onlyCpusetErrors(fn: () => number[]): void {
  try {
    const out = fn();
    for (let i = 1; i < out.length; i++) assert.ok((out[i] as number) > (out[i - 1] as number));
  } catch (e) {
    assert.ok(e instanceof IrqkitError, `non-IrqkitError thrown: ${String(e)}`);
    assert.equal(e.code, 'IRQ_ERR_CPUSET');
  }
}

describe('cpuset properties', () => {
  it('parseCpuList(formatCpuList(s)) == s', () => {
    fc.assert(
      fc.property(cpuSet, (cpus) => {
        assert.deepEqual(parseCpuList(formatCpuList(cpus)), cpus);
      }),
      { numRuns: 300 },
    );
  });

  it('formatCpuList is canonical: ranges only for runs, no adjacent runs', () => {
    fc.assert(
      fc.property(cpuSet, (cpus) => {
        const text = formatCpuList(cpus);
        let prevEnd = -2;
        for (const part of text === '' ? [] : text.split(',')) {
          const [lo, hi] = part.split('-').map(Number) as [number, number | undefined];
          if (hi !== undefined) assert.ok(hi > lo, part);
          assert.ok(lo > prevEnd + 1, `${part} touches the previous region in ${text}`);
          prevEnd = hi ?? lo;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('parseCpuMask(formatCpuMask(s, n)) == s, up to 2048 CPUs', () => {
    fc.assert(
      fc.property(setWithWidth, ([cpus, n]) => {
        assert.deepEqual(parseCpuMask(formatCpuMask(cpus, n)), cpus);
        assert.deepEqual(parseCpuMask(formatCpuMask(cpus, n), { nrCpus: n }), cpus);
      }),
      { numRuns: 300 },
    );
  });

  it('formatCpuMask matches a BigInt rendering of %*pb', () => {
    fc.assert(
      fc.property(setWithWidth, ([cpus, n]) => {
        assert.equal(formatCpuMask(cpus, n), oracleMask(cpus, n));
      }),
      { numRuns: 300 },
    );
  });

  it('every mask group but the first has 8 digits; the first has ceil((n mod 32 || 32) / 4)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), (n) => {
        const groups = formatCpuMask([], n).split(',');
        assert.equal(groups.length, Math.ceil(n / 32));
        assert.equal(groups[0]?.length, Math.ceil((n % 32 || 32) / 4));
        for (const g of groups.slice(1)) assert.equal(g, '00000000');
      }),
    );
  });

  it('list and mask forms agree', () => {
    fc.assert(
      fc.property(cpuSet, (cpus) => {
        assert.deepEqual(parseCpuMask(formatCpuMask(cpus)), parseCpuList(formatCpuList(cpus)));
      }),
      { numRuns: 200 },
    );
  });

  it('the stride form matches its definition', () => {
    const stride = fc
      .record({
        a: fc.integer({ min: 0, max: 500 }),
        len: fc.integer({ min: 0, max: 500 }),
        group: fc.integer({ min: 1, max: 40 }),
      })
      .chain((r) => fc.tuple(fc.constant(r), fc.integer({ min: 0, max: r.group })));
    fc.assert(
      fc.property(stride, ([{ a, len, group }, used]) => {
        const b = a + len;
        const want: number[] = [];
        for (let c = a; c <= b; c++) if ((c - a) % group < used) want.push(c);
        assert.deepEqual(parseCpuList(`${a}-${b}:${used}/${group}`), want);
      }),
    );
  });

  it('any separators between regions give the same set', () => {
    const sep = fc.constantFrom(',', ' ', ', ', ',,', '\t', ' ,\n');
    fc.assert(
      fc.property(cpuSet, fc.array(sep, { minLength: 1, maxLength: 3 }), (cpus, seps) => {
        const regions = formatCpuList(cpus)
          .split(',')
          .filter((r) => r !== '');
        const text = regions.map((r, i) => (i === 0 ? r : `${seps[i % seps.length]}${r}`)).join('');
        assert.deepEqual(parseCpuList(`  ${text}\n`), cpus);
      }),
    );
  });

  it('junk input gives a sorted set or IRQ_ERR_CPUSET, nothing else', () => {
    const listChars = fc.constantFrom(...'0123456789-,:/ Nalx\n'.split(''));
    const maskChars = fc.constantFrom(...'0123456789abcdefABCDEFxg, \n-'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: listChars, maxLength: 30 }), (text) =>
        onlyCpusetErrors(() => parseCpuList(text)),
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: maskChars, maxLength: 40 }), (text) =>
        onlyCpusetErrors(() => parseCpuMask(text)),
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        onlyCpusetErrors(() => parseCpuList(text));
        onlyCpusetErrors(() => parseCpuMask(text));
      }),
    );
  });

  it('set helpers agree with Set', () => {
    fc.assert(
      fc.property(cpuSet, cpuSet, (a, b) => {
        const sa = new Set(a);
        const sb = new Set(b);
        const sorted = (xs: Iterable<number>) => [...xs].sort((x, y) => x - y);
        assert.deepEqual(unionCpus(a, b), sorted(new Set([...a, ...b])));
        assert.deepEqual(intersectCpus(a, b), sorted(a.filter((x) => sb.has(x))));
        assert.deepEqual(differenceCpus(a, b), sorted(a.filter((x) => !sb.has(x))));
        assert.deepEqual(differenceCpus(b, a), sorted(b.filter((x) => !sa.has(x))));
      }),
    );
  });
});
