/**
 * The simulated machine's fault injection points behave like the kernel: CPU hotplug, a driver
 * unloading and reloading, a /proc/interrupts that cannot be read or is cut short, processes in
 * /proc, and a boot id.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import { throwsCode } from '../helpers/errors.ts';
import { overwrite, procFile, smallSpec, withMachine } from '../helpers/sim.ts';

const sysFile = (root: string, ...parts: string[]): string =>
  readFileSync(join(root, ...parts), 'utf8').trim();
const interruptsText = (procRoot: string): string => readFileSync(join(procRoot, 'interrupts'), 'utf8');

describe('simulated machine: fault injection', () => {
  it('takes a CPU offline: sysfs lists, node cpulist and the /proc/interrupts columns follow', () =>
    withMachine(smallSpec({ offline: [] }), (m) => {
      assert.deepEqual(parseInterrupts(interruptsText(m.procRoot)).cpus, [0, 1, 2, 3]);
      m.setOnline(2, false);
      assert.deepEqual(m.online(), [0, 1, 3]);
      const cpu = join(m.sysRoot, 'devices', 'system', 'cpu');
      assert.equal(sysFile(cpu, 'online'), '0-1,3');
      assert.equal(sysFile(cpu, 'offline'), '2');
      assert.equal(sysFile(cpu, 'cpu2', 'online'), '0');
      assert.equal(sysFile(m.sysRoot, 'devices', 'system', 'node', 'node1', 'cpulist'), '3');
      m.advance(1);
      assert.deepEqual(parseInterrupts(interruptsText(m.procRoot)).cpus, [0, 1, 3], 'one column fewer');
      m.setOnline(2, true);
      assert.equal(sysFile(cpu, 'online'), '0-3');
      assert.deepEqual(parseInterrupts(interruptsText(m.procRoot)).cpus, [0, 1, 2, 3]);
    }));

  it('breaks the affinity of a movable IRQ left without an online CPU, and does not mend it later', () =>
    withMachine(smallSpec({ offline: [] }), (m) => {
      const [e0, e1] = m.irqsOf('eth0') as [string, string];
      const nvme = m.irqsOf('nvme0')[1] as string;
      overwrite(join(m.procRoot, 'irq', e0, 'smp_affinity_list'), '2\n');
      overwrite(join(m.procRoot, 'irq', e1, 'smp_affinity_list'), '1-2\n');
      m.setOnline(2, false);
      assert.equal(procFile(m, e0, 'smp_affinity_list'), '0-1,3', 'every online CPU');
      assert.equal(procFile(m, e0, 'effective_affinity_list'), '0');
      assert.equal(procFile(m, e1, 'smp_affinity_list'), '1-2', 'still has an online CPU: kept');
      assert.equal(procFile(m, e1, 'effective_affinity_list'), '1');
      // nvme0's second queue is managed on CPUs 2-3: it moves to 3 and keeps its mask.
      assert.equal(procFile(m, nvme, 'smp_affinity_list'), '2-3');
      assert.equal(procFile(m, nvme, 'effective_affinity_list'), '3');
      m.setOnline(2, true);
      assert.equal(procFile(m, e0, 'smp_affinity_list'), '0-1,3', 'the kernel does not put it back');
      throwsCode(() => m.setOnline(9, false), 'IRQ_ERR_USAGE');
    }));

  it('refuses to take the last online CPU away', () =>
    withMachine(smallSpec({ offline: [1, 2, 3] }), (m) => {
      throwsCode(() => m.setOnline(0, false), 'IRQ_ERR_USAGE', /last online CPU/);
    }));

  it('unloads and reloads a driver: files, row and msi_irqs go and come back with counters from 0', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[1] as string;
      const msi = join(m.sysRoot, 'bus', 'pci', 'devices', '0000:3b:00.0', 'msi_irqs', irq);
      overwrite(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), '2\n');
      m.advance(5);
      assert.ok(m.counts(irq).some((c) => c > 0));
      m.removeIrq(irq);
      assert.ok(!existsSync(join(m.procRoot, 'irq', irq)));
      assert.ok(!existsSync(msi));
      assert.ok(!parseInterrupts(interruptsText(m.procRoot)).rows.some((r) => r.label === irq));
      m.advance(1);
      m.restoreIrq(irq);
      assert.equal(procFile(m, irq, 'smp_affinity_list'), '0', 'the boot-time affinity again');
      assert.ok(existsSync(msi));
      assert.deepEqual(m.counts(irq), [0, 0, 0, 0]);
      const row = parseInterrupts(interruptsText(m.procRoot)).rows.find((r) => r.label === irq);
      assert.deepEqual(row?.actions, ['eth0-TxRx-1']);
      throwsCode(() => m.restoreIrq(irq), 'IRQ_ERR_USAGE', /still there/);
    }));

  it('can give a reloaded IRQ number to another handler', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[0] as string;
      m.removeIrq(irq);
      m.restoreIrq(irq, { action: 'nvme9q1' });
      assert.ok(existsSync(join(m.procRoot, 'irq', irq, 'nvme9q1')));
      assert.ok(!existsSync(join(m.procRoot, 'irq', irq, 'eth0-TxRx-0')));
      const row = parseInterrupts(interruptsText(m.procRoot)).rows.find((r) => r.label === irq);
      assert.deepEqual(row?.actions, ['nvme9q1']);
    }));

  it('makes /proc/interrupts unreadable (EISDIR, even for root), truncated, or whole again', () =>
    withMachine(smallSpec(), (m) => {
      const path = join(m.procRoot, 'interrupts');
      const whole = interruptsText(m.procRoot);
      m.setInterruptsFault('unreadable');
      assert.ok(statSync(path).isDirectory());
      m.advance(1);
      assert.throws(() => readFileSync(path, 'utf8'), /EISDIR/);
      m.setInterruptsFault('truncated');
      const cut = interruptsText(m.procRoot);
      assert.ok(!cut.endsWith('\n'), 'cut in the middle of a line');
      assert.ok(cut.length < whole.length);
      m.setInterruptsFault('truncated-lines');
      const lines = interruptsText(m.procRoot);
      assert.ok(lines.endsWith('\n'));
      assert.ok(!/^\s*LOC:/m.test(lines), 'the named rows at the end are gone');
      m.setInterruptsFault(null);
      m.advance(1);
      const back = parseInterrupts(interruptsText(m.procRoot));
      assert.deepEqual(back.warnings, []);
      assert.ok(back.rows.some((r) => r.label === 'LOC'));
    }));

  it('has a boot id and processes in /proc/PID/comm', () =>
    withMachine(smallSpec(), (m) => {
      assert.match(m.bootId, /^[0-9a-f-]{36}$/);
      assert.equal(sysFile(m.procRoot, 'sys', 'kernel', 'random', 'boot_id'), m.bootId);
      m.setProcess(4242, 'irqbalance');
      assert.equal(sysFile(m.procRoot, '4242', 'comm'), 'irqbalance');
      m.setProcess(4242, null);
      assert.ok(!existsSync(join(m.procRoot, '4242')));
    }));
});
