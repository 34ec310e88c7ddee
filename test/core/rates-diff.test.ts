import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COUNTER_MODULUS,
  type Delta,
  diffSnapshots,
  type RowDelta,
  toRates,
  wrapDelta,
} from '../../src/core/rates.ts';
import type { InterruptRow, Snapshot } from '../../src/core/snapshot.ts';
import { throwsCode } from '../helpers/errors.ts';
import { readCorpus } from '../helpers/paths.ts';
import { makeRow, makeSnapshot } from '../helpers/snapshots.ts';

const M = COUNTER_MODULUS;

function byKey(delta: Delta, key: string): RowDelta {
  const r = delta.rows.find((x) => x.key === key);
  assert.ok(r, `no row ${key}`);
  return r;
}

describe('wrapDelta', () => {
  const table: Array<[number, number, number]> = [
    [0, 0, 0],
    [5, 7, 2],
    [M - 1, 0, 1],
    [M - 10, 5, 15],
    [4287268137, 4287268137 + 10_000_000 - M, 10_000_000], // fixture 08 CAL on CPU3
    [7, 5, M - 2],
    [0, M - 1, M - 1],
  ];
  for (const [prev, curr, want] of table) {
    it(`(${prev} → ${curr}) = ${want}`, () => assert.equal(wrapDelta(prev, curr), want));
  }
  it('never returns -0', () => {
    assert.ok(Object.is(wrapDelta(M, 0), 0));
    assert.ok(Object.is(wrapDelta(3, 3), 0));
  });
});

