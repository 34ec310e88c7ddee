/**
 * Every irqkitd endpoint's happy path, against the real bundled daemon (dist/irqkitd.cjs) in a
 * child process on a simulated machine (`--simulate 8cpu,2node`: eth0 on node 0, eth1 and the
 * kernel-managed nvme0 queues on node 1, every movable IRQ starting on CPU 0), over loopback HTTP.
 *
 * Two daemons run side by side: one for the read endpoints and single/batch writes, one for the
 * plan → apply → measure-again loop, which needs the machine in its initial, unbalanced state.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type {
  BatchResult,
  CpuSummary,
  CpuTotal,
  Distribution,
  Health,
  InterruptsDoc,
  IrqDetails,
  IrqList,
  OpenApiDoc,
  Plan,
  PlanApplyResult,
  SetAffinityResult,
} from '../../src/api/schemas.ts';
import { METRICS_CONTENT_TYPE } from '../../src/core/metrics-text.ts';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
import { openApiPath } from '../../src/daemon/http/route.ts';
import { buildRoutes } from '../../src/daemon/routes.ts';
import type { IrqService } from '../../src/daemon/service.ts';
import { corsHeaders } from '../helpers/api-assert.ts';
import {
  afterSamples,
  type DaemonProcess,
  eventually,
  machineStepped,
  simArgs,
  startDaemon,
} from '../helpers/daemon-process.ts';
import type { HttpRequest, HttpResponse } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

const SPEC = '8cpu,2node';
const CPUS = [0, 1, 2, 3, 4, 5, 6, 7];

/** Every response of this file, to check at the end that none carried a CORS header. */
const seen: HttpResponse[] = [];

async function call(d: DaemonProcess, req: HttpRequest): Promise<HttpResponse> {
  const res = await d.request(req);
  seen.push(res);
  return res;
}

