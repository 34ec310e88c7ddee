/**
 * The monitoring files irqkit ships: packaging/prometheus/irqkit-alerts.yml must load in
 * `promtool check rules` and behave in `promtool test rules` (an imbalanced host alerts after 10
 * minutes, a balanced or idle one never does); packaging/grafana/irqkit-dashboard.json must be a
 * well-formed dashboard over metrics irqkitd exports. A live Prometheus evaluates both in
 * test/daemon/prometheus-scrape.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

const PROMTOOL = process.env.IRQKIT_PROMTOOL || 'promtool';
const RULES = join(repoRoot(), 'packaging', 'prometheus', 'irqkit-alerts.yml');
const GRAFANA = join(repoRoot(), 'packaging', 'grafana', 'irqkit-dashboard.json');

function promtool(args: string[]): { code: number | null; output: string } | null {
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8', timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const skip =
  promtool(['--version']) === null
    ? `${PROMTOOL} is not installed (apt-get install -y prometheus); skipping the rule checks`
    : false;

/** The metric names irqkitd exports (src/daemon/metrics.ts names each family once). */
function exportedMetrics(): Set<string> {
  const source = readFileSync(join(repoRoot(), 'src', 'daemon', 'metrics.ts'), 'utf8');
  // Families are written out (`name: '…'`) or made by single('…', …).
  return new Set(
    [...source.matchAll(/(?:name: |single\(\s*)'(irqkit_[a-z_]+)'/g)].map((m) => m[1] as string),
  );
}

const usedMetrics = (text: string): string[] => [...new Set(text.match(/\birqkit_[a-z_]+/g) ?? [])];

/** A counter series growing by `perSecond` for 40 one-minute steps. */
const series = (labels: string, perSecond: number): string =>
  `      - series: 'irqkit_cpu_interrupts_total{job="irqkit",${labels}}'\n        values: '0+${perSecond * 60}x40'`;

const HOTSPOT_ANNOTATIONS = {
  summary: 'CPU 0 on skewed:9640 takes more than twice its fair share of interrupts',
  description:
    "CPU 0 services 9k device interrupts/s, more than twice the mean per CPU, for 10 minutes. `irqkit plan` proposes a better placement; `irqkit apply` (or the dashboard's Apply) applies it.",
};

describe('packaging/prometheus/irqkit-alerts.yml', { skip }, () => {
  it('loads in `promtool check rules`', () => {
    const r = promtool(['check', 'rules', RULES]);
    assert.ok(r);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 2 rules found/);
  });

  it('uses only metrics irqkitd exports', () => {
    const exported = exportedMetrics();
    const used = usedMetrics(readFileSync(RULES, 'utf8'));
    assert.ok(used.length > 0);
    for (const m of used) assert.ok(exported.has(m), `${m} is not exported`);
  });

  it('alerts on a CPU over twice its fair share for 10 minutes, not on a balanced or idle host', () => {
    const dir = mkdtempSync(join(tmpdir(), 'irqkit-rules-'));
    try {
      const file = join(dir, 'irqkit-alerts.test.yml');
      const hotspot = (eval_time: string, alerts: string): string =>
        `      - eval_time: ${eval_time}\n        alertname: IrqkitCpuInterruptHotspot\n        exp_alerts: ${alerts}`;
      writeFileSync(
        file,
        [
          'rule_files:',
          `  - ${JSON.stringify(RULES)}`,
          'evaluation_interval: 1m',
          'tests:',
          '  - interval: 1m',
          '    input_series:',
          // skewed: 9,000/s on CPU 0 against 1,000/s on three others (mean 3,000/s: 3× fair).
          series('instance="skewed:9640",cpu="0"', 9000),
          ...[1, 2, 3].map((c) => series(`instance="skewed:9640",cpu="${c}"`, 1000)),
          // balanced: 5,000/s on each of four CPUs.
          ...[0, 1, 2, 3].map((c) => series(`instance="balanced:9640",cpu="${c}"`, 5000)),
          // idle: all of its 20/s on CPU 0, below the rule's 1,000/s floor.
          series('instance="idle:9640",cpu="0"', 20),
          series('instance="idle:9640",cpu="1"', 0),
          '      - series: \'irqkit_samples_total{job="irqkit",instance="skewed:9640"}\'',
          "        values: '0+60x40'",
          // stalled: its sampler stops after 10 minutes.
          '      - series: \'irqkit_samples_total{job="irqkit",instance="stalled:9640"}\'',
          "        values: '0+60x10 600x30'",
          '    alert_rule_test:',
          // Over twice its share from the second sample (1m) on: pending, not yet firing, at 8m.
          hotspot('8m', '[]'),
          hotspot(
            '20m',
            `\n          - exp_labels: { severity: warning, job: irqkit, instance: "skewed:9640", cpu: "0" }\n            exp_annotations: ${JSON.stringify(HOTSPOT_ANNOTATIONS)}`,
          ),
          '      - eval_time: 20m',
          '        alertname: IrqkitSamplingStalled',
          '        exp_alerts:',
          '          - exp_labels: { severity: warning, job: irqkit, instance: "stalled:9640" }',
          '            exp_annotations:',
          '              summary: "irqkitd on stalled:9640 has not read /proc/interrupts for 5 minutes"',
          `              description: ${JSON.stringify("irqkit_samples_total has not increased; see the daemon's /healthz (sampler.lastError) and its log.")}`,
          '',
        ].join('\n'),
      );
      const r = promtool(['test', 'rules', file]);
      assert.ok(r);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('packaging/grafana/irqkit-dashboard.json', () => {
  interface Panel {
    id: number;
    type: string;
    title: string;
    gridPos: { x: number; y: number; w: number; h: number };
    datasource?: { type: string; uid: string };
    targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
  }
  const text = readFileSync(GRAFANA, 'utf8');
  const dashboard = JSON.parse(text) as {
    uid: string;
    title: string;
    schemaVersion: number;
    panels: Panel[];
    templating: { list: Array<{ name: string; type: string }> };
  };

  it('is a dashboard with unique panel ids, a 24-column grid and a Prometheus data source variable', () => {
    assert.equal(dashboard.uid, 'irqkit-interrupts');
    assert.ok(dashboard.schemaVersion >= 36);
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits`);
      assert.match(p.datasource?.uid ?? '', /^\$\{datasource\}$/, `${p.title} uses the data source variable`);
      const refs = (p.targets ?? []).map((t) => t.refId);
      assert.ok(refs.length > 0, `${p.title} has a query`);
      assert.equal(new Set(refs).size, refs.length, `${p.title}: unique refIds`);
    }
    assert.deepEqual(
      dashboard.templating.list.map((v) => [v.name, v.type]),
      [
        ['datasource', 'datasource'],
        ['job', 'query'],
        ['instance', 'query'],
      ],
    );
  });

  it('has a per-CPU rate heat map, per-CPU time series and imbalance gauges', () => {
    const byType = (type: string) => dashboard.panels.filter((p) => p.type === type);
    const exprs = (ps: Panel[]) => ps.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    assert.match(exprs(byType('heatmap')), /rate\(irqkit_cpu_interrupts_total\{/);
    assert.match(exprs(byType('timeseries')), /rate\(irqkit_cpu_interrupts_total\{/);
    assert.match(exprs(byType('gauge')), /irqkit_imbalance_peak_to_average/);
    assert.match(exprs(byType('gauge')), /irqkit_imbalance_spread/);
  });

  it('uses only metrics irqkitd exports', () => {
    const exported = exportedMetrics();
    const used = usedMetrics(text);
    assert.ok(used.length >= 5);
    for (const m of used) assert.ok(exported.has(m), `${m} is not exported`);
  });
});
