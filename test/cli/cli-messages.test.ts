/**
 * Messages that used to mislead, as a user meets them running the bundled CLI: a path said once,
 * a CPU that does not exist told from an offline one, the http:// a URL lacks, a flag without its
 * value, help cut mid-sentence, and "1 IRQs".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { assertOneLineError } from '../helpers/client-cli.ts';
import { smallSpec, tempMachine } from '../helpers/sim.ts';

const COMMANDS = [
  'balance',
  'show',
  'overview',
  'summary',
  'irqs',
  'irq',
  'set',
  'pins',
  'unpin',
  'restore',
  'plan',
  'apply',
  'auto',
  'top',
];

describe('help text', () => {
  it('the main help gives each command the whole first sentence of its summary, wrapped, not cut', () => {
    const r = runCli(['--help']);
    assert.equal(r.code, 0);
    const lines = r.stdout.split('\n');
    for (const l of lines) assert.ok(l.length <= 100, `${l.length} columns: ${l}`);
    const start = lines.indexOf('Commands:') + 1;
    const entries: string[] = [];
    for (const l of lines.slice(start)) {
      if (l === '') break;
      if (/^ {2}[a-z]+ {2,}/.test(l)) entries.push(l.trim());
      else entries[entries.length - 1] += ` ${l.trim()}`;
    }
    assert.deepEqual(
      entries.map((e) => e.split(/\s+/)[0]),
      COMMANDS,
    );
    for (const e of entries) assert.match(e, /\.$/, `a whole sentence: ${e}`);
    // Those that were cut before, now whole.
    assert.ok(
      entries.some((e) =>
        /^show\s+Print a parsed \/proc\/interrupts: .* handlers, and the named rows\.$/.test(e),
      ),
    );
    assert.ok(
      entries.some((e) => /^restore\s+.*\(all of them, or the IRQs named\), and unpin them\.$/.test(e)),
    );
  });

  it("no line of any command's --help is wider than 100 columns; long descriptions wrap under their column", () => {
    for (const name of COMMANDS) {
      const r = runCli([name, '--help']);
      assert.equal(r.code, 0, r.stderr);
      for (const l of r.stdout.split('\n')) assert.ok([...l].length <= 100, `${name}: ${l}`);
    }
    const set = runCli(['set', '--help']).stdout;
    assert.match(set, /^ {6}--persist {11}pin: .* and when the IRQ\n {26}comes back$/m);
  });
});

describe('usage mistakes', () => {
  it("set 24 --cpu: the flag's value is missing, said as a usage error with the usage", () => {
    assertOneLineError(
      runCli(['set', '24', '--cpu']),
      64,
      /^irqkit set: --cpu needs a value: --cpu CPU \(usage: irqkit set \[options\] IRQ=CPU\.\.\. \| irqkit set \[options\] IRQ\.\.\. --cpu CPU\)$/,
    );
    assertOneLineError(
      runCli(['overview', '--window']),
      64,
      /^irqkit overview: --window needs a value: --window DURATION \(usage: irqkit overview \[options\]\)$/,
    );
  });

  it('--url without http:// suggests it, also from $IRQKIT_URL', () => {
    for (const url of ['localhost:9640', '127.0.0.1:9640', 'localhost']) {
      assertOneLineError(
        runCli(['summary', '--url', url]),
        64,
        new RegExp(
          `^irqkit summary: --url takes http://HOST:PORT or unix:/path/to/socket, not '${url}' \\(did you mean http://${url}\\?\\)$`,
        ),
      );
    }
    assertOneLineError(
      runCli(['summary'], { env: { IRQKIT_URL: 'localhost:9640' } }),
      64,
      /^irqkit summary: \$IRQKIT_URL takes .* \(did you mean http:\/\/localhost:9640\?\)$/,
    );
  });
});

describe('files and CPUs', () => {
  it('--procfs DIR without DIR/interrupts names the path once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'irqkit-empty-'));
    try {
      for (const command of [['balance'], ['show'], ['top']]) {
        const r = runCli([...command, '--procfs', dir]);
        assert.equal(r.code, 66, r.stderr);
        assert.equal(r.stderr, `irqkit ${command[0]}: ${dir}/interrupts: no such file\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('balance --cpus: a CPU that does not exist is said so, an offline one too, with the online CPUs', () => {
    // 4 CPUs, CPU 3 offline.
    const m = tempMachine(smallSpec());
    try {
      const live = ['balance', '--procfs', m.procRoot, '--sysfs', m.sysRoot, '--interval', '20ms'];
      assertOneLineError(
        runCli([...live, '--cpus', '0,99']),
        64,
        /^irqkit balance: --cpus: CPU 99 does not exist; the online CPUs are 0-2$/,
      );
      assertOneLineError(
        runCli([...live, '--cpus', '2-3']),
        64,
        /^irqkit balance: --cpus: CPU 3 is offline; the online CPUs are 0-2$/,
      );
    } finally {
      m.cleanup();
    }
  });
});

describe('counts agree with their nouns', () => {
  const one =
    '           CPU0\n' +
    ' 30:        900   PCI-MSI 30-edge      eth0-rx-0\n' +
    ' 31:          0   PCI-MSI 31-edge      eth0-rx-1\n' +
    'LOC:        100   Local timer interrupts\n';

  it('show: 1 CPU, 2 IRQs, 1 named row', () => {
    const r = runCli(['show', '-'], { input: one });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stdin: 1 CPU \(0\), 2 IRQs, 1 named row$/m);
  });

  it('balance: 1 IRQ stays where it is, 1 idle IRQ, and no "1 IRQs" anywhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'irqkit-one-'));
    try {
      const file = join(dir, 'rates.txt');
      writeFileSync(file, one);
      const r = runCli(['balance', file, '--all']);
      assert.equal(r.code, 0, r.stderr);
      const plain = runCli(['balance', file]);
      assert.match(plain.stdout, /^Moves: 0 of 1 IRQ$/m);
      assert.match(plain.stdout, /^1 IRQ stays where it is; --all lists every IRQ$/m);
      assert.match(plain.stdout, /^1 idle IRQ \(no interrupts, left where it is\): 31$/m);
      assert.match(plain.stdout, /^ {2}moves\s+0 of 1 IRQ$/m);
      for (const text of [r.stdout, plain.stdout])
        assert.doesNotMatch(text, /(^|[^\d,])1 (IRQs|CPUs|moves|rows|named rows)\b/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