async function getJson<T>(d: DaemonProcess, path: string): Promise<T> {
  const res = await call(d, { path });
  assert.equal(res.status, 200, `GET ${path}: ${res.text.slice(0, 500)}`);
  assert.match(String(res.headers['content-type']), /^application\/json\b/, path);
  return res.json<T>();
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const near = (a: number, b: number, eps: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} is not within ${eps} of ${b}`);

const PROMTOOL = process.env.IRQKIT_PROMTOOL || 'promtool';
const noPromtool =
  (spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' }).error as NodeJS.ErrnoException | undefined)
    ?.code === 'ENOENT'
    ? `${PROMTOOL} is not installed (apt-get install -y prometheus): /metrics was not checked by Prometheus' own parser`
    : false;

/** `promtool check metrics` on `text`. */
function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

/** The method + OpenAPI path of every route in the daemon's own route table. */
function routeTable(): string[] {
  const routes = buildRoutes({
    service: {} as IrqService,
    version: 'test',
    readOnly: false,
    startedAt: 0,
    now: () => 0,
    metricsBody: () => [],
    planner: () => {
      throw new Error('this route table is only listed, never served');
    },
    eventLoop: () => {
      throw new Error('this route table is only listed, never served');
    },
    openapi: () => {
      throw new Error('this route table is only listed, never served');
    },
    retentionMs: 60_000,
  });
  return routes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
}

function checkDistribution(d: Distribution, requestedSeconds: number): void {
  const w = d.window;
  assert.equal(w.requestedSeconds, requestedSeconds);
  assert.equal(w.complete, true, 'wait defaults to true, so the window is complete');
  const start = Date.parse(w.start);
  const end = Date.parse(w.end);
  assert.ok(Number.isFinite(start) && Number.isFinite(end) && start < end, `${w.start} .. ${w.end}`);
  near((end - start) / 1000, w.seconds, 0.002, 'window.seconds is end - start');
  // A window sums whole sampling intervals: the newest one (whatever its length under load) and
  // every one after newest − requested − half the newest. Complete, it covers at least
  // requested − half the newest interval, and never less than that interval: at least 2/3 of
  // the request, however irregular the sampling.
  assert.ok(
    w.seconds >= (requestedSeconds * 2) / 3 - 1e-9 && w.seconds <= requestedSeconds + 1,
    `a ${requestedSeconds} s window covers ${w.seconds} s`,
  );
  assert.ok(end <= Date.now() + 50, 'the window ends in the past');
  assert.deepEqual(d.cpus, CPUS);
  assert.ok(d.irqs.length > 0);
  for (const irq of d.irqs) {
    assert.equal(irq.perCpu.length, d.cpus.length, `IRQ ${irq.irq} has one count per CPU`);
    assert.equal(irq.total, sum(irq.perCpu), `IRQ ${irq.irq} total`);
    near(irq.ratePerSecond, irq.total / w.seconds, 0.001, `IRQ ${irq.irq} rate`);
  }
  assert.deepEqual(
    d.cpuTotals.map((c) => c.cpu),
    d.cpus,
  );
  d.cpuTotals.forEach((c, i) => {
    assert.equal(c.interrupts, sum(d.irqs.map((irq) => irq.perCpu[i] ?? 0)), `CPU ${c.cpu} total`);
    near(c.ratePerSecond, c.interrupts / w.seconds, 0.001, `CPU ${c.cpu} rate`);
    near(c.share, c.interrupts / d.total, 1e-9, `CPU ${c.cpu} share`);
  });
  assert.equal(d.total, sum(d.cpuTotals.map((c) => c.interrupts)));
  near(d.ratePerSecond, d.total / w.seconds, 0.001, 'total rate');
  near(sum(d.cpuTotals.map((c) => c.share)), 1, 1e-9, 'shares add up to 1');
  const loc = d.named.find((n) => n.row === 'LOC');
  assert.ok(loc, 'the named LOC row is reported');
  assert.equal(loc.description, 'Local timer interrupts');
  assert.ok(loc.total > 0, 'the simulated 250 Hz tick ran in the window');
}

/** The busiest CPU's share of all device interrupts, and which CPU it is. */
function busiest(cpus: readonly CpuTotal[]): { cpu: number; share: number; interrupts: number } {
  const top = cpus.reduce((a, b) => (b.interrupts > a.interrupts ? b : a));
  return { cpu: top.cpu, share: top.share, interrupts: top.interrupts };
}

describe('irqkitd API on a simulated machine (real daemon process, loopback HTTP)', {
  concurrency: 2,
}, () => {
  describe('read endpoints and affinity writes', { concurrency: 1 }, () => {
    let d: DaemonProcess;
    /** IRQ numbers by handler name, from /api/v1/irqs. */
    const byName = new Map<string, IrqDetails>();
    const irqNamed = (name: string): string => {
      const irq = byName.get(name);
      assert.ok(irq, `the simulated machine has an IRQ named ${name}`);
      return irq.irq;
    };

    before(async () => {
      d = await startDaemon(simArgs(SPEC));
    });
    after(async () => {
      const r = await d?.stop();
      assert.equal(r?.code, 0, `irqkitd exits 0 on SIGTERM; stderr:\n${d?.stderr()}`);
      assert.equal(r?.killed, false);
      assert.ok(!d.logs().some((e) => e.level === 'error'), 'no request failed inside the daemon');
    });

    it('GET /healthz: ok, version, the simulated system, sampler running', async () => {
      const h = await getJson<Health>(d, '/healthz');
      assert.equal(h.status, 'ok');
      assert.equal(typeof h.version, 'string');
      assert.ok(h.version.length > 0);
      assert.equal(h.system, d.system);
      assert.match(h.system, /^simulated machine in /);
      assert.equal(h.readOnly, false);
      assert.ok(h.uptimeSeconds >= 0);
      assert.ok(h.sampler.samples >= 1);
      assert.equal(h.sampler.lastError, null);
    });

    it('GET /openapi.json: an OpenAPI 3.1 document listing exactly the routes of the route table', async () => {
      const doc = await getJson<OpenApiDoc>(d, '/openapi.json');
      assert.equal(doc.openapi, '3.1.0');
      assert.equal(doc.info.title, 'irqkitd');
      const documented = Object.entries(doc.paths)
        .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
        .sort();
      const table = routeTable();
      assert.equal(
        table.length,
        19,
        `the route table has the 12 endpoints this file covers, GET / (dashboard-page.test.ts), the 4 pin and restore endpoints (irqkitd-pins.test.ts) and the 2 autopilot ones (autopilot-rounds.test.ts): ${table}`,
      );
      // Every GET is documented with its HEAD (the router answers HEAD for each GET).
      const withHead = table.flatMap((r) => (r.startsWith('GET ') ? [r, `HEAD ${r.slice(4)}`] : [r])).sort();
      assert.deepEqual(documented, withHead);
      for (const item of Object.values(doc.paths)) {
        for (const op of Object.values(item)) {
          assert.ok(op.operationId, 'every operation has an operationId');
          assert.ok(op.responses['200'], `${op.operationId} documents its 200`);
        }
      }
      assert.ok(doc.paths['/api/v1/irqs/{irq}/affinity']?.put?.responses['409'], 'PUT documents its 409');
    });

    it('GET /metrics: the Prometheus text format with every family', async () => {
      // The rate and imbalance gauges need two samples; with 100 ms sampling that is at once.
      const res = await eventually('the rate gauges', async () => {
        const r = await call(d, { path: '/metrics' });
        return r.text.includes('irqkit_imbalance_spread') ? r : undefined;
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], METRICS_CONTENT_TYPE);
      const families = [
        ['irqkit_build_info', 'gauge'],
        ['irqkit_start_time_seconds', 'gauge'],
        ['irqkit_samples_total', 'counter'],
        ['irqkit_history_seconds', 'gauge'],
        ['irqkit_cpu_interrupts_total', 'counter'],
        ['irqkit_irq_interrupts_total', 'counter'],
        ['irqkit_named_interrupts_total', 'counter'],
        ['irqkit_cpu_interrupt_rate', 'gauge'],
        ['irqkit_imbalance_peak_to_average', 'gauge'],
        ['irqkit_imbalance_spread', 'gauge'],
      ];
      for (const [name, type] of families) {
        assert.match(res.text, new RegExp(`^# HELP ${name} \\S`, 'm'), `${name} has HELP`);
        assert.match(res.text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} is a ${type}`);
      }
      for (const cpu of CPUS) {
        assert.match(res.text, new RegExp(`^irqkit_cpu_interrupts_total\\{cpu="${cpu}"\\} \\d+$`, 'm'));
        assert.match(res.text, new RegExp(`^irqkit_cpu_interrupt_rate\\{cpu="${cpu}"\\} [\\d.e+]+$`, 'm'));
      }
      assert.match(res.text, /^irqkit_irq_interrupts_total\{irq="24",name="eth0-TxRx-0"\} \d+$/m);
      assert.match(
        res.text,
        /^irqkit_named_interrupts_total\{row="LOC",description="Local timer interrupts"\} \d+$/m,
      );
      assert.ok(
        !res.text.includes('irqkit_irq_cpu_interrupts_total'),
        'IRQ×CPU series only with --metrics-irq-cpu',
      );
    });

    it('GET /metrics passes `promtool check metrics`', { skip: noPromtool }, async () => {
      const res = await call(d, { path: '/metrics' });
      assert.equal(res.status, 200);
      const checked = await promtool(res.text);
      assert.equal(checked.code, 0, `promtool check metrics said:\n${checked.output}\non:\n${res.text}`);
      assert.equal(checked.output.trim(), '', 'promtool has no lint complaints');
    });

    it('GET /api/v1/interrupts: the latest snapshot as JSON, and ?format=text the file itself', async () => {
      const json = await getJson<InterruptsDoc>(d, '/api/v1/interrupts');
      assert.ok(Number.isFinite(Date.parse(json.at)));
      assert.deepEqual(json.cpus, CPUS);
      assert.deepEqual(json.warnings, []);
      assert.ok(json.rows.some((r) => r.numeric && r.actions?.includes('eth0-TxRx-0')));
      assert.ok(json.rows.some((r) => !r.numeric && r.label === 'LOC'));
      assert.ok(json.rows.some((r) => !r.numeric && r.label === 'NMI'));

      const text = await call(d, { path: '/api/v1/interrupts?format=text' });
      assert.equal(text.status, 200);
      assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
      assert.match(text.text, /^\s+CPU0\s+CPU1\s+CPU2\s+CPU3\s+CPU4\s+CPU5\s+CPU6\s+CPU7\s*\n/);
      const parsed = parseInterrupts(text.text, { strict: true });
      assert.deepEqual(parsed.cpus, CPUS);
      assert.deepEqual(parsed.warnings, []);
      // The text may be a later sample than the JSON; the rows are the same.
      assert.deepEqual(
        parsed.rows.map((r) => r.label),
        json.rows.map((r) => r.label),
      );
      const formatJson = await getJson<InterruptsDoc>(d, '/api/v1/interrupts?format=json');
      assert.deepEqual(formatJson.cpus, CPUS);
    });

    it('GET /api/v1/distribution?window=1s: a complete 1 s window whose per-CPU totals and rates add up', async () => {
      const dist = await getJson<Distribution>(d, '/api/v1/distribution?window=1s');
      checkDistribution(dist, 1);
      const eth0 = dist.irqs.find((i) => i.name === 'eth0-TxRx-0');
      assert.ok(eth0);
      assert.equal(eth0.chip, 'PCI-MSIX-0000:3b:00.0');
      // Every movable IRQ starts on CPU 0 (irqaffinity=0).
      assert.ok((eth0.perCpu[0] ?? 0) > 0);
      assert.equal(sum(eth0.perCpu.slice(1)), 0, 'eth0-TxRx-0 is serviced by CPU 0 only');
      const half = await getJson<Distribution>(d, '/api/v1/distribution?window=500ms');
      checkDistribution(half, 0.5);
    });

    it('GET /api/v1/cpus?window=1s: per-CPU interrupts, shares and rates over the window', async () => {
      const c = await getJson<CpuSummary>(d, '/api/v1/cpus?window=1s');
      assert.equal(c.window.complete, true);
      assert.equal(c.window.requestedSeconds, 1);
      assert.deepEqual(
        c.cpus.map((x) => x.cpu),
        CPUS,
      );
      assert.equal(c.total, sum(c.cpus.map((x) => x.interrupts)));
      near(sum(c.cpus.map((x) => x.share)), 1, 1e-9, 'shares');
      for (const x of c.cpus)
        near(x.ratePerSecond, x.interrupts / c.window.seconds, 0.001, `CPU ${x.cpu} rate`);
      near(c.ratePerSecond, c.total / c.window.seconds, 0.001, 'total rate');
      // The simulated rates: eth0 5000×8/s, nvme0 750×8/s, eth1 1500×8/s.
      // The simulator catches up before every read, so a window's counts cover its seconds;
      // what is left is the traffic's own noise over the first second or so of the daemon.
      near(c.ratePerSecond, 58_000, 58_000 * 0.25, 'the machine-wide rate');
      assert.equal(busiest(c.cpus).cpu, 0, 'CPU 0 carries every movable IRQ at start');
    });

    it('GET /api/v1/irqs and /api/v1/irqs/{irq}: devices, NUMA nodes and managed NVMe queues', async () => {
      const list = await getJson<IrqList>(d, '/api/v1/irqs');
      for (const irq of list.irqs) byName.set(irq.name, irq);
      const numbers = list.irqs.map((i) => Number(i.irq));
      assert.deepEqual(
        numbers,
        [...numbers].sort((a, b) => a - b),
        'ascending',
      );
      // timer, 8 eth0 queues, 8 nvme0 queues, 4 eth1 queues.
      assert.equal(list.irqs.length, 1 + 8 + 8 + 4);
      const timer = byName.get('timer');
      assert.ok(timer);
      assert.equal(timer.irq, '0');
      assert.equal(timer.device, null);
      assert.equal(timer.chip, 'IO-APIC');
      for (let q = 1; q <= 8; q++) {
        const nvme = byName.get(`nvme0q${q}`);
        assert.ok(nvme, `nvme0q${q}`);
        assert.equal(nvme.managed, true, `nvme0q${q} is kernel-managed`);
        assert.equal(nvme.device?.name, '0000:5e:00.0');
        assert.equal(nvme.device?.numaNode, 1);
        assert.deepEqual(nvme.device?.localCpus, [4, 5, 6, 7]);
        assert.equal(nvme.node, 1);
        // Managed queues are spread one per CPU.
        assert.equal(nvme.affinity, String(q - 1));
        assert.equal(nvme.effectiveAffinity, String(q - 1));
      }
      for (let q = 0; q < 8; q++) {
        const eth = byName.get(`eth0-TxRx-${q}`);
        assert.ok(eth);
        assert.equal(eth.managed, false);
        assert.equal(eth.device?.name, '0000:3b:00.0');
        assert.equal(eth.device?.numaNode, 0);
        assert.equal(eth.node, 0);
        assert.equal(eth.affinity, '0');
        assert.equal(eth.banned, false);
        assert.ok(eth.total > 0);
      }
      assert.equal(byName.get('eth1-TxRx-0')?.device?.numaNode, 1);

      const one = await getJson<IrqDetails>(d, `/api/v1/irqs/${irqNamed('nvme0q2')}`);
      const fromList = byName.get('nvme0q2') as IrqDetails;
      const stable = (x: IrqDetails) => ({ ...x, ratePerSecond: 0, rateWindowSeconds: 0, total: 0 });
      assert.deepEqual(stable(one), stable(fromList));
      assert.ok(
        one.ratePerSecond > 600 && one.ratePerSecond < 900,
        `nvme0q2 at ~750/s: ${one.ratePerSecond}`,
      );
      assert.ok(one.rateWindowSeconds > 0);
    });

    it('PUT /api/v1/irqs/{irq}/affinity pins a movable IRQ: the procfs file shows the CPU, then the distribution does', async () => {
      const irq = irqNamed('eth0-TxRx-1');
      assert.equal(d.irqFile(irq, 'smp_affinity_list'), '0');
      const res = await call(d, { method: 'PUT', path: `/api/v1/irqs/${irq}/affinity`, json: { cpu: 2 } });
      assert.equal(res.status, 200, res.text);
      const o = res.json<SetAffinityResult>();
      assert.equal(o.irq, irq);
      assert.equal(o.cpu, 2);
      assert.equal(o.ok, true);
      assert.deepEqual(o.previous, [0]);
      assert.deepEqual(o.affinity, [2]);
      assert.equal(o.rolledBack, false);
      assert.equal(o.error, undefined);
      // The simulated kernel routes at its next tick: until then the move is pending on CPU 0.
      if (o.pending) assert.deepEqual(o.effective, [0]);
      else assert.deepEqual(o.effective, [2]);
      assert.equal(d.irqFile(irq, 'smp_affinity_list'), '2');

      await eventually('effective_affinity_list to follow', () =>
        d.irqFile(irq, 'effective_affinity_list') === '2' ? true : undefined,
      );
      const details = await getJson<IrqDetails>(d, `/api/v1/irqs/${irq}`);
      assert.equal(details.affinity, '2');
      assert.equal(details.effectiveAffinity, '2');
      // A window that starts after the move sees the IRQ's interrupts on CPU 2 only.
      const moved = await eventually(
        'a window with the IRQ on CPU 2 only',
        async () => {
          const dist = await getJson<Distribution>(d, '/api/v1/distribution?window=300ms');
          const row = dist.irqs.find((r) => r.irq === irq);
          return row && (row.perCpu[2] ?? 0) > 0 && row.perCpu[0] === 0 ? row : undefined;
        },
        5_000,
        150,
      );
      assert.equal(moved.total, moved.perCpu[2]);
    });

    it('POST /api/v1/affinity applies a batch: 200, every outcome ok, every file written', async () => {
      const a = irqNamed('eth1-TxRx-0');
      const b = irqNamed('eth1-TxRx-1');
      const res = await call(d, {
        method: 'POST',
        path: '/api/v1/affinity',
        json: {
          assignments: [
            { irq: a, cpu: 5 },
            { irq: b, cpu: 6 },
          ],
        },
      });
      assert.equal(res.status, 200, res.text);
      const r = res.json<BatchResult>();
      assert.equal(r.ok, true);
      assert.equal(r.dryRun, false);
      assert.equal(r.rolledBack, false);
      assert.deepEqual(
        r.outcomes.map((o) => [o.irq, o.cpu, o.ok, o.affinity, o.previous]),
        [
          [a, 5, true, [5], [0]],
          [b, 6, true, [6], [0]],
        ],
      );
      assert.equal(d.irqFile(a, 'smp_affinity_list'), '5');
      assert.equal(d.irqFile(b, 'smp_affinity_list'), '6');
    });

    it('POST /api/v1/affinity with dryRun: says what would happen and writes nothing', async () => {
      const irq = irqNamed('eth1-TxRx-2');
      const before = d.irqFile(irq, 'smp_affinity_list');
      const res = await call(d, {
        method: 'POST',
        path: '/api/v1/affinity',
        json: { assignments: [{ irq, cpu: 7 }], dryRun: true },
      });
      assert.equal(res.status, 200, res.text);
      const r = res.json<BatchResult>();
      assert.equal(r.ok, true);
      assert.equal(r.dryRun, true);
      assert.deepEqual(r.outcomes[0]?.affinity, [7], 'what the affinity would be');
      assert.deepEqual(r.outcomes[0]?.previous, [0]);
      // A write would have been taken up (and routed) by the simulated kernel's next step.
      await machineStepped(d.procRoot);
      assert.equal(d.irqFile(irq, 'smp_affinity_list'), before);
      assert.equal(d.irqFile(irq, 'effective_affinity_list'), before);
    });

    it('POST /api/v1/affinity with a managed IRQ in the middle: 409, every outcome, earlier writes rolled back', async () => {
      const first = irqNamed('eth1-TxRx-3');
      const managed = irqNamed('nvme0q2');
      const last = irqNamed('eth0-TxRx-7');
      const files = [first, managed, last].map((irq) => [irq, d.irqFile(irq, 'smp_affinity_list')]);
      const res = await call(d, {
        method: 'POST',
        path: '/api/v1/affinity',
        json: {
          assignments: [
            { irq: first, cpu: 4 },
            { irq: managed, cpu: 4 },
            { irq: last, cpu: 4 },
          ],
        },
      });
      assert.equal(res.status, 409, res.text);
      assert.match(
        String(res.headers['content-type']),
        /^application\/json\b/,
        'a batch result, not a problem',
      );
      const r = res.json<BatchResult>();
      assert.equal(r.ok, false);
      assert.equal(r.dryRun, false);
      assert.equal(r.rolledBack, true);
      assert.deepEqual(
        r.outcomes.map((o) => [o.irq, o.ok, o.rolledBack, o.error?.code]),
        [
          [first, false, true, 'IRQ_ERR_ROLLED_BACK'],
          [managed, false, false, 'IRQ_ERR_MANAGED'],
          [last, false, false, 'IRQ_ERR_NOT_ATTEMPTED'],
        ],
      );
      assert.deepEqual(r.outcomes[0]?.affinity, [0], 'read back after the rollback');
      for (const [irq, text] of files)
        assert.equal(d.irqFile(irq as string, 'smp_affinity_list'), text, `IRQ ${irq}`);
      assert.equal(d.irqFileMode(managed, 'smp_affinity_list'), 0o444);
      await machineStepped(d.procRoot);
      for (const [irq, text] of files)
        assert.equal(d.irqFile(irq as string, 'effective_affinity_list'), text);
    });
  });

  describe('GET /api/v1/plan and POST /api/v1/plan/apply close the loop', { concurrency: 1 }, () => {
    let d: DaemonProcess;
    let plan: Plan;

    before(async () => {
      d = await startDaemon(simArgs(SPEC));
    });
    after(async () => {
      const r = await d?.stop();
      assert.equal(r?.code, 0, `irqkitd exits 0 on SIGTERM; stderr:\n${d?.stderr()}`);
      assert.ok(!d.logs().some((e) => e.level === 'error'), 'no request failed inside the daemon');
    });

    it('GET /api/v1/plan?window=1s: CPU 0 carries nearly everything before; the plan moves IRQs off it', async () => {
      const cpus = await getJson<CpuSummary>(d, '/api/v1/cpus?window=1s');
      const top = busiest(cpus.cpus);
      assert.equal(top.cpu, 0);
      assert.ok(top.share > 0.8, `CPU 0 carries ${top.share} of all interrupts before balancing`);

      plan = await getJson<Plan>(d, '/api/v1/plan?window=1s');
      assert.equal(plan.window.complete, true);
      assert.equal(plan.window.requestedSeconds, 1);
      assert.deepEqual(plan.cpus, CPUS);
      assert.equal(plan.numa, 'prefer');
      assert.ok(plan.moves.length > 0);
      for (const irq of plan.idle) assert.ok(!plan.moves.some((m) => m.irq === irq), `idle IRQ ${irq} stays`);
      const b = plan.before.metrics;
      const a = plan.after.metrics;
      near(b.makespan / b.total, top.share, 0.05, 'the plan measures the same imbalance as /api/v1/cpus');
      assert.ok(a.makespan < b.makespan / 2, `makespan ${b.makespan} → ${a.makespan}`);
      assert.ok(a.makespan >= a.lowerBound);
      assert.ok(a.peakToAverage < b.peakToAverage);
      for (const x of plan.assignments) {
        const name = x.name;
        if (name.startsWith('nvme0q')) {
          assert.equal(x.fixed, true, `${name} is managed, so it stays`);
          assert.equal(x.moved, false);
        }
        // numa=prefer keeps each device's IRQs on its node's CPUs.
        if (name.startsWith('eth0-')) assert.ok(x.cpu <= 3, `${name} on node 0: CPU ${x.cpu}`);
        if (name.startsWith('eth1-')) assert.ok(x.cpu >= 4, `${name} on node 1: CPU ${x.cpu}`);
      }
      assert.deepEqual(
        plan.moves,
        plan.assignments.filter((x) => x.moved).map((x) => ({ irq: x.irq, cpu: x.cpu })),
      );
    });

    it('POST /api/v1/plan/apply with dryRun computes the same kind of plan and writes nothing', async () => {
      const res = await call(d, {
        method: 'POST',
        path: '/api/v1/plan/apply',
        json: { window: '1s', dryRun: true },
      });
      assert.equal(res.status, 200, res.text);
      const r = res.json<PlanApplyResult>();
      assert.equal(r.result.dryRun, true);
      assert.equal(r.result.ok, true);
      assert.equal(r.result.outcomes.length, r.plan.moves.length);
      for (const m of r.plan.moves) assert.equal(d.irqFile(m.irq, 'smp_affinity_list'), '0', `IRQ ${m.irq}`);
    });

    it('POST /api/v1/plan/apply applies the moves; a window later the busiest CPU is close to the prediction', async () => {
      const res = await call(d, {
        method: 'POST',
        path: '/api/v1/plan/apply',
        json: { window: '1s' },
      });
      assert.equal(res.status, 200, res.text);
      const r = res.json<PlanApplyResult>();
      assert.equal(r.result.ok, true);
      assert.equal(r.result.dryRun, false);
      assert.ok(r.plan.moves.length > 0);
      assert.deepEqual(
        r.result.outcomes.map((o) => [o.irq, o.cpu, o.ok]),
        r.plan.moves.map((m) => [m.irq, m.cpu, true]),
      );
      for (const m of r.plan.moves) assert.equal(d.irqFile(m.irq, 'smp_affinity_list'), String(m.cpu));

      // Measure a whole window that starts after the simulated kernel rerouted the IRQs: its
      // next step routes them, and a window starting at a sample after that step counts only
      // interrupts on the new CPUs.
      await machineStepped(d.procRoot);
      for (const m of r.plan.moves)
        assert.equal(d.irqFile(m.irq, 'effective_affinity_list'), String(m.cpu), `IRQ ${m.irq} routed`);
      const rerouted = (await afterSamples(d, 1)).lastSampleAt as number;
      const after = await eventually('a whole 1 s window after the moves', async () => {
        const c = await getJson<CpuSummary>(d, '/api/v1/cpus?window=1s');
        return Date.parse(c.window.start) >= rerouted ? c : undefined;
      });
      assert.equal(after.window.complete, true);
      const predicted = r.plan.after.metrics;
      const predictedShare = predicted.makespan / predicted.total;
      const top = busiest(after.cpus);
      assert.ok(top.share < 0.5, `the busiest CPU now carries ${top.share}, not ~0.9`);
      near(top.share, predictedShare, 0.05, 'busiest CPU share vs the plan');
      const measuredRates = after.cpus.map((c) => c.interrupts);
      const mean = sum(measuredRates) / measuredRates.length;
      near(top.interrupts / mean, predicted.peakToAverage, predicted.peakToAverage * 0.1, 'peak-to-average');
      // Each CPU's measured load follows the plan's per-CPU prediction.
      for (const c of r.plan.after.cpus) {
        const m = after.cpus.find((x) => x.cpu === c.cpu) as CpuTotal;
        near(m.share, c.share, 0.03, `CPU ${c.cpu} share`);
      }
      // And a new plan finds (nearly) nothing left to gain.
      const again = await getJson<Plan>(d, '/api/v1/plan?window=1s');
      assert.ok(
        again.after.metrics.makespan >= again.before.metrics.makespan * 0.9,
        `re-planning gains little: ${again.before.metrics.makespan} → ${again.after.metrics.makespan}`,
      );
    });
  });

  after(() => {
    const cors = seen.flatMap((r) => corsHeaders(r.headers));
    assert.deepEqual(cors, [], 'no response carries a CORS header');
    assert.ok(seen.length > 20);
  });
});
