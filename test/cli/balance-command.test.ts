import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { bundlePath, hasStackTrace, runCli } from '../helpers/cli.ts';
import { corpusFile, seedFile } from '../helpers/paths.ts';

const SEED = seedFile('interrupts-per-day.txt');

interface BalanceJson {
  assignments: Array<{
    irq: string;
    name: string;
    load: number;
    current: number | null;
    cpu: number;
    moved: boolean;
  }>;
  cpus: Array<{ cpu: number; load: number; share: number; irqs: number }>;
  metrics: {
    makespan: number;
    lowerBound: number;
    gap: number;
    provenOptimal: boolean;
    moves: number;
    peakToAverage: number;
  };
  method: string;
}

describe('irqkit balance on the original task', () => {
  it('prints the IRQ table, per-CPU bars and a proven-optimal verdict', () => {
    const r = runCli(['balance', SEED]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s*IRQ\s+NAME\s+LOAD\s+CURRENT\s+TARGET/m);
    assert.match(r.stdout, /^\s*132\s+eth0-TxRx-0\s+2,684,504,094\s+CPU1\s+CPU[01]/m);
    assert.match(r.stdout, /CPU0 █+.*27,477,484,06[34]/);
    assert.match(r.stdout, /makespan\)\s+27,477,484,064\s+proven optimal/);
    assert.match(r.stdout, /max - min\s+1$/m);
    assert.equal(r.stderr, '');
  });

  it('--json gives assignments, cpus and metrics that agree with each other', () => {
    const r = runCli(['balance', SEED, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as BalanceJson;
    assert.equal(j.assignments.length, 65);
    const irq134 = j.assignments.find((a) => a.irq === '134');
    assert.deepEqual(
      { name: irq134?.name, load: irq134?.load, current: irq134?.current },
      { name: 'eth0-TxRx-2', load: 3150750313 + 16107924, current: 0 },
    );
    for (const cpu of j.cpus) {
      const sum = j.assignments.filter((a) => a.cpu === cpu.cpu).reduce((s, a) => s + a.load, 0);
      assert.equal(cpu.load, sum);
    }
    assert.equal(Math.abs((j.cpus[0]?.load ?? 0) - (j.cpus[1]?.load ?? 0)), 1);
    assert.equal(j.metrics.provenOptimal, true);
    assert.equal(j.metrics.gap, 0);
    assert.equal(j.metrics.moves, j.assignments.filter((a) => a.moved).length);
  });

  it('reads stdin when FILE is -', () => {
    const r = runCli(['balance', '-', '--json'], { input: readFileSync(SEED, 'utf8') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as BalanceJson).metrics.provenOptimal, true);
  });

  it('plans for any number of CPUs with --cpus, using only those CPUs', () => {
    const file = corpusFile('05-x86-48cpu-opteron-2.6.35-PND-row-deterministic.txt');
    const r = runCli(['balance', file, '--cpus', '0-7,40-47', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as BalanceJson;
    assert.deepEqual(
      j.cpus.map((c) => c.cpu),
      [0, 1, 2, 3, 4, 5, 6, 7, 40, 41, 42, 43, 44, 45, 46, 47],
    );
    for (const a of j.assignments) assert.ok(a.cpu < 8 || a.cpu >= 40);
    assert.ok(j.metrics.makespan >= j.metrics.lowerBound);
  });

  it('honours --allow and --fixed', () => {
    const r = runCli(['balance', SEED, '--allow', '132=0', '--fixed', '134', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as BalanceJson;
    assert.equal(j.assignments.find((a) => a.irq === '132')?.cpu, 0);
    assert.equal(j.assignments.find((a) => a.irq === '134')?.cpu, 0);
  });
});

describe('irqkit balance errors', () => {
  const cases: Array<{ name: string; args: string[]; code: number; message: RegExp; input?: string }> = [
    {
      name: 'a missing file',
      args: ['balance', '/nonexistent/interrupts'],
      code: 66,
      message: /no such file/,
    },
    {
      name: 'a file that is not /proc/interrupts',
      args: ['balance', 'package.json'],
      code: 65,
      message: /package\.json/,
    },
    {
      name: 'an unknown CPU in --cpus',
      args: ['balance', SEED, '--cpus', '0,5'],
      code: 64,
      message: /CPU 5 is not in the input/,
    },
    { name: 'a malformed --cpus', args: ['balance', SEED, '--cpus', '3-1'], code: 64, message: /3-1/ },
    {
      name: 'an empty result',
      args: ['balance', '-'],
      input: '           CPU0       CPU1\nNMI:          0          0   Non-maskable interrupts\n',
      code: 65,
      message: /no numbered IRQ rows/,
    },
    {
      name: 'a zero --interval',
      args: ['balance', '--interval', '0s'],
      code: 64,
      message: /--interval takes a positive duration/,
    },
    {
      name: 'an unknown option',
      args: ['balance', SEED, '--cpu', '1'],
      code: 64,
      message: /did you mean --cpus/,
    },
    {
      name: 'an unknown IRQ in --fixed',
      args: ['balance', SEED, '--fixed', '999'],
      code: 65,
      message: /IRQ 999/,
    },
    {
      name: 'a bad --time-limit',
      args: ['balance', SEED, '--time-limit', 'soon'],
      code: 64,
      message: /--time-limit/,
    },
    { name: 'an unknown command', args: ['balanse'], code: 64, message: /did you mean 'balance'/ },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} with exit ${c.code} and a one-line message`, () => {
      const r = runCli(c.args, c.input === undefined ? {} : { input: c.input });
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.message);
      assert.equal(hasStackTrace(r.stderr), false, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }

  it('with --json, also prints the error as JSON with its stable code', () => {
    const r = runCli(['balance', SEED, '--cpus', '9', '--json']);
    assert.equal(r.code, 64);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'IRQ_ERR_UNKNOWN_CPU');
  });

  it('exits quietly when stdout is closed early (| head)', () => {
    const script = `"${process.execPath}" "${bundlePath()}" show "${corpusFile('21-x86-1152cpu-i40e-smartpqi-pcp.txt')}" | head -1; echo "rc=\${PIPESTATUS[0]}" >&2`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    assert.match(r.stderr, /rc=0/);
    assert.equal(hasStackTrace(r.stderr), false, r.stderr);
    assert.equal(r.stdout.split('\n').length, 2);
  });
});
