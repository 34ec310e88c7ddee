/**
 * A real Prometheus server (Debian's `prometheus`; IRQKIT_PROMETHEUS names another binary) on
 * loopback scrapes the real bundled irqkitd on a simulated machine every second, with the shipped
 * alert rules loaded. Through Prometheus's HTTP API the test then checks that
 * rate(irqkit_cpu_interrupts_total[10s]) is the simulated rate of each CPU (as the spec defines it
 * and as the daemon's /api/v1/cpus measures it), that the hotspot alert goes pending for CPU 0
 * (where the simulated machine starts every movable IRQ), and that every query of the shipped
 * Grafana dashboard evaluates to data. Skipped, with the reason, where prometheus is missing.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CpuSummary } from '../../src/api/schemas.ts';
import { type DaemonProcess, eventually, startDaemon } from '../helpers/daemon-process.ts';
import { send } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { repoRoot } from '../helpers/paths.ts';

const PROMETHEUS = process.env.IRQKIT_PROMETHEUS || 'prometheus';
const PROMTOOL = process.env.IRQKIT_PROMTOOL || 'promtool';

function installed(bin: string): boolean {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
}

const skip =
  installed(PROMETHEUS) && installed(PROMTOOL)
    ? false
    : `${PROMETHEUS} or ${PROMTOOL} is not installed (apt-get install -y prometheus); skipping the live scrape test`;

const CPUS = 16;
/**
 * The simulated rates of `--simulate 16cpu,2node` (src/sim/spec.ts, defaultSimSpec): eth0
 * (5,000/s × 16) and eth1 (1,500/s × 16) and the timer (1/s) all start on CPU 0; nvme0's 16
 * kernel-managed queues (750/s × 16 in all) sit one per CPU.
 */
