/** Edge cases of /proc/interrupts text: whitespace noise, strictness, odd rows, non-interrupts input. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import { throwsCode } from '../helpers/errors.ts';
import { findRow } from '../helpers/snapshots.ts';

const HEADER = '           CPU0       CPU1       ';
const BASIC = [
  HEADER,
  '  0:         18          0   IO-APIC   2-edge      timer',
  ' 16:     328511     322879   IO-APIC  16-fasteoi   ehci_hcd:usb1, mmc0',
  'NMI:         47       5031   Non-maskable interrupts',
  'ERR:          0',
];

/** The data of a snapshot without line numbers, to compare parses of differently laid-out text. */
function data(s: Snapshot): unknown {
  return {
    cpus: s.cpus,
    rows: s.rows.map(({ line: _line, ...rest }) => rest),
  };
}

describe('line endings and whitespace', () => {
  const reference = parseInterrupts(BASIC.join('\n'));

  it('reads CRLF line endings like LF', () => {
    const s = parseInterrupts(BASIC.join('\r\n'));
    assert.deepEqual(data(s), data(reference));
    assert.deepEqual(s.warnings, []);
    assert.equal(findRow(s, '16').actions?.at(-1), 'mmc0');
  });

  it('reads CR-only line endings', () => {
    const s = parseInterrupts(BASIC.join('\r'));
    assert.deepEqual(data(s), data(reference));
    assert.equal(findRow(s, 'NMI').line, 4);
  });

  it('reads doubled CRs from a serial console (\\r\\r\\n)', () => {
    const s = parseInterrupts(`${BASIC.join('\r\r\n')}\r\r\n`);
    assert.deepEqual(data(s), data(reference));
    assert.deepEqual(s.warnings, []);
  });

  it('ignores blank and whitespace-only lines but keeps original line numbers', () => {
    const text = ['', '   ', HEADER, '\t', BASIC[1], '', '  \t  ', BASIC[2], BASIC[3], BASIC[4], '   '].join(
      '\n',
    );
    const s = parseInterrupts(text);
    assert.deepEqual(data(s), data(reference));
    assert.equal(findRow(s, '0').line, 5);
    assert.equal(findRow(s, '16').line, 8);
    assert.deepEqual(s.warnings, []);
  });

  it('accepts a byte-order mark, tabs between fields and a header without trailing blanks', () => {
    const s = parseInterrupts(`\uFEFFCPU0\tCPU1\n0:\t18\t0\tIO-APIC 2-edge timer\n`);
    assert.deepEqual(s.cpus, [0, 1]);
    assert.deepEqual(findRow(s, '0').counts, [18, 0]);
    assert.equal(findRow(s, '0').hwirq, '2');
  });

  it('takes CPU ids from the header names, with gaps and any indentation', () => {
    const s = parseInterrupts(
      ['CPU0  CPU2      CPU9   ', '  5:  1  2  3   IO-APIC   5-edge   x', 'LOC:  7  8  9   Local timer'].join(
        '\n',
      ),
    );
    assert.deepEqual(s.cpus, [0, 2, 9]);
    assert.deepEqual(findRow(s, '5').counts, [1, 2, 3]);
    assert.equal(findRow(s, 'LOC').counts[s.cpus.indexOf(9)], 9);
  });
});

