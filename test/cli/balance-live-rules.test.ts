/**
 * Live `irqkit balance` (no FILE) on simulated machines: the same rules as irqkitd's plans
 * (kernel-managed IRQs, isolated and nohz_full CPUs, NUMA policy), and how managed IRQs were
 * found. The CLI reads the machine's /proc/interrupts through FIFOs that answer each read with
 * the next state of the machine, so no test waits on the clock.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseInterrupts, renderInterrupts } from '../../src/core/parse-interrupts.ts';
import { deltaAsSnapshot, diffSnapshots } from '../../src/core/rates.ts';
import type { SimulatedMachine } from '../../src/sim/machine.ts';
import type { SimSpec } from '../../src/sim/spec.ts';
import { runCli } from '../helpers/cli.ts';
import { runOverReads } from '../helpers/fifo-procfs.ts';
import { tempMachine } from '../helpers/sim.ts';

interface Assignment {
  irq: string;
  name: string;
  load: number;
  current: number | null;
  cpu: number;
  moved: boolean;
  fixed: boolean;
  reason?: string;
}

interface LiveJson {
  window: { seconds: number; samples: number };
  assignments: Assignment[];
  cpus: Array<{ cpu: number; load: number; stddev: number }>;
  classification: {
    cpus: number[];
    excluded: { isolated: number[]; nohzFull: number[] };
    numa: string;
    managed: {
      irqs: string[];
      modeTells: boolean;
      how: Record<string, string[]>;
      untestedReason: string | null;
      summary: string;
    };
    fixed: Array<{ irq: string; reason: string; cpu: number | null }>;
    notes: string[];
  };
}

const PARTS = 4;

interface LiveRun {
  code: number | null;
  stdout: string;
  stderr: string;
  m: SimulatedMachine;
  reads: string[];
  /** Every IRQ's smp_affinity_list text before and after the CLI ran. */
  affinity: { before: Map<string, string>; after: Map<string, string> };
}

/** The machine's /proc/interrupts now and after each of `PARTS` steps of a 2 s window. */
function windowReads(m: SimulatedMachine): string[] {
  const read = (): string => readFileSync(join(m.procRoot, 'interrupts'), 'utf8');
  const texts = [read()];
  for (let i = 0; i < PARTS; i++) {
    m.advance(2 / PARTS);
    texts.push(read());
  }
  return texts;
}

/** `irqkit balance` live on a fresh machine of `spec`, prepared by `prepare`. */
async function balanceLive(
  spec: SimSpec,
  args: readonly string[],
  prepare: (m: SimulatedMachine) => void = () => {},
): Promise<LiveRun> {
  const m = tempMachine(spec);
  const affinities = (): Map<string, string> =>
    new Map(m.irqs.map((i) => [String(i.irq), affinityList(m, String(i.irq))]));
  try {
    prepare(m);
    const reads = windowReads(m);
    const before = affinities();
    const r = await runOverReads(m.procRoot, reads, [
      'balance',
      '--procfs',
      m.procRoot,
      '--sysfs',
      m.sysRoot,
      '--interval',
      '40ms',
      '--samples',
      String(PARTS),
      ...args,
    ]);
    return { ...r, m, reads, affinity: { before, after: affinities() } };
  } finally {
    m.cleanup();
  }
}

async function balanceLiveJson(
  spec: SimSpec,
  args: readonly string[] = [],
  prepare?: (m: SimulatedMachine) => void,
): Promise<LiveRun & { j: LiveJson }> {
  const r = await balanceLive(spec, [...args, '--json'], prepare);
  assert.equal(r.code, 0, r.stderr);
  return { ...r, j: JSON.parse(r.stdout) as LiveJson };
}

/**
 * Two managed NVMe queues share CPU 0 with the NIC (8 queues on 4 CPUs: queue q on CPU q mod 4),
 * so a planner that did not know better would move one of them away.
 */
