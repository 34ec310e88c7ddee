/**
 * The real daemon on the real kernel: `irqkitd --listen 127.0.0.1:0` with no --simulate, so it
 * reads /proc/interrupts and writes /proc/irq/N/smp_affinity_list. Runs only as root with a
 * writable /proc/irq; otherwise it skips and says why.
 *
 * IRQs are found by handler name: movable `ACPI:Ged` and the busiest virtio balloon vector
 * (`virtio0-*`), kernel-managed `virtio1-req.0` (0444 since 6.12; writes give EPERM). The IRQs of
 * virtio2 — the machine's control channel — and of its PCI device are never written, and every
 * smp_affinity_list this file touches is written back to its saved value afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type {
  BatchResult,
  Distribution,
  InterruptsDoc,
  IrqList,
  Plan,
  SetAffinityResult,
} from '../../src/api/schemas.ts';
import { parseCpuList } from '../../src/core/cpuset.ts';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import type { InterruptRow } from '../../src/core/snapshot.ts';
import { expectProblem } from '../helpers/api-assert.ts';
import { type DaemonProcess, startDaemon } from '../helpers/daemon-process.ts';
import { liveIrqs, MANAGED_NAME } from '../helpers/live-kernel.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

const PROC = '/proc';

const read = (path: string): string => readFileSync(path, 'utf8').trim();
const irqPath = (irq: string, file: string): string => {
  assert.match(irq, /^\d+$/);
  return `${PROC}/irq/${irq}/${file}`;
};
const irqFile = (irq: string, file: string): string => read(irqPath(irq, file));
const writable = (irq: string): boolean => (statSync(irqPath(irq, 'smp_affinity_list')).mode & 0o222) !== 0;

interface Candidates {
  /** ACPI:Ged first, then the busiest writable balloon vector. */
  movable: InterruptRow[];
  managed: InterruptRow | undefined;
  forbidden: Set<string>;
}

function candidates(): Candidates {
  const l = liveIrqs(PROC);
  const movable = [l.ged, l.balloon].filter((r): r is InterruptRow => r !== undefined);
  return { movable, managed: l.managed, forbidden: l.forbidden };
}

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'the live kernel tests need Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'the live kernel tests need root: irqkitd writes /proc/irq/N/smp_affinity_list';
  }
  let c: Candidates;
  try {
    c = candidates();
  } catch (e) {
    return `cannot read ${PROC}/interrupts: ${(e as Error).message}`;
  }
  const probe = c.movable[0];
  if (probe === undefined) return 'no movable IRQ named ACPI:Ged or virtio0-* on this machine';
  try {
    // Writing back the value already set changes nothing and proves /proc/irq is writable.
    writeFileSync(irqPath(probe.label, 'smp_affinity_list'), irqFile(probe.label, 'smp_affinity_list'));
  } catch (e) {
    return `/proc/irq is not writable here: ${(e as Error).message}`;
  }
  return false;
}

const skip = skipReason();

