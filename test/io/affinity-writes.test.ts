import assert from 'node:assert/strict';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { errnoToErrorCode } from '../../src/io/affinity-writer.ts';
import type { SimulatedMachine } from '../../src/sim/machine.ts';
import { procFile, smallSpec, withMachine } from '../helpers/sim.ts';

const lists = (m: SimulatedMachine) =>
  Object.fromEntries(
    m
      .system()
      .listIrqs()
      .map((irq) => [irq, procFile(m, irq, 'smp_affinity_list')]),
  );

describe('single affinity writes', () => {
  it('pins an IRQ to one CPU; the move is pending until its next interrupt, then effective', () =>
    withMachine(smallSpec(), (m) => {
      const sys = m.system();
      const irq = m.irqsOf('eth0')[0] as string;
      const r = sys.setAffinities([{ irq, cpu: 2 }]);
      assert.deepEqual(r, {
        ok: true,
        dryRun: false,
        rolledBack: false,
        outcomes: [
          {
            irq,
            cpu: 2,
            ok: true,
            previous: [0],
            affinity: [2],
            effective: [0],
            pending: true,
            rolledBack: false,
          },
        ],
      });
      assert.equal(procFile(m, irq, 'smp_affinity_list'), '2');
      m.advance(1);
      assert.deepEqual(sys.irqInfo(irq).effective, [2]);
      assert.deepEqual(m.counts(irq), [0, 0, 1600, 0], 'the interrupts now land on CPU 2');
    }));

  it('writing the value already set is a harmless no-op, not pending', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[0] as string;
      const r = m.system().setAffinities([{ irq, cpu: 0 }]);
      assert.equal(r.ok, true);
      assert.deepEqual(r.outcomes[0]?.previous, [0]);
      assert.deepEqual(r.outcomes[0]?.affinity, [0]);
      assert.equal(r.outcomes[0]?.pending, false);
    }));

  it('refuses a managed (0444) IRQ without writing it', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('nvme0')[0] as string;
      const r = m.system().setAffinities([{ irq, cpu: 2 }]);
      assert.equal(r.ok, false);
      assert.equal(r.outcomes[0]?.error?.code, 'IRQ_ERR_MANAGED');
      assert.equal(procFile(m, irq, 'smp_affinity_list'), '0-1');
    }));

  it('an empty batch succeeds and writes nothing', () =>
    withMachine(smallSpec(), (m) => {
      assert.deepEqual(m.system().setAffinities([]), {
        ok: true,
        dryRun: false,
        rolledBack: false,
        outcomes: [],
      });
    }));
});

describe('dry runs', () => {
  it('report previous and would-be affinity and write nothing', () =>
    withMachine(smallSpec(), (m) => {
      const before = lists(m);
      const [a, b] = m.irqsOf('eth0') as [string, string];
      const r = m.system().setAffinities(
        [
          { irq: a, cpu: 1 },
          { irq: b, cpu: 2 },
        ],
        { dryRun: true },
      );
      assert.equal(r.ok, true);
      assert.equal(r.dryRun, true);
      assert.deepEqual(
        r.outcomes.map((o) => [o.irq, o.previous, o.affinity, o.ok]),
        [
          [a, [0], [1], true],
          [b, [0], [2], true],
        ],
      );
      assert.deepEqual(lists(m), before);
    }));

  it('predict the refusal of a managed (0444) IRQ', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('nvme0')[0] as string;
      const r = m.system().setAffinities([{ irq, cpu: 0 }], { dryRun: true });
      assert.equal(r.ok, false);
      assert.equal(r.outcomes[0]?.error?.code, 'IRQ_ERR_MANAGED');
    }));

  it('validate like real runs', () =>
    withMachine(smallSpec(), (m) => {
      const r = m.system().setAffinities([{ irq: '24', cpu: 3 }], { dryRun: true });
      assert.equal(r.ok, false);
      assert.equal(r.outcomes[0]?.error?.code, 'IRQ_ERR_CPU_OFFLINE');
    }));
});

