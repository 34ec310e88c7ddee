import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasStackTrace } from '../helpers/cli.ts';
import { assertOneLineError, cells, type Irqkit, irqkitAt, rowOf } from '../helpers/client-cli.ts';
import { type DaemonProcess, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

interface BatchResult {
  ok: boolean;
  dryRun: boolean;
  rolledBack: boolean;
  outcomes: Array<{
    irq: string;
    cpu: number;
    ok: boolean;
    affinity: number[];
    effective: number[] | null;
    pending: boolean;
    error?: { code: string; message: string };
  }>;
}

// The default simulated machine: eth0 queues on IRQs 24-31 (node 0), kernel-managed nvme0 queues
// on 32-39, eth1 queues on 40-43 (node 1); CPU 7 is offline here.
describe('irqkit set against a real irqkitd', () => {
  let d: DaemonProcess;
  let irqkit: Irqkit;
  const affinity = (irq: string): string => d.irqFile(irq, 'smp_affinity_list');
  before(async () => {
    d = await startDaemon(simArgs('8cpu,2node,offline=7'));
    irqkit = irqkitAt(d);
  });
  after(async () => {
    await d?.stop();
  });

  it('sets several IRQs in one batch (IRQ=CPU) and the kernel files say so', () => {
    const r = irqkit(['set', '41=1', '42=0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(affinity('41'), '1');
    assert.equal(affinity('42'), '0');
    const row = cells(rowOf(r.stdout, '41') ?? '');
    assert.deepEqual(row.slice(0, 4), ['41', '1', '0', '1'], r.stdout);
    // The simulated kernel, like x86 without interrupt remapping, moves it at the next interrupt.
    assert.match(row[5] ?? '', /^set(, pending: moves at its next interrupt)?$/);
    assert.match(r.stdout, /^2 IRQs set/m);
  });

  it('sets several IRQs to one CPU with --cpu', () => {
    const r = irqkit(['set', '24', '25', '--cpu', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(affinity('24'), '2');
    assert.equal(affinity('25'), '2');
  });

  it('a kernel-managed IRQ fails the batch: exit 1, says managed, the other write is rolled back', () => {
    const before41 = affinity('41');
    const r = irqkit(['set', '41=3', '33=1']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(!hasStackTrace(r.stderr));
    assert.match(
      r.stderr,
      /^irqkit set: IRQ 33: .*the kernel manages this IRQ's affinity \(IRQ_ERR_MANAGED\)$/m,
    );
    assert.match(r.stderr, /^irqkit set: the batch was rolled back: no IRQ was changed$/m);
    assert.match(rowOf(r.stdout, '33') ?? '', /failed: kernel-managed$/);
    assert.match(rowOf(r.stdout, '41') ?? '', /failed: rolled back$/);
    assert.equal(affinity('41'), before41);
  });

  it('an offline CPU fails with exit 1 and says so', () => {
    const r = irqkit(['set', '43=7']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /CPU 7 is offline \(IRQ_ERR_CPU_OFFLINE\)/);
    assert.match(rowOf(r.stdout, '43') ?? '', /failed: CPU offline$/);
    assert.equal(affinity('43'), '0');
  });

  it('--dry-run checks and changes nothing', () => {
    const r = irqkit(['set', '--dry-run', '40=5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dry run: nothing is written/);
    assert.match(rowOf(r.stdout, '40') ?? '', /ok \(dry run: not written\)$/);
    assert.equal(affinity('40'), '0');
    const bad = irqkit(['set', '--dry-run', '33=5']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /IRQ_ERR_MANAGED/);
  });

  it('--json prints the batch result, also when it failed (409)', () => {
    const ok = irqkit(['set', '40=4', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const j = JSON.parse(ok.stdout) as BatchResult;
    assert.equal(j.ok, true);
    assert.deepEqual(j.outcomes[0]?.affinity, [4]);
    assert.equal(affinity('40'), '4');
    const failed = irqkit(['set', '40=5', '34=5', '--json']);
    assert.equal(failed.code, 1);
    const f = JSON.parse(failed.stdout) as BatchResult;
    assert.equal(f.ok, false);
    assert.equal(f.rolledBack, true);
    assert.deepEqual(
      f.outcomes.map((o) => o.error?.code),
      ['IRQ_ERR_ROLLED_BACK', 'IRQ_ERR_MANAGED'],
    );
    assert.equal(affinity('40'), '4');
  });

  it('an unknown IRQ or CPU writes nothing and exits with its catalogue code', () => {
    const unknownIrq = irqkit(['set', '999=1', '41=2']);
    assert.equal(unknownIrq.code, 65, unknownIrq.stderr);
    assert.match(unknownIrq.stderr, /^irqkit set: IRQ 999 does not exist \(IRQ_ERR_UNKNOWN_IRQ\)$/m);
    assert.match(rowOf(unknownIrq.stdout, '41') ?? '', /failed: not attempted$/);
    assert.notEqual(affinity('41'), '2');
    const unknownCpu = irqkit(['set', '41=12']);
    assert.equal(unknownCpu.code, 64);
    assert.match(unknownCpu.stderr, /CPU 12 does not exist/);
  });

  it('bad command lines are usage errors with a hint', () => {
    assertOneLineError(irqkit(['set']), 64, /name at least one IRQ/);
    assertOneLineError(irqkit(['set', '41']), 64, /IRQ 41 needs a CPU: 41=CPU, or --cpu CPU/);
    assertOneLineError(irqkit(['set', '41=1-3']), 64, /exactly one CPU/);
    assertOneLineError(irqkit(['set', '41=1', '--cpu', '2']), 64, /IRQ=CPU and --cpu do not mix/);
    assertOneLineError(irqkit(['set', 'eth0=1']), 64, /'eth0=1' is not IRQ=CPU/);
    assertOneLineError(irqkit(['set', '41=1', '--dryrun']), 64, /did you mean --dry-run\?/);
  });
});
