/**
 * One order for every IRQ list (overview, irqs, top, show), and one --sort vocabulary for them,
 * old spellings included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareIrqIds,
  firstCpu,
  type IrqSortFields,
  type IrqSortKey,
  parseSortWord,
  SORT_WORDS,
  sortHelp,
  sortIrqRows,
  sortKeyOrUsage,
} from '../../src/cli/render/irq-sort.ts';
import { throwsCode } from '../helpers/errors.ts';

const rows: IrqSortFields[] = [
  { irq: '100', name: 'b-dev', load: 5, node: 1, effectiveCpu: 3, onCpu: (c) => [5, 0][c] ?? 0 },
  { irq: '2', name: 'c-dev', load: 50, node: null, effectiveCpu: 1, onCpu: (c) => [0, 50][c] ?? 0 },
  { irq: '10', name: 'a-dev', load: 30, node: 0, effectiveCpu: null, onCpu: (c) => [30, 0][c] ?? 0 },
  { irq: '7', name: 'a-dev', load: 30, node: 1, effectiveCpu: 1, onCpu: (c) => [30, 0][c] ?? 0 },
  { irq: '9', name: 'Z-dev', load: 0, node: null, effectiveCpu: 0, onCpu: () => 0 },
];
const order = (key: IrqSortKey): string[] => sortIrqRows(rows, key, (r) => r).map((r) => r.irq);

describe('sortIrqRows', () => {
  const table: Array<[string, IrqSortKey, string[]]> = [
    ['irq: numerically, not as text', { by: 'irq' }, ['2', '7', '9', '10', '100']],
    ['load: busiest first, ties by IRQ number', { by: 'load' }, ['2', '7', '10', '100', '9']],
    ['name: by code unit (capitals first), ties by IRQ number', { by: 'name' }, ['9', '7', '10', '100', '2']],
    ["cpu: that CPU's load first, then the load", { by: 'cpu', cpu: 0 }, ['7', '10', '100', '2', '9']],
    ['cpu: ties fall back to the load, not the IRQ', { by: 'cpu', cpu: 1 }, ['2', '7', '10', '100', '9']],
    ['node: ascending, unknown last', { by: 'node' }, ['10', '7', '100', '2', '9']],
    ['effective-cpu: ascending, unknown last', { by: 'effective-cpu' }, ['9', '2', '7', '100', '10']],
  ];
  for (const [what, key, want] of table) it(what, () => assert.deepEqual(order(key), want));

  it('leaves its input alone', () => {
    const before = rows.map((r) => r.irq);
    order({ by: 'load' });
    assert.deepEqual(
      rows.map((r) => r.irq),
      before,
    );
  });
});

describe('compareIrqIds and firstCpu', () => {
  it('numbers first, repeated labels after their first, names last', () => {
    const ids = ['LOC', '41#1', '100', 'ERR', '41', '9'];
    assert.deepEqual([...ids].sort(compareIrqIds), ['9', '41', '41#1', '100', 'ERR', 'LOC']);
  });
  it('the first CPU of a cpulist, null for none', () => {
    assert.equal(firstCpu('4-7'), 4);
    assert.equal(firstCpu('12'), 12);
    assert.equal(firstCpu(''), null);
    assert.equal(firstCpu(null), null);
  });
});

describe('one --sort vocabulary for overview, top, show and irqs', () => {
  const table: Array<[keyof typeof SORT_WORDS, string, IrqSortKey | undefined]> = [
    // The words every list takes.
    ['overview', 'rate', { by: 'load' }],
    ['top', 'rate', { by: 'load' }],
    ['show', 'rate', { by: 'load' }],
    ['irqs', 'rate', { by: 'load' }],
    ['overview', 'irq', { by: 'irq' }],
    ['irqs', 'irq', { by: 'irq' }],
    ['show', ' Name ', { by: 'name' }],
    ['irqs', 'name', { by: 'name' }],
    ['overview', 'cpu:3', { by: 'cpu', cpu: 3 }],
    ['top', 'cpu:12', { by: 'cpu', cpu: 12 }],
    ['show', 'CPU:0', { by: 'cpu', cpu: 0 }],
    // Old spellings, kept so that scripts keep working.
    ['overview', 'total', { by: 'load' }],
    ['overview', 'cpu3', { by: 'cpu', cpu: 3 }],
    ['top', 'cpu12', { by: 'cpu', cpu: 12 }],
    ['top', 't', { by: 'load' }],
    ['top', 'I', { by: 'irq' }],
    ['top', 'n', { by: 'name' }],
    ['irqs', 'total', { by: 'load' }],
    ['irqs', 'cpu', { by: 'effective-cpu' }],
    // What only irqs has: a node and an effective CPU, and no per-CPU columns.
    ['irqs', 'node', { by: 'node' }],
    ['irqs', 'effective', { by: 'effective-cpu' }],
    ['irqs', 'cpu:1', undefined],
    ['overview', 'node', undefined],
    ['top', 'effective', undefined],
    // Not words at all.
    ['overview', 'cpu', undefined],
    ['top', 'load', undefined],
    ['top', 'toString', undefined],
  ];
  for (const [command, text, want] of table) {
    it(`${command} --sort '${text}'`, () => assert.deepEqual(parseSortWord(SORT_WORDS[command], text), want));
  }

  it('a word a command does not take: a usage error listing its words and the nearest', () => {
    throwsCode(
      () => sortKeyOrUsage(SORT_WORDS.overview, 'rat'),
      'IRQ_ERR_USAGE',
      /^--sort takes rate, irq, name or cpu:N, not 'rat' \(did you mean rate\?\)$/,
    );
    throwsCode(
      () => sortKeyOrUsage(SORT_WORDS.irqs, 'xyzzy'),
      'IRQ_ERR_USAGE',
      /^--sort takes rate, irq, name, node or effective, not 'xyzzy'$/,
    );
    throwsCode(() => sortKeyOrUsage(SORT_WORDS.irqs, 'cpu:2'), 'IRQ_ERR_USAGE', /no per-CPU columns/);
    throwsCode(
      () => sortKeyOrUsage(SORT_WORDS.top, 'cpu'),
      'IRQ_ERR_USAGE',
      /cpu:N names a CPU's column, e\.g\. cpu:3/,
    );
  });

  it("each command's --help names the same words and its own default", () => {
    assert.equal(
      sortHelp('top', 'rate'),
      "row order: rate (busiest first, default), irq, name or cpu:N (CPU N's column, busiest first)",
    );
    assert.equal(
      sortHelp('overview', 'irq'),
      "row order: rate (busiest first), irq (default), name or cpu:N (CPU N's column, busiest first)",
    );
    assert.match(
      sortHelp('irqs', 'irq'),
      /^row order: rate \(busiest first\), irq \(default\), name, node \(NUMA node\) or effective/,
    );
  });
});