describe('validation: one bad write means nothing is written', () => {
  const cases: [string, { irq: string; cpu: number }, string][] = [
    ['a label with a path trick', { irq: '../24', cpu: 1 }, 'IRQ_ERR_UNKNOWN_IRQ'],
    ['a named row', { irq: 'LOC', cpu: 1 }, 'IRQ_ERR_UNKNOWN_IRQ'],
    ['an IRQ that does not exist', { irq: '999', cpu: 1 }, 'IRQ_ERR_UNKNOWN_IRQ'],
    ['a CPU the machine does not have', { irq: '25', cpu: 4 }, 'IRQ_ERR_UNKNOWN_CPU'],
    ['a negative CPU', { irq: '25', cpu: -1 }, 'IRQ_ERR_UNKNOWN_CPU'],
    ['a fractional CPU', { irq: '25', cpu: 1.5 }, 'IRQ_ERR_UNKNOWN_CPU'],
    ['an offline CPU', { irq: '25', cpu: 3 }, 'IRQ_ERR_CPU_OFFLINE'],
  ];
  for (const [what, bad, code] of cases) {
    it(`${what} → ${code}`, () =>
      withMachine(smallSpec(), (m) => {
        const before = lists(m);
        const r = m.system().setAffinities([{ irq: '24', cpu: 1 }, bad, { irq: '26', cpu: 2 }]);
        assert.equal(r.ok, false);
        assert.equal(r.rolledBack, false);
        assert.deepEqual(
          r.outcomes.map((o) => o.error?.code),
          ['IRQ_ERR_NOT_ATTEMPTED', code, 'IRQ_ERR_NOT_ATTEMPTED'],
        );
        assert.deepEqual(lists(m), before);
      }));
  }

  it('the same IRQ twice in one batch is a usage error for both', () =>
    withMachine(smallSpec(), (m) => {
      const before = lists(m);
      const r = m.system().setAffinities([
        { irq: '24', cpu: 1 },
        { irq: '25', cpu: 1 },
        { irq: '24', cpu: 2 },
      ]);
      assert.deepEqual(
        r.outcomes.map((o) => o.error?.code),
        ['IRQ_ERR_USAGE', 'IRQ_ERR_NOT_ATTEMPTED', 'IRQ_ERR_USAGE'],
      );
      assert.match(r.outcomes[0]?.error?.message ?? '', /appears 2 times/);
      assert.deepEqual(lists(m), before);
    }));

  it('an IRQ whose directory vanished before the call is unknown', () =>
    withMachine(smallSpec(), (m) => {
      rmSync(join(m.procRoot, 'irq', '26'), { recursive: true });
      const r = m.system().setAffinities([{ irq: '26', cpu: 1 }]);
      assert.equal(r.outcomes[0]?.error?.code, 'IRQ_ERR_UNKNOWN_IRQ');
    }));
});

describe('batch rollback', () => {
  it('a managed IRQ in the middle undoes the earlier writes and skips the later ones', () =>
    withMachine(smallSpec(), (m) => {
      const before = lists(m);
      const [e0, e1, e2] = m.irqsOf('eth0') as [string, string, string];
      const nvme = m.irqsOf('nvme0')[0] as string;
      const r = m.system().setAffinities([
        { irq: e0, cpu: 1 },
        { irq: e1, cpu: 2 },
        { irq: nvme, cpu: 2 },
        { irq: e2, cpu: 1 },
      ]);
      assert.equal(r.ok, false);
      assert.equal(r.rolledBack, true);
      assert.deepEqual(
        r.outcomes.map((o) => [o.irq, o.ok, o.rolledBack, o.error?.code, o.affinity]),
        [
          [e0, false, true, 'IRQ_ERR_ROLLED_BACK', [0]],
          [e1, false, true, 'IRQ_ERR_ROLLED_BACK', [0]],
          [nvme, false, false, 'IRQ_ERR_MANAGED', [0, 1]],
          [e2, false, false, 'IRQ_ERR_NOT_ATTEMPTED', [0]],
        ],
      );
      assert.match(r.outcomes[0]?.error?.message ?? '', new RegExp(`because IRQ ${nvme} failed`));
      assert.deepEqual(lists(m), before, 'the files show the old values');
    }));

  it('restores a multi-CPU previous affinity exactly', () =>
    withMachine(smallSpec({ irqaffinity: [0, 1, 2] }), (m) => {
      const [e0] = m.irqsOf('eth0') as [string];
      const r = m.system().setAffinities([
        { irq: e0, cpu: 2 },
        { irq: m.irqsOf('nvme0')[1] as string, cpu: 0 },
      ]);
      assert.equal(r.rolledBack, true);
      assert.deepEqual(r.outcomes[0]?.previous, [0, 1, 2]);
      assert.equal(procFile(m, e0, 'smp_affinity_list'), '0-2');
    }));

  it('an IRQ that vanishes between validation and its write fails as unknown and rolls back', () =>
    withMachine(smallSpec(), (m) => {
      const before = lists(m);
      const [e0, e1, e2] = m.irqsOf('eth0') as [string, string, string];
      const sys = m.system({
        beforeWrite: (w) => {
          if (w.irq === e2) rmSync(join(m.procRoot, 'irq', e2), { recursive: true });
        },
      });
      const r = sys.setAffinities([
        { irq: e0, cpu: 1 },
        { irq: e1, cpu: 1 },
        { irq: e2, cpu: 2 },
      ]);
      assert.equal(r.ok, false);
      assert.equal(r.rolledBack, true);
      assert.deepEqual(
        r.outcomes.map((o) => o.error?.code),
        ['IRQ_ERR_ROLLED_BACK', 'IRQ_ERR_ROLLED_BACK', 'IRQ_ERR_UNKNOWN_IRQ'],
      );
      assert.equal(r.outcomes[2]?.error?.errno, 'ENOENT');
      delete before[e2];
      assert.deepEqual(lists(m), before);
    }));

  it('says so when undoing a write fails too (and does not claim a rollback)', () =>
    withMachine(smallSpec(), (m) => {
      const [e0, e1, e2] = m.irqsOf('eth0') as [string, string, string];
      const sys = m.system({
        beforeWrite: (w) => {
          if (w.irq !== e2) return;
          // The kernel takes e1 over (now managed) and frees e2 before their turn comes.
          chmodSync(join(m.procRoot, 'irq', e1, 'smp_affinity_list'), 0o444);
          rmSync(join(m.procRoot, 'irq', e2), { recursive: true });
        },
      });
      const r = sys.setAffinities([
        { irq: e0, cpu: 1 },
        { irq: e1, cpu: 1 },
        { irq: e2, cpu: 1 },
      ]);
      assert.equal(r.ok, false);
      assert.equal(r.rolledBack, false);
      assert.deepEqual(
        r.outcomes.map((o) => [o.rolledBack, o.error?.code]),
        [
          [true, 'IRQ_ERR_ROLLED_BACK'],
          [false, 'IRQ_ERR_MANAGED'],
          [false, 'IRQ_ERR_UNKNOWN_IRQ'],
        ],
      );
      assert.match(r.outcomes[1]?.error?.message ?? '', /restoring it after IRQ .* failed too/);
      assert.deepEqual(r.outcomes[1]?.affinity, [1], 'still on the CPU it was moved to');
      assert.equal(procFile(m, e0, 'smp_affinity_list'), '0');
    }));
});

