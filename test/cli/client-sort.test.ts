/**
 * One --sort vocabulary across the commands that list IRQs: overview, irqs and top against a real
 * irqkitd, show on a file. `rate` is busiest first, `irq` by number, `name` by name and `cpu:N`
 * by CPU N's column; the old spellings (total, cpuN, irqs' cpu) still work.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CliRun, runCli } from '../helpers/cli.ts';
import { assertOneLineError, cells, getJson, type Irqkit, irqkitAt, num } from '../helpers/client-cli.ts';
import { type DaemonProcess, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { corpusFile } from '../helpers/paths.ts';

/** The table rows of a listing: lines whose first cell is an IRQ number, split into cells. */
function irqRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .map(cells)
    .filter((row) => /^\d+$/.test(row[0] ?? ''));
}

/** The cells of `column` (by header) in every IRQ row. */
function column(stdout: string, header: string): string[] {
  const head = stdout.split('\n').find((l) => /^\s*IRQ\s/.test(l)) ?? '';
  const at = cells(head).indexOf(header);
  assert.ok(at >= 0, `no ${header} column in: ${head}`);
  return irqRows(stdout).map((row) => row[at] ?? '');
}

const descending = (values: readonly number[]): boolean =>
  values.every((v, i) => i === 0 || (values[i - 1] ?? v) >= v);
const ascending = (values: readonly number[]): boolean =>
  values.every((v, i) => i === 0 || (values[i - 1] ?? v) <= v);

const ok = (r: CliRun): string => {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};

const RPI4 = corpusFile('26-arm64-4cpu-gicv2-rpi4-brcmstb-msi-openwrt.txt');

describe('--sort and --top on show (a file)', () => {
  const show = (...args: string[]): string =>
    ok(runCli(['show', RPI4, ...args], { env: { COLUMNS: '200' } }));

  it('without --sort the IRQs keep the file order', () => {
    assert.deepEqual(
      irqRows(show()).map((r) => r[0]),
      ['3', '11', '14', '17', '24', '25', '31', '32', '38', '39'],
    );
  });

  it('rate (and the old total): busiest first; irq: by number; name: by name', () => {
    for (const word of ['rate', 'total']) {
      const totals = column(show('--sort', word), 'TOTAL').map(num);
      assert.ok(descending(totals), `${word}: ${totals.join(' ')}`);
      assert.equal(totals[0], 30_845_207);
    }
    assert.deepEqual(
      irqRows(show('--sort', 'irq')).map((r) => Number(r[0])),
      [3, 11, 14, 17, 24, 25, 31, 32, 38, 39],
    );
    const names = irqRows(show('--sort', 'name')).map((r) => r[r.length - 1] ?? '');
    assert.deepEqual(names, [...names].sort());
  });

  it("cpu:N (and the old cpuN): that CPU's column, busiest first", () => {
    for (const word of ['cpu:2', 'cpu2']) {
      const cpu2 = column(show('--sort', word), 'CPU2').map(num);
      assert.ok(descending(cpu2), `${word}: ${cpu2.join(' ')}`);
      assert.equal(cpu2[0], 8_250_258);
    }
  });

  it('--top N keeps the N IRQs with the most interrupts, in --sort order, and says so', () => {
    const text = show('--top', '3', '--sort', 'irq');
    assert.deepEqual(
      irqRows(text).map((r) => r[0]),
      ['3', '31', '39'],
    );
    assert.match(text, /^showing the 3 of 10 IRQs with the most interrupts \(--top\)$/m);
    assert.match(text, /^IPI0\s/m, 'named rows stay');
  });

  it("on 1,152 CPUs, cpu:N adds that CPU's column beside the total", () => {
    const text = ok(
      runCli(['show', corpusFile('21-x86-1152cpu-i40e-smartpqi-pcp.txt'), '--sort', 'cpu:584']),
    );
    assert.match(text, /^\s*IRQ\s+CPU584\s+TOTAL\s+TOP CPU\s+SHARE\s+CHIP/m);
    assert.equal(irqRows(text)[0]?.[0], '36', 'smartpqi is the busiest on CPU 584');
  });

  it('bad words and CPUs are one-line usage errors', () => {
    assertOneLineError(
      runCli(['show', RPI4, '--sort', 'rat']),
      64,
      /^irqkit show: --sort takes rate, irq, name or cpu:N, not 'rat' \(did you mean rate\?\)$/,
    );
    assertOneLineError(
      runCli(['show', RPI4, '--sort', 'cpu:9']),
      64,
      /--sort cpu:9: .* has no CPU 9 \(CPUs 0-3\)$/,
    );
    assertOneLineError(runCli(['show', RPI4, '--top', '0']), 64, /--top takes a whole number of at least 1/);
  });
});