describe('irqkitd on the live kernel (root, real /proc)', { skip }, () => {
  if (skip !== false) return;
  const c = candidates();
  const guard = (irq: string): string => {
    assert.ok(!c.forbidden.has(irq), `refusing to touch IRQ ${irq}: it belongs to virtio2`);
    return irq;
  };
  const original = new Map<string, string>();
  for (const r of [...c.movable, ...(c.managed ? [c.managed] : [])]) {
    original.set(guard(r.label), irqFile(r.label, 'smp_affinity_list'));
  }
  /** Writes each saved smp_affinity_list straight back to its file. */
  const restore = (): void => {
    for (const [irq, list] of original) {
      try {
        if (irqFile(irq, 'smp_affinity_list') !== list)
          writeFileSync(irqPath(guard(irq), 'smp_affinity_list'), list);
      } catch {
        // a managed IRQ refuses (and was never changed); the check in `after` reports the rest
      }
    }
  };
  // Also on a crash of the test process.
  process.once('exit', restore);
  const noManaged = c.managed === undefined ? `this machine has no IRQ named ${MANAGED_NAME}` : false;
  const note = (message: string): void => console.log(`live: ${message}`);

  let d: DaemonProcess;
  let online: number[];
  let stateDir = '';

  before(async () => {
    // Its own state dir: the test must not leave pins or originals in the host's /var/lib/irqkit.
    stateDir = mkdtempSync(join(tmpdir(), 'irqkit-live-state-'));
    d = await startDaemon(['--listen', '127.0.0.1:0', '--interval', '100ms', '--state-dir', stateDir]);
    online = parseCpuList(read('/sys/devices/system/cpu/online'));
  });

  after(async () => {
    try {
      const r = await d?.stop();
      assert.equal(r?.code, 0, `irqkitd exits 0 on SIGTERM; stderr:\n${d?.stderr().slice(-2000)}`);
    } finally {
      restore();
      if (stateDir !== '') rmSync(stateDir, { recursive: true, force: true });
    }
    for (const [irq, list] of original) {
      assert.equal(irqFile(irq, 'smp_affinity_list'), list, `IRQ ${irq} is back to its smp_affinity_list`);
    }
  });

  it('runs on the real /proc and /sys', async () => {
    assert.equal(d.simDir, null);
    const h = (await d.request({ path: '/healthz' })).json();
    assert.equal(h.status, 'ok');
    assert.equal(h.readOnly, false);
    assert.doesNotMatch(String(h.system), /simulated/);
  });

  it('GET /api/v1/interrupts?format=text agrees with /proc/interrupts (header, IRQ labels and names)', async () => {
    const res = await d.request({ path: '/api/v1/interrupts?format=text' });
    const later = read(`${PROC}/interrupts`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(
      res.text.split('\n')[0],
      readFileSync(`${PROC}/interrupts`, 'utf8').split('\n')[0],
      'the CPU header',
    );
    const served = parseInterrupts(res.text);
    const kernel = parseInterrupts(later);
    assert.deepEqual(served.cpus, kernel.cpus);
    assert.deepEqual(served.cpus, online);
    const shape = (rows: InterruptRow[]) => rows.map((r) => [r.label, r.actions ?? r.description ?? '']);
    assert.deepEqual(shape(served.rows), shape(kernel.rows));
    // The daemon's sample was taken before the later read: no counter can be ahead of the kernel.
    served.rows.forEach((r, i) => {
      r.counts.forEach((n, k) => {
        assert.ok(
          n <= (kernel.rows[i]?.counts[k] ?? 0),
          `${r.label} CPU${served.cpus[k]}: ${n} is not ahead`,
        );
      });
    });
    const json = (await d.request({ path: '/api/v1/interrupts' })).json<InterruptsDoc>();
    assert.deepEqual(json.cpus, online);
  });

  it('GET /api/v1/irqs lists every /proc/irq directory; the movable ones are not managed, virtio1-req.0 is', async () => {
    const list = (await d.request({ path: '/api/v1/irqs' })).json<IrqList>();
    const dirs = readdirSync(`${PROC}/irq`)
      .filter((x) => /^\d+$/.test(x))
      .sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(
      list.irqs.map((i) => i.irq),
      dirs,
    );
    for (const r of c.movable) {
      const info = list.irqs.find((i) => i.irq === r.label);
      assert.equal(info?.managed, false, `IRQ ${r.label} (${r.actions})`);
      assert.equal(info?.name, (r.actions ?? []).join(', '));
      const pci = /PCI-MSIX?-(\S+)/.exec(r.chip ?? '')?.[1];
      if (pci !== undefined) assert.equal(info?.device?.name, pci);
    }
    if (c.managed) assert.equal(list.irqs.find((i) => i.irq === c.managed?.label)?.managed, true);
  });

  it('PUT /api/v1/irqs/{irq}/affinity pins each movable IRQ to each CPU in turn', async () => {
    try {
      for (const r of c.movable) {
        const irq = guard(r.label);
        for (const cpu of online) {
          const effectiveBefore = parseCpuList(irqFile(irq, 'effective_affinity_list'));
          const res = await d.request({ method: 'PUT', path: `/api/v1/irqs/${irq}/affinity`, json: { cpu } });
          assert.equal(res.status, 200, res.text);
          const o = res.json<SetAffinityResult>();
          assert.equal(o.ok, true);
          assert.equal(o.irq, irq);
          assert.deepEqual(o.affinity, [cpu]);
          assert.equal(irqFile(irq, 'smp_affinity_list'), String(cpu));
          const effectiveNow = parseCpuList(irqFile(irq, 'effective_affinity_list'));
          if (o.pending) {
            // Only acceptable while the kernel still routes to the old CPU (x86: until the next interrupt).
            assert.deepEqual(o.effective, effectiveBefore, 'pending: the kernel still showed the old CPU');
            assert.ok(!effectiveBefore.includes(cpu));
            assert.ok(
              effectiveNow.includes(cpu) || JSON.stringify(effectiveNow) === JSON.stringify(effectiveBefore),
              `effective_affinity_list is the old CPU or the new one: ${effectiveNow}`,
            );
          } else {
            assert.ok(o.effective?.includes(cpu), `response effective ${o.effective} includes CPU ${cpu}`);
            assert.deepEqual(effectiveNow, o.effective, 'the response agrees with effective_affinity_list');
          }
          const details = (await d.request({ path: `/api/v1/irqs/${irq}` })).json();
          assert.equal(details.affinity, String(cpu));
          note(
            `IRQ ${irq} (${r.actions?.join(', ')}) → CPU ${cpu}: ${o.pending ? 'pending' : 'effective at once'}`,
          );
        }
      }
    } finally {
      restore();
    }
  });

  it('PUT on the kernel-managed IRQ → 409 IRQ_ERR_MANAGED and its files are unchanged', {
    skip: noManaged,
  }, async () => {
    const irq = guard(c.managed?.label ?? '');
    const files = ['smp_affinity_list', 'smp_affinity', 'effective_affinity_list'];
    const before = files.map((f) => irqFile(irq, f));
    assert.equal(writable(irq), false, 'managed IRQs are 0444 since 6.12');
    const current = parseCpuList(before[0] as string);
    const other = online.find((cpu) => !current.includes(cpu) || current.length > 1) ?? online[0] ?? 0;
    try {
      const p = expectProblem(
        await d.request({ method: 'PUT', path: `/api/v1/irqs/${irq}/affinity`, json: { cpu: other } }),
        409,
        'IRQ_ERR_MANAGED',
      );
      assert.equal(p.irq, irq);
      assert.deepEqual(
        files.map((f) => irqFile(irq, f)),
        before,
      );
      assert.equal(writable(irq), false);
    } finally {
      restore();
    }
  });

  it('POST /api/v1/affinity with the managed IRQ in the middle → 409, the earlier write rolled back', {
    skip: noManaged,
  }, async () => {
    const [first, second] = c.movable as [InterruptRow, InterruptRow | undefined];
    const target = online[online.length - 1] as number;
    const assignments = [
      { irq: guard(first.label), cpu: target },
      { irq: guard(c.managed?.label ?? ''), cpu: target },
      ...(second ? [{ irq: guard(second.label), cpu: target }] : []),
    ];
    try {
      const dry = await d.request({
        method: 'POST',
        path: '/api/v1/affinity',
        json: { assignments, dryRun: true },
      });
      assert.equal(dry.status, 409, dry.text);
      for (const a of assignments) assert.equal(irqFile(a.irq, 'smp_affinity_list'), original.get(a.irq));
      const res = await d.request({ method: 'POST', path: '/api/v1/affinity', json: { assignments } });
      assert.equal(res.status, 409, res.text);
      const r = res.json<BatchResult>();
      assert.equal(r.ok, false);
      assert.equal(r.rolledBack, true);
      assert.deepEqual(
        r.outcomes.map((o) => o.error?.code),
        ['IRQ_ERR_ROLLED_BACK', 'IRQ_ERR_MANAGED', ...(second ? ['IRQ_ERR_NOT_ATTEMPTED'] : [])],
      );
      for (const a of assignments)
        assert.equal(irqFile(a.irq, 'smp_affinity_list'), original.get(a.irq), `IRQ ${a.irq}`);
    } finally {
      restore();
    }
  });

  it('GET /api/v1/distribution and /api/v1/plan work on the real machine (read only)', async () => {
    const dist = (await d.request({ path: '/api/v1/distribution?window=1s' })).json<Distribution>();
    assert.equal(dist.window.complete, true);
    assert.deepEqual(dist.cpus, online);
    dist.cpuTotals.forEach((t, i) => {
      assert.equal(
        t.interrupts,
        dist.irqs.reduce((s, irq) => s + (irq.perCpu[i] ?? 0), 0),
      );
    });
    const res = await d.request({ path: '/api/v1/plan?window=1s' });
    assert.equal(res.status, 200, res.text);
    const plan = res.json<Plan>();
    assert.deepEqual(plan.cpus, online);
    if (c.managed) {
      const m = plan.assignments.find((a) => a.irq === c.managed?.label);
      if (m) assert.equal(m.fixed, true, 'the managed IRQ stays where the kernel put it');
    }
  });
});
