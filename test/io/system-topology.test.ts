import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { createSystem } from '../../src/io/create-system.ts';
import { smallSpec, withMachine } from '../helpers/sim.ts';

function withTree<T>(files: Record<string, string>, fn: (root: string) => T): T {
  const root = mkdtempSync(join(tmpdir(), 'irqkit-sysfs-'));
  try {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    }
    return fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('topology', () => {
  it('reads online, isolated, possible CPUs and NUMA nodes of the simulated machine', () =>
    withMachine(smallSpec({ isolated: [1, 2], nohzFull: [2] }), (m) => {
      const t = m.system().topology();
      assert.deepEqual(t.online, [0, 1, 2]);
      assert.deepEqual(t.possible, [0, 1, 2, 3]);
      assert.deepEqual(t.isolated, [1, 2]);
      assert.deepEqual(t.nohzFull, [2]);
      assert.deepEqual(
        [...t.nodes],
        [
          [0, [0, 1]],
          [1, [2]],
        ],
      );
    }));

  it('treats missing or blank isolated/nohz_full files (and a "(null)" mask) as no CPUs', () =>
    withTree(
      {
        'devices/system/cpu/online': '0-3\n',
        'devices/system/cpu/isolated': '\n',
        'devices/system/cpu/nohz_full': '(null)\n',
      },
      (sysRoot) => {
        const t = createSystem({ procRoot: join(sysRoot, 'none'), sysRoot }).topology();
        assert.deepEqual(t.online, [0, 1, 2, 3]);
        assert.deepEqual(t.isolated, []);
        assert.deepEqual(t.nohzFull, []);
        assert.equal(t.possible, undefined, 'no possible file, no field');
      },
    ));

  it('without NUMA node directories, reports one node 0 holding every online CPU', () =>
    withTree({ 'devices/system/cpu/online': '0-1,4\n' }, (sysRoot) => {
      const t = createSystem({ sysRoot }).topology();
      assert.deepEqual([...t.nodes], [[0, [0, 1, 4]]]);
    }));

  it('orders NUMA nodes numerically (node10 after node2)', () =>
    withTree(
      {
        'devices/system/cpu/online': '0-2\n',
        'devices/system/node/node10/cpulist': '2\n',
        'devices/system/node/node2/cpulist': '1\n',
        'devices/system/node/node0/cpulist': '0\n',
        'devices/system/node/possible': '0,2,10\n',
      },
      (sysRoot) => {
        assert.deepEqual([...createSystem({ sysRoot }).topology().nodes.keys()], [0, 2, 10]);
      },
    ));

  it('with no sysfs at all, has no CPUs rather than failing', () =>
    withTree({}, (sysRoot) => {
      const t = createSystem({ sysRoot: join(sysRoot, 'missing') }).topology();
      assert.deepEqual(t.online, []);
      assert.deepEqual([...t.nodes], [[0, []]]);
    }));

  it('with sysRoot null (a procfs alone), reads no sysfs: no CPUs and no devices, the IRQs still readable', () =>
    withMachine(smallSpec(), (m) => {
      const sys = createSystem({ procRoot: m.procRoot, sysRoot: null });
      assert.deepEqual(sys.topology().online, []);
      const irq = m.irqsOf('eth0')[0] as string;
      assert.equal(sys.irqInfo(irq).device, null);
      assert.equal(m.system().irqInfo(irq).device?.name, '0000:3b:00.0', 'with its sysfs, the NIC');
    }));
});