describe('diffSnapshots', () => {
  it('differences numeric and named rows per CPU and sums only numeric rows into cpuTotals', () => {
    const prev = makeSnapshot(
      [0, 1],
      [makeRow('24', [100, 200]), makeRow('25', [0, 5]), makeRow('LOC', [1000, 2000])],
    );
    const curr = makeSnapshot(
      [0, 1],
      [makeRow('24', [150, 260]), makeRow('25', [7, 5]), makeRow('LOC', [1100, 2300])],
    );
    const d = diffSnapshots(prev, curr);
    assert.deepEqual(d.cpus, [0, 1]);
    assert.deepEqual(
      d.rows.map((r) => [r.key, r.perCpu, r.total, r.status]),
      [
        ['24', [50, 60], 110, 'steady'],
        ['25', [7, 0], 7, 'steady'],
        ['LOC', [100, 300], 400, 'steady'],
      ],
    );
    assert.deepEqual(d.cpuTotals, [57, 60]);
    assert.deepEqual(d.vanished, []);
    assert.deepEqual(d.cpusOffline, []);
    assert.deepEqual(d.cpusOnline, []);
    assert.equal(d.wraps, 0);
    assert.equal('seconds' in d, false);
    assert.equal('unaligned' in d, false);
    const r24 = byKey(d, '24');
    assert.equal(r24.name, 'dev24');
    assert.equal(r24.chip, 'IR-PCI-MSI');
    assert.equal(r24.numeric, true);
    assert.equal('global' in r24, false);
    const loc = byKey(d, 'LOC');
    assert.equal(loc.name, 'LOC interrupts');
    assert.equal('chip' in loc, false);
  });

  it('a snapshot diffed with itself is all zeros', () => {
    const s = makeSnapshot(
      [0, 1, 2],
      [makeRow('0', [1, 2, 3]), makeRow('LOC', [M - 1, 0, 7]), makeRow('ERR', [4])],
    );
    const d = diffSnapshots(s, s);
    for (const r of d.rows) {
      assert.deepEqual(r.perCpu, [0, 0, 0]);
      assert.equal(r.total, 0);
      assert.equal(r.status, 'steady');
    }
    assert.deepEqual(d.cpuTotals, [0, 0, 0]);
    assert.equal(d.wraps, 0);
  });

  it('undoes a 32-bit wrap and counts it', () => {
    const prev = makeSnapshot([0, 1], [makeRow('31', [M - 100, 50])]);
    const curr = makeSnapshot([0, 1], [makeRow('31', [20, 60])]);
    const d = diffSnapshots(prev, curr);
    assert.deepEqual(byKey(d, '31').perCpu, [120, 10]);
    assert.equal(byKey(d, '31').status, 'steady');
    assert.equal(d.wraps, 1);
  });

  it('treats a wrap-sized delta just below 2^31 as a wrap and one at 2^31 as a reset', () => {
    const below = diffSnapshots(
      makeSnapshot([0], [makeRow('1', [M - 1])]),
      makeSnapshot([0], [makeRow('1', [2 ** 31 - 2])]),
    );
    assert.deepEqual(byKey(below, '1').perCpu, [2 ** 31 - 1]);
    assert.equal(byKey(below, '1').status, 'steady');
    const at = diffSnapshots(
      makeSnapshot([0], [makeRow('1', [M - 1])]),
      makeSnapshot([0], [makeRow('1', [2 ** 31 - 1])]),
    );
    assert.equal(byKey(at, '1').status, 'reset');
    assert.deepEqual(byKey(at, '1').perCpu, [2 ** 31 - 1]);
  });

  it('a counter that went back by less than 2^31 is a reset of the whole row', () => {
    // IRQ 40 freed and requested again (MSI descriptor re-allocated): counts restart from 0.
    const prev = makeSnapshot([0, 1, 2], [makeRow('40', [5000, 7000, M - 3])]);
    const curr = makeSnapshot([0, 1, 2], [makeRow('40', [10, 7100, 2])]);
    const d = diffSnapshots(prev, curr);
    const r = byKey(d, '40');
    assert.equal(r.status, 'reset');
    assert.deepEqual(r.perCpu, [10, 7100, 2]);
    assert.equal(r.total, 7112);
    assert.equal(d.wraps, 0, 'the wrap-looking CPU2 belongs to a reset row');
    assert.deepEqual(d.cpuTotals, [10, 7100, 2]);
  });

  describe('identity', () => {
    const prevRow = makeRow('33', [100, 100], {
      chip: 'PCI-MSI',
      hwirq: '65536',
      actions: ['virtio1-config'],
    });
    const cases: Array<[string, Record<string, string | string[] | undefined>, 'steady' | 'reset']> = [
      ['same row', {}, 'steady'],
      ['chip changed', { chip: 'IR-PCI-MSI' }, 'reset'],
      ['hwirq changed', { hwirq: '65537' }, 'reset'],
      ['handlers replaced', { actions: ['nvme0q1'] }, 'reset'],
      ['shared handler added', { actions: ['virtio1-config', 'aerdrv'] }, 'steady'],
      ['handler list printed empty', { actions: [] }, 'steady'],
      ['chip not parsed in one read', { chip: undefined }, 'steady'],
    ];
    for (const [what, change, want] of cases) {
      it(`${what} → ${want}`, () => {
        const next: InterruptRow = { ...prevRow, counts: [150, 120] };
        for (const [k, v] of Object.entries(change)) {
          if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
          else (next as unknown as Record<string, unknown>)[k] = v;
        }
        const r = byKey(diffSnapshots(makeSnapshot([0, 1], [prevRow]), makeSnapshot([0, 1], [next])), '33');
        assert.equal(r.status, want);
        assert.deepEqual(r.perCpu, want === 'reset' ? [150, 120] : [50, 20]);
      });
    }

    it('a bare row that gains a handler keeps counting', () => {
      const bare = makeRow('3', [5, 0], { actions: [] });
      const later = makeRow('3', [9, 1], { actions: ['serial'] });
      const r = byKey(diffSnapshots(makeSnapshot([0, 1], [bare]), makeSnapshot([0, 1], [later])), '3');
      assert.equal(r.status, 'steady');
      assert.deepEqual(r.perCpu, [4, 1]);
    });

    it('named rows never reset by description', () => {
      const a = makeRow('NMI', [1, 1], { description: 'Non-maskable interrupts' });
      const b = makeRow('NMI', [2, 3], { description: 'NMI' });
      assert.equal(
        byKey(diffSnapshots(makeSnapshot([0, 1], [a]), makeSnapshot([0, 1], [b])), 'NMI').status,
        'steady',
      );
    });
  });

  it('reports appeared rows with their current counts and lists vanished keys', () => {
    const prev = makeSnapshot([0, 1], [makeRow('24', [1, 1]), makeRow('25', [9, 9]), makeRow('26', [3, 3])]);
    const curr = makeSnapshot([0, 1], [makeRow('24', [2, 2]), makeRow('27', [40, 2]), makeRow('26', [3, 4])]);
    const d = diffSnapshots(prev, curr);
    assert.deepEqual(
      d.rows.map((r) => [r.key, r.status, r.perCpu]),
      [
        ['24', 'steady', [1, 1]],
        ['27', 'appeared', [40, 2]],
        ['26', 'steady', [0, 1]],
      ],
    );
    assert.deepEqual(d.vanished, ['25']);
    assert.deepEqual(d.cpuTotals, [41, 4]);
  });

  it('matches repeated labels by occurrence (powerpc LOC twice)', () => {
    const prev = makeSnapshot([0], [makeRow('LOC', [100]), makeRow('LOC', [7])]);
    const curr = makeSnapshot([0], [makeRow('LOC', [150]), makeRow('LOC', [8])]);
    const d = diffSnapshots(prev, curr);
    assert.deepEqual(
      d.rows.map((r) => [r.key, r.total]),
      [
        ['LOC', 50],
        ['LOC#1', 1],
      ],
    );
    const gone = diffSnapshots(prev, makeSnapshot([0], [makeRow('LOC', [150])]));
    assert.deepEqual(gone.vanished, ['LOC#1']);
  });

  describe('CPU hotplug', () => {
    it('aligns by CPU id when a CPU went offline (CPU3 stays CPU3)', () => {
      const prev = makeSnapshot(
        [0, 1, 2, 3],
        [makeRow('24', [10, 20, 30, 40]), makeRow('RES', [1, 2, 3, 4])],
      );
      const curr = makeSnapshot([0, 1, 3], [makeRow('24', [11, 22, 44]), makeRow('RES', [2, 4, 8])]);
      const d = diffSnapshots(prev, curr);
      assert.deepEqual(d.cpus, [0, 1, 3]);
      assert.deepEqual(byKey(d, '24').perCpu, [1, 2, 4]);
      assert.deepEqual(byKey(d, 'RES').perCpu, [1, 2, 4]);
      assert.deepEqual(d.cpuTotals, [1, 2, 4]);
      assert.deepEqual(d.cpusOffline, [2]);
      assert.deepEqual(d.cpusOnline, []);
      assert.equal(d.wraps, 0);
    });

    it('gives a CPU that came online a column with 0 for steady rows and current counts for new rows', () => {
      const prev = makeSnapshot([0, 1, 3], [makeRow('24', [11, 22, 44])]);
      const curr = makeSnapshot(
        [0, 1, 2, 3],
        [makeRow('24', [12, 24, 5_000_000, 48]), makeRow('25', [0, 0, 9, 1])],
      );
      const d = diffSnapshots(prev, curr);
      assert.deepEqual(d.cpus, [0, 1, 2, 3]);
      // CPU2's 5 million is cumulative since boot (kept while offline), not this interval's.
      assert.deepEqual(byKey(d, '24').perCpu, [1, 2, 0, 4]);
      assert.deepEqual(byKey(d, '25').perCpu, [0, 0, 9, 1]);
      assert.deepEqual(d.cpusOnline, [2]);
      assert.deepEqual(d.cpusOffline, []);
      assert.deepEqual(d.cpuTotals, [1, 2, 9, 5]);
    });

    it('handles CPUs going off and on at once, and any column order', () => {
      const prev = makeSnapshot([0, 2, 5], [makeRow('7', [100, 200, 500])]);
      const curr = makeSnapshot([5, 0, 9], [makeRow('7', [505, 101, 1])]);
      const d = diffSnapshots(prev, curr);
      assert.deepEqual(d.cpus, [5, 0, 9]);
      assert.deepEqual(byKey(d, '7').perCpu, [5, 1, 0]);
      assert.deepEqual(d.cpusOffline, [2]);
      assert.deepEqual(d.cpusOnline, [9]);
    });

    it('rejects a snapshot that names a CPU twice', () => {
      throwsCode(
        () => diffSnapshots(makeSnapshot([0, 0], []), makeSnapshot([0], [])),
        'IRQ_ERR_PARSE',
        /CPU0 twice/,
      );
    });
  });

  describe('rows with fewer counts than CPUs', () => {
    it('treats x86 ERR/MIS as global counters', () => {
      const prev = makeSnapshot(
        [0, 1, 2, 3],
        [makeRow('24', [1, 1, 1, 1]), makeRow('ERR', [3]), makeRow('MIS', [0])],
      );
      const curr = makeSnapshot(
        [0, 1, 2, 3],
        [makeRow('24', [2, 2, 2, 2]), makeRow('ERR', [5]), makeRow('MIS', [0])],
      );
      const d = diffSnapshots(prev, curr);
      const err = byKey(d, 'ERR');
      assert.equal(err.global, true);
      assert.deepEqual(err.perCpu, [0, 0, 0, 0]);
      assert.equal(err.total, 2);
      assert.equal(err.status, 'steady');
      assert.equal(byKey(d, 'MIS').total, 0);
      assert.deepEqual(d.cpuTotals, [1, 1, 1, 1]);
      assert.equal('unaligned' in d, false);
    });

    it('handles arm32 FIQ with no counts at all', () => {
      const s1 = makeSnapshot([0, 1], [makeRow('FIQ', [], { description: 'usb_fiq' })]);
      const s2 = makeSnapshot([0, 1], [makeRow('FIQ', [], { description: 'usb_fiq' })]);
      const fiq = byKey(diffSnapshots(s1, s2), 'FIQ');
      assert.equal(fiq.global, true);
      assert.equal(fiq.total, 0);
      assert.equal(fiq.name, 'usb_fiq');
    });

    it('applies wrap and reset rules to global counters', () => {
      const wrap = diffSnapshots(
        makeSnapshot([0, 1], [makeRow('ERR', [M - 1])]),
        makeSnapshot([0, 1], [makeRow('ERR', [4])]),
      );
      assert.equal(byKey(wrap, 'ERR').total, 5);
      assert.equal(wrap.wraps, 1);
      const reset = diffSnapshots(
        makeSnapshot([0, 1], [makeRow('ERR', [900])]),
        makeSnapshot([0, 1], [makeRow('ERR', [4])]),
      );
      assert.equal(byKey(reset, 'ERR').status, 'reset');
      assert.equal(byKey(reset, 'ERR').total, 4);
      const appeared = diffSnapshots(makeSnapshot([0, 1], []), makeSnapshot([0, 1], [makeRow('ERR', [6])]));
      assert.equal(byKey(appeared, 'ERR').status, 'appeared');
      assert.equal(byKey(appeared, 'ERR').total, 6);
    });

    it('differences a 64-bit arm Err counter plainly and calls a decrease a reset', () => {
      const up = diffSnapshots(
        makeSnapshot([0, 1], [makeRow('Err', [M + 5])]),
        makeSnapshot([0, 1], [makeRow('Err', [M + 12])]),
      );
      assert.equal(byKey(up, 'Err').total, 7);
      const down = diffSnapshots(
        makeSnapshot([0, 1], [makeRow('Err', [M + 5])]),
        makeSnapshot([0, 1], [makeRow('Err', [3])]),
      );
      assert.equal(byKey(down, 'Err').status, 'reset');
      assert.equal(byKey(down, 'Err').total, 3);
    });

    it('zeroes and lists rows whose counts cannot be placed on CPUs', () => {
      // IRQ 24 printed 3 counts under a 4-CPU header (a CPU went offline mid-read).
      const prev = makeSnapshot(
        [0, 1, 2, 3],
        [makeRow('24', [1, 1, 1, 1]), makeRow('25', [1, 1, 1, 1]), makeRow('ERR', [1])],
      );
      const curr = makeSnapshot(
        [0, 1, 2, 3],
        [
          makeRow('24', [9, 9, 9]),
          makeRow('25', [2, 2, 2, 2]),
          makeRow('ERR', [2, 2]),
          makeRow('26', [5, 5]),
        ],
      );
      const d = diffSnapshots(prev, curr);
      assert.deepEqual(d.unaligned, ['24', 'ERR', '26']);
      for (const key of ['24', 'ERR', '26']) {
        assert.deepEqual(byKey(d, key).perCpu, [0, 0, 0, 0]);
        assert.equal(byKey(d, key).total, 0);
      }
      assert.equal(byKey(d, '26').status, 'appeared');
      assert.deepEqual(d.cpuTotals, [1, 1, 1, 1]);
      // And the read after that has a bad baseline for IRQ 24.
      const next = makeSnapshot([0, 1, 2, 3], [makeRow('24', [10, 10, 10, 10])]);
      const d2 = diffSnapshots(curr, next);
      assert.deepEqual(d2.unaligned, ['24']);
      assert.deepEqual(byKey(d2, '24').perCpu, [0, 0, 0, 0]);
    });

    it('treats the one count of ERR on a 1-CPU machine as that CPU’s (harmless: named rows stay out of cpuTotals)', () => {
      const d = diffSnapshots(
        makeSnapshot([0], [makeRow('ERR', [1])]),
        makeSnapshot([0], [makeRow('ERR', [3])]),
      );
      assert.deepEqual(byKey(d, 'ERR').perCpu, [2]);
      assert.deepEqual(d.cpuTotals, [0]);
    });
  });

  it('carries seconds and rejects a bad interval', () => {
    const s = makeSnapshot([0], [makeRow('1', [1])]);
    assert.equal(diffSnapshots(s, s, { seconds: 2.5 }).seconds, 2.5);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      throwsCode(() => diffSnapshots(s, s, { seconds: bad }), 'IRQ_ERR_USAGE', /positive/);
    }
  });
});

