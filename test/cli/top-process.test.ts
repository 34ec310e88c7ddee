/**
 * `irqkit top` as users run it: the bundled CLI against a real simulated irqkitd, through pipes
 * and under a real pseudo-terminal (tmux), quitting by key and by signal, and checking each
 * time that the terminal is given back as it was found.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { bundlePath, hasStackTrace, runCli } from '../helpers/cli.ts';
import { type DaemonProcess, eventually, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { TmuxPane, tmuxMissing } from '../helpers/top-tmux.ts';

/** A loopback port that nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const IRQ_ROW = /^\s*\d+ {2}\S+\s+[\d,]+\s/;

describe('irqkit top against a real irqkitd', () => {
  let daemon: DaemonProcess;
  let url: string;
  let deadUrl: string;
  before(async () => {
    daemon = await startDaemon(simArgs());
    url = daemon.urls[0] as string;
    deadUrl = `http://127.0.0.1:${await closedPort()}`;
  });
  after(async () => {
    await daemon?.stop();
  });

  describe('without a terminal (pipes)', () => {
    it('prints one frame with the header, CPU bars and IRQ rows, and exits 0', () => {
      const r = runCli(['top', '--url', url, '--delay', '300ms']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: a pipe gets no escapes
      assert.doesNotMatch(r.stdout, /\u001b/);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', new RegExp(`^irqkit top  ${url}  window 0\\.\\d+ s`));
      assert.match(
        lines[1] ?? '',
        /^total [\d,]+\/s {2}peak\/avg \d+\.\d\d \(CPU0\) {2}sort: rate {2}8 CPUs/,
      );
      assert.equal(lines.filter((l) => /^CPU\d [▏▎▍▌▋▊▉█]/.test(l)).length, 8, 'a bar per CPU');
      assert.ok(lines.filter((l) => IRQ_ROW.test(l)).length >= 10, r.stdout);
      assert.doesNotMatch(r.stdout, /quit/);
    });

    it('shows the named rows (LOC, NMI) among the IRQs as irqtop does; --no-named leaves them out', () => {
      const r = runCli(['top', '--url', url, '--delay', '300ms', '--sort', 'name']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^total .* {2}\d+ IRQs \+ 2 named rows$/m);
      assert.match(r.stdout, /^LOC {2}Local timer interrupts\s+[\d,]+\s/m);
      assert.match(r.stdout, /^NMI {2}Non-maskable interrupts\s+0\s/m);
      const hidden = runCli(['top', '--url', url, '--delay', '300ms', '--no-named']);
      assert.equal(hidden.code, 0, hidden.stderr);
      assert.match(hidden.stdout, /^total .* {2}\d+ IRQs \+ 2 named rows \(hidden\)$/m);
      assert.doesNotMatch(hidden.stdout, /^(LOC|NMI) /m);
      const j = JSON.parse(runCli(['top', '--url', url, '--delay', '300ms', '--json']).stdout) as {
        named: Array<{ row: string; description: string; perCpuRate: number[] | null }>;
      };
      assert.deepEqual(j.named.map((n) => n.row).sort(), ['LOC', 'NMI']);
      assert.equal(j.named.find((n) => n.row === 'LOC')?.perCpuRate?.length, 8);
    });

    it('--sort takes the words overview and show take (cpu:N), and the old cpuN', () => {
      for (const sort of ['cpu:3', 'cpu3']) {
        const j = JSON.parse(
          runCli(['top', '--url', url, '--delay', '300ms', '--json', '--sort', sort]).stdout,
        ) as {
          sort: string;
        };
        assert.equal(j.sort, 'CPU3');
      }
      const help = runCli(['top', '--help']).stdout;
      assert.match(help, /--sort KEY\s+row order: rate \(busiest first, default\), irq, name or cpu:N/);
    });

    it('--json prints one sample', () => {
      const r = runCli(['top', '--url', url, '--delay', '300ms', '--json', '--top', '3', '--sort', 'irq']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as {
        url: string;
        sort: string;
        cpus: Array<{ cpu: number; ratePerSecond: number }>;
        irqs: Array<{ irq: string; ratePerSecond: number; perCpuRate: number[] }>;
        ratePerSecond: number;
        peakToAverage: number;
      };
      assert.equal(j.url, url);
      assert.equal(j.sort, 'irq');
      assert.equal(j.cpus.length, 8);
      assert.equal(j.irqs.length, 3);
      assert.deepEqual(
        j.irqs.map((i) => Number(i.irq)),
        [...j.irqs.map((i) => Number(i.irq))].sort((a, b) => a - b),
      );
      assert.ok(j.ratePerSecond > 0 && j.peakToAverage > 1);
    });

    it('an unreachable daemon is one line naming the URL, exit 2', () => {
      const r = runCli(['top', '--url', deadUrl]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `irqkit top: cannot reach irqkitd at ${deadUrl}: connection refused (is irqkitd running?)\n`,
      );
      assert.ok(!hasStackTrace(r.stderr));
    });

    it('a bad flag is a usage error before the daemon is asked', () => {
      const r = runCli(['top', '--url', deadUrl, '--sort', 'load']);
      assert.equal(r.code, 64);
      assert.match(r.stderr, /^irqkit top: --sort takes rate, irq, name or cpu:N, not 'load'/);
    });
  });

  describe('under a pseudo-terminal (tmux)', { skip: tmuxMissing() }, () => {
    const top = (...args: string[]): string[] => [process.execPath, bundlePath(), 'top', ...args];

    /**
     * A whole frame with numbers is on the screen: the keys line is painted last, so a capture
     * taken while tmux is still reading the frame is not mistaken for it.
     */
    const drawn = (pane: TmuxPane): Promise<string[]> =>
      eventually('a frame with numbers', () => {
        const lines = pane.capture();
        return lines.some((l) => /^total [\d,]+\/s/.test(l)) &&
          lines.some((l) => IRQ_ROW.test(l)) &&
          /^q quit/.test(lines[lines.length - 1] ?? '')
          ? lines
          : undefined;
      });

    const ended = (pane: TmuxPane) => eventually('the command to end', () => pane.result());

    /** Normal screen back, cursor visible, terminal modes as before (raw mode off). */
    const assertRestored = (pane: TmuxPane, result: { sttyRestored: boolean }): void => {
      assert.equal(pane.format('#{alternate_on}'), '0', 'left the alternate screen');
      assert.equal(pane.format('#{cursor_flag}'), '1', 'cursor shown');
      assert.ok(result.sttyRestored, 'stty -g after equals before: raw mode is off');
      assert.ok(!pane.capture().some((l) => /peak\/avg/.test(l)), 'the frame went with the alternate screen');
    };

    /** `q`, then the command ends with 0 and the terminal is as it was. */
    const quitsCleanly = async (pane: TmuxPane): Promise<void> => {
      pane.keys('q');
      const result = await ended(pane);
      assert.equal(result.code, 0);
      assertRestored(pane, result);
    };

    it('draws the header, CPU bars and IRQ rows; re-sorts on a key; follows a resize; q quits and restores', async () => {
      const pane = new TmuxPane(top('--url', url, '--delay', '300ms'), { cols: 120, rows: 40 });
      try {
        const lines = await drawn(pane);
        assert.equal(pane.format('#{alternate_on}'), '1');
        assert.equal(pane.format('#{cursor_flag}'), '0', 'cursor hidden while drawing');
        assert.match(lines[0] ?? '', new RegExp(`^irqkit top  ${url}  window 0\\.\\d+ s`));
        assert.match(lines[1] ?? '', /peak\/avg \d+\.\d\d \(CPU0\) {2}sort: rate/);
        assert.equal(lines.filter((l) => /^CPU\d [▏▎▍▌▋▊▉█]/.test(l)).length, 8);
        assert.match(
          lines[lines.length - 1] ?? '',
          /^q quit {2}t rate {2}i IRQ {2}n name {2}c\/C CPU {2}a hide named rows$/,
        );
        assert.ok(lines.length <= 40);

        pane.keys('i');
        await eventually('sorted by IRQ', () => {
          const rows = pane.capture().filter((l) => IRQ_ROW.test(l));
          const irqs = rows.map((l) => Number(l.trim().split(' ')[0]));
          return pane.capture()[1]?.includes('sort: irq') &&
            irqs.join() === [...irqs].sort((a, b) => a - b).join()
            ? true
            : undefined;
        });

        pane.resize(70, 20);
        await eventually('redrawn at 70x20', () => {
          const now = pane.capture();
          return now.some((l) => /CPU columns hidden/.test(l)) && now.some((l) => /more rows below/.test(l))
            ? true
            : undefined;
        });

        await quitsCleanly(pane);
      } finally {
        pane.close();
      }
    });

    it('a hides the named rows and shows them again; the keys line says which it will do', async () => {
      const pane = new TmuxPane(top('--url', url, '--delay', '300ms', '--sort', 'name'), {
        cols: 120,
        rows: 40,
      });
      try {
        const lines = await drawn(pane);
        assert.ok(
          lines.some((l) => /^LOC {2}Local timer interrupts/.test(l)),
          lines.join('\n'),
        );
        pane.keys('a');
        await eventually('the named rows hidden', () => {
          const now = pane.capture();
          return /a show named rows$/.test(now[now.length - 1] ?? '') &&
            !now.some((l) => /^(LOC|NMI) /.test(l)) &&
            now.some((l) => IRQ_ROW.test(l))
            ? true
            : undefined;
        });
        pane.keys('a');
        await eventually('the named rows back', () => {
          const now = pane.capture();
          return /a hide named rows$/.test(now[now.length - 1] ?? '') && now.some((l) => /^LOC /.test(l))
            ? true
            : undefined;
        });
        await quitsCleanly(pane);
      } finally {
        pane.close();
      }
    });

    it('--procfs reads the /proc/interrupts the daemon reads, without the daemon, and q quits at once', async () => {
      // The simulated machine's own files: top reads them itself, the daemon is not asked.
      const pane = new TmuxPane(top('--procfs', daemon.procRoot, '--delay', '300ms'), {
        cols: 120,
        rows: 40,
      });
      try {
        const lines = await drawn(pane);
        assert.match(
          lines[0] ?? '',
          new RegExp(`^irqkit top  ${daemon.procRoot}/interrupts  window 0\\.\\d+ s`),
        );
        assert.equal(lines.filter((l) => /^CPU\d [▏▎▍▌▋▊▉█ ]/.test(l)).length, 8);
        await quitsCleanly(pane);
      } finally {
        pane.close();
      }
    });

    it('--procfs: q quits while the first frame waits for its second read', async () => {
      // An hour between the two reads: only a wait that quitting cancels lets it end now.
      const pane = new TmuxPane(top('--procfs', daemon.procRoot, '--delay', '1h'), { cols: 100, rows: 20 });
      try {
        await eventually('the waiting frame', () =>
          pane
            .capture()
            .some((l) => l.startsWith(`waiting for a second read of ${daemon.procRoot}/interrupts`))
            ? true
            : undefined,
        );
        await quitsCleanly(pane);
      } finally {
        pane.close();
      }
    });

    it('Ctrl-C quits too (raw mode makes it a key) and restores', async () => {
      const pane = new TmuxPane(top('--url', url, '--delay', '300ms'), { cols: 100, rows: 30 });
      try {
        await drawn(pane);
        pane.keys('C-c');
        const result = await ended(pane);
        assert.equal(result.code, 0);
        assertRestored(pane, result);
      } finally {
        pane.close();
      }
    });

    it('SIGTERM ends it with 143 and restores the terminal', async () => {
      const pane = new TmuxPane(top('--url', url, '--delay', '300ms'), { cols: 100, rows: 30 });
      try {
        await drawn(pane);
        const pid = await eventually('the irqkit process', () => pane.commandPid());
        process.kill(pid, 'SIGTERM');
        const result = await ended(pane);
        assert.equal(result.code, 143);
        assertRestored(pane, result);
      } finally {
        pane.close();
      }
    });

    it('an unreachable daemon: one line naming the URL, exit 2, terminal restored', async () => {
      const pane = new TmuxPane(top('--url', deadUrl), { cols: 120, rows: 20 });
      try {
        const result = await ended(pane);
        assert.equal(result.code, 2);
        assertRestored(pane, result);
        const text = pane.capture().filter((l) => l !== '');
        assert.deepEqual(text.slice(0, 2), [
          `irqkit top: cannot reach irqkitd at ${deadUrl}: connection refused (is irqkitd running?)`,
          'EXIT=2',
        ]);
      } finally {
        pane.close();
      }
    });
  });
});
