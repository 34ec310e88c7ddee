/**
 * The real parser as the oracle: Prometheus' own `promtool check metrics` (Debian package
 * `prometheus`). Skipped, loudly, where it is not installed; IRQKIT_PROMTOOL names another binary.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { type MetricFamily, renderMetrics } from '../../src/core/metrics-text.ts';

const PROMTOOL = process.env.IRQKIT_PROMTOOL || 'promtool';

function promtool(input: string): { code: number | null; output: string } | null {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input, encoding: 'utf8', timeout: 30_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const available = promtool('') !== null;
const skip = available
  ? false
  : `${PROMTOOL} is not installed (apt-get install -y prometheus); skipping the exposition oracle test`;

const nasty: MetricFamily[] = [
  {
    name: 'irqkit_interrupts_total',
    help: 'Interrupts since boot, wrap-corrected. Backslash \\ and\nnewline in HELP.',
    type: 'counter',
    samples: [
      { labels: { irq: '24', cpu: '0', name: 'eth0-TxRx-0' }, value: 2 ** 53 - 1 },
      { labels: { irq: '25', cpu: '0', name: 'quote " backslash \\ newline \n end' }, value: 0 },
      { labels: { irq: '26', cpu: '0', name: 'braces } commas , equals = hash # tab \t' }, value: 1e21 },
      { labels: { irq: '27', cpu: '0', name: 'unicode é 中文 😀' }, value: Number.POSITIVE_INFINITY },
      { labels: { irq: '28', cpu: '0', name: '\\"\\n' }, value: 12.5 },
      { labels: { irq: '29', cpu: '0', name: '' }, value: 4294967296 },
    ],
  },
  {
    name: 'irqkit_cpu_load_share',
    help: 'Share of all interrupts on each CPU "in quotes".',
    type: 'gauge',
    samples: [
      { labels: { cpu: '0' }, value: 0.5000000000090984 },
      { labels: { cpu: '1' }, value: Number.NaN },
      { labels: { cpu: '2' }, value: Number.NEGATIVE_INFINITY },
      { labels: { cpu: '3' }, value: -1.5e-7 },
    ],
  },
  { name: 'irqkit_up', help: 'Whether the sampler runs.', type: 'untyped', samples: [{ value: 1 }] },
];

describe('Prometheus exposition checked by promtool', () => {
  it('accepts rendered output with nasty label values, specials and huge integers', { skip }, () => {
    const text = renderMetrics(nasty);
    const r = promtool(text);
    assert.ok(r);
    assert.equal(r.code, 0, `promtool said:\n${r.output}\non:\n${text}`);
    assert.equal(r.output.trim(), '');
  });

  it('rejects a deliberately broken exposition, so the test above can fail', { skip }, () => {
    const good = renderMetrics(nasty);
    // Undo the quote escaping of one label value: the parser must stumble on it.
    const broken = good.replace('quote \\" backslash', 'quote " backslash');
    assert.notEqual(broken, good);
    const parse = promtool(broken);
    assert.ok(parse);
    assert.equal(parse.code, 1, parse.output);
    assert.match(parse.output, /pars/i);
    // And its linter: a gauge must not be named like a counter.
    const lint = promtool('# HELP x_total h\n# TYPE x_total gauge\nx_total 1\n');
    assert.ok(lint);
    assert.equal(lint.code, 3, lint.output);
  });
});