describe('toRates', () => {
  const prev = makeSnapshot(
    [0, 1],
    [makeRow('24', [0, 0]), makeRow('LOC', [M - 10, 0]), makeRow('ERR', [0]), makeRow('9', [1, 1])],
  );
  const curr = makeSnapshot(
    [0, 1],
    [makeRow('24', [100, 50]), makeRow('LOC', [10, 40]), makeRow('ERR', [4])],
  );

  it('divides every count by the interval and keeps the rest', () => {
    const d = diffSnapshots(prev, curr, { seconds: 2 });
    const r = toRates(d);
    assert.equal(r.seconds, 2);
    assert.deepEqual(r.cpus, [0, 1]);
    assert.deepEqual(byKey(r, '24').perCpu, [50, 25]);
    assert.equal(byKey(r, '24').total, 75);
    assert.deepEqual(byKey(r, 'LOC').perCpu, [10, 20]);
    assert.equal(byKey(r, 'ERR').total, 2);
    assert.equal(byKey(r, 'ERR').global, true);
    assert.deepEqual(r.cpuTotals, [50, 25]);
    assert.deepEqual(r.vanished, ['9']);
    assert.equal(r.wraps, 1);
    // The delta is not modified.
    assert.deepEqual(byKey(d, '24').perCpu, [100, 50]);
  });

  it('takes an explicit interval over the delta’s', () => {
    const r = toRates(diffSnapshots(prev, curr, { seconds: 2 }), 0.5);
    assert.equal(byKey(r, '24').total, 300);
    assert.equal(r.seconds, 0.5);
  });

  it('refuses without a positive interval', () => {
    const d = diffSnapshots(prev, curr);
    throwsCode(() => toRates(d), 'IRQ_ERR_USAGE', /unknown/);
    throwsCode(() => toRates(d, 0), 'IRQ_ERR_USAGE', /positive/);
  });
});

