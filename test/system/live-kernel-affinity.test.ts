/**
 * Against the real kernel: runs only as root with a writable /proc/irq, otherwise skips.
 *
 * Movable IRQs are found by handler name (ACPI:Ged, virtio0-* — the balloon), the managed one
 * is virtio1-req.0 (0444 since 6.12). The IRQs of virtio2 — this machine's own control channel —
 * are never written, and every affinity touched is restored afterwards.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseCpuList } from '../../src/core/cpuset.ts';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import type { InterruptRow } from '../../src/core/snapshot.ts';
import { writeAffinityText } from '../../src/io/affinity-writer.ts';
import { createSystem } from '../../src/io/create-system.ts';
import { liveIrqs, MANAGED_NAME } from '../helpers/live-kernel.ts';

const PROC = '/proc';

const read = (path: string): string => readFileSync(path, 'utf8').trim();
const irqFile = (irq: string, file: string): string => read(`${PROC}/irq/${irq}/${file}`);
const writable = (irq: string): boolean =>
  (statSync(`${PROC}/irq/${irq}/smp_affinity_list`).mode & 0o222) !== 0;

interface Candidates {
  movable: InterruptRow[];
  managed: InterruptRow | undefined;
  forbidden: Set<string>;
}

function candidates(): Candidates {
  const l = liveIrqs(PROC);
  const movable = [l.balloon, l.ged].filter((r): r is InterruptRow => r !== undefined);
  return { movable, managed: l.managed, forbidden: l.forbidden };
}

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'live kernel tests need Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'live kernel tests need root (they write /proc/irq/N/smp_affinity_list)';
  }
  let c: Candidates;
  try {
    c = candidates();
  } catch (e) {
    return `cannot read ${PROC}/interrupts: ${(e as Error).message}`;
  }
  const probe = c.movable[0];
  if (probe === undefined) return 'no movable IRQ named ACPI:Ged or virtio0-* on this machine';
  // Writing the value already set changes nothing, and proves /proc/irq is writable here.
  const result = writeAffinityText(PROC, probe.label, irqFile(probe.label, 'smp_affinity_list'));
  return result.ok ? false : `/proc/irq is not writable: ${result.error.message}`;
}

const skip = skipReason();

/** Shown by the test runner as a diagnostic line (`# live: …`). */
const note = (message: string): void => console.log(`live: ${message}`);

