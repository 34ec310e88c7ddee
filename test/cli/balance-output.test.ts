/**
 * `irqkit balance` stays readable on a 1,152-CPU machine (corpus file 21): idle CPUs and idle
 * IRQs take a line each and the whole answer stays under 100 lines, while --all lists every IRQ
 * and every CPU. And a plan on /proc/interrupts itself says that those are counts since boot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCpuList } from '../../src/core/cpuset.ts';
import { runCli } from '../helpers/cli.ts';
import { corpusFile } from '../helpers/paths.ts';

const BIG = corpusFile('21-x86-1152cpu-i40e-smartpqi-pcp.txt');

interface BigJson {
  assignments: Array<{ irq: string; moved: boolean; current: number | null; cpu: number }>;
  before: { cpus: Array<{ cpu: number; load: number }> };
  cpus: Array<{ cpu: number; load: number; irqs: number }>;
  idle: string[];
  countsSinceBoot: boolean;
}

/** A CPU row of the per-CPU table: CPU, BEFORE, bar, AFTER, bar, IRQS. */
const CPU_ROW = /^CPU(\d+)\s+[\d,]+\s/;

describe('irqkit balance on 1,152 CPUs', () => {
  // One plan, read both ways: the search is time-limited, so two runs may plan differently.
  const json = JSON.parse(runCli(['balance', BIG, '--json']).stdout) as BigJson;
  const idleCpus = json.cpus
    .filter(
      (c) => c.load === 0 && c.irqs === 0 && (json.before.cpus.find((b) => b.cpu === c.cpu)?.load ?? 0) === 0,
    )
    .map((c) => c.cpu);

  it('by default: under 100 lines, none wider than 100 columns; idle CPUs and idle IRQs a line each', () => {
    const r = runCli(['balance', BIG]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.length < 100, `${lines.length} lines`);
    for (const l of lines) assert.ok([...l].length <= 100, `${[...l].length} columns: ${l}`);
    assert.ok(idleCpus.length > 1000, `${idleCpus.length} idle CPUs`);
    const idleCpuLine = lines.filter((l) => /idle CPUs/.test(l));
    assert.equal(idleCpuLine.length, 1);
    assert.match(idleCpuLine[0] ?? '', /^\d+ idle CPUs \(no load before or after\): [\d,-]+/);
    const idleIrqLine = lines.filter((l) => /idle IRQs/.test(l));
    assert.equal(idleIrqLine.length, 1);
    assert.match(
      idleIrqLine[0] ?? '',
      new RegExp(
        `^${json.idle.length} idle IRQs \\(no interrupts, left where they are\\): ${json.idle[0]} .* … \\(${json.idle.length} in all\\)$`,
      ),
    );
    // The busy CPUs that are listed are at most 32, the others summed up in one line.
    const rows = lines.filter((l) => CPU_ROW.test(l));
    assert.ok(rows.length <= 32 && rows.length > 0, `${rows.length} CPU rows`);
    assert.match(
      r.stdout,
      /^… \d+ more CPUs, before [\d,]+ to [\d,]+, after [\d,]+ to [\d,]+ \(--all lists every CPU\)$/m,
    );
  });

  it('--all lists every IRQ, every CPU and every idle IRQ', () => {
    const r = runCli(['balance', BIG, '--all'], { env: { COLUMNS: '200' } });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => CPU_ROW.test(l));
    assert.equal(rows.length, 1152);
    assert.deepEqual(
      rows.map((l) => Number(CPU_ROW.exec(l)?.[1])),
      json.cpus.map((c) => c.cpu),
    );
    const irqRows = r.stdout.split('\n').filter((l) => /^\s*\d+\s+\S.*\s+CPU\d+\s+CPU\d+/.test(l));
    assert.equal(irqRows.length, json.assignments.length);
    const idle = r.stdout.slice(r.stdout.indexOf(' idle IRQs (')).split('\n\n')[0] ?? '';
    for (const irq of json.idle) assert.match(idle, new RegExp(`[ :]${irq}( |$)`, 'm'), `idle IRQ ${irq}`);
    assert.doesNotMatch(r.stdout, /idle CPUs|--all lists/);
  });

  it('the idle CPUs line names exactly the CPUs with no load before or after', () => {
    // No moves, so that the text and the JSON are the same plan.
    const args = ['balance', BIG, '--max-moves', '0'];
    const j = JSON.parse(runCli([...args, '--json']).stdout) as BigJson;
    const before = new Map(j.before.cpus.map((c) => [c.cpu, c.load]));
    const idle = j.cpus
      .filter((c) => c.load === 0 && c.irqs === 0 && before.get(c.cpu) === 0)
      .map((c) => c.cpu);
    const r = runCli(args, { env: { COLUMNS: '400' } });
    assert.equal(r.code, 0, r.stderr);
    const m = /^(\d+) idle CPUs \(no load before or after\): (\S+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(Number(m[1]), idle.length);
    assert.equal(m[2], formatCpuList(idle));
  });
});

describe('irqkit balance /proc/interrupts', () => {
  it('says that those are counts since boot, not rates, and how to measure rates', () => {
    const r = runCli(['balance', '/proc/interrupts']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      'irqkit balance: note: /proc/interrupts counts interrupts since boot, not rates, so this plan weighs ' +
        "each IRQ by its whole history; for the rates now, measure them live: 'irqkit balance --interval 10s'\n",
    );
    const j = runCli(['balance', '/proc/interrupts', '--json']);
    assert.equal((JSON.parse(j.stdout) as BigJson).countsSinceBoot, true);
    assert.match(j.stderr, /since boot, not rates/);
    // The same note for another way to name the file, and none for a saved copy.
    assert.match(runCli(['balance', '/proc/self/root/proc/interrupts']).stderr, /since boot, not rates/);
    const copy = runCli(['balance', BIG, '--json']);
    assert.equal(copy.stderr, '');
    assert.equal((JSON.parse(copy.stdout) as BigJson).countsSinceBoot, false);
  });

  it('--help names the live mode', () => {
    const help = runCli(['balance', '--help']).stdout.replace(/\n\s+/g, ' ');
    assert.match(help, /\/proc\/interrupts itself counts since boot, not rates/);
    assert.match(help, /--interval DURATION\s+without FILE: measure live rates/);
  });
});
