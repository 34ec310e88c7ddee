/**
 * One order for every IRQ list (overview, irqs, top), and each command's --sort words as they
 * have always been.
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

describe("each command's --sort words", () => {
  const table: Array<[keyof typeof SORT_WORDS, string, IrqSortKey | undefined]> = [
    ['overview', 'irq', { by: 'irq' }],
    ['overview', 'total', { by: 'load' }],
    ['overview', ' Name ', { by: 'name' }],
    ['overview', 'cpu:3', { by: 'cpu', cpu: 3 }],
    ['overview', 'cpu3', { by: 'cpu', cpu: 3 }],
    ['overview', 'rate', undefined],
    ['overview', 'cpu', undefined],
    ['irqs', 'rate', { by: 'load' }],
    ['irqs', 'node', { by: 'node' }],
    ['irqs', 'cpu', { by: 'effective-cpu' }],
    ['irqs', 'total', undefined],
    ['irqs', 'cpu:1', undefined],
    ['top', 'rate', { by: 'load' }],
    ['top', 't', { by: 'load' }],
    ['top', 'total', { by: 'load' }],
    ['top', 'I', { by: 'irq' }],
    ['top', 'n', { by: 'name' }],
    ['top', 'cpu12', { by: 'cpu', cpu: 12 }],
    ['top', 'cpu:12', undefined],
    ['top', 'load', undefined],
    ['top', 'toString', undefined],
  ];
  for (const [command, text, want] of table) {
    it(`${command} --sort '${text}'`, () => assert.deepEqual(parseSortWord(SORT_WORDS[command], text), want));
  }

  it('a word a command does not take: a usage error listing its words and the nearest', () => {
    throwsCode(
      () => sortKeyOrUsage(SORT_WORDS.overview, 'totl'),
      'IRQ_ERR_USAGE',
      /^--sort takes irq, total, name, cpu:N, not 'totl' \(did you mean total\?\)$/,
    );
    throwsCode(() => sortKeyOrUsage(SORT_WORDS.irqs, 'xyzzy'), 'IRQ_ERR_USAGE', /, not 'xyzzy'$/);
  });
});
