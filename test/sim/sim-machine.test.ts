import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import { createSimulatedMachine } from '../../src/sim/machine.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { throwsCode } from '../helpers/errors.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { overwrite, procFile, procMode, smallSpec, tempMachine, withMachine } from '../helpers/sim.ts';

const interrupts = (procRoot: string) => parseInterrupts(readFileSync(join(procRoot, 'interrupts'), 'utf8'));

describe('simulated machine: the files', () => {
  it('writes /proc/irq/N with the kernel modes: managed 0444, movable 0644, effective 0444', () =>
    withMachine(smallSpec(), (m) => {
      const [eth] = m.irqsOf('eth0');
      const [nvme] = m.irqsOf('nvme0');
      assert.ok(eth !== undefined && nvme !== undefined);
      assert.equal(procMode(m, eth, 'smp_affinity_list'), 0o644);
      assert.equal(procMode(m, eth, 'smp_affinity'), 0o644);
      assert.equal(procMode(m, nvme, 'smp_affinity_list'), 0o444);
      assert.equal(procMode(m, nvme, 'smp_affinity'), 0o444);
      assert.equal(procMode(m, eth, 'effective_affinity_list'), 0o444);
      assert.equal(procFile(m, eth, 'node'), '0');
      assert.equal(procFile(m, '0', 'node'), '-1');
      assert.ok(existsSync(join(m.procRoot, 'irq', eth, 'eth0-TxRx-0')), 'handler directory');
      assert.equal(
        readFileSync(join(m.procRoot, 'sys', 'kernel', 'osrelease'), 'utf8').trim(),
        '6.12.0-irqkit-sim',
      );
    }));

  it('starts movable IRQs on CPU 0 and spreads managed queues over the CPUs', () =>
    withMachine(smallSpec(), (m) => {
      for (const irq of m.irqsOf('eth0')) {
        assert.equal(procFile(m, irq, 'smp_affinity_list'), '0');
        assert.equal(procFile(m, irq, 'effective_affinity_list'), '0');
      }
      const [q1, q2] = m.irqsOf('nvme0');
      assert.ok(q1 !== undefined && q2 !== undefined);
      assert.equal(procFile(m, q1, 'smp_affinity_list'), '0-1');
      assert.equal(procFile(m, q1, 'smp_affinity'), '3');
      assert.equal(procFile(m, q2, 'smp_affinity_list'), '2-3');
      // CPU 3 is offline, so the kernel routes the queue to CPU 2.
      assert.equal(procFile(m, q2, 'effective_affinity_list'), '2');
      // NIC drivers hint one node-local CPU per queue.
      assert.equal(procFile(m, m.irqsOf('eth0')[1] as string, 'affinity_hint'), '2');
    }));

  it('writes /proc/interrupts in the kernel layout: online CPUs only, IRQs then named rows', () =>
    withMachine(smallSpec(), (m) => {
      m.advance(2);
      const s = interrupts(m.procRoot);
      assert.deepEqual(s.warnings, []);
      assert.deepEqual(s.cpus, [0, 1, 2]);
      assert.deepEqual(
        s.rows.map((r) => r.label),
        ['0', '16', '24', '25', '26', '27', '28', '29', 'NMI', 'LOC'],
      );
      const eth0 = s.rows.find((r) => r.label === '24');
      assert.equal(eth0?.chip, 'PCI-MSIX-0000:3b:00.0');
      assert.deepEqual(eth0?.actions, ['eth0-TxRx-0']);
      // skew [4, 3, 2, 1] of 4000/s: 1600/s, for 2 s, no noise, all on CPU 0.
      assert.deepEqual(eth0?.counts, [3200, 0, 0]);
      const intx = s.rows.find((r) => r.label === '16');
      assert.equal(intx?.chip, 'IO-APIC');
      assert.equal(intx?.flow, 'fasteoi');
      assert.deepEqual(s.rows.find((r) => r.label === 'LOC')?.counts, [500, 500, 500]);
      assert.deepEqual(m.counts('24'), [3200, 0, 0, 0]);
    }));

  it('writes the sysfs CPU, node and PCI files, with PCI devices as symlinks', () =>
    withMachine(smallSpec({ isolated: [2] }), (m) => {
      const cpu = (f: string) => readFileSync(join(m.sysRoot, 'devices/system/cpu', f), 'utf8').trim();
      assert.equal(cpu('online'), '0-2');
      assert.equal(cpu('offline'), '3');
      assert.equal(cpu('possible'), '0-3');
      assert.equal(cpu('isolated'), '2');
      assert.equal(readFileSync(join(m.sysRoot, 'devices/system/node/node1/cpulist'), 'utf8').trim(), '2');
      const dev = join(m.sysRoot, 'bus/pci/devices/0000:3b:00.0');
      assert.equal(readFileSync(join(dev, 'numa_node'), 'utf8').trim(), '0');
      assert.equal(readFileSync(join(dev, 'local_cpulist'), 'utf8').trim(), '0-1');
      assert.equal(readFileSync(join(dev, 'msi_irqs/25'), 'utf8').trim(), 'msix');
      assert.equal(readFileSync(join(m.sysRoot, 'bus/pci/devices/0000:00:17.0/irq'), 'utf8').trim(), '16');
    }));
});

