import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cpuSetsEqual,
  differenceCpus,
  formatCpuList,
  formatCpuMask,
  hasCpu,
  intersectCpus,
  isSubsetCpus,
  normalizeCpus,
  parseCpuList,
  parseCpuMask,
  unionCpus,
} from '../../src/core/cpuset.ts';
import { IrqkitError } from '../../src/core/errors.ts';
import { throwsCode } from '../helpers/errors.ts';

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let c = lo; c <= hi; c++) out.push(c);
  return out;
}

describe('parseCpuList', () => {
  const table: Array<[string, number[]]> = [
    // As the kernel prints them (smp_affinity_list, /sys/devices/system/cpu/online, %*pbl).
    ['0-1\n', [0, 1]], // this machine's /sys/devices/system/cpu/online
    ['0\n', [0]],
    ['0-5,7\n', [0, 1, 2, 3, 4, 5, 7]], // CPU6 offline (fixture 19)
    ['0-3,8-11', [0, 1, 2, 3, 8, 9, 10, 11]],
    ['0-1151', range(0, 1151)],
    ['5', [5]],
    ['1,3,5', [1, 3, 5]],
    ['', []],
    ['\n', []],
    ['   ', []],
    // As people write them.
    ['  0-3 , 8  ', [0, 1, 2, 3, 8]],
    ['0 2', [0, 2]], // the kernel treats blanks as separators too
    ['0,,2,', [0, 2]], // and skips empty regions
    ['3,1,2,1', [1, 2, 3]],
    ['0-3,2-5', [0, 1, 2, 3, 4, 5]],
    ['007', [7]],
    ['4-4', [4]],
    // The stride form a-b:used/group.
    ['0-15:2/4', [0, 1, 4, 5, 8, 9, 12, 13]],
    ['0-1023:2/256', [0, 1, 256, 257, 512, 513, 768, 769]], // the kernel's doc example
    ['9-38:4/10', [9, 10, 11, 12, 19, 20, 21, 22, 29, 30, 31, 32]], // lib/bitmap.c region diagram
    ['0-7:1/2', [0, 2, 4, 6]],
    ['0-9:3/3', range(0, 9)],
    ['0-9:0/3', []],
  ];
  for (const [text, want] of table) {
    it(`parses ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseCpuList(text), want);
    });
  }

  it('knows N and all only with nrCpus', () => {
    assert.deepEqual(parseCpuList('N', { nrCpus: 8 }), [7]);
    assert.deepEqual(parseCpuList('4-N', { nrCpus: 8 }), [4, 5, 6, 7]);
    assert.deepEqual(parseCpuList('all', { nrCpus: 4 }), [0, 1, 2, 3]);
    assert.deepEqual(parseCpuList('ALL:1/2', { nrCpus: 8 }), [0, 2, 4, 6]);
    assert.deepEqual(parseCpuList('0-N:1/N', { nrCpus: 5 }), [0, 4]);
    throwsCode(() => parseCpuList('N'), 'IRQ_ERR_CPUSET', /'N'.*CPU count/);
    throwsCode(() => parseCpuList('all'), 'IRQ_ERR_CPUSET', /'all'.*CPU count/);
  });

  it('rejects CPUs beyond nrCpus as unknown CPUs', () => {
    assert.deepEqual(parseCpuList('0-1', { nrCpus: 2 }), [0, 1]);
    throwsCode(() => parseCpuList('0-2', { nrCpus: 2 }), 'IRQ_ERR_UNKNOWN_CPU', /CPU 2 .*CPUs 0-1/);
    throwsCode(() => parseCpuList('1', { nrCpus: 1 }), 'IRQ_ERR_UNKNOWN_CPU', /only CPU 0/);
    // Like the kernel's ERANGE, the range end counts even when the pattern would skip it.
    throwsCode(() => parseCpuList('0-4:1/4', { nrCpus: 4 }), 'IRQ_ERR_UNKNOWN_CPU');
  });

  const bad: Array<[string, RegExp]> = [
    ['3-1', /reversed range "3-1"/],
    ['-1', /negative number in "-1"/],
    ['0--1', /negative number/],
    ['1-', /missing number in "1-"/],
    ['-', /negative number|missing/],
    ['a', /"a"/],
    ['0-3,x', /"x"/],
    ['1.5', /"1\.5"/],
    ['0x3', /"0x3"/],
    ['1-2-3', /"2-3"/],
    ['5:1/2', /pattern without a range/],
    ['0-7:1', /cannot read "0-7:1"/],
    ['0-7:2/0', /group > 0/],
    ['0-7:3/2', /used ≤ group/],
    ['0-7:/2', /missing number/],
    ['0-7:1/2/3', /"2\/3"/],
    ['99999999999', /limit/],
    ['0-65536', /limit/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)} with IRQ_ERR_CPUSET`, () => {
      throwsCode(() => parseCpuList(text), 'IRQ_ERR_CPUSET', message);
    });
  }

  it('names the whole text and carries it in details', () => {
    try {
      parseCpuList('0-3,7-5');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof IrqkitError);
      assert.match(e.message, /^invalid CPU list "0-3,7-5": reversed range "7-5"$/);
      assert.deepEqual(e.details, { text: '0-3,7-5' });
      assert.equal(e.exitCode, 64);
    }
  });

  it('shortens very long bad input in the message', () => {
    const text = `${'1,'.repeat(100)}x`;
    throwsCode(() => parseCpuList(text), 'IRQ_ERR_CPUSET', /…/);
  });
});

