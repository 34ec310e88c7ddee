/** renderInterrupts and parseInterrupts are inverses: random snapshots and every corpus dump. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseInterrupts, renderInterrupts } from '../../src/core/parse-interrupts.ts';
import type { InterruptRow, Snapshot } from '../../src/core/snapshot.ts';
import { corpusNames, readCorpus } from '../helpers/paths.ts';

/** What a round trip must keep: everything but source line numbers and the raw tail text. */
function data(s: Snapshot): unknown {
  return {
    cpus: s.cpus,
    rows: s.rows.map((r) => ({
      label: r.label,
      numeric: r.numeric,
      occurrence: r.occurrence,
      counts: r.counts,
      total: r.total,
      chip: r.chip,
      hwirq: r.hwirq,
      trigger: r.trigger,
      flow: r.flow,
      actions: r.actions,
      description: r.description,
    })),
  };
}

// --- generators -------------------------------------------------------------------------------

/** A word of a device name or description: starts with a letter, may hold ':' ',' '.' brackets. */
const word = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9_.:,()[\]@/-]{0,9}$/)
  .filter((w) => !/^(Level|Edge)/.test(w));
const phrase = fc.array(word, { minLength: 1, maxLength: 4 }).map((ws) => ws.join(' '));
/** A handler name: a phrase that does not itself contain the ", " separator. */
const actionName = phrase.filter((p) => !p.includes(', '));
const actions = fc.array(actionName, { maxLength: 3 });
const count = fc.oneof(fc.integer({ min: 0, max: 4294967295 }), fc.constantFrom(0, 4294967295));
const hwirq = fc.integer({ min: 0, max: 134742016 }).map(String);

type Tail = Pick<InterruptRow, 'chip' | 'hwirq' | 'trigger' | 'flow' | 'actions'>;

/** Numeric-row tails, one generator per format generation (the layouts parseNumericTail tells apart). */
const tails: fc.Arbitrary<Tail>[] = [
  // x86 4.3+: <chip> <hwirq>-<flow>
  fc.record({
    chip: fc.constantFrom(
      'IO-APIC',
      'IR-IO-APIC',
      'PCI-MSI',
      'IR-PCI-MSI',
      'DMAR-MSI',
      'IR-PCI-MSIX-0000:23:00.0',
    ),
    hwirq,
    flow: fc.constantFrom('edge', 'fasteoi', 'simple'),
    actions,
  }),
  // GENERIC_IRQ_SHOW_LEVEL: <chip> [hwirq] Level|Edge [-flow]
  fc
    .record({
      chip: fc.constantFrom(
        'GICv3',
        'GIC-0',
        'GICv3-23',
        'SiFive PLIC',
        'RISC-V INTC',
        'OPAL EVT',
        'BRCM STB PCIe MSI',
        'f1018100.gpio',
        'APLIC-MSI-d000000.aplic',
      ),
      hwirq: fc.option(hwirq, { nil: undefined }),
      trigger: fc.constantFrom('Level', 'Edge'),
      flow: fc.option(fc.constantFrom('fasteoi', 'edge'), { nil: undefined }),
      actions,
    })
    .map(({ hwirq: h, flow: f, ...rest }) => ({
      ...rest,
      ...(h === undefined ? {} : { hwirq: h }),
      ...(f === undefined ? {} : { flow: f }),
    })),
  // old x86: <chip>-<flow> glued, no hwirq
  fc.record({
    chip: fc.constantFrom('IO-APIC', 'PCI-MSI', 'IR-PCI-MSI', 'DMAR_MSI', 'local-APIC', '<NULL>', 'xen-pirq'),
    flow: fc.constantFrom('edge', 'fasteoi', 'level', '<NULL>', 'ioapic-edge'),
    actions,
  }),
  // chip and hwirq without a flow name
  fc.record({ chip: fc.constantFrom('dummy', 'rmi4'), hwirq, actions }),
  // plain chip (s390, old ARM)
  fc.record({ chip: fc.constantFrom('ARMCTRL', 'PCI-MSI', 'MPIC', 'None'), actions }),
  // no chip, no handler: counts only
  fc.constant({ actions: [] }),
];

interface RowSpec {
  label: string;
  numeric: boolean;
  tail?: Tail;
  description?: string;
  countsKind: 'all' | 'one' | 'none';
}

const numericRow: fc.Arbitrary<RowSpec> = fc.record({
  label: fc.integer({ min: 0, max: 99999 }).map(String),
  numeric: fc.constant(true),
  tail: fc.oneof(...tails),
  countsKind: fc.constant('all' as const),
});

const namedRow: fc.Arbitrary<RowSpec> = fc.record({
  label: fc.oneof(
    fc.constantFrom('NMI', 'LOC', 'ERR', 'MIS', 'Err', 'FIQ', 'I/O', 'EXT', 'PND'),
    fc.integer({ min: 0, max: 15 }).map((i) => `IPI${i}`),
    fc.stringMatching(/^[A-Z][A-Za-z]{1,3}[0-9]?$/),
  ),
  numeric: fc.constant(false),
  description: fc.oneof(phrase, fc.constant('')),
  countsKind: fc.constantFrom('all' as const, 'all' as const, 'one' as const, 'none' as const),
});