describe('simulated machine: time passing', () => {
  it('counts on the new CPU after smp_affinity_list is written, and updates the effective files', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[0] as string;
      writeFileSync(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), '2\n');
      m.advance(1);
      assert.equal(procFile(m, irq, 'effective_affinity_list'), '2');
      assert.equal(procFile(m, irq, 'effective_affinity'), '4');
      assert.equal(procFile(m, irq, 'smp_affinity'), '4', 'the hex mask follows the list');
      assert.deepEqual(m.counts(irq), [0, 0, 1600, 0]);
      m.advance(1);
      assert.deepEqual(m.counts(irq), [0, 0, 3200, 0]);
    }));

  it('honours a hex mask written to smp_affinity too', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[1] as string;
      writeFileSync(join(m.procRoot, 'irq', irq, 'smp_affinity'), '2\n');
      m.advance(1);
      assert.equal(procFile(m, irq, 'smp_affinity_list'), '1');
      assert.equal(procFile(m, irq, 'effective_affinity_list'), '1');
    }));

  it('routes to the first online CPU of the mask, and a movable IRQ with only offline CPUs to an online one', () =>
    withMachine(smallSpec(), (m) => {
      const [a, b] = m.irqsOf('eth0') as [string, string];
      writeFileSync(join(m.procRoot, 'irq', a, 'smp_affinity_list'), '3,1\n');
      writeFileSync(join(m.procRoot, 'irq', b, 'smp_affinity_list'), '3\n');
      m.advance(1);
      assert.equal(procFile(m, a, 'effective_affinity_list'), '1');
      assert.equal(procFile(m, b, 'effective_affinity_list'), '0');
    }));

  it("undoes a write that got past a managed IRQ's 0444 (root), as the kernel refuses it", () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('nvme0')[0] as string;
      overwrite(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), '2\n');
      m.advance(1);
      assert.equal(procFile(m, irq, 'smp_affinity_list'), '0-1');
      assert.equal(procFile(m, irq, 'effective_affinity_list'), '0');
    }));

  it('keeps counters 32-bit: they wrap to 0 past 4294967295', () =>
    withMachine(
      {
        cpus: 2,
        noise: 0,
        named: [],
        devices: [{ name: 'eth0', pci: '0000:01:00.0', rate: 1000, start: 2 ** 32 - 100 }],
      },
      (m) => {
        const irq = m.irqsOf('eth0')[0] as string;
        assert.deepEqual(interrupts(m.procRoot).rows[0]?.counts, [2 ** 32 - 100, 2 ** 32 - 100]);
        m.advance(1);
        assert.deepEqual(m.counts(irq), [900, 2 ** 32 - 100]);
        assert.deepEqual(interrupts(m.procRoot).rows[0]?.counts, [900, 2 ** 32 - 100]);
      },
    ));

  it('is deterministic: the same spec and steps give the same /proc/interrupts; another seed differs', () => {
    const run = (seed: number) =>
      withMachine({ ...defaultSimSpec(), seed, uptime: 10 }, (m) => {
        m.advance(1.5);
        m.advance(0.25);
        return readFileSync(join(m.procRoot, 'interrupts'), 'utf8');
      });
    assert.equal(run(1), run(1));
    assert.notEqual(run(1), run(2));
  });

  it('drops an IRQ whose /proc/irq directory vanished from /proc/interrupts', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[2] as string;
      rmSync(join(m.procRoot, 'irq', irq), { recursive: true });
      m.advance(1);
      assert.ok(!interrupts(m.procRoot).rows.some((r) => r.label === irq));
    }));

  it('advances on a timer by the time its clock says passed, until stopped', () => {
    const m = tempMachine(smallSpec());
    try {
      const clock = new FakeClock();
      const start = m.elapsed;
      const count0 = m.counts('24')[0] as number;
      m.start(20, clock);
      clock.advance(19);
      assert.equal(m.elapsed, start, 'no step before the first tick is due');
      clock.advance(181);
      assert.ok(Math.abs(m.elapsed - start - 0.2) < 1e-9, `elapsed ${m.elapsed - start} s, not 0.2 s`);
      const count1 = m.counts('24')[0] as number;
      assert.ok(count1 > count0, `IRQ 24 counted ${count0} → ${count1}`);
      const stoppedAt = m.elapsed;
      m.stop();
      clock.advance(60);
      assert.equal(m.elapsed, stoppedAt, 'no more steps after stop()');
      assert.equal(m.counts('24')[0], count1);
    } finally {
      m.cleanup();
    }
  });

  it('catches up on demand between ticks, counting each moment once; not once stopped', () => {
    const m = tempMachine(smallSpec());
    try {
      const clock = new FakeClock();
      const start = m.elapsed;
      m.start(100, clock);
      // 70 ms pass with the timer not yet due (or late, on a loaded host): a reader catches up.
      clock.spend(70);
      m.catchUp();
      assert.ok(Math.abs(m.elapsed - start - 0.07) < 1e-9, `elapsed ${m.elapsed - start} s, not 0.07 s`);
      clock.advance(30);
      assert.ok(Math.abs(m.elapsed - start - 0.1) < 1e-9, `elapsed ${m.elapsed - start} s after the tick`);
      m.stop();
      clock.spend(500);
      m.catchUp();
      assert.ok(Math.abs(m.elapsed - start - 0.1) < 1e-9, 'a stopped machine stands still');
    } finally {
      m.cleanup();
    }
  });

  it('rejects negative or non-finite steps', () =>
    withMachine(smallSpec(), (m) => {
      throwsCode(() => m.advance(-1), 'IRQ_ERR_USAGE');
      throwsCode(() => m.advance(Number.NaN), 'IRQ_ERR_USAGE');
    }));
});

describe('simulated machine: life cycle', () => {
  it('makes and removes its own temp dir when given none', () => {
    const m = createSimulatedMachine(smallSpec());
    assert.ok(existsSync(join(m.procRoot, 'interrupts')));
    m.dispose();
    assert.equal(existsSync(m.dir), false);
  });

  it('refuses to build over an existing tree', () =>
    withMachine(smallSpec(), (m) => {
      throwsCode(() => createSimulatedMachine(smallSpec(), m.dir), 'IRQ_ERR_USAGE', /already holds/);
    }));

  it('names IRQs by device and refuses unknown devices', () =>
    withMachine(smallSpec(), (m) => {
      assert.deepEqual(m.irqsOf('nvme0'), ['28', '29']);
      assert.deepEqual(m.irqsOf('timer'), ['0']);
      throwsCode(() => m.irqsOf('eth9'), 'IRQ_ERR_USAGE');
      throwsCode(() => m.counts('999'), 'IRQ_ERR_UNKNOWN_IRQ');
    }));

  it('the system() it hands out says it is simulated', () =>
    withMachine(smallSpec(), (m) => {
      assert.match(m.system().description, /^simulated machine in /);
    }));
});