function managedSpec(kernel?: string): SimSpec {
  return {
    cpus: 4,
    seed: 3,
    noise: 0.05,
    devices: [
      { name: 'eth0', pci: '0000:3b:00.0', queues: 2, rate: 1000 },
      {
        name: 'nvme0',
        pci: '0000:5e:00.0',
        queues: 8,
        rate: 14000,
        skew: [4, 1, 1, 1, 4, 1, 1, 1],
        managed: true,
      },
    ],
    ...(kernel ? { kernel } : {}),
  };
}

const byIrq = (j: { assignments: Assignment[] }, irq: string): Assignment => {
  const a = j.assignments.find((x) => x.irq === irq);
  assert.ok(a, `IRQ ${irq} is in the plan`);
  return a;
};

describe('live balance never proposes a kernel-managed IRQ', () => {
  it('keeps managed NVMe queues where they are and says they were found from file modes (kernel ≥ 6.12)', async () => {
    const { j, m, reads } = await balanceLiveJson(managedSpec());
    const nvme = m.irqsOf('nvme0');
    for (const irq of nvme) {
      const a = byIrq(j, irq);
      assert.deepEqual(
        { moved: a.moved, fixed: a.fixed, reason: a.reason },
        {
          moved: false,
          fixed: true,
          reason: 'managed',
        },
      );
    }
    assert.deepEqual(j.classification.managed.irqs, nvme);
    assert.equal(j.classification.managed.modeTells, true);
    assert.match(
      j.classification.managed.summary,
      /left where they are; found from file modes \(kernel ≥ 6\.12\)$/,
    );
    assert.ok(
      m.irqsOf('eth0').some((irq) => byIrq(j, irq).moved),
      'the NIC queues on CPU 0 are moved instead',
    );

    // The same window given as a rate FILE has no kernel facts: there, a managed queue is proposed.
    const first = parseInterrupts(reads[0] as string);
    const last = parseInterrupts(reads[reads.length - 1] as string);
    const file = renderInterrupts(deltaAsSnapshot(last, diffSnapshots(first, last)));
    const naive = runCli(['balance', '-', '--json'], { input: file });
    assert.equal(naive.code, 0, naive.stderr);
    const planned = JSON.parse(naive.stdout) as { assignments: Assignment[] };
    assert.ok(
      nvme.some((irq) => byIrq(planned, irq).moved),
      'without the rule an NVMe queue would move',
    );
  });

  it('says so in the text answer, with the NVMe queues marked managed', async () => {
    const r = await balanceLive(managedSpec(), []);
    assert.equal(r.code, 0, r.stderr);
    const nvme = r.m.irqsOf('nvme0');
    assert.match(
      r.stdout,
      new RegExp(
        `^Kernel-managed IRQs: ${nvme.join(' ')}, left where they are; found from file modes \\(kernel ≥ 6\\.12\\)\\.$`,
        'm',
      ),
    );
    // By default the IRQs that stay are one line, the managed ones named; --all lists them.
    assert.match(
      r.stdout,
      new RegExp(
        `^\\d+ IRQs stay where they are \\(managed ${nvme.join(' ')}\\); --all lists every IRQ$`,
        'm',
      ),
    );
    assert.match(r.stdout, /^Measured .*\/interrupts over \d+\.\d\d s in 4 samples;/m);
    assert.match(r.stdout, /^Apply through irqkitd \(one batch; --persist keeps it across restarts\):$/m);
    const all = await balanceLive(managedSpec(), ['--all']);
    assert.equal(all.code, 0, all.stderr);
    for (const irq of nvme)
      assert.match(all.stdout, new RegExp(`^\\s*${irq}\\s+nvme0q\\d.*\\smanaged$`, 'm'));
  });

  it('before 6.12, tests each writable IRQ by writing its own affinity back, which changes nothing', async () => {
    const { j, m, affinity } = await balanceLiveJson(managedSpec('6.6.0-sim'));
    const eth = m.irqsOf('eth0');
    assert.deepEqual(j.classification.managed.how.write, eth);
    assert.deepEqual(j.classification.managed.how['read-only'], m.irqsOf('nvme0'));
    assert.equal(j.classification.managed.untestedReason, null);
    assert.match(
      j.classification.managed.summary,
      /found 8 from read-only files, 2 tested by writing their own affinity back \(kernel 6\.6\.0-sim < 6\.12\)$/,
    );
    for (const irq of m.irqsOf('nvme0')) assert.equal(byIrq(j, irq).moved, false);
    assert.deepEqual(affinity.after, affinity.before);
  });

  it('before 6.12 with --no-probe, writes nothing and says which IRQs were not tested', async () => {
    const { j, m } = await balanceLiveJson(managedSpec('6.6.0-sim'), ['--no-probe']);
    assert.deepEqual(j.classification.managed.how.untested, m.irqsOf('eth0'));
    assert.equal(j.classification.managed.untestedReason, 'no-probe');
    assert.match(
      j.classification.managed.summary,
      /; 2 IRQs not probed \(--no-probe\); IRQs the kernel manages may be proposed$/,
    );
  });

  it('before 6.12, reads debugfs first: a managed queue whose file looks writable stays, and nothing is written', async () => {
    const { j, m } = await balanceLiveJson(managedSpec('5.15.0-sim'), [], (machine) => {
      const debug = join(machine.sysRoot, 'kernel', 'debug', 'irq', 'irqs');
      mkdirSync(debug, { recursive: true });
      const nvme = new Set(machine.irqsOf('nvme0'));
      for (const irq of [...machine.irqsOf('eth0'), ...nvme]) {
        const managed = nvme.has(irq);
        // What a pre-6.12 kernel shows for a managed IRQ: a writable file that refuses writes.
        if (managed) chmodSync(join(machine.procRoot, 'irq', irq, 'smp_affinity_list'), 0o644);
        writeFileSync(join(debug, irq), debugfsState(managed));
      }
    });
    const nvme = m.irqsOf('nvme0');
    assert.deepEqual(j.classification.managed.how.debugfs, [...m.irqsOf('eth0'), ...nvme].sort(byNumber));
    assert.equal(j.classification.managed.how.write, undefined, 'no IRQ was written');
    assert.deepEqual(j.classification.managed.irqs, nvme);
    for (const irq of nvme) assert.equal(byIrq(j, irq).reason, 'managed');
  });
});