describe('formatCpuList', () => {
  const table: Array<[number[], string]> = [
    [[], ''],
    [[0], '0'],
    [[0, 1], '0-1'], // the kernel writes pairs as ranges: this machine's smp_affinity_list is 0-1
    [[0, 1, 2, 3, 8, 9, 10, 11], '0-3,8-11'],
    [[0, 2, 4], '0,2,4'],
    [[0, 1, 2, 3, 4, 5, 7], '0-5,7'],
    [[1, 2, 4, 5, 6, 9], '1-2,4-6,9'],
    [range(0, 1151), '0-1151'],
  ];
  for (const [cpus, want] of table) {
    it(`formats [${cpus.length > 10 ? `${cpus.length} CPUs` : cpus.join(',')}] as ${JSON.stringify(want)}`, () => {
      assert.equal(formatCpuList(cpus), want);
    });
  }

  it('accepts unsorted input with duplicates', () => {
    assert.equal(formatCpuList([3, 1, 2, 2, 7]), '1-3,7');
  });

  it('rejects invalid ids', () => {
    throwsCode(() => formatCpuList([-1]), 'IRQ_ERR_CPUSET', /-1/);
    throwsCode(() => formatCpuList([1.5]), 'IRQ_ERR_CPUSET');
    throwsCode(() => formatCpuList([Number.NaN]), 'IRQ_ERR_CPUSET');
  });
});

