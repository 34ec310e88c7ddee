/**
 * The rules that decide which CPUs a plan uses and which IRQs it may move where: one table row
 * per case, on a 2-node machine with CPUs 0-3 on node 0 and 4-7 on node 1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClassifyInput,
  classifyIrqs,
  classNotes,
  type IrqClass,
  type IrqFacts,
  type NumaPolicy,
  planConstraints,
  plannedCpus,
} from '../../src/core/irq-classes.ts';
import { throwsCode } from '../helpers/errors.ts';

const NODES = new Map([
  [0, [0, 1, 2, 3]],
  [1, [4, 5, 6, 7]],
]);
const ALL = [0, 1, 2, 3, 4, 5, 6, 7];

type Info = NonNullable<IrqFacts['info']>;
const info = (over: Partial<Info> = {}): Info => ({
  affinity: ALL,
  effective: [2],
  managed: false,
  numaNode: null,
  ...over,
});

function classify(facts: IrqFacts, over: Partial<Omit<ClassifyInput, 'irqs'>> = {}): IrqClass | undefined {
  return classifyIrqs({
    irqs: [facts],
    cpus: ALL,
    nodes: NODES,
    numa: 'strict',
    banned: new Set(),
    ...over,
  })[0];
}

describe('classifyIrqs', () => {
  const fixed = (reason: string, cpu: number, node?: number) => ({
    irq: '41',
    kind: 'fixed',
    reason,
    cpu,
    ...(node !== undefined ? { node } : {}),
  });
  const movable = (current: number | undefined, allowed = ALL, node?: number) => ({
    irq: '41',
    kind: 'movable',
    current,
    allowed,
    restriction: node === undefined ? null : { reason: 'numa', node },
  });
  const table: Array<{
    what: string;
    facts: Omit<IrqFacts, 'irq'>;
    with?: Partial<Omit<ClassifyInput, 'irqs'>>;
    is: object;
  }> = [
    { what: 'an ordinary IRQ moves anywhere', facts: { info: info() }, is: movable(2) },
    {
      what: 'where it is comes from effective_affinity_list',
      facts: { info: info({ affinity: [0, 1], effective: [1] }) },
      is: movable(1),
    },
    {
      what: 'without effective_affinity_list, the first CPU of smp_affinity_list',
      facts: { info: info({ affinity: [3, 5], effective: null }) },
      is: movable(3),
    },
    {
      what: 'with neither, nobody knows where it is',
      facts: { info: info({ affinity: [], effective: null }) },
      is: movable(undefined),
    },
    { what: 'kernel-managed: fixed', facts: { info: info({ managed: true }) }, is: fixed('managed', 2) },
    {
      what: 'managed unknown (before 6.12, not probed): movable',
      facts: { info: info({ managed: null }) },
      is: movable(2),
    },
    {
      what: 'banned: fixed',
      facts: { info: info() },
      with: { banned: new Set(['41']) },
      is: fixed('banned', 2),
    },
    {
      what: 'banned names another IRQ: movable',
      facts: { info: info() },
      with: { banned: new Set(['42']) },
      is: movable(2),
    },
    {
      what: 'pinned: fixed',
      facts: { info: info() },
      with: { pinned: new Set(['41']) },
      is: fixed('pinned', 2),
    },
    {
      what: 'managed and banned: managed says more',
      facts: { info: info({ managed: true }) },
      with: { banned: new Set(['41']) },
      is: fixed('managed', 2),
    },
    {
      what: 'managed but on no CPU: nothing to hold it on, so movable',
      facts: { info: info({ managed: true, affinity: [], effective: null }) },
      is: movable(undefined),
    },
    {
      what: 'no /proc/irq/N: fixed on the CPU that serviced it',
      facts: { info: null, busiestCpu: 5 },
      is: fixed('unreadable', 5),
    },
    {
      what: 'no /proc/irq/N and no interrupts: movable, nowhere known',
      facts: { info: null },
      is: movable(undefined),
    },
    {
      what: 'NUMA strict: its node’s CPUs',
      facts: { info: info({ numaNode: 1 }) },
      is: movable(2, [4, 5, 6, 7], 1),
    },
    {
      what: 'NUMA prefer: its node’s CPUs',
      facts: { info: info({ numaNode: 1 }) },
      with: { numa: 'prefer' },
      is: movable(2, [4, 5, 6, 7], 1),
    },
    {
      what: 'NUMA ignore: anywhere',
      facts: { info: info({ numaNode: 1 }) },
      with: { numa: 'ignore' },
      is: movable(2),
    },
    {
      what: 'NUMA: only the node’s planned CPUs',
      facts: { info: info({ numaNode: 1 }) },
      with: { cpus: [0, 1, 5, 6] },
      is: { ...movable(2, [5, 6], 1) },
    },
    {
      what: 'NUMA strict, the node has no planned CPU: fixed where it is',
      facts: { info: info({ numaNode: 1 }) },
      with: { cpus: [0, 1, 2, 3] },
      is: fixed('numa-strict', 2, 1),
    },
    {
      what: 'NUMA prefer, the node has no planned CPU: anywhere',
      facts: { info: info({ numaNode: 1 }) },
      with: { cpus: [0, 1, 2, 3], numa: 'prefer' },
      is: { ...movable(2), allowed: [0, 1, 2, 3] },
    },
    {
      what: 'NUMA strict, a node the topology does not list: fixed where it is',
      facts: { info: info({ numaNode: 3 }) },
      is: fixed('numa-strict', 2, 3),
    },
    {
      what: 'NUMA strict, no planned CPU on the node and no CPU known: movable',
      facts: { info: info({ numaNode: 1, affinity: [], effective: null }) },
      with: { cpus: [0, 1] },
      is: { ...movable(undefined), allowed: [0, 1] },
    },
    {
      what: 'unknown node: anywhere, whatever the policy',
      facts: { info: info({ numaNode: null }) },
      is: movable(2),
    },
    {
      what: 'banned wins over NUMA',
      facts: { info: info({ numaNode: 1 }) },
      with: { banned: new Set(['41']) },
      is: fixed('banned', 2),
    },
  ];
  for (const row of table) {
    it(row.what, () => {
      assert.deepEqual(classify({ irq: '41', ...row.facts }, row.with), row.is);
    });
  }

  it('one class per IRQ, in the order given', () => {
    const irqs = ['30', '4', '121'].map((irq) => ({ irq, info: info() }));
    const classes = classifyIrqs({ irqs, cpus: ALL, nodes: NODES, numa: 'ignore', banned: new Set() });
    assert.deepEqual(
      classes.map((c) => c.irq),
      ['30', '4', '121'],
    );
  });
});

describe('planConstraints and classNotes', () => {
  const facts: IrqFacts[] = [
    { irq: '10', info: info({ managed: true, effective: [0] }) },
    { irq: '11', info: info({ numaNode: 1, effective: [0] }) },
    { irq: '12', info: info({ effective: [3] }) },
    { irq: '13', info: null, busiestCpu: 6 },
    { irq: '14', info: null },
    { irq: '15', info: info({ numaNode: 1, effective: [1] }) },
  ];
  const run = (numa: NumaPolicy, cpus = ALL) =>
    classifyIrqs({ irqs: facts, cpus, nodes: NODES, numa, banned: new Set() });

  it('fixed IRQs, where each IRQ is, and only the restricted CPU sets', () => {
    const c = planConstraints(run('strict'));
    assert.deepEqual([...c.fixed], ['10', '13']);
    assert.deepEqual(
      [...c.current],
      [
        ['10', 0],
        ['11', 0],
        ['12', 3],
        ['13', 6],
        ['15', 1],
      ],
    );
    assert.deepEqual(
      [...c.allowed],
      [
        ['11', [4, 5, 6, 7]],
        ['15', [4, 5, 6, 7]],
      ],
    );
  });

  it('a note for each IRQ NUMA strict leaves where it is, none otherwise', () => {
    assert.deepEqual(classNotes(run('strict', [0, 1, 2, 3])), [
      'IRQ 11: NUMA node 1 has no planned CPU; left where it is',
      'IRQ 15: NUMA node 1 has no planned CPU; left where it is',
    ]);
    assert.deepEqual(classNotes(run('prefer', [0, 1, 2, 3])), []);
    assert.deepEqual(classNotes(run('strict')), []);
  });
});

describe('plannedCpus', () => {
  const topo = { online: [0, 1, 2, 3, 4, 5, 6], isolated: [2], nohzFull: [3, 4] };
  const table: Array<[string, { requested?: number[]; columns: number[] }, number[]]> = [
    ['the online columns, without isolated and nohz_full CPUs', { columns: ALL }, [0, 1, 5, 6]],
    ['columns keep their order', { columns: [6, 5, 1, 0] }, [6, 5, 1, 0]],
    ['only CPUs the window has', { columns: [0, 5] }, [0, 5]],
    ['requested: as asked, isolated ones too', { requested: [2, 3, 0], columns: ALL }, [2, 3, 0]],
    ['requested: even CPUs the window lacks', { requested: [6], columns: [0, 1] }, [6]],
  ];
  for (const [what, o, want] of table) {
    it(what, () => assert.deepEqual(plannedCpus({ ...topo, ...o }), want));
  }

  it('a requested CPU that is not online: IRQ_ERR_UNKNOWN_CPU, offline or not there at all, with the online CPUs', () => {
    throwsCode(
      () => plannedCpus({ ...topo, requested: [1, 7], columns: ALL }),
      'IRQ_ERR_UNKNOWN_CPU',
      /^CPU 7 is offline; the online CPUs are 0-6$/,
    );
    throwsCode(
      () => plannedCpus({ ...topo, requested: [99], columns: ALL }),
      'IRQ_ERR_UNKNOWN_CPU',
      /^CPU 99 does not exist; the online CPUs are 0-6$/,
    );
    // sysfs `possible` decides when the kernel gives it: a CPU without a column may still exist.
    throwsCode(
      () => plannedCpus({ ...topo, possible: [0, 1, 2, 3, 4, 5, 6, 7, 8], requested: [8], columns: ALL }),
      'IRQ_ERR_UNKNOWN_CPU',
      /^CPU 8 is offline/,
    );
  });
});