describe('counts', () => {
  it('keeps 4294967295 exactly and larger values without precision loss', () => {
    const s = parseInterrupts(
      [
        HEADER,
        '  1: 4294967295 4294967295   IO-APIC   1-edge      i8042',
        'RES: 4294967296 9007199254740991   Rescheduling interrupts',
      ].join('\n'),
    );
    assert.deepEqual(findRow(s, '1').counts, [4294967295, 4294967295]);
    assert.equal(findRow(s, '1').total, 8589934590);
    assert.deepEqual(findRow(s, 'RES').counts, [4294967296, 9007199254740991]);
  });

  it('reads a count glued to its label (IPI0:2768808080)', () => {
    const s = parseInterrupts(
      [HEADER, 'IPI0:2768808080 2844211768       Rescheduling interrupts'].join('\n'),
    );
    assert.deepEqual(findRow(s, 'IPI0').counts, [2768808080, 2844211768]);
    assert.equal(findRow(s, 'IPI0').description, 'Rescheduling interrupts');
  });

  it('reads single-count ERR/MIS/Err rows and count-less FIQ rows without warnings', () => {
    const s = parseInterrupts(
      [HEADER, 'FIQ:              usb_fiq', 'ERR:          3', 'MIS:          0', 'Err:           0'].join(
        '\n',
      ),
    );
    assert.deepEqual(findRow(s, 'FIQ').counts, []);
    assert.equal(findRow(s, 'FIQ').description, 'usb_fiq');
    assert.deepEqual(findRow(s, 'ERR').counts, [3]);
    assert.equal(findRow(s, 'ERR').total, 3);
    assert.deepEqual(findRow(s, 'Err').counts, [0]);
    assert.deepEqual(s.warnings, []);
  });

  it('does not take digit tokens of the tail as counts', () => {
    const s = parseInterrupts(['CPU0', '  5:   41826  RISC-V INTC   5 Edge      riscv-timer'].join('\n'));
    assert.deepEqual(findRow(s, '5').counts, [41826]);
    assert.equal(findRow(s, '5').hwirq, '5');
  });

  it('tolerates a chip name glued to the last count (linux-next 1900GIC-0)', () => {
    const s = parseInterrupts(
      ['CPU0       CPU1', ' 11:       2345       1900GIC-0  27 Level     arch_timer'].join('\n'),
    );
    const r = findRow(s, '11');
    assert.deepEqual(r.counts, [2345, 1900]);
    assert.equal(r.chip, 'GIC-0');
    assert.equal(r.hwirq, '27');
    assert.equal(r.trigger, 'Level');
    assert.deepEqual(r.actions, ['arch_timer']);
    assert.deepEqual(s.warnings, []);
  });
});