describe('live balance in a window in which nothing fired', () => {
  it('is the quiet window IRQ_ERR_EMPTY (exit 65), although managed IRQs are held where they are', async () => {
    const m = tempMachine(managedSpec());
    try {
      const still = readFileSync(join(m.procRoot, 'interrupts'), 'utf8');
      const r = await runOverReads(m.procRoot, Array(PARTS + 1).fill(still), [
        'balance',
        '--procfs',
        m.procRoot,
        '--sysfs',
        m.sysRoot,
        '--interval',
        '40ms',
        '--json',
      ]);
      assert.equal(r.code, 65, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'IRQ_ERR_EMPTY');
      assert.match(r.stderr, /measure longer with --interval/);
    } finally {
      m.cleanup();
    }
  });
});

describe('live balance leaves isolated and nohz_full CPUs out', () => {
  const spec: SimSpec = {
    cpus: 4,
    isolated: [3],
    nohzFull: [2],
    noise: 0.02,
    devices: [{ name: 'eth0', pci: '0000:3b:00.0', queues: 4, rate: 4000, skew: [4, 3, 2, 1] }],
  };

  it('plans only the other CPUs and says which were left out', async () => {
    const { j } = await balanceLiveJson(spec);
    assert.deepEqual(
      j.cpus.map((c) => c.cpu),
      [0, 1],
    );
    assert.deepEqual(j.classification.excluded, { isolated: [3], nohzFull: [2] });
    for (const a of j.assignments) assert.ok(a.cpu < 2, `IRQ ${a.irq} on CPU${a.cpu}`);
    const text = await balanceLive(spec, []);
    assert.match(
      text.stdout,
      /^Planned CPUs 0-1; left out: isolated 3, nohz_full 2 \(name them in --cpus to plan them\); NUMA policy prefer\.$/m,
    );
  });

  it('plans them when --cpus names them', async () => {
    const { j } = await balanceLiveJson(spec, ['--cpus', '0-3']);
    assert.deepEqual(
      j.cpus.map((c) => c.cpu),
      [0, 1, 2, 3],
    );
    assert.deepEqual(j.classification.excluded, { isolated: [], nohzFull: [] });
  });
});

