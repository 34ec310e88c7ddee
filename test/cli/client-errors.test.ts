import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bundlePath, hasStackTrace, runCli } from '../helpers/cli.ts';
import { assertOneLineError, irqkitAt } from '../helpers/client-cli.ts';
import { type DaemonProcess, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { repoRoot } from '../helpers/paths.ts';

/** Every daemon-backed command, with arguments that are valid on the command line. */
const COMMANDS: ReadonlyArray<readonly string[]> = [
  ['overview'],
  ['overview', '--window', '1s'],
  ['summary'],
  ['irqs'],
  ['irq', '41'],
  ['set', '41=1'],
  ['plan'],
  ['apply', '--dry-run'],
];

/** Nothing listens on port 1 of loopback. */
const NOWHERE = 'http://127.0.0.1:1';

describe('irqkit client errors and help', () => {
  it('an unreachable daemon is one line naming the URL, exit 2, for every command', () => {
    for (const args of COMMANDS) {
      const r = runCli([...args, '--url', NOWHERE]);
      assertOneLineError(
        r,
        2,
        new RegExp(
          `^irqkit ${args[0]}: cannot reach irqkitd at ${NOWHERE}: connection refused \\(is irqkitd running\\?\\)$`,
        ),
      );
      assert.equal(r.stdout, '');
      const json = runCli([...args, '--url', NOWHERE, '--json']);
      assert.equal(json.code, 2);
      const doc = JSON.parse(json.stdout) as { error: { code: string; details: { url: string } } };
      assert.equal(doc.error.code, 'IRQ_ERR_UNREACHABLE');
      assert.equal(doc.error.details.url, NOWHERE);
    }
  });

  it('IRQKIT_URL chooses the daemon (here a missing Unix socket); --url overrides it', () => {
    const env = { IRQKIT_URL: 'unix:/nonexistent/irqkitd.sock' };
    assertOneLineError(
      runCli(['summary'], { env }),
      2,
      /cannot reach irqkitd at unix:\/nonexistent\/irqkitd\.sock: no such socket/,
    );
    assertOneLineError(runCli(['summary', '--url', NOWHERE], { env }), 2, /at http:\/\/127\.0\.0\.1:1:/);
    assertOneLineError(runCli(['irqs', '--url', 'https://example.org']), 64, /'https:' is not supported/);
  });

  describe('a daemon that accepts but never answers', () => {
    let server: Server;
    let url = '';
    before(async () => {
      // The kernel completes the handshake from the backlog, so this works while runCli blocks.
      server = createServer(() => undefined);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    after(() => {
      server.close();
    });

    it('--timeout gives up with exit 2, naming the limit that ran out', () => {
      assertOneLineError(
        runCli(['irqs', '--url', url, '--timeout', '300ms']),
        2,
        /cannot reach irqkitd at .*: no answer within 300ms \(--timeout\)$/,
      );
      assertOneLineError(
        runCli(['irqs', '--url', url, '--timeout', 'soon']),
        64,
        /--timeout takes a positive duration/,
      );
    });
  });

  it('--help on every command has usage, options and examples', () => {
    for (const name of ['overview', 'summary', 'irqs', 'irq', 'set', 'plan', 'apply']) {
      const r = runCli([name, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: irqkit ${name} `));
      assert.match(r.stdout, /\nOptions:\n/);
      assert.match(r.stdout, /\s--url URL\s/);
      assert.match(r.stdout, new RegExp(`\\nExamples:\\n  irqkit ${name}\\b`));
      assert.equal(runCli(['help', name]).stdout, r.stdout);
    }
    const main = runCli(['--help']);
    for (const name of ['overview', 'summary', 'irqs', 'irq', 'set', 'plan', 'apply'])
      assert.match(main.stdout, new RegExp(`^  ${name}\\s+\\S`, 'm'));
  });

  it('unknown flags and commands are usage errors with a suggestion', () => {
    assertOneLineError(
      runCli(['overview', '--to', '5']),
      64,
      /unknown option '--to' \(did you mean --top\?\)/,
    );
    assertOneLineError(runCli(['summary', '--wait']), 64, /did you mean --window\?|unknown option '--wait'/);
    assertOneLineError(runCli(['irqs', '--sot', 'rate']), 64, /did you mean --sort\?/);
    assertOneLineError(runCli(['plan', '--numaa', 'strict']), 64, /did you mean --numa\?/);
    assertOneLineError(runCli(['set', '41=1', '--cpuu', '2']), 64, /did you mean --cpu\?/);
    assertOneLineError(runCli(['sumary']), 64, /unknown command 'sumary' \(did you mean 'summary'\?\)/);
  });

  it('balance FILE and show FILE stay offline: no daemon needed', () => {
    const file = join(repoRoot(), 'examples', 'interrupts-per-day.txt');
    const env = { IRQKIT_URL: NOWHERE };
    const balance = runCli(['balance', file, '--json'], { env });
    assert.equal(balance.code, 0, balance.stderr);
    assert.equal((JSON.parse(balance.stdout) as { source: string }).source, file);
    const show = runCli(['show', file], { env });
    assert.equal(show.code, 0, show.stderr);
    assert.ok(!hasStackTrace(balance.stderr + show.stderr));
  });

  describe('against a read-only daemon on a 64-CPU machine', () => {
    let d: DaemonProcess;
    before(async () => {
      d = await startDaemon([
        '--simulate',
        '64cpu,2node',
        '--listen',
        '127.0.0.1:0',
        '--interval',
        '500ms',
        '--read-only',
      ]);
    });
    after(async () => {
      await d?.stop();
    });

    it("a refusal (403) is the daemon's message and code, with its exit code", () => {
      const irqkit = irqkitAt(d);
      assertOneLineError(irqkit(['set', '41=1']), 77, /^irqkit set: .*read-only.* \(IRQ_ERR_READ_ONLY\)$/);
      assertOneLineError(irqkit(['apply', '--window', '1s']), 77, /IRQ_ERR_READ_ONLY/);
      assert.equal(d.irqFile('41', 'smp_affinity_list'), '0');
    });

    it('| head is a normal end (EPIPE), with no error output', () => {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `"${process.execPath}" "${bundlePath()}" overview --raw | head -1; echo "rc=\${PIPESTATUS[0]}" >&2`,
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', IRQKIT_URL: d.urls[0] as string } },
      );
      assert.match(r.stdout, /^\s+CPU0\s+CPU1/);
      // Only the exit status: bash may add noise of its own (a user's rc file) to stderr.
      assert.match(r.stderr, /^rc=0$/m);
      assert.doesNotMatch(r.stderr, /irqkit|EPIPE/);
      const wide = spawnSync(
        'bash',
        ['-c', `"${process.execPath}" "${bundlePath()}" overview | head -3; echo "rc=\${PIPESTATUS[0]}" >&2`],
        { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', IRQKIT_URL: d.urls[0] as string } },
      );
      assert.match(wide.stderr, /^rc=0$/m);
      assert.doesNotMatch(wide.stderr, /irqkit|EPIPE/);
      assert.match(wide.stdout, /^Interrupts since boot/);
    });
  });
});
