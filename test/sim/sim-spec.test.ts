import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  defaultSimSpec,
  isCompactSimSpec,
  loadSimSpec,
  parseCompactSimSpec,
  resolveSimSpec,
} from '../../src/sim/spec.ts';
import { throwsCode } from '../helpers/errors.ts';

describe('simulation spec', () => {
  it('the default is 8 CPUs on 2 nodes with two NICs, a managed NVMe and the IO-APIC timer', () => {
    const s = resolveSimSpec(defaultSimSpec());
    assert.equal(s.cpus, 8);
    assert.equal(s.nodes, 2);
    assert.deepEqual(
      s.devices.map((d) => [d.name, d.type, d.node, d.queues, d.managed]),
      [
        ['timer', 'legacy', 0, 1, false],
        ['eth0', 'msix', 0, 8, false],
        ['nvme0', 'msix', 1, 8, true],
        ['eth1', 'msix', 1, 4, false],
      ],
    );
    assert.deepEqual(s.irqaffinity, [0], 'movable IRQs start on CPU 0, like irqaffinity=0');
    assert.deepEqual(
      s.named.map((r) => r.label),
      ['NMI', 'LOC'],
    );
  });

  it('fills in defaults and resolves idempotently', () => {
    const once = resolveSimSpec({
      cpus: 2,
      devices: [{ name: 'eth0', pci: '0000:01:00.0', queues: 2, rate: 10 }],
    });
    assert.deepEqual(once.devices[0], {
      name: 'eth0',
      pci: '0000:01:00.0',
      type: 'msix',
      node: 0,
      queues: 2,
      rate: 10,
      skew: 'uniform',
      managed: false,
      irq: null,
      queueName: '{name}-TxRx-{i}',
      start: 0,
    });
    assert.equal(once.seed, 1);
    assert.equal(once.noise, 0.02);
    assert.equal(once.kernel, '6.12.0-irqkit-sim');
    assert.deepEqual(resolveSimSpec(once), once);
  });

  it('reads the compact CLI form, with cpulists continuing across commas', () => {
    const s = resolveSimSpec(parseCompactSimSpec('16cpu,4node,isolated=2-3,6,offline=15,seed=7,uptime=0'));
    assert.equal(s.cpus, 16);
    assert.equal(s.nodes, 4);
    assert.deepEqual(s.isolated, [2, 3, 6]);
    assert.deepEqual(s.offline, [15]);
    assert.equal(s.seed, 7);
    assert.equal(s.uptime, 0);
    assert.equal(s.devices.find((d) => d.name === 'eth0')?.queues, 16);
    assert.deepEqual(resolveSimSpec(parseCompactSimSpec('')), resolveSimSpec(defaultSimSpec()));
    assert.deepEqual(resolveSimSpec(parseCompactSimSpec('default')), resolveSimSpec(defaultSimSpec()));
  });

  it('start= puts every device counter near the 32-bit limit', () => {
    const s = resolveSimSpec(parseCompactSimSpec('4cpu,start=4294967000'));
    assert.ok(s.devices.every((d) => d.start === 4294967000));
  });

  it('tells compact strings from file paths', () => {
    assert.equal(isCompactSimSpec('8cpu'), true);
    assert.equal(isCompactSimSpec('8cpu,2node,isolated=1,3'), true);
    assert.equal(isCompactSimSpec('machine.json'), false);
    assert.equal(isCompactSimSpec('./8cpu'), false);
  });

  it('loads inline JSON, a JSON file and the compact form', () => {
    assert.equal(loadSimSpec('2cpu').cpus, 2);
    assert.equal(loadSimSpec('{"cpus":3,"devices":[]}').cpus, 3);
    const dir = mkdtempSync(join(tmpdir(), 'irqkit-spec-'));
    try {
      const file = join(dir, 'machine.json');
      writeFileSync(file, JSON.stringify({ cpus: 5, devices: [{ name: 'timer', irq: 0, rate: 1 }] }));
      assert.equal(loadSimSpec(file).cpus, 5);
      writeFileSync(file, '{ nope');
      throwsCode(() => loadSimSpec(file), 'IRQ_ERR_USAGE', /not JSON/);
      throwsCode(() => loadSimSpec(join(dir, 'missing.json')), 'IRQ_ERR_FILE_NOT_FOUND');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed specs with IRQ_ERR_USAGE and a pointed message', () => {
    const dev = { name: 'eth0', pci: '0000:01:00.0', rate: 1 };
    const cases: [unknown, RegExp][] = [
      [null, /must be an object/],
      [{ cpus: 0, devices: [] }, /cpus must be an integer/],
      [{ cpus: 2, nodes: 3, devices: [] }, /nodes must be an integer 1-2/],
      [{ cpus: 2, devices: [], offline: [0, 1] }, /at least one CPU must be online/],
      [{ cpus: 2, devices: [], offline: [2] }, /offline\[0\] must be an integer 0-1/],
      [{ cpus: 2, devices: [], colour: 'red' }, /unknown field "colour"/],
      [{ cpus: 2, devices: [{ ...dev, pci: '3b:00.0' }] }, /pci must look like/],
      [{ cpus: 2, devices: [{ ...dev, type: 'legacy' }] }, /legacy line has no pci/],
      [{ cpus: 2, devices: [{ name: 'x', type: 'msix', rate: 1 }] }, /msix needs a pci address/],
      [{ cpus: 2, devices: [{ ...dev, queues: 2, skew: [1] }] }, /1 weights for 2 queues/],
      [{ cpus: 2, devices: [{ ...dev, skew: [0] }] }, /all zero/],
      [{ cpus: 2, devices: [{ ...dev, type: 'intx', managed: true }] }, /only msi\/msix/],
      [{ cpus: 2, devices: [{ ...dev, type: 'intx', queues: 2 }] }, /one IRQ, not 2 queues/],
      [{ cpus: 2, devices: [dev, { ...dev, pci: '0000:02:00.0' }] }, /name eth0 appears twice/],
      [{ cpus: 2, devices: [dev, { ...dev, name: 'eth1' }] }, /0000:01:00.0 appears twice/],
      [{ cpus: 2, devices: [{ ...dev, start: 2 ** 32 }] }, /start must be an integer 0-4294967295/],
      [{ cpus: 2, devices: [{ ...dev, name: '../x' }] }, /name must be/],
      [{ cpus: 2, devices: [{ ...dev, rate: -1 }] }, /rate must be a number/],
    ];
    for (const [spec, pattern] of cases) throwsCode(() => resolveSimSpec(spec), 'IRQ_ERR_USAGE', pattern);
    throwsCode(() => parseCompactSimSpec('8cpu,turbo'), 'IRQ_ERR_USAGE', /cannot read "turbo"/);
  });

  it('takes a schedule of rate changes, none by default, and resolves it idempotently', () => {
    const devices = [
      { name: 'eth0', pci: '0000:01:00.0', rate: 10 },
      { name: 'eth1', pci: '0000:02:00.0', rate: 20 },
    ];
    assert.deepEqual(resolveSimSpec({ cpus: 2, devices }).schedule, []);
    const once = resolveSimSpec({
      cpus: 2,
      devices,
      schedule: [
        { at: 0, rates: { eth1: 0 } },
        { at: 2.5, rates: { eth0: 1e9, eth1: 7 } },
      ],
    });
    assert.deepEqual(once.schedule, [
      { at: 0, rates: { eth1: 0 } },
      { at: 2.5, rates: { eth0: 1e9, eth1: 7 } },
    ]);
    assert.deepEqual(resolveSimSpec(once), once);
  });

  it('rejects a malformed schedule with IRQ_ERR_USAGE and the path of the bad field', () => {
    const devices = [
      { name: 'timer', irq: 0, rate: 1 },
      { name: 'eth0', pci: '0000:01:00.0', rate: 10 },
      { name: 'eth1', pci: '0000:02:00.0', rate: 20 },
    ];
    const ok = (at: number) => ({ at, rates: {} });
    const cases: [unknown, string][] = [
      [{}, 'schedule must be a list of {at, rates}'],
      [[5], 'schedule[0] must be an object {at, rates}'],
      [[{ at: 1, rates: {}, every: 60 }], 'unknown field "every" in schedule[0]'],
      [[{ rates: {} }], 'schedule[0].at must be a number 0-1000000000, got undefined'],
      [[ok(-1)], 'schedule[0].at must be a number 0-1000000000, got -1'],
      [[ok(5), ok(10), ok(3)], 'schedule[2].at must be after schedule[1].at (10), got 3'],
      [[ok(1), ok(1)], 'schedule[1].at must be after schedule[0].at (1), got 1'],
      [[{ at: 1, rates: [10] }], 'schedule[0].rates must be an object of device name → rate'],
      [[{ at: 1 }], 'schedule[0].rates must be an object of device name → rate'],
      [
        [ok(1), ok(2), { at: 3, rates: { eth0: 1, eth9: 1 } }],
        'schedule[2].rates.eth9: no such device (devices: timer, eth0, eth1)',
      ],
      [
        [{ at: 1, rates: { 'eth 0': 1 } }],
        'schedule[0].rates["eth 0"]: no such device (devices: timer, eth0, eth1)',
      ],
      [[{ at: 1, rates: { eth0: -5 } }], 'schedule[0].rates.eth0 must be a number 0-1000000000, got -5'],
      [[{ at: 1, rates: { eth0: '5' } }], 'schedule[0].rates.eth0 must be a number 0-1000000000, got "5"'],
    ];
    for (const [schedule, message] of cases) {
      const e = throwsCode(() => resolveSimSpec({ cpus: 2, devices, schedule }), 'IRQ_ERR_USAGE');
      assert.equal(e.message, `simulation spec: ${message}`);
    }
  });
});
