/**
 * Desired state that survives restarts, with the real bundled irqkitd in a child process pointed
 * (--procfs/--sysfs) at a simulated machine that this test drives: the machine outlives a daemon
 * (a crash and restart), or is replaced by a fresh one (a reboot), and the test can unload and
 * reload drivers on it, start an "irqbalance" or change an affinity behind irqkitd's back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PinsDoc, RestoreResult, UnpinResult } from '../../src/api/pin-schemas.ts';
import type { BatchResult, Health, PlanApplyResult } from '../../src/api/schemas.ts';
import { defaultSimSpec, type SimSpec } from '../../src/sim/spec.ts';
import {
  afterSamples,
  type DaemonProcess,
  eventually,
  type LogEntry,
  startDaemon,
} from '../helpers/daemon-process.ts';
import type { HttpResponse } from '../helpers/http.ts';
import { overwrite } from '../helpers/sim.ts';
import { machineArgs, readStateFile, runningMachine } from '../helpers/sim-daemon.ts';

const SPEC: SimSpec = { ...defaultSimSpec(8), noise: 0 };
type Machine = ReturnType<typeof runningMachine>;

const affinity = (m: Machine, irq: string): string =>
  readFileSync(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), 'utf8').trim();

const put = (d: DaemonProcess, irq: string, body: Record<string, unknown>): Promise<HttpResponse> =>
  d.request({ method: 'PUT', path: `/api/v1/irqs/${irq}/affinity`, json: body });

const post = (d: DaemonProcess, path: string, body: unknown): Promise<HttpResponse> =>
  d.request({ method: 'POST', path, json: body });

async function pins(d: DaemonProcess): Promise<PinsDoc> {
  const r = await d.request({ path: '/api/v1/pins' });
  assert.equal(r.status, 200, r.text);
  return r.json<PinsDoc>();
}

function pinStatus(d: DaemonProcess, irq: string, status: string) {
  return eventually(
    `IRQ ${irq}'s pin to be ${status}`,
    async () => {
      const p = (await pins(d)).pins.find((x) => x.irq === irq);
      return p?.status === status ? p : undefined;
    },
    undefined,
    50,
  );
}

/** A log line may reach us after the HTTP answer that followed it: wait for it. */
function logged(d: DaemonProcess, what: string, match: (e: LogEntry) => boolean): Promise<LogEntry> {
  return eventually(`the log line ${what}`, () => d.logs().find(match), undefined, 25);
}

function fileIs(m: Machine, irq: string, value: string) {
  return eventually(`IRQ ${irq}'s smp_affinity_list to be ${value}`, () =>
    affinity(m, irq) === value ? true : undefined,
  );
}

/**
 * Runs `fn` while the daemon is stopped (SIGSTOP, then SIGCONT): nothing `fn` changes in between
 * can be seen by it half done.
 */
async function whileFrozen(d: DaemonProcess, fn: () => void): Promise<void> {
  const stat = `/proc/${d.child.pid}/stat`;
  d.child.kill('SIGSTOP');
  try {
    // kill(2) only queues the signal; the state field after "(comm)" says when it took effect.
    await eventually('the daemon to be stopped', () =>
      /\) T /.test(readFileSync(stat, 'utf8')) ? true : undefined,
    );
    fn();
  } finally {
    d.child.kill('SIGCONT');
  }
}

async function stopped(d: DaemonProcess): Promise<void> {
  const r = await d.stop();
  assert.equal(r.code, 0, `exit 0 on SIGTERM; stderr:\n${d.stderr().slice(-2000)}`);
  assert.ok(!d.logs().some((e) => e.msg === 'handler failed'), 'no request crashed');
}

async function withMachine(fn: (m: Machine) => Promise<void>): Promise<void> {
  const m = runningMachine(SPEC);
  try {
    await fn(m);
  } finally {
    m.cleanup();
  }
}

