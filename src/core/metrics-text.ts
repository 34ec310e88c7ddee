/**
 * Prometheus text exposition format 0.0.4, rendered from plain data. The daemon computes a
 * snapshot per scrape, so a stateful client registry (prom-client) would only get in the way.
 */
import { IrqkitError } from './errors.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'untyped';

export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
}

/** A family of one sample without labels: most of irqkitd's own gauges and counters. */
export function single(name: string, help: string, type: MetricType, value: number): MetricFamily {
  return { name, help, type, samples: [{ value }] };
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'untyped']);

/**
 * One `# HELP` and `# TYPE` line per family, then its samples. Throws IRQ_ERR_INTERNAL on an
 * invalid metric or label name, a repeated family, or two samples with the same labels: these
 * are bugs in the caller, and an exposition with them makes Prometheus drop the whole scrape.
 */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of families) {
    const { name, type } = family;
    if (!METRIC_NAME.test(name)) invalid(`invalid metric name '${name}'`);
    if (!TYPES.has(type)) invalid(`metric ${name}: invalid type '${type}'`);
    if (seen.has(name)) invalid(`metric ${name} is rendered twice`);
    seen.add(name);
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${type}`);
    const series = new Set<string>();
    for (const sample of family.samples) {
      const labels = renderLabels(name, sample.labels ?? {});
      const key = canonicalLabels(sample.labels ?? {});
      if (series.has(key)) invalid(`metric ${name}: two samples with labels {${key}}`);
      series.add(key);
      lines.push(`${name}${labels} ${formatValue(sample.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function renderLabels(metric: string, labels: Record<string, string>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    // '__' names are reserved for Prometheus itself; it would reject them at ingestion.
    if (!LABEL_NAME.test(k) || k.startsWith('__')) invalid(`metric ${metric}: invalid label name '${k}'`);
    parts.push(`${k}="${escapeLabelValue(v)}"`);
  }
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function canonicalLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * Go's ParseFloat spellings for the specials. Finite numbers use JavaScript's shortest round-trip
 * form, which has no exponent below 1e21, so every integer under 2^53 is printed digit for digit.
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function invalid(message: string): never {
  throw new IrqkitError('IRQ_ERR_INTERNAL', message);
}
