/**
 * irqkitd under faults, on a simulated machine with fault injection points, so every case runs
 * anywhere: a batch failing halfway, an IRQ vanishing between planning and applying, a CPU going
 * offline, a /proc/interrupts that cannot be read, is truncated or changes its columns, and a full
 * disk when saving state. The daemon runs in this process (src/daemon/daemon.ts) over loopback
 * HTTP, so a test can wrap its system and its state file system; the machine is the test's.
 * (Signals need a real process: irqkitd-signals.test.ts.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PinsDoc } from '../../src/api/pin-schemas.ts';
import type {
  BatchResult,
  CpuSummary,
  Distribution,
  Health,
  Plan,
  PlanApplyResult,
} from '../../src/api/schemas.ts';
import type { SystemAccess } from '../../src/io/system.ts';
import { defaultSimSpec, type SimSpec } from '../../src/sim/spec.ts';
import { expectProblem } from '../helpers/api-assert.ts';
import { afterFailures, afterSamples, eventually } from '../helpers/daemon-process.ts';
import type { HttpResponse } from '../helpers/http.ts';
import { overwrite } from '../helpers/sim.ts';
import {
  faultyStateFs,
  type InProcessDaemon,
  inProcessDaemon,
  readStateFile,
  runningMachine,
} from '../helpers/sim-daemon.ts';

// 8 CPUs on 2 nodes: eth0 queues on IRQs 24-31, managed nvme0 on 32-39, eth1 on 40-43; every
// movable IRQ starts on CPU 0. No noise, so rates are exact.
const SPEC: SimSpec = { ...defaultSimSpec(8), noise: 0 };

/** Log lines of a crashed request, or of an answer the response check refused. */
const CONTRACT_BREACHES = new Set([
  'handler failed',
  'request handling failed',
  'error answer breaks the API contract',
]);

async function json<T>(d: InProcessDaemon, path: string): Promise<T> {
  const r = await d.request({ path });
  assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 400)}`);
  return r.json<T>();
}

const put = (d: InProcessDaemon, irq: string, body: Record<string, unknown>): Promise<HttpResponse> =>
  d.request({ method: 'PUT', path: `/api/v1/irqs/${irq}/affinity`, json: body });

const post = (d: InProcessDaemon, path: string, body: unknown): Promise<HttpResponse> =>
  d.request({ method: 'POST', path, json: body });

async function pinOf(d: InProcessDaemon, irq: string) {
  return (await json<PinsDoc>(d, '/api/v1/pins')).pins.find((p) => p.irq === irq);
}

/** Waits until IRQ's pin has `status`. */
function pinStatus(d: InProcessDaemon, irq: string, status: string, timeoutMs = 30_000) {
  return eventually(
    `IRQ ${irq}'s pin to be ${status}`,
    async () => {
      const p = await pinOf(d, irq);
      return p?.status === status ? p : undefined;
    },
    timeoutMs,
    50,
  );
}

