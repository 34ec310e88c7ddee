/**
 * The options every command shares (--json, --no-color, -h/--help, and --url/--timeout for the
 * commands that talk to irqkitd) work before the command's name as after it: the real CLI
 * against a real irqkitd.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CpuSummary } from '../../src/api/schemas.ts';
import { runCli } from '../helpers/cli.ts';
import { assertOneLineError, getJson } from '../helpers/client-cli.ts';
import { type DaemonProcess, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { repoRoot } from '../helpers/paths.ts';

/** Nothing listens on port 1 of loopback: a run that reaches the daemon there fails with exit 2. */
const NOWHERE = 'http://127.0.0.1:1';
const ESC = '\u001b[';

describe('global options before the command name, against a real irqkitd', () => {
  let d: DaemonProcess;
  let url: string;
  before(async () => {
    d = await startDaemon(simArgs('4cpu'));
    url = d.urls[0] as string;
    await getJson(d, '/api/v1/cpus?window=1s');
  });
  after(async () => {
    await d?.stop();
  });

  // IRQKIT_URL points nowhere, so only a --url that was read reaches the daemon.
  const irqkit = (args: string[]) => runCli(args, { env: { IRQKIT_URL: NOWHERE } });

  it('irqkit --url U summary works as irqkit summary --url U', () => {
    const before = irqkit(['--url', url, 'summary', '--window', '1s']);
    const afterName = irqkit(['summary', '--window', '1s', '--url', url]);
    for (const r of [before, afterName]) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      // The window covers whole sampling intervals near 1 s; how near depends on the host.
      assert.match(r.stdout, /^Interrupts per CPU from \S+ to \S+ \(\d+\.\d\d s\)$/m);
      assert.match(r.stdout, /^CPU3\s+[\d,]+\s/m);
    }
    const eq = irqkit([`--url=${url}`, 'summary', '--window', '1s']);
    assert.equal(eq.code, 0, eq.stderr);
  });

  it('--json, --no-color and --timeout before the name are applied', () => {
    const r = irqkit(['--json', '--no-color', '--timeout', '20s', '--url', url, 'summary', '--window', '1s']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as CpuSummary;
    assert.equal(j.cpus.length, 4);
    const colored = runCli(['--url', url, '--no-color', 'summary', '--window', '1s'], {
      env: { FORCE_COLOR: '1' },
    });
    assert.ok(!colored.stdout.includes(ESC), 'no escapes with --no-color');
    const forced = runCli(['--url', url, 'summary', '--window', '1s'], { env: { FORCE_COLOR: '1' } });
    assert.ok(forced.stdout.includes(ESC), 'FORCE_COLOR colours a pipe, so the run above proves --no-color');
    // A leading --timeout is read: a bad one is refused as it is after the name.
    assertOneLineError(
      irqkit(['--timeout', 'soon', '--url', url, 'summary']),
      64,
      /^irqkit summary: --timeout/,
    );
  });

  it('a failure with a leading --json still prints the JSON error document', () => {
    const r = irqkit(['--json', 'summary']);
    assert.equal(r.code, 2);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'IRQ_ERR_UNREACHABLE');
  });

  it('--help before the name is that command’s help', () => {
    for (const name of ['top', 'balance', 'apply']) {
      const r = runCli(['--help', name]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, runCli([name, '--help']).stdout);
      assert.match(r.stdout, new RegExp(`^Usage: irqkit ${name} `));
    }
  });

  it('the main help lists the global options', () => {
    const r = runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: irqkit \[options\] <command> \[options\]$/m);
    assert.match(r.stdout, /^Options of every command \(before or after its name\):$/m);
    for (const flag of ['--json', '--no-color', '--url URL', '--timeout DURATION'])
      assert.match(r.stdout, new RegExp(`^\\s+(-h, )?${flag}\\s{2,}\\S`, 'm'));
  });

  it('mistakes before the name are one-line usage errors', () => {
    const file = join(repoRoot(), 'examples', 'interrupts-per-day.txt');
    assertOneLineError(
      irqkit(['--url', url, 'balance', file]),
      64,
      /^irqkit balance: --url is for the commands that talk to irqkitd; balance does not$/,
    );
    assertOneLineError(
      irqkit(['--urll', url, 'summary']),
      64,
      /^irqkit: unknown option '--urll' \(did you mean --url\?\)/,
    );
    assertOneLineError(
      irqkit(['--window', '1s', 'summary']),
      64,
      /^irqkit: unknown option '--window'.*after its name/,
    );
    assertOneLineError(
      irqkit(['--json']),
      64,
      /^irqkit: name a command after the options, e\.g\. 'irqkit --json summary'$/,
    );
    assertOneLineError(irqkit(['--url']), 64, /^irqkit: --url needs a value: --url URL/);
  });
});
