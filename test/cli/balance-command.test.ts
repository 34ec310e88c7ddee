import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseInterrupts } from '../../src/core/parse-interrupts.ts';
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
  it('prints the moves, per-CPU load before and after, the metrics and a proven-optimal verdict', () => {
    const r = runCli(['balance', SEED]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const j = JSON.parse(runCli(['balance', SEED, '--json']).stdout) as BalanceJson;
    const moves = j.assignments.filter((a) => a.moved);
    assert.match(r.stdout, new RegExp(`^Moves: ${moves.length} of 65 IRQs$`, 'm'));
    assert.match(r.stdout, /^\s*IRQ\s+NAME\s+LOAD\s+CURRENT\s+TARGET\s+GAIN$/m);
    // The moves only: an IRQ that stays is left out, and counted.
    assert.equal(r.stdout.split('\n').filter((l) => /\smove$/.test(l)).length, moves.length);
    assert.match(
      r.stdout,
      new RegExp(`^${65 - moves.length} IRQs stay where they are; --all lists every IRQ$`, 'm'),
    );
    // BEFORE as the file's columns say, AFTER as planned.
    assert.match(r.stdout, /^CPU\s+BEFORE\s+AFTER\s+IRQS$/m);
    assert.match(r.stdout, /^CPU0\s+32,490,154,478\s+█+\s+27,477,484,06[34]\s+[█▏▎▍▌▋▊▉]+\s+\d+$/m);
    assert.match(r.stdout, /^busiest CPU load \(makespan\)\s+32,490,154,478\s+27,477,484,064$/m);
    assert.match(r.stdout, /^max - min\s+10,025,340,829\s+1$/m);
    assert.match(r.stdout, /^ {2}plan\s+proven optimal$/m);
  });

  it('ends with the irqkit set line that applies exactly the moves', () => {
    const r = runCli(['balance', SEED]);
    const j = JSON.parse(runCli(['balance', SEED, '--json']).stdout) as BalanceJson;
    const tail = r.stdout.slice(r.stdout.indexOf('\nApply on the machine these counts come from'));
    assert.match(
      tail,
      /^\nApply on the machine these counts come from \(one batch through irqkitd; --persist keeps it\):\n/,
    );
    // The command may be wrapped with backslashes, as a shell reads it.
    const command = tail
      .split('\n')
      .slice(2)
      .join('\n')
      .replace(/ \\\n\s*/g, ' ')
      .trim();
    const words = command.split(' ');
    assert.deepEqual(words.slice(0, 2), ['irqkit', 'set']);
    // The search is time-limited, so two runs may differ: compare with the run's own moves.
    const own = words.slice(2).map((w) => w.split('=').map(Number));
    assert.equal(own.length, j.metrics.moves);
    for (const [irq, cpu] of own) assert.ok(irq !== undefined && cpu !== undefined && cpu >= 0 && cpu <= 1);
    for (const line of tail.split('\n')) assert.ok(line.length <= 100, line);
  });

  it('--all lists every IRQ and every CPU', () => {
    const r = runCli(['balance', SEED, '--all']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^\s*\d+\s+\S+\s+[\d,]+\s+CPU\d+\s+CPU\d+/.test(l));
    assert.equal(rows.length, 65);
    assert.match(r.stdout, /^\s*132\s+eth0-TxRx-0\s+2,684,504,094\s+CPU1\s+CPU[01]/m);
    assert.doesNotMatch(r.stdout, /--all lists/);
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

interface NoisyJson extends BalanceJson {
  settings: { noise: string; confidence: number; maxMoves: number | null };
  cpus: Array<{ cpu: number; load: number; share: number; irqs: number; stddev: number }>;
  before: { cpus: Array<{ cpu: number; load: number; stddev: number }>; metrics: { makespan: number } };
  noise: { confidence: number; exact: boolean; makespanMargin: number; movesDropped: number };
  nothingWorthMoving: boolean;
  classification: null;
}

describe('irqkit balance and noise', () => {
  it('a rate FILE is exact by default: the seed file stays 1 apart and proven optimal, with no margin', () => {
    const r = runCli(['balance', SEED, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as NoisyJson;
    assert.deepEqual(j.settings, { noise: 'none', confidence: 2, maxMoves: null });
    assert.deepEqual(j.noise, { confidence: 2, exact: true, makespanMargin: 0, movesDropped: 0 });
    assert.deepEqual(
      j.cpus.map((c) => c.stddev),
      [0, 0],
    );
    assert.equal(Math.abs((j.cpus[0]?.load ?? 0) - (j.cpus[1]?.load ?? 0)), 1);
    assert.equal(j.metrics.provenOptimal, true);
    assert.equal(j.classification, null);
    // Before the plan: what the file's columns say each CPU serviced.
    const file = parseInterrupts(readFileSync(SEED, 'utf8'));
    const columns = file.cpus.map((_, i) =>
      file.rows.filter((row) => row.numeric).reduce((sum, row) => sum + (row.counts[i] ?? 0), 0),
    );
    assert.deepEqual(
      j.before.cpus.map((c) => [c.cpu, c.load, c.stddev]),
      [
        [0, columns[0], 0],
        [1, columns[1], 0],
      ],
    );
    const text = runCli(['balance', SEED]);
    assert.match(
      text.stdout,
      /^ {2}noise margin\s+none: the loads are exact \(--noise poisson treats counts as noisy\)$/m,
    );
    assert.match(text.stdout, /^CPU1\s+22,464,813,649\s+[█▏▎▍▌▋▊▉]+\s+27,477,484,063\s+[█▏▎▍▌▋▊▉]+\s+45$/m);
  });

  it('--noise poisson gives each CPU the variance of its count, and reports the margin', () => {
    const r = runCli(['balance', SEED, '--noise', 'poisson', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as NoisyJson;
    assert.equal(j.settings.noise, 'poisson');
    assert.equal(j.noise.exact, false);
    assert.ok(j.noise.makespanMargin > 0);
    for (const c of [...j.cpus, ...j.before.cpus]) {
      assert.ok(Math.abs(c.stddev ** 2 - c.load) <= c.load * 1e-9, `CPU${c.cpu}: ${c.stddev}² vs ${c.load}`);
    }
    const text = runCli(['balance', SEED, '--noise', 'poisson']);
    // Loads closer than the margin count as equal, so the plan stops short of 1 apart with fewer
    // moves than the exact plan's: both CPUs within the margin of each other, each ± √load.
    const loads = [0, 1].map((cpu) => {
      // CPU, BEFORE, ±, bar, AFTER, ±, bar, IRQS: the AFTER load and its standard deviation.
      const m = new RegExp(
        `^CPU${cpu}\\s+[\\d,]+\\s+±[\\d,]+\\s+[█▏▎▍▌▋▊▉]+\\s+([\\d,]+)\\s+±([\\d,]+)\\s`,
        'm',
      ).exec(text.stdout);
      assert.ok(m, text.stdout);
      const load = Number((m[1] as string).replace(/,/g, ''));
      assert.ok(Math.abs(Number((m[2] as string).replace(/,/g, '')) - Math.sqrt(load)) <= 1, m[0]);
      return load;
    });
    assert.ok(Math.abs((loads[0] as number) - (loads[1] as number)) <= j.noise.makespanMargin, `${loads}`);
    assert.ok(j.metrics.moves < 14, `${j.metrics.moves} moves: fewer than the exact plan's 14`);
    assert.match(
      text.stdout,
      /^ {2}noise margin\s+± [\d,]+ on the busiest CPU \(2 standard errors; closer loads count as equal\)$/m,
    );
    const exact = runCli(['balance', SEED, '--noise', 'poisson', '--confidence', '0']);
    assert.match(exact.stdout, /^ {2}noise margin\s+none: --confidence 0 plans exactly$/m);
  });

  it('passes --confidence and --max-moves to the planner and reports them', () => {
    const r = runCli([
      'balance',
      SEED,
      '--noise',
      'poisson',
      '--confidence',
      '3.5',
      '--max-moves',
      '2',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as NoisyJson;
    assert.deepEqual(j.settings, { noise: 'poisson', confidence: 3.5, maxMoves: 2 });
    assert.equal(j.noise.confidence, 3.5);
  });

  it('--max-moves 2 proposes at most 2 moves and says how many it left out', () => {
    const all = JSON.parse(runCli(['balance', SEED, '--json']).stdout) as NoisyJson;
    const r = runCli(['balance', SEED, '--max-moves', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as NoisyJson;
    assert.ok(all.metrics.moves > 2);
    assert.equal(j.metrics.moves, j.assignments.filter((a) => a.moved).length);
    assert.ok(j.metrics.moves <= 2);
    assert.ok(j.noise.movesDropped > 0);
    const text = runCli(['balance', SEED, '--max-moves', '2']);
    assert.match(text.stdout, /^ {2}moves\s+\d of 65 IRQs, \d+ more left out by --max-moves 2$/m);
  });

  it("says 'Nothing worth moving' and exits 0 when every IRQ already is where it should be", () => {
    const balanced =
      '           CPU0       CPU1\n' +
      ' 30:        900          0   PCI-MSI 30-edge      eth0-rx-0\n' +
      ' 31:          0        500   PCI-MSI 31-edge      eth0-rx-1\n' +
      ' 32:          0        400   PCI-MSI 32-edge      nvme0q1\n';
    const r = runCli(['balance', '-'], { input: balanced });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Nothing worth moving: every IRQ is already where the best plan found puts it\.$/m,
    );
    const j = JSON.parse(runCli(['balance', '-', '--json'], { input: balanced }).stdout) as NoisyJson;
    assert.equal(j.nothingWorthMoving, true);
    assert.equal(j.metrics.moves, 0);
    const moved = runCli(['balance', SEED]);
    assert.doesNotMatch(moved.stdout, /Nothing worth moving/);
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
    {
      name: 'a negative --confidence',
      args: ['balance', SEED, '--confidence', '-1'],
      code: 64,
      message: /--confidence.*needs a value.*--confidence=VALUE/,
    },
    {
      name: 'a negative --confidence=',
      args: ['balance', SEED, '--confidence=-1'],
      code: 64,
      message: /--confidence takes a number of standard errors from 0 \(exact\) to 10, e\.g\. 2, not '-1'/,
    },
    {
      name: 'a zero --samples',
      args: ['balance', '--samples', '0'],
      code: 64,
      message: /--samples takes a whole number of at least 1, not '0'/,
    },
    {
      name: 'a --max-moves that is not a count',
      args: ['balance', SEED, '--max-moves', 'few'],
      code: 64,
      message: /--max-moves takes a whole number, 0 or more, not 'few'/,
    },
    {
      name: 'an unknown --noise model',
      args: ['balance', SEED, '--noise', 'poison'],
      code: 64,
      message: /--noise takes none, poisson or sampled, not 'poison' \(did you mean poisson\?\)/,
    },
    {
      name: '--noise sampled with a FILE',
      args: ['balance', SEED, '--noise', 'sampled'],
      code: 64,
      message: /--noise sampled measures the noise live/,
    },
    {
      name: 'live-machine options with a FILE',
      args: ['balance', SEED, '--numa', 'strict', '--samples', '2'],
      code: 64,
      message: /--samples and --numa measure the live machine; options for live rates do not go with a FILE/,
    },
    {
      name: 'an unknown --numa policy',
      args: ['balance', '--numa', 'strikt'],
      code: 64,
      message: /--numa takes strict, prefer or ignore, not 'strikt' \(did you mean strict\?\)/,
    },
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