// ---------------------------------------------------------------------------------------------
// Real counters near 2^32 (corpus fixtures 08 and 10).

/** Just enough of a /proc/interrupts reader for these two x86 fixtures (not the project parser). */
function miniParse(text: string): Snapshot {
  const lines = text.split('\n');
  const cpus = [...(lines[0] ?? '').matchAll(/CPU(\d+)/g)].map((m) => Number(m[1]));
  const rows: InterruptRow[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const label = line.slice(0, colon).trim();
    const tokens = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    const counts: number[] = [];
    while (counts.length < cpus.length && /^\d+$/.test(tokens[0] ?? '')) counts.push(Number(tokens.shift()));
    const numeric = /^\d+$/.test(label);
    const r = makeRow(label, counts, { tail: tokens.join(' ') });
    if (numeric) {
      r.chip = tokens[0] ?? '';
      r.actions = tokens.length > 1 ? [tokens[tokens.length - 1] as string] : [];
      delete r.hwirq;
    } else {
      r.description = tokens.join(' ');
    }
    rows.push(r);
  }
  return makeSnapshot(cpus, rows);
}

/** Deterministic increments: counters within 300 M of 2^32 are pushed past it, the rest get < 5 M. */
function advance(s: Snapshot, seed: number): { next: Snapshot; inc: Map<string, number[]>; wrapped: number } {
  let x = seed;
  const rand = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  const inc = new Map<string, number[]>();
  let wrapped = 0;
  const rows = s.rows.map((r) => {
    const add = r.counts.map((c) =>
      c > M - 300_000_000 ? M - c + (rand() % 100_000_000) : rand() % 5_000_000,
    );
    const counts = r.counts.map((c, i) => {
      const v = c + (add[i] as number);
      if (v >= M) wrapped++;
      return v % M;
    });
    inc.set(r.label, add);
    return { ...r, counts, total: counts.reduce((a, b) => a + b, 0) };
  });
  return { next: { ...s, rows }, inc, wrapped };
}

