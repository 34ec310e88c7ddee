import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSystem } from '../../src/io/create-system.ts';
import { createPciIrqMap } from '../../src/io/sysfs.ts';
import { throwsCode } from '../helpers/errors.ts';
import { overwrite, smallSpec, withMachine } from '../helpers/sim.ts';

describe('irqInfo on the simulated machine', () => {
  it('gives a NIC queue its PCI device, NUMA node, local CPUs, hint and handler', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[1] as string;
      assert.deepEqual(m.system().irqInfo(irq), {
        irq,
        affinity: [0],
        effective: [0],
        node: 0,
        hint: [1],
        managed: false,
        actions: ['eth0-TxRx-1'],
        device: {
          name: '0000:3b:00.0',
          path: 'bus/pci/devices/0000:3b:00.0',
          numaNode: 0,
          localCpus: [0, 1],
        },
      });
    }));

  it('marks managed NVMe queues managed (0444) with their node and spread affinity', () =>
    withMachine(smallSpec(), (m) => {
      const info = m.system().irqInfo(m.irqsOf('nvme0')[1] as string);
      assert.equal(info.managed, true);
      assert.deepEqual(info.affinity, [2, 3]);
      assert.deepEqual(info.effective, [2]);
      assert.equal(info.node, 1);
      assert.equal(info.hint, null);
      assert.equal(info.device?.numaNode, 1);
      assert.deepEqual(info.device?.localCpus, [2], 'CPU 3 is offline');
    }));

  it('finds the device of an INTx line through sysfs `irq`; the IO-APIC timer has none', () =>
    withMachine(smallSpec(), (m) => {
      const sys = m.system();
      assert.equal(sys.irqInfo(m.irqsOf('ahci')[0] as string).device?.name, '0000:00:17.0');
      const timer = sys.irqInfo('0');
      assert.equal(timer.device, null);
      assert.equal(timer.node, null);
      assert.deepEqual(timer.actions, ['timer']);
    }));

  it('does not let an MSI device claim the idle INTx line its `irq` file still shows', () =>
    withMachine(smallSpec(), (m) => {
      // Sorted first, MSI-X enabled, and showing line 16 — which the AHCI controller really uses.
      const dev = join(m.sysRoot, 'bus/pci/devices/0000:00:01.0');
      mkdirSync(join(dev, 'msi_irqs'), { recursive: true });
      writeFileSync(join(dev, 'msi_irqs', '99'), 'msix\n');
      writeFileSync(join(dev, 'irq'), '16\n');
      assert.equal(m.system().irqInfo('16').device?.name, '0000:00:17.0');
    }));

  it('refuses IRQ labels that are not numbers (no path tricks) and IRQs that do not exist', () =>
    withMachine(smallSpec(), (m) => {
      const sys = m.system();
      for (const bad of ['999', 'abc', '../24', '24/..', '', ' 24', '-1', '24\n', 'default_smp_affinity']) {
        throwsCode(() => sys.irqInfo(bad), 'IRQ_ERR_UNKNOWN_IRQ');
      }
    }));

  it('lists IRQs in numeric order and reads /proc/interrupts as it is', () =>
    withMachine(smallSpec(), (m) => {
      const sys = m.system();
      assert.deepEqual(sys.listIrqs(), ['0', '16', '24', '25', '26', '27', '28', '29']);
      assert.equal(sys.readInterrupts(), readFileSync(join(m.procRoot, 'interrupts'), 'utf8'));
    }));
});

describe('managed flag before kernel 6.12', () => {
  const oldKernel = (procRoot: string) => overwrite(join(procRoot, 'sys/kernel/osrelease'), '5.15.0-91\n');

  it('is unknown (null) for a writable file, since the mode proved nothing then', () =>
    withMachine(smallSpec(), (m) => {
      oldKernel(m.procRoot);
      const sys = m.system();
      assert.equal(sys.irqInfo(m.irqsOf('eth0')[0] as string).managed, null);
      assert.equal(sys.irqInfo(m.irqsOf('nvme0')[0] as string).managed, true, '0444 still means managed');
    }));

  it('becomes false after a write was accepted', () =>
    withMachine(smallSpec(), (m) => {
      oldKernel(m.procRoot);
      const sys = m.system();
      const irq = m.irqsOf('eth0')[0] as string;
      assert.equal(sys.setAffinities([{ irq, cpu: 1 }]).ok, true);
      assert.equal(sys.irqInfo(irq).managed, false);
    }));

  it('stays true for an IRQ that refused a write, even when its file is writable', () =>
    withMachine(smallSpec(), (m) => {
      const sys = m.system();
      const irq = m.irqsOf('nvme0')[0] as string;
      assert.equal(sys.setAffinities([{ irq, cpu: 1 }]).outcomes[0]?.error?.code, 'IRQ_ERR_MANAGED');
      // What a pre-6.12 kernel shows for a managed IRQ: 0644, and EIO only on write.
      chmodSync(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), 0o644);
      oldKernel(m.procRoot);
      assert.equal(sys.irqInfo(irq).managed, true);
    }));
});

describe('PCI device scan cache', () => {
  it('scans sysfs once for many lookups, and rescans on a miss at most once per second', () =>
    withMachine(smallSpec(), (m) => {
      let now = 0;
      const map = createPciIrqMap(m.sysRoot, { now: () => now });
      for (const irq of m.irqsOf('eth0')) assert.equal(map.lookup(irq)?.name, '0000:3b:00.0');
      assert.equal(map.scans, 1);
      assert.equal(map.lookup('0'), null);
      assert.equal(map.lookup('0'), null);
      assert.equal(map.scans, 1, 'a miss within the second does not rescan');
      now = 1000;
      assert.equal(map.lookup('0'), null);
      assert.equal(map.lookup('0'), null);
      assert.equal(map.scans, 2, 'one rescan after a second');
    }));

  it('finds a hot-plugged device after the next rescan, and notices a reused IRQ number', () =>
    withMachine(smallSpec(), (m) => {
      let now = 0;
      const map = createPciIrqMap(m.sysRoot, { now: () => now });
      assert.equal(map.lookup('24')?.name, '0000:3b:00.0');
      const plugged = join(m.sysRoot, 'bus/pci/devices/0000:d8:00.0');
      mkdirSync(join(plugged, 'msi_irqs'), { recursive: true });
      writeFileSync(join(plugged, 'msi_irqs', '77'), 'msix\n');
      assert.equal(map.lookup('77'), null, 'not within the second');
      now = 1500;
      assert.equal(map.lookup('77')?.name, '0000:d8:00.0');
      // eth0 unplugged, its first vector's number reused by the new device.
      renameSync(
        join(m.sysRoot, 'bus/pci/devices/0000:3b:00.0/msi_irqs/24'),
        join(plugged, 'msi_irqs', '24'),
      );
      now = 3000;
      assert.equal(map.lookup('24')?.name, '0000:d8:00.0');
      assert.equal(map.lookup('24')?.numaNode, null, 'no numa_node file');
    }));

  it('works through createSystem with an injected clock', () =>
    withMachine(smallSpec(), (m) => {
      const sys = createSystem({ procRoot: m.procRoot, sysRoot: m.sysRoot, now: () => 0 });
      assert.equal(sys.irqInfo(m.irqsOf('nvme0')[0] as string).device?.name, '0000:5e:00.0');
      assert.equal(sys.description, `${m.procRoot} and ${m.sysRoot}`);
    }));
});
