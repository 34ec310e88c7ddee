import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IrqDetails, IrqList } from '../../src/api/schemas.ts';
import { assertOneLineError, cells, getJson, type Irqkit, irqkitAt, rowOf } from '../helpers/client-cli.ts';
import { type DaemonProcess, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

describe('irqkit irqs and irqkit irq against a real irqkitd', () => {
  let d: DaemonProcess;
  let irqkit: Irqkit;
  before(async () => {
    d = await startDaemon(simArgs('8cpu,2node', ['--ban', '43']));
    irqkit = irqkitAt(d);
    // A second of history, so every rate is measured.
    await getJson(d, '/api/v1/cpus?window=1s');
  });
  after(async () => {
    await d?.stop();
  });

  it('irqs: one row per IRQ with device, node, affinity, effective affinity and flags from the daemon', async () => {
    const r = irqkit(['irqs']);
    assert.equal(r.code, 0, r.stderr);
    const { irqs } = await getJson<IrqList>(d, '/api/v1/irqs');
    assert.equal(irqs.length, 21);
    assert.deepEqual(cells(r.stdout.split('\n')[0] ?? ''), [
      'IRQ',
      'NAME',
      'DEVICE',
      'NODE',
      'AFFINITY',
      'EFFECTIVE',
      'RATE/S',
      'FLAGS',
    ]);
    for (const i of irqs) {
      const row = cells(rowOf(r.stdout, i.irq) ?? '');
      assert.equal(row[1], i.name);
      assert.equal(row[2], i.device?.name ?? '-');
      assert.equal(row[3], i.node === null ? '-' : String(i.node));
      assert.equal(row[4], d.irqFile(i.irq, 'smp_affinity_list'), `IRQ ${i.irq} affinity`);
      assert.equal(row[5], i.effectiveAffinity ?? '-');
    }
    assert.match(rowOf(r.stdout, '33') ?? '', /\smanaged$/);
    assert.match(rowOf(r.stdout, '43') ?? '', /\sbanned$/);
    assert.match(rowOf(r.stdout, '41') ?? '', /^\s*41\s+eth1-TxRx-1\s+0000:af:00\.0\s+1\s+0\s+0\s+[\d,.]+$/);
    assert.match(r.stdout, /21 IRQs; rates over the daemon's last \d+\.\d s/);
  });

  it('irqs --sort rate --top 3: the three busiest, busiest first', async () => {
    const r = irqkit(['irqs', '--sort', 'rate', '--top', '3']);
    assert.equal(r.code, 0, r.stderr);
    const table = r.stdout.split('\n\n')[0] ?? '';
    const rows = table
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[0]);
    assert.equal(rows.length, 3, r.stdout);
    // eth0-TxRx-2 carries the most on this seed, by far (see the daemon's own rates).
    const { irqs } = await getJson<IrqList>(d, '/api/v1/irqs');
    const busiest = [...irqs].sort((a, b) => b.ratePerSecond - a.ratePerSecond)[0]?.irq;
    assert.equal(rows[0], busiest);
    assert.match(r.stdout, /3 of 21 IRQs \(the busiest\)/);
    assertOneLineError(irqkit(['irqs', '--sort', 'rat']), 64, /did you mean rate\?/);
  });

  it('irqs --json prints the daemon list', () => {
    const r = irqkit(['irqs', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as IrqList;
    assert.equal(j.irqs.length, 21);
    assert.equal(j.irqs.find((i) => i.irq === '43')?.banned, true);
  });

  it('irq N: a key/value view of one IRQ', () => {
    const r = irqkit(['irq', '41']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^IRQ 41 {2}eth1-TxRx-1$/m);
    assert.match(r.stdout, /^ {2}device\s+0000:af:00\.0, NUMA node 1, local CPUs 4-7$/m);
    assert.match(r.stdout, new RegExp(`^  affinity\\s+${d.irqFile('41', 'smp_affinity_list')}$`, 'm'));
    assert.match(r.stdout, /^ {2}managed\s+no$/m);
    assert.match(r.stdout, /^ {2}rate\s+[\d,.]+\/s over the last \d+\.\d s$/m);
    const managed = irqkit(['irq', '33']);
    assert.match(managed.stdout, /^ {2}managed\s+yes$/m);
    const j = JSON.parse(irqkit(['irq', '41', '--json']).stdout) as IrqDetails;
    assert.equal(j.irq, '41');
    assert.equal(j.device?.numaNode, 1);
  });

  it('irq: an unknown IRQ exits 65 with the daemon message; a non-number is a usage error', () => {
    assertOneLineError(
      irqkit(['irq', '999']),
      65,
      /^irqkit irq: IRQ 999 does not exist \(IRQ_ERR_UNKNOWN_IRQ\)$/,
    );
    const json = irqkit(['irq', '999', '--json']);
    assert.equal(json.code, 65);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'IRQ_ERR_UNKNOWN_IRQ');
    assertOneLineError(irqkit(['irq', 'eth0']), 64, /'eth0' is not an IRQ number/);
    assertOneLineError(irqkit(['irq']), 64, /name an IRQ/);
    assertOneLineError(irqkit(['irq', '41', '42']), 64, /unexpected argument '42'/);
  });
});