/** Sum of irqkit_irq_interrupts_total over every IRQ. */
async function irqTotal(d: InProcessDaemon): Promise<number> {
  const text = (await d.request({ path: '/metrics' })).text;
  let sum = 0;
  for (const m of text.matchAll(/^irqkit_irq_interrupts_total\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
  return sum;
}

/** irqkit_cpu_interrupts_total by CPU. */
async function cpuTotals(d: InProcessDaemon): Promise<Map<number, number>> {
  const text = (await d.request({ path: '/metrics' })).text;
  const totals = new Map<number, number>();
  for (const m of text.matchAll(/^irqkit_cpu_interrupts_total\{cpu="(\d+)"\} (\d+)$/gm))
    totals.set(Number(m[1]), Number(m[2]));
  return totals;
}

/** Runs `fn` with a machine and a daemon on it; both are removed afterwards. */
type Machine = ReturnType<typeof runningMachine>;

/**
 * The machine's own counters of its numbered IRQs, per CPU: what a perfect reader would count.
 * Read before a sample and after another, they bound what the daemon may have counted between
 * the two: more would be interrupts that never happened.
 */
function machineCounts(m: Machine): number[] {
  const perCpu = new Array<number>(m.spec.cpus).fill(0);
  for (const i of m.irqs) {
    m.counts(String(i.irq)).forEach((c, cpu) => {
      perCpu[cpu] = (perCpu[cpu] ?? 0) + c;
    });
  }
  return perCpu;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

async function withDaemon(
  options: Omit<NonNullable<Parameters<typeof inProcessDaemon>[1]>, 'system'> & {
    system?: (m: Machine) => SystemAccess;
  },
  fn: (d: InProcessDaemon, m: Machine) => Promise<void>,
): Promise<void> {
  const m = runningMachine(SPEC);
  let d: InProcessDaemon | undefined;
  try {
    const { system, ...rest } = options;
    d = await inProcessDaemon(m, { ...rest, ...(system ? { system: system(m) } : {}) });
    await fn(d, m);
    assert.ok(
      !d.logs.some((e) => CONTRACT_BREACHES.has(String(e.msg))),
      'no request crashed inside the daemon or broke the API contract',
    );
  } finally {
    await d?.close();
    m.cleanup();
  }
}

const affinity = (m: { procRoot: string }, irq: string): string =>
  readFileSync(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), 'utf8').trim();

describe('irqkitd faults (simulated machine, daemon in process)', { concurrency: 4 }, () => {
  it('a batch whose third write fails (the IRQ vanished under it) is rolled back, each outcome reported, nothing pinned', () =>
    withDaemon(
      {
        // The machine's write seam: the driver frees IRQ 26 just before irqkitd writes it.
        system: (m) => m.system({ beforeWrite: (w) => (w.irq === '26' ? m.removeIrq('26') : undefined) }),
      },
      async (d, m) => {
        const r = await post(d, '/api/v1/affinity', {
          assignments: [
            { irq: '24', cpu: 1 },
            { irq: '25', cpu: 2 },
            { irq: '26', cpu: 3 },
            { irq: '27', cpu: 4 },
          ],
          persist: true,
        });
        assert.equal(r.status, 409, r.text);
        const b = r.json<BatchResult>();
        assert.equal(b.ok, false);
        assert.equal(b.rolledBack, true);
        assert.deepEqual(
          b.outcomes.map((o) => [o.irq, o.ok, o.rolledBack, o.error?.code]),
          [
            ['24', false, true, 'IRQ_ERR_ROLLED_BACK'],
            ['25', false, true, 'IRQ_ERR_ROLLED_BACK'],
            ['26', false, false, 'IRQ_ERR_UNKNOWN_IRQ'],
            ['27', false, false, 'IRQ_ERR_NOT_ATTEMPTED'],
          ],
        );
        for (const irq of ['24', '25', '27']) assert.equal(affinity(m, irq), '0', `IRQ ${irq} is as before`);
        const doc = await json<PinsDoc>(d, '/api/v1/pins');
        assert.deepEqual(doc.pins, [], 'a failed batch pins nothing');
        assert.deepEqual(doc.originals, [], 'and leaves no original to restore: nothing changed');
        assert.deepEqual(readStateFile(m.stateDir)?.pins ?? {}, {});
      },
    ));

  it('an IRQ that vanishes between planning and applying: the plan is refused whole, nothing is written; the next plan leaves it out', () => {
    let armed = true;
    let vanished = '';
    return withDaemon(
      {
        system: (machine) => {
          const s = machine.system();
          const w = Object.create(s) as SystemAccess;
          w.setAffinities = (writes, opts) => {
            // Planning is over; before anything is validated or written, the driver goes away.
            if (armed && opts?.dryRun !== true && writes.length > 1) {
              armed = false;
              vanished = String(writes[1]?.irq);
              machine.removeIrq(vanished);
            }
            return s.setAffinities(writes, opts);
          };
          return w;
        },
      },
      async (d, m) => {
        const before = Object.fromEntries(m.irqs.map((i) => [String(i.irq), affinity(m, String(i.irq))]));
        const r = await post(d, '/api/v1/plan/apply', { window: '1s' });
        assert.equal(r.status, 409, r.text);
        const body = r.json<PlanApplyResult>();
        assert.ok(vanished !== '', 'the fault fired');
        const codes = new Map(body.result.outcomes.map((o) => [o.irq, o.error?.code]));
        assert.equal(codes.get(vanished), 'IRQ_ERR_UNKNOWN_IRQ');
        for (const [irq, code] of codes)
          if (irq !== vanished) assert.equal(code, 'IRQ_ERR_NOT_ATTEMPTED', irq);
        assert.equal(body.result.rolledBack, false, 'nothing was written, so nothing to roll back');
        for (const i of m.irqs) {
          const irq = String(i.irq);
          if (irq !== vanished) assert.equal(affinity(m, irq), before[irq], `IRQ ${irq} untouched`);
        }
        const again = await post(d, '/api/v1/plan/apply', { window: '1s' });
        assert.equal(again.status, 200, again.text);
        const moves = again.json<PlanApplyResult>().plan.moves;
        assert.ok(moves.length > 0);
        assert.ok(!moves.some((mv) => mv.irq === vanished), 'the vanished IRQ is not planned');
      },
    );
  });

  it('a CPU that goes offline: the pin waits (cpu-offline), writes to it are refused, plans and windows drop it; back online, the pin returns', () =>
    withDaemon({}, async (d, m) => {
      assert.equal((await put(d, '24', { cpu: 3, persist: true })).status, 200);
      m.setOnline(3, false);
      const p = await pinStatus(d, '24', 'cpu-offline');
      assert.match(p.detail ?? '', /CPU 3 is offline/);
      assert.equal(affinity(m, '24'), '0-2,4-7', 'the kernel broke the affinity');
      expectProblem(await put(d, '25', { cpu: 3 }), 409, 'IRQ_ERR_CPU_OFFLINE');
      const cpus = await eventually('a window without CPU 3', async () => {
        const c = await json<CpuSummary>(d, '/api/v1/cpus?window=1s');
        return c.cpus.some((x) => x.cpu === 3) ? undefined : c;
      });
      assert.deepEqual(
        cpus.cpus.map((c) => c.cpu),
        [0, 1, 2, 4, 5, 6, 7],
      );
      const plan = await json<Plan>(d, '/api/v1/plan?window=1s');
      assert.ok(!plan.cpus.includes(3), 'plans leave the offline CPU out');
      const h = await json<Health>(d, '/healthz');
      assert.equal(h.sampler.lastError, null, 'one column fewer is not a sampling error');
      m.setOnline(3, true);
      await pinStatus(d, '24', 'applied');
      assert.equal(affinity(m, '24'), '3');
      assert.ok(d.logs.some((e) => e.msg === 'pin applied' && e.irq === '24' && e.reason === 'cpu-online'));
    }));

  it('a /proc/interrupts that cannot be read: degraded health, one log line, windows still answer; then it recovers', () =>
    withDaemon({}, async (d, m) => {
      await eventually('history', async () =>
        (await json<Health>(d, '/healthz')).sampler.samples > 3 ? true : undefined,
      );
      m.setInterruptsFault('unreadable');
      const h = await eventually('degraded health', async () => {
        const x = await json<Health>(d, '/healthz');
        return x.status === 'degraded' ? x : undefined;
      });
      assert.equal(h.sampler.lastError?.code, 'IRQ_ERR_FILE_READ');
      const failed = await afterFailures(d, 3);
      const w = await d.request({ path: '/api/v1/cpus?window=1s&wait=false' });
      assert.equal(w.status, 200, 'the history still answers');
      assert.equal(
        d.logs.filter((e) => e.msg === 'sampling failed').length,
        1,
        `one line for ${failed.failures} failed reads, not one per interval`,
      );
      m.setInterruptsFault(null);
      await eventually('ok health', async () =>
        (await json<Health>(d, '/healthz')).status === 'ok' ? true : undefined,
      );
      assert.ok(d.logs.some((e) => e.msg === 'sampling recovered'));
    }));

  it('truncated reads are skipped: no burst of interrupts, and no IRQ seems to come back (a drifted pin stays drifted)', () =>
    withDaemon({}, async (d, m) => {
      assert.equal((await put(d, '24', { cpu: 3, persist: true })).status, 200);
      // Something else moves it: drift, which irqkitd reports and leaves alone.
      overwrite(join(m.procRoot, 'irq', '24', 'smp_affinity_list'), '5\n');
      await pinStatus(d, '24', 'drifted');
      const applied = d.logs.filter((e) => e.msg === 'pin applied').length;
      const truth0 = sum(machineCounts(m));
      await afterSamples(d, 1);
      const total0 = await irqTotal(d);
      const seen = new Set<string>();
      for (const fault of ['truncated', 'truncated-lines'] as const) {
        m.setInterruptsFault(fault);
        await eventually(`a skipped ${fault} read`, async () => {
          const e = (await json<Health>(d, '/healthz')).sampler.lastError;
          if (e?.code === 'IRQ_ERR_PARSE' && /truncated/.test(e.message)) seen.add(e.message);
          return seen.size >= (fault === 'truncated' ? 1 : 2) ? true : undefined;
        });
        await afterFailures(d, 2);
      }
      m.setInterruptsFault(null);
      await eventually('ok health', async () =>
        (await json<Health>(d, '/healthz')).status === 'ok' ? true : undefined,
      );
      // The whole reads after the faults: where rows would come back with all their interrupts.
      await afterSamples(d, 2);
      const grew = (await irqTotal(d)) - total0;
      const truth = sum(machineCounts(m)) - truth0;
      // A truncated read taken at face value loses rows, and the next whole read brings them back
      // as "appeared" with all their interrupts since boot (10 minutes' worth here).
      assert.ok(grew <= truth, `counted ${grew} interrupts; the machine had only ${truth}`);
      assert.equal(affinity(m, '24'), '5', 'the drifted pin was not re-applied');
      assert.equal((await pinOf(d, '24'))?.status, 'drifted');
      assert.equal(d.logs.filter((e) => e.msg === 'pin applied').length, applied);
      assert.ok(d.logs.some((e) => e.msg === 'sampling failed' && e.code === 'IRQ_ERR_PARSE'));
    }));

  it('a column count that changes between samples (CPUs going and coming back) keeps sampling healthy, with no burst on the returning CPU', () =>
    withDaemon({}, async (d, m) => {
      // Spread the load so every CPU has something to count.
      const spread = await post(d, '/api/v1/plan/apply', { window: '1s' });
      assert.equal(spread.status, 200, spread.text);
      const truth0 = machineCounts(m);
      await afterSamples(d, 1);
      const counted0 = await cpuTotals(d);
      // Each state is sampled at least once: CPU 6's column goes and comes back four times.
      for (let i = 0; i < 4; i++) {
        m.setOnline(6, false);
        await afterSamples(d, 1);
        m.setOnline(6, true);
        await afterSamples(d, 1);
      }
      const counted1 = await cpuTotals(d);
      const truth1 = machineCounts(m);
      const h = await json<Health>(d, '/healthz');
      assert.equal(h.sampler.lastError, null);
      const dist = await json<Distribution>(d, '/api/v1/distribution?window=1s');
      assert.deepEqual(dist.cpus, [0, 1, 2, 3, 4, 5, 6, 7]);
      for (const r of dist.irqs) assert.equal(r.perCpu.length, dist.cpus.length);
      const shares = dist.cpuTotals.reduce((a, c) => a + c.share, 0);
      assert.ok(Math.abs(shares - 1) < 1e-9, `shares add up to ${shares}`);
      // No burst: no CPU, least of all the returning one, counted interrupts it never had.
      for (let cpu = 0; cpu < 8; cpu++) {
        const counted = (counted1.get(cpu) ?? 0) - (counted0.get(cpu) ?? 0);
        const had = (truth1[cpu] ?? 0) - (truth0[cpu] ?? 0);
        assert.ok(counted <= had, `CPU ${cpu}: counted ${counted} interrupts; it had ${had}`);
      }
    }));

  it('a full disk when saving state: 507 IRQ_ERR_STATE_WRITE and nothing changed (or the write undone); fine again once there is space', async () => {
    const fs = faultyStateFs();
    await withDaemon({ stateFs: fs }, async (d, m) => {
      fs.failWith = 'ENOSPC';
      // A first change must save the IRQ's original affinity first: refused before any write.
      const p1 = expectProblem(await put(d, '24', { cpu: 2, persist: true }), 507, 'IRQ_ERR_STATE_WRITE');
      assert.match(p1.detail, /no space left on the device/);
      assert.equal(p1.errno, 'ENOSPC');
      assert.equal(affinity(m, '24'), '0');
      expectProblem(await put(d, '25', { cpu: 2 }), 507, 'IRQ_ERR_STATE_WRITE', 'also without persist');
      assert.equal(affinity(m, '25'), '0');
      assert.equal(readStateFile(m.stateDir), null, 'no state file was half written');
      // An IRQ changed earlier (its original is saved): the write happens, the pin cannot be
      // saved, so the write is undone.
      fs.failWith = null;
      assert.equal((await put(d, '26', { cpu: 1 })).status, 200);
      const saved = readFileSync(join(m.stateDir, 'state.json'), 'utf8');
      fs.failWith = 'ENOSPC';
      const p2 = expectProblem(await put(d, '26', { cpu: 2, persist: true }), 507, 'IRQ_ERR_STATE_WRITE');
      assert.match(p2.detail, /writes were undone/);
      assert.equal(affinity(m, '26'), '1', 'back to what it was before the request');
      const b = await post(d, '/api/v1/affinity', { assignments: [{ irq: '26', cpu: 4 }], persist: true });
      expectProblem(b, 507, 'IRQ_ERR_STATE_WRITE', 'a persisted batch');
      assert.equal(affinity(m, '26'), '1');
      assert.equal(
        readFileSync(join(m.stateDir, 'state.json'), 'utf8'),
        saved,
        'the state file is untouched',
      );
      assert.deepEqual(readdirSync(m.stateDir), ['state.json'], 'no temp file left');
      const h = await json<Health>(d, '/healthz');
      assert.ok(h.state.lastSaveError);
      assert.ok(h.warnings.some((w) => /state save failed/.test(w)));
      assert.match(
        (await d.request({ path: '/metrics' })).text,
        /^irqkit_state_save_failures_total [4-9]\d*$/m,
      );
      const doc = await json<PinsDoc>(d, '/api/v1/pins');
      assert.deepEqual(doc.pins, []);
      fs.failWith = null;
      assert.equal((await put(d, '24', { cpu: 2, persist: true })).status, 200);
      assert.equal(readStateFile(m.stateDir)?.pins['24']?.cpu, 2);
      assert.equal(affinity(m, '24'), '2');
    });
  });

  it('a state file that cannot be parsed at start-up is moved aside and the daemon starts without pins', async () => {
    const m = runningMachine(SPEC);
    try {
      writeFileSync(join(m.stateDir, 'state.json'), '{"format":"irqkit-state","version":1,"pins":');
      const d = await inProcessDaemon(m);
      try {
        assert.ok(
          d.logs.some((e) => e.msg === 'state file unusable; starting without pins' && e.level === 'error'),
        );
        assert.deepEqual((await json<PinsDoc>(d, '/api/v1/pins')).pins, []);
        assert.ok(readdirSync(m.stateDir).some((f) => /^state\.json\.corrupt-/.test(f)));
        assert.equal((await put(d, '24', { cpu: 1, persist: true })).status, 200, 'and saves a new one');
      } finally {
        await d.close();
      }
    } finally {
      m.cleanup();
    }
  });
});