describe('names and chips', () => {
  it('keeps names with colons, commas and blanks; splits shared handlers on ", "', () => {
    const s = parseInterrupts(
      [
        HEADER,
        '141:          0        100  IR-PCI-MSI 333824-edge      iwlwifi: default queue',
        '123:          0          0  IR-PCI-MSI 466944-edge      PCIe PME, pciehp',
        ' 60:          1          2  IR-PCI-MSI 466945-edge      a,b, c:d e',
        '  1:          0          0  SiFive PLIC 412 Level     1004b800.serial:rx err',
        'CMS:          0          0   [EXT] CPU-Measurement: Sampling',
      ].join('\n'),
    );
    assert.deepEqual(findRow(s, '141').actions, ['iwlwifi: default queue']);
    assert.deepEqual(findRow(s, '123').actions, ['PCIe PME', 'pciehp']);
    assert.deepEqual(findRow(s, '60').actions, ['a,b', 'c:d e']);
    assert.equal(findRow(s, '1').chip, 'SiFive PLIC');
    assert.deepEqual(findRow(s, '1').actions, ['1004b800.serial:rx err']);
    assert.equal(findRow(s, 'CMS').description, '[EXT] CPU-Measurement: Sampling');
  });

  it('reads rows with no device name and rows with no tail at all', () => {
    const s = parseInterrupts(
      [
        HEADER,
        '  3:          0          1   IO-APIC-edge    ',
        ' 30:        100         22  IR-PCI-MSI 524288-edge',
        ' 31:          5          6',
      ].join('\n'),
    );
    assert.deepEqual(findRow(s, '3').actions, []);
    assert.equal(findRow(s, '3').chip, 'IO-APIC');
    assert.equal(findRow(s, '3').flow, 'edge');
    assert.deepEqual(findRow(s, '30').actions, []);
    assert.equal(findRow(s, '30').hwirq, '524288');
    const r31 = findRow(s, '31');
    assert.deepEqual(r31.counts, [5, 6]);
    assert.equal(r31.tail, '');
    assert.equal(r31.chip, undefined);
    assert.deepEqual(r31.actions, []);
    assert.deepEqual(s.warnings, []);
  });

  it('splits the old glued chip-flow forms', () => {
    const cases: [string, string, string][] = [
      ['IO-APIC-edge', 'IO-APIC', 'edge'],
      ['IO-APIC-fasteoi', 'IO-APIC', 'fasteoi'],
      ['IO-APIC-level', 'IO-APIC', 'level'],
      ['PCI-MSI-edge', 'PCI-MSI', 'edge'],
      ['IR-PCI-MSI-edge', 'IR-PCI-MSI', 'edge'],
      ['DMAR_MSI-edge', 'DMAR_MSI', 'edge'],
      ['local-APIC-edge', 'local-APIC', 'edge'],
      ['<NULL>-edge', '<NULL>', 'edge'],
      ['PCI-MSI-<NULL>', 'PCI-MSI', '<NULL>'],
      ['xen-pirq-ioapic-edge', 'xen-pirq', 'ioapic-edge'],
      ['xen-pirq-ioapic-level', 'xen-pirq', 'ioapic-level'],
      ['xen-percpu-virq', 'xen-percpu', 'virq'],
      ['xen-dyn-event', 'xen-dyn', 'event'],
    ];
    const text = [
      HEADER,
      ...cases.map(([t], i) => `${String(i).padStart(3)}:          1          2   ${t}      dev${i}`),
    ];
    const s = parseInterrupts(text.join('\n'));
    cases.forEach(([t, chip, flow], i) => {
      const r = findRow(s, String(i));
      assert.equal(r.chip, chip, t);
      assert.equal(r.flow, flow, t);
      assert.equal(r.hwirq, undefined, t);
      assert.deepEqual(r.actions, [`dev${i}`], t);
    });
  });

  it('reads a flow handler printed after Level/Edge, glued or as its own token', () => {
    const s = parseInterrupts(
      [
        'CPU0',
        ' 11:          5     GICv3  27 Level   -fasteoi  arch_timer',
        ' 12:          6     GICv3  28 Edge-edge  foo',
      ].join('\n'),
    );
    assert.equal(findRow(s, '11').trigger, 'Level');
    assert.equal(findRow(s, '11').flow, 'fasteoi');
    assert.deepEqual(findRow(s, '11').actions, ['arch_timer']);
    assert.equal(findRow(s, '12').trigger, 'Edge');
    assert.equal(findRow(s, '12').flow, 'edge');
    assert.deepEqual(findRow(s, '12').actions, ['foo']);
  });

  it('keeps plain chips without hwirq or flow (s390, old ARM)', () => {
    const s = parseInterrupts(
      [
        'CPU0',
        '  3:          6   PCI-MSI  mlx5_async@pci:0002:00:00.0',
        ' 16:          0   ARMCTRL  bcm2708_fb dma',
      ].join('\n'),
    );
    assert.equal(findRow(s, '3').chip, 'PCI-MSI');
    assert.equal(findRow(s, '3').flow, undefined);
    assert.deepEqual(findRow(s, '3').actions, ['mlx5_async@pci:0002:00:00.0']);
    assert.equal(findRow(s, '16').chip, 'ARMCTRL');
    assert.deepEqual(findRow(s, '16').actions, ['bcm2708_fb dma']);
  });

  it('numbers repeated labels with occurrence', () => {
    const s = parseInterrupts(
      [
        'CPU0',
        'LOC:       2236   Local timer interrupts for timer event device',
        'LOC:          0   Local timer interrupts for others',
      ].join('\n'),
    );
    assert.equal(findRow(s, 'LOC', 0).counts[0], 2236);
    assert.equal(findRow(s, 'LOC', 1).description, 'Local timer interrupts for others');
  });
});

describe('line wrapping', () => {
  it('joins a row wrapped inside its counts even when the header is not wrapped', () => {
    const s = parseInterrupts(
      [
        '           CPU0       CPU1       CPU2       CPU3',
        ' 10:        103        116',
        '        58        214   GICv3  27 Level     arch_timer',
        'IPI0:         4          9         12',
        '        6  Rescheduling interrupts',
      ].join('\n'),
    );
    assert.deepEqual(findRow(s, '10').counts, [103, 116, 58, 214]);
    assert.equal(findRow(s, '10').line, 2);
    assert.deepEqual(findRow(s, '10').actions, ['arch_timer']);
    assert.deepEqual(findRow(s, 'IPI0').counts, [4, 9, 12, 6]);
    assert.equal(findRow(s, 'IPI0').description, 'Rescheduling interrupts');
    assert.deepEqual(s.warnings, []);
  });

  it('joins a wrapped header and appends wrapped names to the row above', () => {
    const s = parseInterrupts(
      [
        '           CPU0       CPU1',
        '      CPU2',
        ' 15:          0          0',
        '         7  APLIC-MSI-d000000.aplic  11 Level',
        '101000.rtc',
        ' 16:          1          2          3  IR-PCI-MSI 333824-edge  iwlwifi:',
        'default queue',
      ].join('\n'),
    );
    assert.deepEqual(s.cpus, [0, 1, 2]);
    assert.deepEqual(findRow(s, '15').counts, [0, 0, 7]);
    assert.deepEqual(findRow(s, '15').actions, ['101000.rtc']);
    assert.deepEqual(findRow(s, '16').actions, ['iwlwifi: default queue']);
    assert.deepEqual(s.warnings, []);
  });
});