describe('live kernel: IRQ affinity through createSystem()', { skip }, () => {
  if (skip !== false) return;
  const sys = createSystem();
  const c = candidates();
  const guard = (irq: string): string => {
    assert.ok(!c.forbidden.has(irq), `refusing to touch IRQ ${irq}: it belongs to virtio2`);
    return irq;
  };
  const original = new Map<string, string>();
  for (const r of [...c.movable, ...(c.managed ? [c.managed] : [])]) {
    original.set(guard(r.label), irqFile(r.label, 'smp_affinity_list'));
  }
  const restore = (): void => {
    for (const [irq, list] of original) {
      if (irqFile(irq, 'smp_affinity_list') !== list) writeAffinityText(PROC, guard(irq), list);
    }
  };
  // Each test restores in `finally`; this also covers a run killed by an uncaught error.
  process.once('exit', restore);
  const noManaged = c.managed === undefined ? `no IRQ named ${MANAGED_NAME}` : false;

  it('reads /proc/interrupts as the file says (counters only grow between reads)', () => {
    const first = parseInterrupts(read(`${PROC}/interrupts`));
    const mid = parseInterrupts(sys.readInterrupts());
    const last = parseInterrupts(read(`${PROC}/interrupts`));
    assert.deepEqual(mid.cpus, first.cpus);
    assert.deepEqual(
      mid.rows.map((r) => [r.label, r.actions ?? r.description]),
      first.rows.map((r) => [r.label, r.actions ?? r.description]),
    );
    mid.rows.forEach((r, i) => {
      r.counts.forEach((n, k) => {
        assert.ok((first.rows[i]?.counts[k] ?? 0) <= n, `${r.label} CPU${k}`);
        assert.ok(n <= (last.rows[i]?.counts[k] ?? 0), `${r.label} CPU${k}`);
      });
    });
  });

  it('lists the /proc/irq directories and reads the online CPUs', () => {
    const dirs = readdirSync(`${PROC}/irq`)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(sys.listIrqs(), dirs);
    assert.deepEqual(sys.topology().online, parseCpuList(read('/sys/devices/system/cpu/online')));
  });

  it('describes a movable IRQ: its affinity files, not managed, and its PCI device when it has one', () => {
    for (const r of c.movable) {
      const info = sys.irqInfo(r.label);
      assert.deepEqual(info.affinity, parseCpuList(irqFile(r.label, 'smp_affinity_list')));
      assert.equal(info.managed, false, 'writable smp_affinity_list on a ≥ 6.12 kernel');
      assert.deepEqual(info.actions, r.actions);
      const pci = /PCI-MSIX?-(\S+)/.exec(r.chip ?? '')?.[1];
      if (pci !== undefined) assert.equal(info.device?.name, pci, `IRQ ${r.label} is a vector of ${pci}`);
      note(`IRQ ${r.label} (${r.actions?.join(', ')}): device ${info.device?.name ?? 'none'}`);
    }
  });

  it('pins a movable IRQ to each online CPU in turn (pending only while the kernel still reports the old CPU)', async () => {
    const online = sys.topology().online;
    for (const r of c.movable) {
      const irq = guard(r.label);
      try {
        for (const cpu of online) {
          const effectiveBefore = parseCpuList(irqFile(irq, 'effective_affinity_list'));
          const result = sys.setAffinities([{ irq, cpu }]);
          const o = result.outcomes[0];
          assert.ok(result.ok && o !== undefined, JSON.stringify(result));
          assert.equal(irqFile(irq, 'smp_affinity_list'), String(cpu));
          assert.deepEqual(o.affinity, [cpu]);
          if (o.pending) {
            assert.deepEqual(o.effective, effectiveBefore, 'pending: the kernel still reports the old CPU');
            assert.ok(!effectiveBefore.includes(cpu));
          } else {
            assert.ok(o.effective?.includes(cpu), `effective ${o.effective} includes CPU ${cpu}`);
          }
          // Give an active IRQ the chance to fire and complete the move, to report what happened.
          let moved = !o.pending;
          for (let waited = 0; !moved && waited < 1500; waited += 100) {
            await new Promise((res) => setTimeout(res, 100));
            moved = parseCpuList(irqFile(irq, 'effective_affinity_list')).includes(cpu);
          }
          const how = !o.pending
            ? 'effective at once'
            : moved
              ? 'pending, then moved at its next interrupt'
              : 'still pending after 1.5 s (no interrupt)';
          note(`IRQ ${irq} (${r.actions?.join(', ')}) → CPU ${cpu}: ${how}`);
        }
      } finally {
        restore();
      }
    }
  });

  it('refuses the kernel-managed IRQ with IRQ_ERR_MANAGED and changes nothing', { skip: noManaged }, () => {
    const irq = guard(c.managed?.label ?? '');
    const list = irqFile(irq, 'smp_affinity_list');
    const other = sys.topology().online.find((cpu) => String(cpu) !== list) ?? 0;
    assert.equal(writable(irq), false, 'managed IRQs are 0444 since 6.12');
    assert.equal(sys.irqInfo(irq).managed, true);
    const r = sys.setAffinities([{ irq, cpu: other }]);
    assert.equal(r.ok, false);
    assert.equal(r.outcomes[0]?.error?.code, 'IRQ_ERR_MANAGED');
    assert.equal(irqFile(irq, 'smp_affinity_list'), list);
    // The kernel's own answer when the 0444 is bypassed (root): EPERM since 6.12.
    try {
      const raw = writeAffinityText(PROC, irq, String(other));
      assert.equal(raw.ok, false);
      if (!raw.ok) {
        assert.equal(raw.error.code, 'IRQ_ERR_MANAGED');
        note(`IRQ ${irq} (${MANAGED_NAME}): a raw write is refused with ${raw.error.errno}`);
      }
      assert.equal(irqFile(irq, 'smp_affinity_list'), list);
    } finally {
      restore();
    }
  });

  it('rolls a batch back when the managed IRQ sits in the middle of it', { skip: noManaged }, () => {
    const first = c.movable[0] as InterruptRow;
    const second = c.movable[1];
    const online = sys.topology().online;
    const target = online[online.length - 1] as number;
    const batch = [
      { irq: guard(first.label), cpu: target },
      { irq: guard(c.managed?.label ?? ''), cpu: target },
      ...(second ? [{ irq: guard(second.label), cpu: target }] : []),
    ];
    try {
      const r = sys.setAffinities(batch);
      assert.equal(r.ok, false);
      assert.equal(r.rolledBack, true);
      assert.deepEqual(
        r.outcomes.map((o) => o.error?.code),
        ['IRQ_ERR_ROLLED_BACK', 'IRQ_ERR_MANAGED', ...(second ? ['IRQ_ERR_NOT_ATTEMPTED'] : [])],
      );
      for (const w of batch) assert.equal(irqFile(w.irq, 'smp_affinity_list'), original.get(w.irq));
      assert.deepEqual(r.outcomes[0]?.affinity, parseCpuList(original.get(first.label) ?? ''));
    } finally {
      restore();
    }
  });

  it('a dry run on the real kernel writes nothing', () => {
    const irq = guard((c.movable[0] as InterruptRow).label);
    const before = irqFile(irq, 'smp_affinity_list');
    const r = sys.setAffinities([{ irq, cpu: 0 }], { dryRun: true });
    assert.equal(r.ok, true);
    assert.equal(irqFile(irq, 'smp_affinity_list'), before);
  });

  it('leaves every affinity it touched as it found it', () => {
    restore();
    for (const [irq, list] of original) assert.equal(irqFile(irq, 'smp_affinity_list'), list, `IRQ ${irq}`);
  });
});