describe('the same --sort words on overview, irqs and top against a real irqkitd', () => {
  let d: DaemonProcess;
  let irqkit: Irqkit;
  before(async () => {
    d = await startDaemon(simArgs('4cpu'));
    irqkit = irqkitAt(d);
    await getJson(d, '/api/v1/cpus?window=1s');
  });
  after(async () => {
    await d?.stop();
  });

  it('every command takes rate, irq and name', () => {
    for (const command of [['overview'], ['irqs'], ['top', '--once', '--delay', '200ms'], ['show', RPI4]]) {
      for (const word of ['rate', 'irq', 'name']) ok(irqkit([...command, '--sort', word]));
    }
  });

  it('overview: rate and total busiest first, cpu:N and cpuN by that column', () => {
    for (const word of ['rate', 'total']) {
      const totals = column(ok(irqkit(['overview', '--sort', word])), 'TOTAL').map(num);
      assert.ok(descending(totals), `${word}: ${totals.join(' ')}`);
    }
    for (const word of ['cpu:1', 'cpu1']) {
      const cpu1 = column(ok(irqkit(['overview', '--sort', word])), 'CPU1').map(num);
      assert.ok(descending(cpu1), `${word}: ${cpu1.join(' ')}`);
    }
  });

  it('irqs: rate busiest first; effective (and the old cpu) by the CPU it is delivered to; no cpu:N', () => {
    const rates = column(ok(irqkit(['irqs', '--sort', 'rate'])), 'RATE/S').map(num);
    assert.ok(descending(rates), rates.join(' '));
    for (const word of ['effective', 'cpu']) {
      const cpus = column(ok(irqkit(['irqs', '--sort', word])), 'EFFECTIVE').map((c) =>
        Number(/^\d+/.exec(c)?.[0]),
      );
      assert.ok(ascending(cpus), `${word}: ${cpus.join(' ')}`);
    }
    assertOneLineError(irqkit(['irqs', '--sort', 'cpu:1']), 64, /these rows have no per-CPU columns/);
  });

  it('top: cpu:N sorts on that column', () => {
    const j = JSON.parse(ok(irqkit(['top', '--json', '--delay', '200ms', '--sort', 'cpu:2']))) as {
      sort: string;
      irqs: Array<{ perCpuRate: number[] }>;
    };
    assert.equal(j.sort, 'CPU2');
    assert.ok(descending(j.irqs.map((i) => i.perCpuRate[2] ?? 0)));
  });

  it('each --help documents the words', () => {
    const line = (command: string): string =>
      // A description wrapped onto continuation lines, read as one line.
      /--sort KEY\s+(.*)$/m.exec(ok(runCli([command, '--help'])).replace(/\n {20,}/g, ' '))?.[1] ?? '';
    for (const command of ['overview', 'top', 'show'])
      assert.match(
        line(command),
        /^row order: rate \(busiest first(, default)?\), irq( \(default\))?, name or cpu:N/,
      );
    assert.match(
      line('irqs'),
      /^row order: rate \(busiest first\), irq \(default\), name, node \(NUMA node\) or effective/,
    );
  });
});