describe('lenient mode warnings', () => {
  it('warns about a line it cannot understand, with its line number, and keeps the rest', () => {
    const text = [HEADER, BASIC[1], 'this is not a row', BASIC[2], 'ACPI:Ged', BASIC[3]].join('\n');
    const s = parseInterrupts(text);
    assert.deepEqual(
      s.rows.map((r) => r.label),
      ['0', '16', 'NMI'],
    );
    assert.deepEqual(
      s.warnings.map((w) => [w.line, w.text]),
      [
        [3, 'this is not a row'],
        [5, 'ACPI:Ged'],
      ],
    );
  });

  it('keeps a numeric row with fewer counts than CPUs and warns', () => {
    const s = parseInterrupts(
      ['CPU0 CPU1 CPU2', 'NMI: 1 2 3  x', '  7:          5          6   IO-APIC   7-edge  lp'].join('\n'),
    );
    const r = findRow(s, '7');
    assert.deepEqual(r.counts, [5, 6]);
    assert.equal(r.total, 11);
    assert.equal(r.chip, 'IO-APIC');
    assert.equal(s.warnings.length, 1);
    assert.equal(s.warnings[0]?.line, 3);
    assert.match(s.warnings[0]?.message ?? '', /2 counts .* 3 CPUs/);
  });

  it('drops a numeric row with no counts and warns', () => {
    const s = parseInterrupts([HEADER, '  9:   IO-APIC   9-fasteoi   acpi', BASIC[3]].join('\n'));
    assert.equal(
      s.rows.find((r) => r.label === '9'),
      undefined,
    );
    assert.equal(s.warnings[0]?.line, 2);
  });

  it('warns when a row has more counts than the header has CPUs', () => {
    const s = parseInterrupts(['CPU0', '  4:  1  2   IO-APIC   4-edge   ttyS0'].join('\n'));
    assert.deepEqual(findRow(s, '4').counts, [1]);
    assert.equal(s.warnings.length, 1);
    assert.equal(s.warnings[0]?.line, 2);
  });

  it('warns about text before the header, a repeated header and duplicate CPU ids', () => {
    const s = parseInterrupts(
      ['$ cat /proc/interrupts', 'CPU0 CPU0', '  1:  1  2  x', 'CPU0 CPU0'].join('\n'),
    );
    assert.deepEqual(
      s.warnings.map((w) => w.line),
      [1, 2, 4],
    );
    assert.deepEqual(findRow(s, '1').counts, [1, 2]);
  });

  it('cuts long offending lines in warnings', () => {
    const s = parseInterrupts([HEADER, `garbage ${'x'.repeat(500)}`].join('\n'));
    assert.ok((s.warnings[0]?.text.length ?? 0) <= 120);
  });
});

describe('strict mode', () => {
  it('throws IRQ_ERR_PARSE with the line number of a line it cannot understand', () => {
    const text = [HEADER, BASIC[1], '', 'this is not a row', BASIC[2]].join('\n');
    const e = throwsCode(() => parseInterrupts(text, { strict: true }), 'IRQ_ERR_PARSE');
    assert.match(e.message, /line 4/);
    assert.equal(e.details?.line, 4);
    assert.equal(e.details?.text, 'this is not a row');
  });

  it('throws on a numeric row with fewer counts than CPUs', () => {
    const e = throwsCode(
      () =>
        parseInterrupts([HEADER, BASIC[1], '  7:          5   IO-APIC   7-edge  lp'].join('\n'), {
          strict: true,
        }),
      'IRQ_ERR_PARSE',
    );
    assert.equal(e.details?.line, 3);
    assert.match(e.message, /^line 3: /);
  });

  it('throws on text before the header', () => {
    const e = throwsCode(
      () => parseInterrupts(['hello', ...BASIC].join('\n'), { strict: true }),
      'IRQ_ERR_PARSE',
    );
    assert.equal(e.details?.line, 1);
  });

  it('accepts clean input, wrapped input and single-count rows', () => {
    const s = parseInterrupts(BASIC.join('\n'), { strict: true });
    assert.equal(s.rows.length, 4);
    const w = parseInterrupts(
      ['CPU0 CPU1', '  1:  5', '  6  IO-APIC-edge  i8042', 'FIQ:   usb_fiq'].join('\n'),
      {
        strict: true,
      },
    );
    assert.deepEqual(findRow(w, '1').counts, [5, 6]);
  });
});

