/**
 * The README's five-minute walkthrough, run command by command as a reader would: `irqkitd …
 * &` starts the real daemon (on a free port instead of 9640, handed to irqkit as IRQKIT_URL),
 * `kill %1` stops it, and every `irqkit …` line runs the real CLI and must succeed. If the README
 * and the programs drift apart, this fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../helpers/cli.ts';
import { type DaemonProcess, startDaemon } from '../helpers/daemon-process.ts';
import { after } from '../helpers/node-test-hooks.ts';
import { repoRoot } from '../helpers/paths.ts';

/** The walkthrough's commands, comments dropped, in order. */
function walkthrough(readme: string): string[] {
  const m = /<!-- walkthrough -->\s*```sh\n([\s\S]*?)```\s*<!-- \/walkthrough -->/.exec(readme);
  assert.ok(m, 'the README has a walkthrough block');
  return (m[1] as string)
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** What a walkthrough line's output must show, beyond exit 0 and no stack trace. */
const EXPECT: Array<[RegExp, RegExp]> = [
  [/^irqkit summary$/, /CPU0?\b.*\d/],
  [/^irqkit plan$/, /move|Nothing worth moving/],
  [/^irqkit apply$/, /IRQ|Nothing worth moving/],
  [/^irqkit set --persist /, /pinned/],
  [/^irqkit pins$/, /applied/],
  [/^irqkit restore$/, /restored|put back/i],
  [/^irqkit auto$/, /^autopilot: running$/m],
];

describe('the README walkthrough, command by command, against irqkitd --simulate', () => {
  const commands = walkthrough(readFileSync(join(repoRoot(), 'README.md'), 'utf8'));
  let daemon: DaemonProcess | null = null;
  after(async () => {
    await daemon?.stop();
  });

  it('has the steps the README promises: look, plan, apply, keep, undo, and the autopilot', () => {
    for (const step of [
      /^irqkit summary/,
      /^irqkit plan/,
      /^irqkit apply/,
      /--persist/,
      /^irqkit restore/,
      /--auto/,
    ]) {
      assert.ok(
        commands.some((c) => step.test(c)),
        `no ${step} in ${commands.join(' | ')}`,
      );
    }
  });

  for (const [i, command] of commands.entries()) {
    it(`${i + 1}. ${command}`, async () => {
      const words = command.replace(/\s*&$/, '').split(/\s+/);
      if (words[0] === 'irqkitd') {
        assert.ok(command.endsWith('&'), 'the README starts the daemon in the background');
        assert.equal(daemon, null, 'the previous daemon was stopped first');
        daemon = await startDaemon([...words.slice(1), '--listen', '127.0.0.1:0']);
        return;
      }
      if (command === 'kill %1') {
        assert.ok(daemon, 'a daemon to stop');
        const stopped = await daemon.stop();
        assert.equal(stopped.code, 0, 'irqkitd exits 0 on SIGTERM');
        daemon = null;
        return;
      }
      assert.equal(words[0], 'irqkit', `a line the test does not know: ${command}`);
      assert.ok(daemon, 'a running daemon');
      const r = runCli(words.slice(1), { env: { IRQKIT_URL: daemon.urls[0] as string } });
      assert.equal(r.code, 0, `${command}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
      assert.ok(!hasStackTrace(r.stdout + r.stderr));
      assert.notEqual(r.stdout.trim(), '');
      for (const [which, shows] of EXPECT) if (which.test(command)) assert.match(r.stdout, shows, command);
    });
  }
});