describe('permission', () => {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  it('a write refused with EACCES (not root) is IRQ_ERR_PERMISSION, not managed', () =>
    withMachine(smallSpec(), (m) => {
      const irq = m.irqsOf('eth0')[0] as string;
      const file = join(m.procRoot, 'irq', irq, 'smp_affinity_list');
      const attempt = () => m.system().setAffinities([{ irq, cpu: 1 }]);
      let r: ReturnType<typeof attempt>;
      if (root) {
        // As root, drop the effective uid to nobody for the write: the file stays writable by
        // its owner (root), so it looks settable, yet open(2) fails with EACCES for nobody.
        chmodSync(m.dir, 0o755);
        chmodSync(file, 0o644);
        process.seteuid?.(65534);
        try {
          r = attempt();
        } finally {
          process.seteuid?.(0);
        }
      } else {
        // Writable by group and others but not by its owner (us): the same situation.
        chmodSync(file, 0o466);
        r = attempt();
      }
      assert.equal(r.outcomes[0]?.error?.code, 'IRQ_ERR_PERMISSION');
      assert.equal(r.outcomes[0]?.error?.errno, 'EACCES');
      assert.match(r.outcomes[0]?.error?.message ?? '', /needs root/);
      assert.equal(m.system().irqInfo(irq).managed, false);
    }));
});

describe('errno of a refused write → catalogue code', () => {
  it('maps each errno of a refused write to its catalogue code', () => {
    const table: [string | undefined, string][] = [
      ['EIO', 'IRQ_ERR_MANAGED'],
      ['EPERM', 'IRQ_ERR_MANAGED'],
      ['EINVAL', 'IRQ_ERR_CPU_OFFLINE'],
      ['ERANGE', 'IRQ_ERR_CPU_OFFLINE'],
      ['EOVERFLOW', 'IRQ_ERR_CPU_OFFLINE'],
      ['ENOSPC', 'IRQ_ERR_NO_VECTOR'],
      ['EACCES', 'IRQ_ERR_PERMISSION'],
      ['ENOENT', 'IRQ_ERR_UNKNOWN_IRQ'],
      ['ENOMEM', 'IRQ_ERR_INTERNAL'],
      [undefined, 'IRQ_ERR_INTERNAL'],
    ];
    for (const [errno, code] of table) assert.equal(errnoToErrorCode(errno), code, String(errno));
  });
});