const NVME_PER_CPU = 750;
const SIMULATED = new Map(
  Array.from({ length: CPUS }, (_, cpu) => [
    cpu,
    (cpu === 0 ? 5000 * CPUS + 1500 * CPUS + 1 : 0) + NVME_PER_CPU,
  ]),
);
const RULES = join(repoRoot(), 'packaging', 'prometheus', 'irqkit-alerts.yml');
const GRAFANA = join(repoRoot(), 'packaging', 'grafana', 'irqkit-dashboard.json');

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function near(actual: number, expected: number, rel: number, abs: number, what: string): void {
  const tolerance = Math.max(abs, rel * Math.abs(expected));
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual.toFixed(1)} vs ${expected.toFixed(1)}`,
  );
}

describe('Prometheus scraping irqkitd', { skip }, () => {
  let d: DaemonProcess;
  let prom: ChildProcess;
  let promLog = '';
  let port = 0;
  let dir = '';

  async function promGet<T>(path: string): Promise<T> {
    const r = await send({ host: '127.0.0.1', port }, { path, timeoutMs: 10_000 });
    assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 500)}`);
    const body = r.json<{ status: string; data: T }>();
    assert.equal(body.status, 'success', path);
    return body.data;
  }

  async function query(expr: string): Promise<Vector[]> {
    const data = await promGet<{ resultType: string; result: Vector[] }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );
    assert.equal(data.resultType, 'vector', expr);
    return data.result;
  }

  before(async () => {
    if (skip) return;
    d = await startDaemon([
      '--simulate',
      `${CPUS}cpu,2node`,
      '--listen',
      '127.0.0.1:0',
      '--interval',
      '250ms',
    ]);
    const target = (d.urls[0] ?? '').replace(/^http:\/\//, '');
    dir = mkdtempSync(join(tmpdir(), 'irqkit-prometheus-'));
    port = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(RULES)}`,
        'scrape_configs:',
        '  - job_name: irqkit',
        '    static_configs:',
        `      - targets: [${JSON.stringify(target)}]`,
        '',
      ].join('\n'),
    );
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    );
    prom.stdout?.on('data', (b: Buffer) => {
      promLog += b.toString();
    });
    prom.stderr?.on('data', (b: Buffer) => {
      promLog += b.toString();
    });
    await eventually(
      'Prometheus to be ready',
      async () => {
        if (prom.exitCode !== null) throw new Error(`prometheus exited (${prom.exitCode}):\n${promLog}`);
        const r = await send({ host: '127.0.0.1', port }, { path: '/-/ready', timeoutMs: 2_000 }).catch(
          () => null,
        );
        return r?.status === 200 || undefined;
      },
      60_000,
    );
  });

  after(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((resolve) => prom.once('exit', resolve));
      prom.kill('SIGTERM');
      const timer = setTimeout(() => prom.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    await d?.stop();
  });

  it('/metrics passes `promtool check metrics`', async () => {
    const text = (await d.request({ path: '/metrics' })).text;
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  it('rate(irqkit_cpu_interrupts_total[10s]) is each CPU’s simulated rate', async () => {
    // rate() divides by the whole 10 s, extrapolating a series that began inside the range by half
    // a scrape interval only; so wait until the samples cover the range (one older than 10 s).
    await eventually(
      'samples covering more than 10 s',
      async () => {
        const v = await query('count_over_time(irqkit_cpu_interrupts_total{cpu="0"}[11500ms])');
        return Number(v[0]?.value[1] ?? 0) >= 12 || undefined;
      },
      60_000,
      250,
    );
    const [rates, cpus] = await Promise.all([
      query('rate(irqkit_cpu_interrupts_total{job="irqkit"}[10s])'),
      d.request({ path: '/api/v1/cpus?window=10s&wait=false' }),
    ]);
    const measured = new Map(cpus.json<CpuSummary>().cpus.map((c) => [c.cpu, c.ratePerSecond]));
    assert.equal(rates.length, CPUS, 'one series per CPU');
    for (const v of rates) {
      const cpu = Number(v.metric.cpu);
      const rate = Number(v.value[1]);
      // 2 % simulated noise, sampling every 250 ms, and Prometheus extrapolating to the range.
      near(rate, SIMULATED.get(cpu) ?? Number.NaN, 0.1, 0, `CPU ${cpu} against the simulated rate`);
      near(rate, measured.get(cpu) ?? Number.NaN, 0.1, 0, `CPU ${cpu} against /api/v1/cpus`);
    }
  });

  it('the shipped alert rules load, and the hotspot alert goes pending for CPU 0 only', async () => {
    const groups = await promGet<{
      groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }>;
    }>('/api/v1/rules');
    const rules = groups.groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.name).sort(), ['IrqkitCpuInterruptHotspot', 'IrqkitSamplingStalled']);
    const alerts = await eventually(
      'the hotspot alert',
      async () => {
        const data = await promGet<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>(
          '/api/v1/alerts',
        );
        return data.alerts.length > 0 ? data.alerts : undefined;
      },
      60_000,
      250,
    );
    for (const r of rules) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError ?? ''}`);
    // `for: 10m`, so pending, not firing; and only CPU 0 is over twice its fair share.
    assert.deepEqual(
      alerts.map((a) => [a.labels.alertname, a.labels.cpu, a.labels.job, a.state]),
      [['IrqkitCpuInterruptHotspot', '0', 'irqkit', 'pending']],
    );
  });

  it('every query of the shipped Grafana dashboard evaluates to data', async () => {
    const dashboard = JSON.parse(readFileSync(GRAFANA, 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })),
    );
    assert.ok(exprs.length >= 8);
    for (const { title, expr } of exprs) {
      // As Grafana would send it with "All" selected and a 1 s scrape interval.
      const sent = expr
        .replace(/\$__rate_interval/g, '10s')
        .replace(/\$job/g, '.+')
        .replace(/\$instance/g, '.+');
      const result = await query(sent);
      assert.ok(result.length > 0, `${title}: ${sent} has no data`);
    }
    const jobs = await promGet<string[]>(
      `/api/v1/label/job/values?match[]=${encodeURIComponent('irqkit_build_info')}`,
    );
    assert.deepEqual(jobs, ['irqkit'], 'the $job variable finds the scrape job');
  });
});