describe('corpus counters near 2^32', () => {
  for (const [file, expectWraps] of [
    // resched0, resched6, RES on CPU0 and CPU6, CAL on all 8 CPUs.
    ['08-x86-8cpu-xen-hvm-guest-near-wrap-hushi55.txt', 12],
    // virtio1-input.0 to .3.
    ['10-x86-4cpu-kvm-virtio-net-mq-near-wrap-datadog.txt', 4],
  ] as const) {
    it(`undoes the wraps in ${file.slice(0, 2)}`, () => {
      const prev = miniParse(readCorpus(file));
      const { next, inc, wrapped } = advance(prev, 42);
      assert.equal(wrapped, expectWraps, 'the fixture has this many counters within 300 M of 2^32');
      const d = diffSnapshots(prev, next, { seconds: 10 });
      assert.equal(d.wraps, wrapped);
      assert.deepEqual(d.vanished, []);
      for (const r of d.rows) {
        const add = inc.get(r.label) as number[];
        assert.equal(r.status, 'steady', r.key);
        if (r.global) {
          assert.equal(
            r.total,
            add.reduce((a, b) => a + b, 0),
            r.key,
          );
        } else {
          assert.deepEqual(r.perCpu, add, r.key);
        }
      }
      const numericSum = d.rows.filter((r) => r.numeric).reduce((a, r) => a + r.total, 0);
      assert.equal(
        d.cpuTotals.reduce((a, b) => a + b, 0),
        numericSum,
      );
    });
  }

  it('fixture 08: RES on CPU6 (4269631923) + 30 M wraps to 4664627 and comes back as 30 M', () => {
    const prev = miniParse(readCorpus('08-x86-8cpu-xen-hvm-guest-near-wrap-hushi55.txt'));
    const res = prev.rows.find((r) => r.label === 'RES');
    assert.equal(res?.counts[6], 4269631923);
    const rows = prev.rows.map((r) =>
      r.label === 'RES' ? { ...r, counts: r.counts.map((c, i) => (i === 6 ? (c + 30_000_000) % M : c)) } : r,
    );
    const next = { ...prev, rows };
    assert.equal(next.rows.find((r) => r.label === 'RES')?.counts[6], 4664627);
    const d = diffSnapshots(prev, next);
    assert.deepEqual(byKey(d, 'RES').perCpu, [0, 0, 0, 0, 0, 0, 30_000_000, 0]);
    assert.equal(d.wraps, 1);
  });

  it('fixture 10: virtio1-input.3 restarting after a driver reload is a reset, not a wrap', () => {
    const prev = miniParse(readCorpus('10-x86-4cpu-kvm-virtio-net-mq-near-wrap-datadog.txt'));
    // 4190886484 on CPU3 → 1234: the wrap reading would be 104 M interrupts; the reset reading 1234.
    // 2^32 − 4190886484 + 1234 = 104082046 < 2^31, so by counts alone it IS a wrap…
    const wrapLike = {
      ...prev,
      rows: prev.rows.map((r) => (r.label === '31' ? { ...r, counts: [0, 0, 0, 1234] } : r)),
    };
    const d1 = diffSnapshots(prev, wrapLike);
    assert.equal(byKey(d1, '31').status, 'reset', 'CPU0 went 1 → 0: only a reset does that');
    assert.deepEqual(byKey(d1, '31').perCpu, [0, 0, 0, 1234]);
    // …unless every CPU is consistent with a wrap, when the wrap reading wins.
    const wrapOnly = {
      ...prev,
      rows: prev.rows.map((r) => (r.label === '31' ? { ...r, counts: [1, 0, 0, 1234] } : r)),
    };
    const d2 = diffSnapshots(prev, wrapOnly);
    assert.equal(byKey(d2, '31').status, 'steady');
    assert.deepEqual(byKey(d2, '31').perCpu, [0, 0, 0, M - 4190886484 + 1234]);
  });
});
