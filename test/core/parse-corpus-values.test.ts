/**
 * Every corpus dump parses, and values read by hand from each file come out right.
 * Expected numbers were read from the fixture text (column k of a row = k-th CPUn of the header).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import { corpusNames, readCorpus, seedFile } from '../helpers/paths.ts';
import { findRow } from '../helpers/snapshots.ts';

const cache = new Map<string, Snapshot>();

/** Parses corpus file `NN-…` (by its number prefix), once per run. */
function fixture(prefix: string): Snapshot {
  const hit = cache.get(prefix);
  if (hit) return hit;
  const name = corpusNames().find((f) => f.startsWith(`${prefix}-`));
  assert.ok(name, `no corpus file starts with ${prefix}-`);
  const s = parseInterrupts(readCorpus(name));
  cache.set(prefix, s);
  return s;
}

/** The count of row `label` on CPU id `cpu` (looked up through the header, not by position). */
function count(s: Snapshot, label: string, cpu: number, occurrence = 0): number | undefined {
  const col = s.cpus.indexOf(cpu);
  assert.ok(col >= 0, `CPU${cpu} is not in the header`);
  return findRow(s, label, occurrence).counts[col];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describe('every corpus file', () => {
  const files = corpusNames();

  it('has the 36 dumps listed in MANIFEST.md', () => {
    assert.equal(files.length, 36);
    const manifest = readCorpus('MANIFEST.md');
    for (const f of files) assert.ok(manifest.includes(`\`${f}\``), `${f} is not in MANIFEST.md`);
  });

  it('unpacks the gzipped 1,152-CPU dump to the bytes MANIFEST.md names', () => {
    const text = readCorpus('21-x86-1152cpu-i40e-smartpqi-pcp.txt');
    assert.equal(text.length, 13_423_951);
    assert.match(createHash('sha256').update(text).digest('hex'), /^02adcc552416ac64/);
  });

  for (const f of files) {
    it(`parses ${f} without error or warning`, () => {
      const s = parseInterrupts(readCorpus(f));
      assert.ok(s.cpus.length > 0);
      assert.ok(s.rows.length > 0);
      assert.deepEqual(s.warnings, []);
      for (const r of s.rows) {
        assert.equal(
          r.total,
          r.counts.reduce((a, b) => a + b, 0),
        );
        if (r.numeric) assert.equal(r.counts.length, s.cpus.length, `IRQ ${r.label} in ${f}`);
      }
    });
  }
});

describe('corpus values', () => {
  it('01 old x86 combined chip-flow', () => {
    const s = fixture('01');
    assert.deepEqual(s.cpus, [0, 1, 2, 3]);
    assert.equal(count(s, '46', 0), 43078464);
    assert.equal(count(s, 'LOC', 3), 130980079);
    const r16 = findRow(s, '16');
    assert.equal(r16.chip, 'IR-IO-APIC');
    assert.equal(r16.flow, 'fasteoi');
    assert.equal(r16.hwirq, undefined);
    assert.deepEqual(r16.actions, ['ehci_hcd:usb1', 'mmc0']);
    assert.equal(findRow(s, '40').chip, 'DMAR_MSI');
    assert.deepEqual(findRow(s, 'ERR').counts, [0]);
    assert.deepEqual(findRow(s, 'MIS').counts, [0]);
    assert.equal(findRow(s, 'NMI').description, 'Non-maskable interrupts');
  });

  it('02 x86 2.6.28: rows without a device name, MSI IRQs 506/507', () => {
    const s = fixture('02');
    assert.equal(count(s, '19', 2), 307975134);
    assert.deepEqual(findRow(s, '19').actions, ['ahci', 'uhci_hcd:usb3']);
    const r506 = findRow(s, '506');
    assert.equal(count(s, '506', 1), 505130682);
    assert.equal(r506.chip, 'PCI-MSI');
    assert.equal(r506.flow, 'edge');
    assert.deepEqual(r506.actions, ['eth1']);
    const r3 = findRow(s, '3');
    assert.deepEqual(r3.counts, [0, 1, 1, 1]);
    assert.equal(r3.chip, 'IO-APIC');
    assert.deepEqual(r3.actions, []);
    // Old order: SPU comes after THR.
    const labels = s.rows.map((r) => r.label);
    assert.ok(labels.indexOf('SPU') > labels.indexOf('THR'));
  });

  it('03 x86 2.6.18: <NULL> chip, IRQ 4348 wider than the label', () => {
    const s = fixture('03');
    const r0 = findRow(s, '0');
    assert.equal(r0.chip, '<NULL>');
    assert.equal(r0.flow, 'edge');
    assert.deepEqual(r0.actions, ['timer']);
    const r4348 = findRow(s, '4348');
    assert.deepEqual(r4348.counts, [188, 0]);
    assert.equal(r4348.chip, 'PCI-MSI');
    assert.equal(r4348.flow, '<NULL>');
    assert.deepEqual(r4348.actions, ['HDA Intel']);
    assert.deepEqual(findRow(s, 'NMI').counts, [89, 59]);
    assert.equal(findRow(s, 'NMI').description, '');
  });

  it('04 x86 2.6.18: local-APIC-edge, IO-APIC-level', () => {
    const s = fixture('04');
    assert.equal(findRow(s, '0').chip, 'local-APIC');
    assert.equal(count(s, '0', 0), 489283);
    const r217 = findRow(s, '217');
    assert.equal(r217.chip, 'IO-APIC');
    assert.equal(r217.flow, 'level');
    assert.deepEqual(r217.actions, ['libata', 'HDA Intel']);
    assert.deepEqual(findRow(s, 'ERR').counts, [1]);
  });

  it('05 48-CPU Opteron: PND row, nameless row', () => {
    const s = fixture('05');
    assert.deepEqual(s.cpus, range(48));
    assert.equal(count(s, '23', 0), 40805327);
    assert.deepEqual(findRow(s, '23').actions, ['ehci_hcd:usb1', 'eth0']);
    assert.equal(count(s, '18', 6), 181637);
    assert.equal(count(s, 'LOC', 47), 370721614);
    assert.deepEqual(findRow(s, '17').actions, []);
    assert.equal(findRow(s, '17').flow, 'fasteoi');
    assert.equal(findRow(s, 'PND').description, 'Performance pending work');
    assert.deepEqual(findRow(s, 'ERR').counts, [1]);
  });

  it('06 80-CPU Westmere-EX: 80 columns, repeated names', () => {
    const s = fixture('06');
    assert.deepEqual(s.cpus, range(80));
    assert.equal(count(s, '113', 40), 14585059);
    assert.deepEqual(findRow(s, '113').actions, ['eth1-TxRx-0']);
    assert.equal(count(s, '119', 39), 8502071);
    assert.equal(count(s, 'LOC', 79), 67246334);
    assert.deepEqual(findRow(s, '3').actions, []);
    assert.equal(s.rows.filter((r) => r.actions?.[0] === 'PCIe PME').length, 14);
  });

  it('07 Xen guest (trimmed): HYP row, one CPU', () => {
    const s = fixture('07');
    assert.deepEqual(s.cpus, [0]);
    assert.deepEqual(findRow(s, '6').counts, [3]);
    assert.deepEqual(findRow(s, '6').actions, ['floppy']);
    assert.equal(findRow(s, 'HYP').description, 'Hypervisor callback interrupts');
    assert.equal(s.rows.length, 9);
  });

  it('08 Xen HVM guest: near-wrap counters, xen chips', () => {
    const s = fixture('08');
    assert.equal(count(s, 'CAL', 3), 4287268137);
    assert.equal(count(s, 'RES', 6), 4269631923);
    assert.equal(count(s, '101', 6), 4269631923);
    const r101 = findRow(s, '101');
    assert.equal(r101.chip, 'xen-percpu');
    assert.equal(r101.flow, 'ipi');
    assert.deepEqual(r101.actions, ['resched6']);
    const r1 = findRow(s, '1');
    assert.equal(r1.chip, 'xen-pirq');
    assert.equal(r1.flow, 'ioapic-edge');
    assert.equal(count(s, '113', 7), 516134858);
    assert.equal(findRow(s, '113').chip, 'xen-dyn');
    assert.deepEqual(findRow(s, 'LOC').counts, [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('09 KVM guest: blank line between MIS and PIN, new hwirq-flow layout', () => {
    const s = fixture('09');
    const r29 = findRow(s, '29');
    assert.deepEqual(r29.counts, [1362, 0, 0, 934]);
    assert.equal(r29.chip, 'PCI-MSI');
    assert.equal(r29.hwirq, '512000');
    assert.equal(r29.flow, 'edge');
    assert.deepEqual(r29.actions, ['ahci[0000:00:1f.2]']);
    assert.equal(findRow(s, '0').hwirq, '2');
    assert.equal(findRow(s, 'PIN').description, 'Posted-interrupt notification event');
    assert.equal(findRow(s, 'PIW').line, 49);
  });

  it('10 KVM guest: counts near 2^32', () => {
    const s = fixture('10');
    assert.equal(count(s, '31', 3), 4190886484);
    assert.equal(count(s, '27', 1), 4144949287);
    assert.equal(count(s, '25', 0), 4131689481);
    assert.equal(count(s, 'TLB', 0), 2753255200);
    assert.equal(findRow(s, 'RES').total, 2600169899 + 2343963441 + 2793621767 + 2514477966);
  });

  it('11 i686 one CPU, 13-blank header indent', () => {
    const s = fixture('11');
    assert.deepEqual(s.cpus, [0]);
    assert.deepEqual(findRow(s, '11').counts, [307009]);
    assert.deepEqual(findRow(s, '11').actions, ['uhci_hcd:usb1', 'ens3']);
    assert.deepEqual(findRow(s, '10').actions, ['virtio0', 'qxl']);
    assert.deepEqual(findRow(s, 'LOC').counts, [6651207]);
    assert.equal(findRow(s, 'HVS').description, 'Hyper-V stimer0 interrupts');
  });

  it('12 laptop: device name that is a PCI address', () => {
    const s = fixture('12');
    const r27 = findRow(s, '27');
    assert.equal(r27.chip, 'IR-PCI-MSI');
    assert.equal(r27.hwirq, '512000');
    assert.deepEqual(r27.actions, ['0000:00:1f.2']);
    assert.equal(count(s, '27', 0), 836947);
    assert.equal(count(s, 'LOC', 6), 18002503);
    assert.equal(findRow(s, '24').chip, 'DMAR-MSI');
  });

  it('13 laptop: IRQ 30 has no device name', () => {
    const s = fixture('13');
    const r30 = findRow(s, '30');
    assert.deepEqual(r30.counts, [100, 22, 12, 19, 16, 6, 10, 5]);
    assert.equal(r30.chip, 'IR-PCI-MSI');
    assert.equal(r30.hwirq, '524288');
    assert.equal(r30.flow, 'edge');
    assert.deepEqual(r30.actions, []);
    assert.equal(count(s, '28', 0), 2524672);
  });

  it('14 laptop prec 4: names with colons and spaces, 8-digit hwirq', () => {
    const s = fixture('14');
    assert.equal(findRow(s, 'NMI').label, 'NMI');
    assert.deepEqual(findRow(s, '141').actions, ['iwlwifi: default queue']);
    assert.equal(count(s, '141', 4), 137);
    assert.deepEqual(findRow(s, '123').actions, ['PCIe PME', 'pciehp']);
    assert.equal(findRow(s, '131').hwirq, '57147392');
    assert.deepEqual(findRow(s, '14').actions, ['INT34BB:00']);
    assert.equal(count(s, 'IWI', 4), 29835);
  });

  it('15 laptop: chips without a flow name (dummy, rmi4)', () => {
    const s = fixture('15');
    const r137 = findRow(s, '137');
    assert.equal(r137.chip, 'dummy');
    assert.equal(r137.hwirq, '44');
    assert.equal(r137.flow, undefined);
    assert.deepEqual(r137.actions, ['rmi4_smbus']);
    assert.equal(count(s, '137', 2), 45197);
    assert.equal(count(s, '133', 6), 84225383);
    assert.deepEqual(findRow(s, '16').actions, ['i2c_designware.0', 'idma64.0', 'i801_smbus']);
  });

  it('16 32-CPU Broadwell-EP 4.13', () => {
    const s = fixture('16');
    assert.deepEqual(s.cpus, range(32));
    assert.equal(count(s, '52', 0), 7493);
    assert.equal(findRow(s, '52').hwirq, '1572864');
    assert.deepEqual(findRow(s, '52').actions, ['hpsa0-msix0']);
    assert.deepEqual(findRow(s, '113').actions, ['ib_qib0 (sdmaI 0)']);
    assert.equal(count(s, '64', 20), 1981);
    assert.equal(count(s, 'LOC', 31), 37272);
  });

  it('17 AWS EC2: ENA and NVMe queues', () => {
    const s = fixture('17');
    assert.equal(count(s, '28', 3), 35400719);
    assert.deepEqual(findRow(s, '27').actions, ['ena-mgmnt@pci:0000:00:05.0']);
    assert.equal(findRow(s, '27').hwirq, '81920');
    assert.deepEqual(findRow(s, '29').counts, [10714, 35863379, 1330827, 0]);
  });

  it('18 Hyper-V guest: HYP and HVS busy, LOC zero', () => {
    const s = fixture('18');
    assert.deepEqual(findRow(s, 'HYP').counts, [303764679]);
    assert.deepEqual(findRow(s, 'HVS').counts, [826460279]);
    assert.deepEqual(findRow(s, 'LOC').counts, [0]);
    assert.deepEqual(findRow(s, '4').counts, [6042775]);
  });

  it('19 offline CPU6: ids come from the header', () => {
    const s = fixture('19');
    assert.deepEqual(s.cpus, [0, 1, 2, 3, 4, 5, 7]);
    assert.equal(count(s, '19', 4), 181938);
    assert.equal(count(s, 'LOC', 7), 12540126);
    assert.equal(count(s, 'LOC', 5), 11213289);
    assert.equal(count(s, 'NMI', 7), 137);
    assert.equal(findRow(s, 'LOC').counts.length, 7);
  });

  it('20 40-CPU server: per-device MSI domain chip names', () => {
    const s = fixture('20');
    assert.deepEqual(s.cpus, range(40));
    const r57 = findRow(s, '57');
    assert.equal(r57.chip, 'IR-PCI-MSIX-0000:23:00.0');
    assert.equal(r57.hwirq, '20');
    assert.equal(r57.flow, 'edge');
    assert.deepEqual(r57.actions, ['megasas0-msix20']);
    assert.equal(count(s, '57', 39), 170965);
    assert.deepEqual(findRow(s, '25').actions, ['PCIe PME', 'aerdrv']);
    assert.equal(findRow(s, '25').chip, 'IR-PCI-MSI-0000:00:01.0');
    assert.equal(count(s, 'LOC', 0), 238328612);
  });

  it('21 1152 CPUs', () => {
    const s = fixture('21');
    assert.deepEqual(s.cpus, range(1152));
    assert.equal(s.rows.length, 1056);
    assert.equal(s.rows.filter((r) => r.numeric).length, 1034);
    assert.equal(count(s, '0', 0), 844);
    assert.equal(count(s, '36', 584), 69868);
    assert.equal(findRow(s, '36').hwirq, '67633152');
    assert.equal(count(s, 'LOC', 0), 6342723);
    assert.equal(count(s, 'LOC', 1000), 295636);
    assert.equal(count(s, 'LOC', 1151), 425311);
    assert.equal(count(s, 'RES', 1151), 4910);
    const last = findRow(s, '1160');
    assert.equal(last.hwirq, '102242399');
    assert.deepEqual(last.actions, ['i40e-0000:c3:00.3:fdir-TxRx-0']);
    assert.equal(last.counts.length, 1152);
    assert.deepEqual(findRow(s, 'ERR').counts, [0]);
  });

  it('22 Raspberry Pi 1: ARMCTRL without hwirq, nameless rows, FIQ without counts', () => {
    const s = fixture('22');
    const r3 = findRow(s, '3');
    assert.deepEqual(r3.counts, [119269]);
    assert.equal(r3.chip, 'ARMCTRL');
    assert.equal(r3.hwirq, undefined);
    assert.deepEqual(r3.actions, ['BCM2708 Timer Tick']);
    assert.deepEqual(findRow(s, '75').actions, []);
    assert.deepEqual(findRow(s, '77').actions, ['bcm2708_sdhci (dma)']);
    const fiq = findRow(s, 'FIQ');
    assert.deepEqual(fiq.counts, []);
    assert.equal(fiq.total, 0);
    assert.equal(fiq.description, 'usb_fiq');
    assert.deepEqual(findRow(s, 'Err').counts, [0]);
  });

  it('23 Raspberry Pi 3: FIQ with a leading blank, ARM32 IPI names', () => {
    const s = fixture('23');
    assert.deepEqual(s.cpus, [0, 1, 2, 3]);
    assert.deepEqual(findRow(s, '17').counts, [127224250, 118424219, 127224437, 117885416]);
    assert.equal(findRow(s, '23').chip, 'ARMCTRL-level');
    assert.equal(findRow(s, '23').hwirq, '1');
    assert.equal(findRow(s, '23').trigger, 'Edge');
    assert.equal(count(s, '62', 0), 521451447);
    assert.deepEqual(findRow(s, 'FIQ').counts, []);
    assert.equal(findRow(s, 'FIQ').description, 'usb_fiq');
    assert.equal(findRow(s, 'IPI6').description, 'completion interrupts');
  });

  it('24 Armada 385: chip named after a device, MPIC', () => {
    const s = fixture('24');
    const r47 = findRow(s, '47');
    assert.equal(r47.chip, 'f1018100.gpio');
    assert.equal(r47.hwirq, '24');
    assert.equal(r47.trigger, 'Edge');
    assert.deepEqual(r47.actions, ['gpio-keys']);
    assert.equal(count(s, '49', 1), 22168991);
    assert.equal(findRow(s, '19').chip, 'MPIC');
    assert.deepEqual(findRow(s, 'Err').counts, [0]);
  });

  it('25 IPQ806x: 9-digit hwirq, name with parentheses', () => {
    const s = fixture('25');
    assert.equal(findRow(s, '47').hwirq, '134742016');
    assert.equal(count(s, '47', 0), 16305129);
    assert.deepEqual(findRow(s, '34').actions, ['mmci-pl18x (cmd)']);
    assert.equal(count(s, 'IPI3', 1), 17065108);
  });

  it('26 Raspberry Pi 4: chip name with blanks', () => {
    const s = fixture('26');
    const r39 = findRow(s, '39');
    assert.equal(r39.chip, 'BRCM STB PCIe MSI');
    assert.equal(r39.hwirq, '524288');
    assert.equal(r39.trigger, 'Edge');
    assert.deepEqual(r39.actions, ['xhci_hcd']);
    assert.equal(count(s, '39', 0), 30845207);
    assert.deepEqual(findRow(s, '25').actions, ['mmc1', 'mmc0']);
    assert.equal(findRow(s, 'IPI3').description, 'CPU stop (for crash dump) interrupts');
  });

  it('27 MediaTek: three-digit IRQ at column 0', () => {
    const s = fixture('27');
    assert.equal(findRow(s, '116').hwirq, '155');
    assert.equal(count(s, '133', 0), 173634407);
    assert.deepEqual(findRow(s, '61').actions, ['mdio-bus:01']);
    assert.equal(count(s, 'IPI1', 3), 89129681);
  });

  it('28 RK3399: partitioned PPI chip, names with blanks', () => {
    const s = fixture('28');
    assert.equal(count(s, '87', 5), 1156859750);
    assert.equal(findRow(s, '87').chip, 'ITS-MSI');
    assert.equal(findRow(s, '26').chip, 'GICv3-23');
    assert.equal(findRow(s, '26').trigger, 'Level');
    assert.deepEqual(findRow(s, '82').actions, ['fe320000.mmc cd']);
    assert.deepEqual(findRow(s, '78').actions, ['RTC alarm']);
  });

  it('29 Graviton: IPI0 glued to a 10-digit count, whitespace-only last line', () => {
    const s = fixture('29');
    assert.deepEqual(
      findRow(s, 'IPI0').counts,
      [2768808080, 2844211768, 2878602432, 2730576120, 2723524623, 3349096412, 2717389879, 2154252810],
    );
    assert.equal(findRow(s, 'IPI0').description, 'Rescheduling interrupts');
    assert.equal(count(s, '10', 5), 3641875466);
    const r50 = findRow(s, '50');
    assert.equal(r50.chip, 'ARMH0061:00');
    assert.equal(r50.hwirq, '3');
    assert.deepEqual(r50.actions, ['ACPI:Event']);
    assert.equal(s.rows.at(-1)?.label, 'Err');
  });

  it('30 pseries XIVE: duplicate LOC keyed by occurrence', () => {
    const s = fixture('30');
    const loc0 = findRow(s, 'LOC', 0);
    const loc1 = findRow(s, 'LOC', 1);
    assert.deepEqual(loc0.counts, [2236]);
    assert.equal(loc0.description, 'Local timer interrupts for timer event device');
    assert.deepEqual(loc1.counts, [0]);
    assert.equal(loc1.description, 'Local timer interrupts for others');
    const r19 = findRow(s, '19');
    assert.equal(r19.chip, 'XIVE-IRQ');
    assert.equal(r19.hwirq, '4610');
    assert.equal(r19.trigger, 'Level');
    assert.deepEqual(r19.actions, ['NPU Device']);
    assert.deepEqual(findRow(s, '257').counts, [11833]);
  });

  it('31 PowerNV: chip OPAL EVT, duplicate LOC', () => {
    const s = fixture('31');
    assert.equal(findRow(s, '17').chip, 'OPAL EVT');
    assert.equal(findRow(s, '17').hwirq, '11');
    assert.deepEqual(findRow(s, '17').actions, ['opal-msg']);
    assert.deepEqual(findRow(s, 'LOC', 0).counts, [33666]);
    assert.equal(findRow(s, 'LOC', 1).occurrence, 1);
    assert.deepEqual(findRow(s, 'WDG').counts, [7]);
  });

  it('32 old s390: only EXT and I/O', () => {
    const s = fixture('32');
    assert.deepEqual(s.cpus, [0, 1]);
    assert.equal(s.rows.length, 2);
    assert.deepEqual(findRow(s, 'EXT').counts, [31903, 57022]);
    assert.deepEqual(findRow(s, 'I/O').counts, [6989, 33457]);
    assert.equal(findRow(s, 'I/O').numeric, false);
    assert.equal(findRow(s, 'I/O').description, '');
  });

  it('33 s390 with PCI: class rows first, PCI-MSI rows without hwirq', () => {
    const s = fixture('33');
    assert.deepEqual(
      s.rows.slice(0, 3).map((r) => r.label),
      ['EXT', 'I/O', 'AIO'],
    );
    assert.equal(count(s, 'EXT', 0), 30368);
    assert.equal(count(s, 'AIO', 15), 34);
    const r3 = findRow(s, '3');
    assert.equal(r3.chip, 'PCI-MSI');
    assert.equal(r3.hwirq, undefined);
    assert.equal(r3.flow, undefined);
    assert.deepEqual(r3.actions, ['mlx5_async@pci:0002:00:00.0']);
    assert.equal(count(s, '3', 15), 7);
    assert.equal(findRow(s, 'DAS').description, '[I/O] DASD');
    assert.equal(findRow(s, 'NMI').description, '[NMI] Machine Check');
    assert.equal(count(s, 'RST', 15), 1);
  });

  it('34 RZ/Five: SiFive PLIC and RISC-V INTC chips, names with colons and blanks', () => {
    const s = fixture('34');
    const r1 = findRow(s, '1');
    assert.equal(r1.chip, 'SiFive PLIC');
    assert.equal(r1.hwirq, '412');
    assert.equal(r1.trigger, 'Level');
    assert.deepEqual(r1.actions, ['1004b800.serial:rx err']);
    assert.equal(findRow(s, '5').chip, 'RISC-V INTC');
    assert.deepEqual(findRow(s, '5').counts, [41826]);
    assert.equal(findRow(s, 'IPI4').description, 'Timer broadcast interrupts');
  });

  it('35 RISC-V KVM guest', () => {
    const s = fixture('35');
    assert.deepEqual(findRow(s, '5').counts, [765, 884]);
    assert.deepEqual(findRow(s, 'IPI1').counts, [792, 845]);
    assert.equal(findRow(s, '1').chip, 'SiFive PLIC');
    assert.equal(findRow(s, '1').hwirq, '5');
  });

  it('36 mailer-wrapped dump: header and rows joined', () => {
    const s = fixture('36');
    assert.deepEqual(s.cpus, range(8));
    assert.equal(s.rows.length, 12);
    assert.deepEqual(findRow(s, '10').counts, [103, 116, 58, 214, 96, 47, 78, 52]);
    assert.equal(count(s, '10', 6), 78);
    assert.equal(count(s, '10', 7), 52);
    assert.equal(findRow(s, '10').chip, 'RISC-V INTC');
    const r15 = findRow(s, '15');
    assert.equal(r15.chip, 'APLIC-MSI-d000000.aplic');
    assert.equal(r15.hwirq, '11');
    assert.deepEqual(r15.actions, ['101000.rtc']);
    assert.equal(r15.line, 13);
    assert.deepEqual(findRow(s, 'IPI1').counts, [605, 477, 442, 315, 392, 434, 405, 417]);
    assert.equal(findRow(s, 'IPI3').description, 'CPU stop (for crash dump) interrupts');
  });
});

describe('seed files', () => {
  it('interrupts-per-day.txt: 2 CPUs, 65 IRQ rows', () => {
    const s = parseInterrupts(readFileSync(seedFile('interrupts-per-day.txt'), 'utf8'));
    assert.deepEqual(s.cpus, [0, 1]);
    assert.equal(s.rows.length, 65);
    assert.ok(s.rows.every((r) => r.numeric));
    assert.deepEqual(findRow(s, '134').counts, [3150750313, 16107924]);
    assert.deepEqual(findRow(s, '157').counts, [1087330, 3681768]);
    assert.equal(findRow(s, '132').chip, 'IR-PCI-MSI');
    assert.deepEqual(findRow(s, '196').actions, ['eth1-TxRx-31']);
    assert.deepEqual(s.warnings, []);
  });

  it('interrupts-per-day-variant.txt: blank second line, 64 IRQ rows, no IRQ 157', () => {
    const s = parseInterrupts(readFileSync(seedFile('interrupts-per-day-variant.txt'), 'utf8'));
    assert.deepEqual(s.cpus, [0, 1]);
    assert.equal(s.rows.length, 64);
    assert.equal(
      s.rows.find((r) => r.label === '157'),
      undefined,
    );
    assert.deepEqual(findRow(s, '134').counts, [3150750313, 16107924]);
    assert.equal(findRow(s, '134').line, 5);
    assert.deepEqual(s.warnings, []);
  });
});