describe('input that is not /proc/interrupts', () => {
  const inputs: [string, string][] = [
    ['an empty string', ''],
    ['whitespace only', '  \n\t\n\r\n'],
    ['JSON', '{"cpus": [0, 1], "rows": []}\n'],
    ['/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n'],
    ['rows without a header', '  0:         18          0   IO-APIC   2-edge      timer\n'],
    [
      '/proc/stat',
      'cpu  10132153 290696 3084719 46828483\ncpu0 1393280 32966 572056 13343292\nintr 114930548 113199788 3\n',
    ],
  ];
  for (const [what, text] of inputs) {
    it(`rejects ${what} with IRQ_ERR_NOT_INTERRUPTS`, () => {
      const e = throwsCode(() => parseInterrupts(text), 'IRQ_ERR_NOT_INTERRUPTS');
      assert.match(e.message, /not \/proc\/interrupts/);
      throwsCode(() => parseInterrupts(text, { strict: true }), 'IRQ_ERR_NOT_INTERRUPTS');
    });
  }

  it('accepts a header with no rows', () => {
    const s = parseInterrupts('           CPU0       CPU1\n');
    assert.deepEqual(s.cpus, [0, 1]);
    assert.deepEqual(s.rows, []);
  });
});

describe('rows that are damaged: the warning says what is wrong', () => {
  const file = (row: string): string =>
    [HEADER, '  0:         18          0   IO-APIC   2-edge      timer', row].join('\n');

  for (const [value, why] of [
    ['-5', 'negative'],
    ['1.5', 'not a whole number'],
    ['12345678901234567890', 'above 2^53'],
    ['2e3', 'not a whole number'],
  ] as const) {
    it(`a first count of ${value}: "${why}", and the row is skipped (or, under strict, the parse fails without saying skipped)`, () => {
      const s = parseInterrupts(file(` 24:   ${value}   7   PCI-MSI 1-edge   eth0`));
      assert.equal(
        s.rows.find((r) => r.label === '24'),
        undefined,
      );
      const w = s.warnings.find((x) => x.line === 3);
      assert.ok(w, JSON.stringify(s.warnings));
      assert.match(
        w.message,
        new RegExp(
          `^IRQ 24: "${value.replace(/[.^+]/g, '\\$&')}" is not a count \\(${why.replace(/\^/g, '\\^')}`,
        ),
      );
      assert.match(w.message, /; row skipped$/);
      throwsCode(
        () => parseInterrupts(file(` 24:   ${value}   7   PCI-MSI 1-edge   eth0`), { strict: true }),
        'IRQ_ERR_PARSE',
      );
      try {
        parseInterrupts(file(` 24:   ${value}   7   PCI-MSI 1-edge   eth0`), { strict: true });
      } catch (e) {
        assert.doesNotMatch((e as Error).message, /skipped/);
        assert.match((e as Error).message, /^line 3: IRQ 24: ".*" is not a count/);
      }
    });
  }

  it('a bad value after good ones names its position and what is kept', () => {
    const s = parseInterrupts(file(' 24:   5   -7   PCI-MSI 1-edge   eth0'));
    assert.deepEqual(findRow(s, '24')?.counts, [5]);
    assert.match(
      s.warnings.find((w) => w.line === 3)?.message ?? '',
      /^IRQ 24: value 2 of 2: "-7" is not a count \(negative; .*\); the 1 before it are kept/,
    );
  });

  it('a second row for the same IRQ is reported, and the first is the one used', () => {
    const s = parseInterrupts(file(' 0:    99    99   IO-APIC   2-edge      timer'));
    assert.equal(findRow(s, '0')?.total, 18);
    assert.match(
      s.warnings[0]?.message ?? '',
      /^IRQ 0 appears again \(first on line 2\); only its first row is used$/,
    );
    throwsCode(
      () => parseInterrupts(file(' 0:    99    99   IO-APIC   2-edge      timer'), { strict: true }),
      'IRQ_ERR_PARSE',
    );
  });
});