const snapshot: fc.Arbitrary<Snapshot> = fc
  .record({
    cpus: fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 24 }),
    specs: fc.array(fc.oneof(numericRow, numericRow, namedRow), { maxLength: 20 }),
    counts: fc.infiniteStream(count),
  })
  .map(({ cpus, specs, counts }) => {
    const sorted = [...cpus].sort((a, b) => a - b);
    const seen = new Map<string, number>();
    // A numbered IRQ has one row (a second one is damaged input, warned about); named rows such
    // as a doubled LOC do repeat in real files.
    const numbered = new Set<string>();
    const unique = specs.filter((spec) => {
      if (!spec.numeric) return true;
      if (numbered.has(spec.label)) return false;
      numbered.add(spec.label);
      return true;
    });
    const rows = unique.map((spec): InterruptRow => {
      const n = spec.countsKind === 'all' ? sorted.length : spec.countsKind === 'one' ? 1 : 0;
      const rowCounts: number[] = [];
      for (let i = 0; i < n; i++) rowCounts.push(counts.next().value as number);
      const occurrence = seen.get(spec.label) ?? 0;
      seen.set(spec.label, occurrence + 1);
      const row: InterruptRow = {
        label: spec.label,
        numeric: spec.numeric,
        occurrence,
        counts: rowCounts,
        total: rowCounts.reduce((a, b) => a + b, 0),
        tail: '',
        line: 0,
      };
      if (spec.numeric) Object.assign(row, spec.tail);
      else row.description = spec.description ?? '';
      return row;
    });
    return { cpus: sorted, rows, warnings: [] };
  });

// --- properties -------------------------------------------------------------------------------

describe('render → parse', () => {
  it('gives back the cpus, labels, counts and names of random snapshots', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const text = renderInterrupts(s);
        const back = parseInterrupts(text, { strict: true });
        assert.deepEqual(data(back), data(s));
        assert.deepEqual(back.warnings, []);
      }),
      { numRuns: 300 },
    );
  });

  it('reaches a fixed point: rendering the parse of a rendering gives the same text', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const text = renderInterrupts(s);
        assert.equal(renderInterrupts(parseInterrupts(text)), text);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips the extremes: one CPU with a large id, counts 0 and 2^32-1, glued IPI labels', () => {
    const s: Snapshot = {
      cpus: [4095],
      rows: [
        {
          label: '0',
          numeric: true,
          occurrence: 0,
          counts: [4294967295],
          total: 4294967295,
          tail: '',
          line: 0,
          actions: [],
        },
        {
          label: 'IPI0',
          numeric: false,
          occurrence: 0,
          counts: [4294967295],
          total: 4294967295,
          tail: '',
          line: 0,
          description: 'Rescheduling interrupts',
        },
        {
          label: 'FIQ',
          numeric: false,
          occurrence: 0,
          counts: [],
          total: 0,
          tail: '',
          line: 0,
          description: 'usb_fiq',
        },
      ],
      warnings: [],
    };
    const text = renderInterrupts(s);
    assert.match(text, /^IPI0:4294967295 {7}Rescheduling interrupts$/m);
    assert.deepEqual(data(parseInterrupts(text, { strict: true })), data(s));
  });
});

describe('parse → render → parse on the corpus', () => {
  const files = corpusNames();
  for (const f of files) {
    it(`is stable for ${f}`, () => {
      const first = parseInterrupts(readCorpus(f));
      const second = parseInterrupts(renderInterrupts(first), { strict: true });
      assert.deepEqual(data(second), data(first));
    });
  }
});

describe('kernel layout', () => {
  /** Dumps whose label width is the smallest the kernel would use for their IRQ numbers. */
  const exact = ['01', '02', '07', '09', '10', '12', '13', '17', '19', '26', '27', '28', '29', '30', '33'];
  const clean = (t: string): string[] =>
    t
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l !== '');
  for (const prefix of exact) {
    it(`renders fixture ${prefix} line for line as the kernel printed it (trailing blanks aside)`, () => {
      const name = corpusNames().find((f) => f.startsWith(`${prefix}-`));
      assert.ok(name);
      const source = clean(readCorpus(name));
      const rendered = clean(renderInterrupts(parseInterrupts(readCorpus(name))));
      // Header indentation is not reliable in pastes (fixture 29 lost a blank): compare its text.
      assert.equal(rendered[0]?.trim(), source[0]?.trim());
      assert.deepEqual(rendered.slice(1), source.slice(1));
    });
  }

  it('pads the header to prec+8 blanks and CPU names to 11 columns', () => {
    const text = renderInterrupts({
      cpus: [0, 7, 1000],
      rows: [
        {
          label: '1000',
          numeric: true,
          occurrence: 0,
          counts: [1, 2, 3],
          total: 6,
          tail: '',
          line: 0,
          actions: [],
        },
      ],
      warnings: [],
    });
    const [header, first] = text.split('\n');
    assert.equal(header, `${' '.repeat(12)}CPU0       CPU7       CPU1000    `);
    assert.equal(first, `1000:          1          2          3 `);
  });
});
