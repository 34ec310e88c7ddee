/**
 * `irqkit set --persist`, `irqkit pins`, `irqkit unpin` and `irqkit restore` against a real
 * irqkitd on a simulated machine this test drives (so it can start an "irqbalance", change an
 * affinity behind irqkitd's back, or take a CPU offline).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { hasStackTrace } from '../helpers/cli.ts';
import { assertOneLineError, cells, type Irqkit, irqkitAt, rowOf } from '../helpers/client-cli.ts';
import { type DaemonProcess, eventually, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { overwrite } from '../helpers/sim.ts';
import { machineArgs, readStateFile, runningMachine } from '../helpers/sim-daemon.ts';

// 8 CPUs: eth0 queues on IRQs 24-31, every movable IRQ on CPU 0 at first.
describe('irqkit pins, unpin, restore and set --persist against a real irqkitd', { concurrency: 1 }, () => {
  let m: ReturnType<typeof runningMachine>;
  let d: DaemonProcess;
  let irqkit: Irqkit;
  const affinity = (irq: string): string =>
    readFileSync(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), 'utf8').trim();
  before(async () => {
    m = runningMachine({ ...defaultSimSpec(8), noise: 0 });
    d = await startDaemon(machineArgs(m, m.stateDir));
    irqkit = irqkitAt(d);
  });
  after(async () => {
    await d?.stop();
    m?.cleanup();
  });

  it('set --persist pins: the kernel file, the state file and a line saying so', () => {
    const r = irqkit(['set', '--persist', '24=3', '25=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^2 IRQs set/m);
    assert.match(r.stdout, /^pinned: irqkitd applies them again at start-up and when they come back/m);
    assert.equal(affinity('24'), '3');
    const state = readStateFile(m.stateDir);
    assert.deepEqual(
      Object.entries(state?.pins ?? {}).map(([irq, p]) => [irq, p.cpu]),
      [
        ['24', 3],
        ['25', 2],
      ],
    );
    const json = JSON.parse(irqkit(['set', '--persist', '26=1', '--json']).stdout) as { ok: boolean };
    assert.equal(json.ok, true);
  });

  it('pins lists each pin with its status, and what restore would put back', () => {
    const r = irqkit(['pins']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(cells(rowOf(r.stdout, '24') ?? ''), ['24', 'eth0-TxRx-0', '3', '3', 'applied']);
    assert.deepEqual(cells(rowOf(r.stdout, '26') ?? ''), ['26', 'eth0-TxRx-2', '1', '1', 'applied']);
    assert.match(
      r.stdout,
      /^3 pins in .*state\.json; 3 changed IRQs can be put back with 'irqkit restore' \(24 25 26\)$/m,
    );
    const doc = JSON.parse(irqkit(['pins', '--json']).stdout) as {
      pins: Array<{ irq: string; status: string }>;
    };
    assert.deepEqual(
      doc.pins.map((p) => [p.irq, p.status]),
      [
        ['24', 'applied'],
        ['25', 'applied'],
        ['26', 'applied'],
      ],
    );
  });

  it('a running irqbalance: set --persist and pins warn on stderr with the --banirq options', async () => {
    m.setProcess(4242, 'irqbalance');
    try {
      await eventually('irqbalance seen', async () =>
        (await d.request({ path: '/healthz' })).json<{ irqbalance: { running: boolean } }>().irqbalance
          .running
          ? true
          : undefined,
      );
      const set = irqkit(['set', '--persist', '27=4']);
      assert.equal(set.code, 0, set.stderr);
      assert.match(
        set.stderr,
        /^irqkit set: warning: irqbalance is running \(pid 4242\) and moves IRQs, so it will undo pins; ban the pinned IRQs from it: IRQBALANCE_ARGS="--banirq=24 --banirq=25 --banirq=26 --banirq=27"/m,
      );
      const pins = irqkit(['pins']);
      assert.equal(pins.code, 0);
      assert.match(pins.stderr, /^irqkit pins: warning: irqbalance is running \(pid 4242\)/m);
      assert.ok(!pins.stdout.includes('warning'), 'warnings stay off stdout');
    } finally {
      m.setProcess(4242, null);
    }
  });

  it('pins shows drift, and --reapply puts the pin back', async () => {
    overwrite(join(m.procRoot, 'irq', '25', 'smp_affinity_list'), '6\n');
    await eventually('drift', () =>
      /drifted/.test(rowOf(irqkit(['pins']).stdout, '25') ?? '') ? true : undefined,
    );
    const row = cells(rowOf(irqkit(['pins', '--no-color']).stdout, '25') ?? '');
    assert.deepEqual(row.slice(0, 4), ['25', 'eth0-TxRx-1', '2', '6']);
    assert.match(row[4] ?? '', /^drifted: smp_affinity_list is 6, not 2: something else changed it/);
    const r = irqkit(['pins', '--reapply']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(rowOf(r.stdout, '25') ?? '', /applied$/);
    assert.equal(affinity('25'), '2');
  });

  it('unpin removes pins and leaves the affinity; an IRQ without a pin exits 65 and removes nothing', () => {
    const r = irqkit(['unpin', '26']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^unpinned IRQ 26; the affinity is left as it is/);
    assert.equal(affinity('26'), '1');
    assertOneLineError(
      irqkit(['unpin', '24', '30']),
      65,
      /IRQ 30 is not pinned; nothing was unpinned \(IRQ_ERR_NOT_PINNED\)$/,
    );
    assert.ok(readStateFile(m.stateDir)?.pins['24'], '24 is still pinned');
    assertOneLineError(irqkit(['unpin']), 64, /name the IRQs to unpin, or --all/);
    assertOneLineError(irqkit(['unpin', '--all', '24']), 64, /not both/);
    assertOneLineError(irqkit(['unpin', 'eth0']), 64, /'eth0' is not an IRQ number/);
  });

  it('restore --dry-run shows the originals and writes nothing; restore IRQ puts it back and unpins it', () => {
    const dry = irqkit(['restore', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^dry run: nothing is written$/m);
    assert.deepEqual(cells(rowOf(dry.stdout, '24') ?? ''), [
      '24',
      '0',
      '3',
      '0',
      'ok (dry run: not written)',
    ]);
    assert.equal(affinity('24'), '3');
    const one = irqkit(['restore', '24']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(cells(rowOf(one.stdout, '24') ?? ''), ['24', '0', '3', '0', 'restored']);
    assert.match(one.stdout, /^unpinned IRQ 24$/m);
    assert.equal(affinity('24'), '0');
    assert.equal(readStateFile(m.stateDir)?.pins['24'], undefined);
    assertOneLineError(
      irqkit(['restore', '24']),
      65,
      /irqkitd has not changed IRQ 24: there is nothing to restore.*\(IRQ_ERR_NOT_CHANGED\)$/,
    );
  });

  it('restore of an IRQ whose original CPUs are all offline fails for that IRQ only: exit 1, the rest restored', () => {
    // 25, 26 and 27 were on CPU 0 before; CPU 0 goes offline.
    m.setOnline(0, false);
    try {
      const r = irqkit(['restore']);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(!hasStackTrace(r.stderr));
      assert.match(r.stderr, /^irqkit restore: IRQ 25: no CPU of 0 is online \(IRQ_ERR_CPU_OFFLINE\)$/m);
      assert.match(rowOf(r.stdout, '25') ?? '', /failed: IRQ_ERR_CPU_OFFLINE$/);
      const left = JSON.parse(irqkit(['pins', '--json']).stdout) as { originals: Array<{ irq: string }> };
      assert.deepEqual(
        left.originals.map((o) => o.irq),
        ['25', '26', '27'],
        'they keep their records for a later try',
      );
    } finally {
      m.setOnline(0, true);
    }
    const later = irqkit(['restore']);
    assert.equal(later.code, 0, later.stderr);
    for (const irq of ['25', '26', '27']) assert.equal(affinity(irq), '0');
    assert.match(irqkit(['restore']).stdout, /^nothing to restore: irqkitd has changed no IRQ$/m);
  });
});

describe('irqkit set --persist when irqkitd cannot save its state', () => {
  it('exits 74 with one line and changes nothing', async () => {
    const m = runningMachine({ ...defaultSimSpec(8), noise: 0 });
    // A state directory under a regular file can never be created (ENOTDIR), even by root.
    const d = await startDaemon(machineArgs(m, join(m.procRoot, 'interrupts', 'state')));
    try {
      assertOneLineError(
        irqkitAt(d)(['set', '--persist', '24=3']),
        74,
        /^irqkit set: cannot save .*state\.json \(create the directory: .*\); nothing was changed \(IRQ_ERR_STATE_WRITE\)$/,
      );
      assert.equal(readFileSync(join(m.procRoot, 'irq', '24', 'smp_affinity_list'), 'utf8').trim(), '0');
    } finally {
      await d.stop();
      m.cleanup();
    }
  });
});