describe('live balance and the NUMA policy', () => {
  // eth1 (node 1) carries ten times eth0's load (node 0); everything starts on CPU 0.
  const spec: SimSpec = {
    cpus: 4,
    nodes: 2,
    noise: 0.02,
    devices: [
      { name: 'eth0', pci: '0000:3b:00.0', node: 0, queues: 4, rate: 400 },
      { name: 'eth1', pci: '0000:af:00.0', node: 1, queues: 4, rate: 4000 },
    ],
  };
  const targets = (j: LiveJson, m: SimulatedMachine, device: string): number[] =>
    m.irqsOf(device).map((irq) => byIrq(j, irq).cpu);

  it('strict keeps every queue on its device node', async () => {
    const { j, m } = await balanceLiveJson(spec, ['--numa', 'strict']);
    assert.equal(j.classification.numa, 'strict');
    for (const cpu of targets(j, m, 'eth0')) assert.ok([0, 1].includes(cpu), `eth0 on CPU${cpu}`);
    for (const cpu of targets(j, m, 'eth1')) assert.ok([2, 3].includes(cpu), `eth1 on CPU${cpu}`);
  });

  it('ignore balances across nodes (so the rule above is what kept them home)', async () => {
    const { j, m } = await balanceLiveJson(spec, ['--numa', 'ignore']);
    assert.ok(
      targets(j, m, 'eth1').some((cpu) => cpu < 2),
      'some eth1 queue lands on node 0',
    );
  });

  it('strict holds a queue whose node has no planned CPU where it is; prefer moves it', async () => {
    const strict = await balanceLiveJson(spec, ['--numa', 'strict', '--cpus', '0-1']);
    for (const irq of strict.m.irqsOf('eth1')) {
      const a = byIrq(strict.j, irq);
      assert.deepEqual(
        { fixed: a.fixed, reason: a.reason, cpu: a.cpu },
        { fixed: true, reason: 'numa-strict', cpu: 0 },
      );
    }
    assert.ok(strict.j.classification.notes.some((n) => /NUMA node 1 has no planned CPU/.test(n)));
    const prefer = await balanceLiveJson(spec, ['--numa', 'prefer', '--cpus', '0-1']);
    assert.ok(prefer.m.irqsOf('eth1').some((irq) => byIrq(prefer.j, irq).moved));
  });
});

function affinityList(m: SimulatedMachine, irq: string): string {
  return readFileSync(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), 'utf8');
}

function byNumber(a: string, b: string): number {
  return Number(a) - Number(b);
}

/** /sys/kernel/debug/irq/irqs/N as kernel/irq/debugfs.c prints it (the part read here). */
function debugfsState(managed: boolean): string {
  return [
    'handler:  handle_edge_irq',
    'device:   0000:5e:00.0',
    'status:   0x00004000',
    'istate:   0x00000000',
    'ddepth:   0',
    'wdepth:   0',
    `dstate:   0x${managed ? '03600200' : '03400200'}`,
    '            IRQD_ACTIVATED',
    '            IRQD_IRQ_STARTED',
    '            IRQD_SINGLE_TARGET',
    ...(managed ? ['            IRQD_AFFINITY_MANAGED'] : []),
    'node:     0',
    '',
  ].join('\n');
}