describe('parseCpuMask', () => {
  const ones = (groups: number) => Array<string>(groups).fill('ffffffff').join(',');
  const table: Array<[string, number[]]> = [
    ['3\n', [0, 1]], // this machine (nr_cpu_ids 2): /proc/irq/*/smp_affinity, default_smp_affinity
    ['1\n', [0]],
    ['f', [0, 1, 2, 3]],
    ['ff', range(0, 7)],
    ['01', [0]],
    ['80', [7]],
    ['00000001', [0]],
    ['ffffffff', range(0, 31)],
    ['ff,ffffffff', range(0, 39)], // nr_cpu_ids 40
    ['00,00000100', [8]],
    ['ffffffff,ffffffff', range(0, 63)],
    ['80000000,00000000', [63]],
    ['00000001,00000000,00000000', [64]],
    [ones(36), range(0, 1151)], // 1152 CPUs
    ['0', []],
    ['00000000,00000000', []],
    ['', []],
    // Not as the kernel prints, but as it accepts.
    ['1,0', [32]], // a short group is zero-extended to 32 bits
    ['F0', [4, 5, 6, 7]],
    ['ff, ffffffff', range(0, 39)],
    ['ff ffffffff', range(0, 39)], // blanks separate groups too (bitmap_parse)
    [',1', [0]],
    ['1,,0', [32]],
    // Beyond the kernel.
    ['0x3', [0, 1]],
    ['0XfF', range(0, 7)],
  ];
  for (const [text, want] of table) {
    it(`parses ${JSON.stringify(text.length > 30 ? `${text.slice(0, 30)}…` : text)}`, () => {
      assert.deepEqual(parseCpuMask(text), want);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['fffffffff', /9 hex digits/],
    ['1ffffffff', /at most 8/],
    ['000000001', /9 hex digits/], // the kernel counts digits, not value
    ['ff,1ffffffff', /"1ffffffff"/],
    ['g', /"g" is not a hex digit/],
    ['ff;ff', /";"/],
    ['-1', /"-"/],
    ['0x', /no hex digits/],
    ['0x,1', /no hex digits/],
    ['1x3', /"x"/],
    [Array<string>(2049).fill('0').join(','), /limit/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text.length > 30 ? `${text.slice(0, 30)}…` : text)} with IRQ_ERR_CPUSET`, () => {
      throwsCode(() => parseCpuMask(text), 'IRQ_ERR_CPUSET', message);
    });
  }

  it('checks bits against nrCpus', () => {
    assert.deepEqual(parseCpuMask('3', { nrCpus: 2 }), [0, 1]);
    assert.deepEqual(parseCpuMask('00000000,00000003', { nrCpus: 2 }), [0, 1]);
    throwsCode(() => parseCpuMask('4', { nrCpus: 2 }), 'IRQ_ERR_UNKNOWN_CPU', /CPU 2 in "4" does not exist/);
    throwsCode(() => parseCpuMask('1,00000000', { nrCpus: 32 }), 'IRQ_ERR_UNKNOWN_CPU', /CPU 32/);
  });

  it('rejects a bad nrCpus as a usage error', () => {
    throwsCode(() => parseCpuMask('1', { nrCpus: -1 }), 'IRQ_ERR_USAGE');
    throwsCode(() => parseCpuList('1', { nrCpus: 1.5 }), 'IRQ_ERR_USAGE');
  });
});

describe('formatCpuMask', () => {
  const table: Array<[number[], number | undefined, string]> = [
    [[0, 1], 2, '3'], // this machine: nproc 2, default_smp_affinity "3"
    [[0, 1], undefined, '3'],
    [[0], 2, '1'],
    [[0], 1, '1'],
    [[0, 1, 2, 3], 4, 'f'],
    [[0], 5, '01'],
    [range(0, 4), 5, '1f'],
    [range(0, 7), 8, 'ff'],
    [[0], 8, '01'],
    [[0], 32, '00000001'],
    [range(0, 31), 32, 'ffffffff'],
    [range(0, 39), 40, 'ff,ffffffff'],
    [[0], 40, '00,00000001'],
    [[39], undefined, '80,00000000'],
    [[32], 36, '1,00000000'],
    [range(0, 63), 64, 'ffffffff,ffffffff'],
    [[0], 64, '00000000,00000001'],
    [[4, 5, 6, 7], 48, '0000,000000f0'],
    [[], 2, '0'],
    [[], 40, '00,00000000'],
    [[], undefined, '0'],
    [[], 0, ''], // %*pb with width 0 prints nothing
  ];
  for (const [cpus, nr, want] of table) {
    it(`formats [${cpus.length > 8 ? `${cpus[0]}..${cpus[cpus.length - 1]}` : cpus.join(',')}] with nrCpus ${nr} as ${JSON.stringify(want)}`, () => {
      assert.equal(formatCpuMask(cpus, nr), want);
    });
  }

  it('prints 1152 CPUs as 36 full groups', () => {
    const text = formatCpuMask(range(0, 1151), 1152);
    assert.equal(text, Array<string>(36).fill('ffffffff').join(','));
    assert.equal(formatCpuMask([1151], 1152), `80000000,${Array<string>(35).fill('00000000').join(',')}`);
  });

  it('rejects a CPU beyond nrCpus', () => {
    throwsCode(
      () => formatCpuMask([2], 2),
      'IRQ_ERR_UNKNOWN_CPU',
      /CPU 2 does not exist: the machine has CPUs 0-1/,
    );
    throwsCode(() => formatCpuMask([0], 0), 'IRQ_ERR_UNKNOWN_CPU', /no CPUs/);
    throwsCode(() => formatCpuMask([0], 70000), 'IRQ_ERR_USAGE');
  });
});

describe('set helpers', () => {
  it('normalizes', () => {
    assert.deepEqual(normalizeCpus([3, 1, 3, 0]), [0, 1, 3]);
    assert.deepEqual(normalizeCpus(new Set([5, 2])), [2, 5]);
    throwsCode(() => normalizeCpus([65536]), 'IRQ_ERR_CPUSET');
  });

  it('compares, intersects, unites and subtracts', () => {
    const a = [0, 1, 2, 5, 9];
    const b = [1, 2, 3, 9, 10];
    assert.deepEqual(unionCpus(a, b), [0, 1, 2, 3, 5, 9, 10]);
    assert.deepEqual(intersectCpus(a, b), [1, 2, 9]);
    assert.deepEqual(differenceCpus(a, b), [0, 5]);
    assert.deepEqual(differenceCpus(b, a), [3, 10]);
    assert.equal(cpuSetsEqual(a, [0, 1, 2, 5, 9]), true);
    assert.equal(cpuSetsEqual(a, b), false);
    assert.equal(cpuSetsEqual([], []), true);
    assert.equal(isSubsetCpus([1, 9], a), true);
    assert.equal(isSubsetCpus([1, 3], a), false);
    assert.equal(hasCpu(a, 5), true);
    assert.equal(hasCpu(a, 4), false);
    assert.equal(hasCpu([], 0), false);
  });
});
