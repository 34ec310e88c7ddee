import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatValue,
  METRICS_CONTENT_TYPE,
  type MetricFamily,
  renderMetrics,
} from '../../src/core/metrics-text.ts';
import { throwsCode } from '../helpers/errors.ts';

describe('Prometheus text exposition', () => {
  it('renders families with one HELP/TYPE pair each, labels in the given order, and a final newline', () => {
    const text = renderMetrics([
      {
        name: 'irqkit_interrupts_total',
        help: 'Interrupts serviced since boot, wrap-corrected.',
        type: 'counter',
        samples: [
          { labels: { irq: '24', cpu: '0' }, value: 1234 },
          { labels: { irq: '24', cpu: '1' }, value: 0 },
        ],
      },
      {
        name: 'irqkit_plan_makespan',
        help: 'Busiest CPU load of the plan.',
        type: 'gauge',
        samples: [{ value: 2.5 }],
      },
      {
        name: 'irqkit_build_info',
        help: 'Build facts.',
        type: 'untyped',
        samples: [{ labels: { version: '0.1.0' }, value: 1 }],
      },
    ]);
    assert.equal(
      text,
      [
        '# HELP irqkit_interrupts_total Interrupts serviced since boot, wrap-corrected.',
        '# TYPE irqkit_interrupts_total counter',
        'irqkit_interrupts_total{irq="24",cpu="0"} 1234',
        'irqkit_interrupts_total{irq="24",cpu="1"} 0',
        '# HELP irqkit_plan_makespan Busiest CPU load of the plan.',
        '# TYPE irqkit_plan_makespan gauge',
        'irqkit_plan_makespan 2.5',
        '# HELP irqkit_build_info Build facts.',
        '# TYPE irqkit_build_info untyped',
        'irqkit_build_info{version="0.1.0"} 1',
        '',
      ].join('\n'),
    );
  });

  it('renders nothing for no families, and HELP/TYPE alone for a family without samples', () => {
    assert.equal(renderMetrics([]), '');
    assert.equal(
      renderMetrics([{ name: 'a', help: '', type: 'gauge', samples: [] }]),
      '# HELP a \n# TYPE a gauge\n',
    );
  });

  it('escapes backslash, double quote and newline in label values, and only those', () => {
    const text = renderMetrics([
      {
        name: 'irqkit_irq_info',
        help: 'h',
        type: 'gauge',
        samples: [{ labels: { name: 'a\\b"c\nd}e,f=g\th #é😀' }, value: 1 }],
      },
    ]);
    assert.equal(text.split('\n')[2], 'irqkit_irq_info{name="a\\\\b\\"c\\nd}e,f=g\th #é😀"} 1');
  });

  it('escapes backslash and newline in HELP but leaves quotes alone', () => {
    const text = renderMetrics([
      { name: 'm', help: 'path C:\\x "quoted"\nsecond line', type: 'gauge', samples: [] },
    ]);
    assert.equal(text.split('\n')[0], '# HELP m path C:\\\\x "quoted"\\nsecond line');
  });

  it('prints infinities and NaN the way Prometheus parses them', () => {
    assert.equal(formatValue(Number.POSITIVE_INFINITY), '+Inf');
    assert.equal(formatValue(Number.NEGATIVE_INFINITY), '-Inf');
    assert.equal(formatValue(Number.NaN), 'NaN');
    assert.equal(formatValue(-0), '0');
    assert.equal(formatValue(-3.25), '-3.25');
    assert.equal(formatValue(1e-7), '1e-7');
  });

  it('prints every integer below 2^53 digit for digit, without an exponent', () => {
    for (const n of [
      0,
      1,
      4294967295,
      4294967296,
      1e15,
      27477484064,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      123456789012345,
    ]) {
      const s = formatValue(n);
      assert.match(s, /^-?\d+$/, s);
      assert.equal(BigInt(s), BigInt(n));
    }
    assert.equal(formatValue(2 ** 53 - 1), '9007199254740991');
  });

  it('throws IRQ_ERR_INTERNAL on invalid metric or label names', () => {
    const family = (over: Partial<MetricFamily>): MetricFamily[] => [
      { name: 'ok_metric', help: '', type: 'gauge', samples: [{ value: 1 }], ...over },
    ];
    for (const name of ['', '1abc', 'a-b', 'a b', 'é', 'a{b}']) {
      throwsCode(() => renderMetrics(family({ name })), 'IRQ_ERR_INTERNAL', /invalid metric name/);
    }
    for (const label of ['', '1x', 'a-b', 'a:b', '__reserved', 'é']) {
      throwsCode(
        () => renderMetrics(family({ samples: [{ labels: { [label]: 'v' }, value: 1 }] })),
        'IRQ_ERR_INTERNAL',
        /invalid label name/,
      );
    }
    assert.doesNotThrow(() =>
      renderMetrics(family({ name: 'ns:sub_metric_1', samples: [{ labels: { _x: '' }, value: 1 }] })),
    );
  });

  it('throws on a repeated family or two samples with the same label set in any order', () => {
    const f: MetricFamily = { name: 'm', help: '', type: 'gauge', samples: [{ value: 1 }] };
    throwsCode(() => renderMetrics([f, f]), 'IRQ_ERR_INTERNAL', /rendered twice/);
    throwsCode(
      () =>
        renderMetrics([
          {
            ...f,
            samples: [
              { labels: { a: '1', b: '2' }, value: 1 },
              { labels: { b: '2', a: '1' }, value: 2 },
            ],
          },
        ]),
      'IRQ_ERR_INTERNAL',
      /two samples/,
    );
  });

  it('throws on a type outside counter/gauge/untyped (from untyped JavaScript callers)', () => {
    throwsCode(
      () => renderMetrics([{ name: 'm', help: '', type: 'histogram' as 'gauge', samples: [] }]),
      'IRQ_ERR_INTERNAL',
      /invalid type/,
    );
  });

  it('names the 0.0.4 text content type', () => {
    assert.equal(METRICS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  });
});