describe('irqkitd keeps pins across restarts and reloads (real daemon, test-driven machine)', {
  concurrency: 6,
}, () => {
  it('a reboot (a fresh machine) gets the pins at start-up, and originals are taken anew from this boot', () =>
    withMachine(async (a) => {
      const d1 = await startDaemon(machineArgs(a, a.stateDir));
      const r = await put(d1, '24', { cpu: 3, persist: true });
      assert.equal(r.status, 200, r.text);
      assert.equal(affinity(a, '24'), '3');
      await stopped(d1);
      const file = readStateFile(a.stateDir);
      assert.equal(file?.pins['24']?.cpu, 3);
      assert.equal(file?.pins['24']?.name, 'eth0-TxRx-0', 'the handler names, to recognise the IRQ later');
      assert.equal(file?.bootId, a.bootId);
      // The reboot: a new machine (every IRQ back on CPU 0, a new boot id), the same state dir.
      const b = runningMachine({ ...SPEC, irqaffinity: [0, 1] });
      try {
        const d2 = await startDaemon(machineArgs(b, a.stateDir));
        try {
          assert.equal(affinity(b, '24'), '3', 'applied before the API answered');
          assert.ok(
            d2.logs().some((e) => e.msg === 'pin applied' && e.irq === '24' && e.reason === 'startup'),
          );
          assert.ok(
            d2
              .logs()
              .some((e) => e.msg === 'new boot: forgetting the original affinities of the previous one'),
          );
          const doc = await pins(d2);
          assert.equal(doc.pins[0]?.status, 'applied');
          assert.deepEqual(
            doc.originals.map((o) => [o.irq, o.affinity]),
            [['24', '0-1']],
            "this boot's original, not the previous boot's 0",
          );
        } finally {
          await stopped(d2);
        }
      } finally {
        b.cleanup();
      }
    }));

  it('after a crash (SIGKILL) the restarted daemon still restores the affinities from before the first change', () =>
    withMachine(async (m) => {
      const d1 = await startDaemon(machineArgs(m, m.stateDir));
      assert.equal((await put(d1, '24', { cpu: 3, persist: true })).status, 200);
      assert.equal(
        (await post(d1, '/api/v1/affinity', { assignments: [{ irq: '25', cpu: 2 }] })).status,
        200,
      );
      assert.equal((await put(d1, '25', { cpu: 5 })).status, 200, 'a second change keeps the first original');
      const killed = await d1.stop({ signal: 'SIGKILL' });
      assert.equal(killed.signal, 'SIGKILL');
      // Same machine, same boot: 24 is on 3 and 25 on 5 when the new daemon first looks.
      const d2 = await startDaemon(machineArgs(m, m.stateDir));
      try {
        const doc = await pins(d2);
        assert.deepEqual(
          doc.pins.map((p) => [p.irq, p.cpu, p.status]),
          [['24', 3, 'applied']],
        );
        assert.deepEqual(
          doc.originals.map((o) => [o.irq, o.affinity]),
          [
            ['24', '0'],
            ['25', '0'],
          ],
        );
        const r = await post(d2, '/api/v1/restore', {});
        assert.equal(r.status, 200, r.text);
        const body = r.json<RestoreResult>();
        assert.deepEqual(
          body.outcomes.map((o) => [o.irq, o.ok, o.original]),
          [
            ['24', true, [0]],
            ['25', true, [0]],
          ],
        );
        assert.deepEqual(body.unpinned, ['24']);
        assert.equal(affinity(m, '24'), '0');
        assert.equal(affinity(m, '25'), '0');
        assert.deepEqual(readStateFile(m.stateDir)?.originals, {});
        assert.deepEqual(
          readStateFile(m.stateDir)?.pins,
          {},
          'restore unpins, or the pin would read as drift',
        );
      } finally {
        await stopped(d2);
      }
    }));

  it('--restore-on-exit puts back every changed affinity on SIGTERM and keeps the pins for the next start', () =>
    withMachine(async (m) => {
      const d1 = await startDaemon(machineArgs(m, m.stateDir, ['--restore-on-exit']));
      assert.equal((await put(d1, '24', { cpu: 3, persist: true })).status, 200);
      const plan = await post(d1, '/api/v1/plan/apply', { window: '1s' });
      assert.equal(plan.status, 200, plan.text);
      const moved = plan.json<PlanApplyResult>().result.outcomes.map((o) => o.irq);
      assert.ok(moved.length > 0);
      await stopped(d1);
      assert.ok(d1.logs().some((e) => e.msg === 'restored on exit'));
      for (const irq of ['24', ...moved]) assert.equal(affinity(m, irq), '0', `IRQ ${irq} is back`);
      const file = readStateFile(m.stateDir);
      assert.deepEqual(Object.keys(file?.pins ?? {}), ['24'], 'the pin stays saved');
      assert.deepEqual(file?.originals, {}, 'nothing left to restore');
      const d2 = await startDaemon(machineArgs(m, m.stateDir));
      try {
        assert.equal(affinity(m, '24'), '3', 'pinned again at the next start');
      } finally {
        await stopped(d2);
      }
    }));

  it('an IRQ that vanishes and comes back (driver reload, NIC reset) is pinned again; one whose number went to another device is not', () =>
    withMachine(async (m) => {
      const d = await startDaemon(machineArgs(m, m.stateDir));
      try {
        const r = await post(d, '/api/v1/affinity', {
          assignments: [
            { irq: '24', cpu: 3 },
            { irq: '25', cpu: 4 },
            { irq: '26', cpu: 5 },
          ],
          persist: true,
        });
        assert.equal(r.status, 200, r.text);
        // A slow reload: the daemon sees the IRQ gone, then back with its boot-time affinity.
        m.removeIrq('24');
        await pinStatus(d, '24', 'missing');
        m.restoreIrq('24');
        await fileIs(m, '24', '3');
        await pinStatus(d, '24', 'applied');
        // A reload within one interval (the daemon is stopped meanwhile, so it cannot sample in
        // the middle): only the counters restarting from 0 tell.
        await whileFrozen(d, () => {
          m.removeIrq('25');
          m.restoreIrq('25');
          assert.equal(affinity(m, '25'), '0');
        });
        await fileIs(m, '25', '4');
        for (const irq of ['24', '25']) {
          await logged(
            d,
            `'pin applied' for IRQ ${irq} with reason 'reappeared'`,
            (e) => e.msg === 'pin applied' && e.irq === irq && e.reason === 'reappeared',
          );
        }
        // The number comes back for another device: never pin a stranger's IRQ.
        m.removeIrq('26');
        m.restoreIrq('26', { action: 'nvme9q1' });
        const p = await pinStatus(d, '26', 'mismatch');
        assert.match(p.detail ?? '', /now belongs to nvme9q1, not eth0-TxRx-2/);
        // Each sample checks every pin again; three more and the stranger's IRQ is still alone.
        await afterSamples(d, 3);
        assert.equal(affinity(m, '26'), '0');
        assert.equal((await pins(d)).pins.find((x) => x.irq === '26')?.status, 'mismatch');
      } finally {
        await stopped(d);
      }
    }));

  it('drift (something else changed a pinned IRQ) is reported in the pins, the log and /metrics, not fought; --reapply puts it back', () =>
    withMachine(async (m) => {
      const d = await startDaemon(machineArgs(m, m.stateDir));
      try {
        assert.equal((await put(d, '24', { cpu: 3, persist: true })).status, 200);
        overwrite(join(m.procRoot, 'irq', '24', 'smp_affinity_list'), '6\n');
        const p = await pinStatus(d, '24', 'drifted');
        assert.equal(p.affinity, '6');
        assert.match(p.detail ?? '', /something else changed it/);
        const line = await logged(d, "'pin drifted'", (e) => e.msg === 'pin drifted');
        assert.equal(line.level, 'warn');
        assert.equal(line?.affinity, '6');
        const metrics = (await d.request({ path: '/metrics' })).text;
        assert.match(metrics, /^irqkit_pins\{status="drifted"\} 1$/m);
        assert.match(metrics, /^irqkit_pin_drift_total 1$/m);
        await afterSamples(d, 3);
        assert.equal(affinity(m, '24'), '6', 'irqkitd does not fight it, sample after sample');
        const r = await post(d, '/api/v1/pins/apply', {});
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json<PinsDoc>().pins[0]?.status, 'applied');
        assert.equal(affinity(m, '24'), '3');
      } finally {
        await stopped(d);
      }
    }));

  it('notices a running irqbalance: in /healthz, the pin answers and the log, with the --banirq advice', () =>
    withMachine(async (m) => {
      const d = await startDaemon(machineArgs(m, m.stateDir));
      try {
        let h = (await d.request({ path: '/healthz' })).json<Health>();
        assert.equal(h.irqbalance.running, false);
        m.setProcess(4242, 'irqbalance');
        m.setProcess(4243, 'irqbalancer-not');
        const r = await put(d, '24', { cpu: 3, persist: true });
        assert.equal(r.status, 200);
        await eventually('irqbalance seen', async () => {
          h = (await d.request({ path: '/healthz' })).json();
          return h.irqbalance.running ? true : undefined;
        });
        const health = (await d.request({ path: '/healthz' })).json<Health>();
        assert.equal(health.status, 'ok', 'irqbalance is worth a warning, not a failed health check');
        assert.deepEqual(health.irqbalance.pids, [4242]);
        assert.match(health.warnings.join('\n'), /irqbalance is running \(pid 4242\).*--banirq=24/);
        const doc = await pins(d);
        assert.match(doc.warnings.join('\n'), /IRQBALANCE_ARGS="--banirq=24"/);
        const batch = await post(d, '/api/v1/affinity', {
          assignments: [{ irq: '25', cpu: 2 }],
          persist: true,
        });
        assert.match((batch.json<BatchResult>().warnings ?? []).join('\n'), /--banirq=24 --banirq=25/);
        await logged(
          d,
          "'irqbalance is running'",
          (e) => e.msg === 'irqbalance is running' && e.level === 'warn',
        );
        m.setProcess(4242, null);
        await eventually('irqbalance gone', async () => {
          h = (await d.request({ path: '/healthz' })).json();
          return h.irqbalance.running ? undefined : true;
        });
        await logged(
          d,
          "'irqbalance is no longer running'",
          (e) => e.msg === 'irqbalance is no longer running',
        );
      } finally {
        await stopped(d);
      }
    }));

  it('unpin removes pins (the affinity stays), and refuses an IRQ that is not pinned', () =>
    withMachine(async (m) => {
      const d = await startDaemon(machineArgs(m, m.stateDir));
      try {
        const set = await post(d, '/api/v1/affinity', {
          assignments: [
            { irq: '24', cpu: 3 },
            { irq: '25', cpu: 4 },
          ],
          persist: true,
        });
        assert.equal(set.status, 200);
        const bad = await post(d, '/api/v1/pins/remove', { irqs: ['24', '30'] });
        assert.equal(bad.status, 404);
        assert.equal(bad.json().code, 'IRQ_ERR_NOT_PINNED');
        assert.equal((await pins(d)).pins.length, 2, 'all or nothing');
        const both = await post(d, '/api/v1/pins/remove', { irqs: ['24'], all: true });
        assert.equal(both.status, 400);
        const ok = await post(d, '/api/v1/pins/remove', { irqs: ['24'] });
        assert.deepEqual(ok.json<UnpinResult>().unpinned, ['24']);
        assert.equal(affinity(m, '24'), '3', 'unpinning does not move the IRQ');
        assert.deepEqual(Object.keys(readStateFile(m.stateDir)?.pins ?? {}), ['25']);
        const all = await post(d, '/api/v1/pins/remove', { all: true });
        assert.deepEqual(all.json<UnpinResult>().unpinned, ['25']);
        const notChanged = await post(d, '/api/v1/restore', { irqs: ['30'] });
        assert.equal(notChanged.status, 404);
        assert.equal(notChanged.json().code, 'IRQ_ERR_NOT_CHANGED');
      } finally {
        await stopped(d);
      }
    }));
});
