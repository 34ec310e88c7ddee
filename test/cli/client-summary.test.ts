import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CpuSummary } from '../../src/api/schemas.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { run } from '../../src/cli/main.ts';
import {
  assertOneLineError,
  cells,
  getJson,
  type Irqkit,
  irqkitAt,
  num,
  rowOf,
} from '../helpers/client-cli.ts';
import { type DaemonProcess, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

/** An in-process CliIo whose stderr may claim to be a terminal, to watch the countdown. */
function ttyIo(url: string, stderrIsTTY = true): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
    readStdin: async () => '',
    readFile: () => '',
    env: { IRQKIT_URL: url },
    isTTY: false,
    stderrIsTTY,
    columns: 100,
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
  return io;
}

describe('irqkit summary against a real irqkitd', () => {
  let d: DaemonProcess;
  let irqkit: Irqkit;
  before(async () => {
    // A short --max-wait lets a long window end (incomplete) quickly.
    d = await startDaemon(simArgs('8cpu,2node', ['--max-wait', '1500ms']));
    irqkit = irqkitAt(d);
  });
  after(async () => {
    await d?.stop();
  });

  it("prints each CPU's interrupts, share and rate as /api/v1/cpus counts them for the same window", async () => {
    // Wait for a full second of history, so both reads are complete 1 s windows.
    await getJson(d, '/api/v1/cpus?window=1s');
    const r = irqkit(['summary', '--window', '1s']);
    const j = await getJson<CpuSummary>(d, '/api/v1/cpus?window=1s');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const m = /^Interrupts per CPU from (\S+) to (\S+) \((\d+\.\d+) s\)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const seconds = Number(m[3]);
    assert.ok(Math.abs(seconds - 1) < 0.25, `window ${seconds}`);
    assert.ok(Date.parse(m[2] as string) - Date.parse(m[1] as string) > 700);
    assert.doesNotMatch(r.stdout, /incomplete/);
    const lines = r.stdout.split('\n').filter((l) => /^CPU\d+\s/.test(l));
    assert.deepEqual(
      lines.map((l) => l.split(/\s+/)[0]),
      j.cpus.map((c) => `CPU${c.cpu}`),
      'one line per CPU, sorted by CPU id',
    );
    let shares = 0;
    for (const c of j.cpus) {
      const [, interrupts, share, rate] = cells(rowOf(r.stdout, `CPU${c.cpu}`) ?? '');
      const n = num(interrupts);
      // Two reads a few ms apart see windows shifted by a sampling interval or so.
      assert.ok(
        Math.abs(n - c.interrupts) <= c.interrupts * 0.25 + 50,
        `CPU${c.cpu}: ${n} vs ${c.interrupts}`,
      );
      assert.ok(Math.abs(num(rate) - n / seconds) <= n / seconds / 50 + 1, `CPU${c.cpu} rate ${rate}`);
      shares += Number((share ?? '').replace('%', ''));
    }
    assert.ok(Math.abs(shares - 100) < 1, `shares add up to ${shares}`);
    // CPU 0 services every movable IRQ on this machine: the longest bar and the busiest.
    assert.match(rowOf(r.stdout, 'CPU0') ?? '', /█{40,}/);
    assert.match(r.stdout, /^busiest\s+CPU0, \d+\.\d% of the interrupts$/m);
    assert.match(r.stdout, /^total\s+[\d,]+ interrupts, [\d,]+\/s$/m);
  });

  it('--json prints the daemon answer for the window asked for', () => {
    const r = irqkit(['summary', '--window', '1500ms', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as CpuSummary;
    assert.equal(j.window.requestedSeconds, 1.5);
    assert.equal(j.cpus.length, 8);
    assert.equal(
      j.total,
      j.cpus.reduce((s, c) => s + c.interrupts, 0),
    );
  });

  it('says when the window is incomplete (--no-wait on a daemon younger than the window)', () => {
    const r = irqkit(['summary', '--window', '10m', '--no-wait']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /note: incomplete window: irqkitd had only \d+\.\d+ s of history, not the 600 s asked for/,
    );
    const j = JSON.parse(irqkit(['summary', '--window', '10m', '--no-wait', '--json']).stdout) as CpuSummary;
    assert.equal(j.window.complete, false);
    assert.equal(j.window.requestedSeconds, 600);
  });

  it('counts a long wait down on stderr when it is a terminal, and erases the line', async () => {
    const io = ttyIo(d.urls[0] as string);
    const code = await run(['summary', '--window', '1m'], io);
    assert.equal(code, 0, io.err);
    const waiting = io.err.match(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the countdown's erase-line escape
      /^\r\u001b\[Kirqkit: irqkitd has (\d+\.\d+) s of history, waiting for 60\.0 s: \d+ s left/,
    );
    assert.ok(waiting, JSON.stringify(io.err.slice(0, 200)));
    assert.ok(io.err.endsWith('\r\u001b[K'), JSON.stringify(io.err.slice(-40)));
    // The daemon waited --max-wait (1.5 s) for history it will not have, sampling meanwhile, and
    // then answered with more history than the countdown started from.
    const answered = io.out.match(/incomplete window: irqkitd had only (\d+(?:\.\d+)?) s of history/);
    assert.ok(answered, io.out);
    assert.ok(
      Number(answered[1]) > Number(waiting[1]),
      `history ${waiting[1]} s when the wait began, ${answered[1]} s in the answer`,
    );
    // Not a terminal: no progress at all.
    const plain = ttyIo(d.urls[0] as string, false);
    const quiet = await run(['summary', '--window', '1s'], plain);
    assert.equal(quiet, 0);
    assert.equal(plain.err, '');
  });

  it('rejects a bad window before asking the daemon', () => {
    assertOneLineError(irqkit(['summary', '--window', 'soon']), 64, /--window takes a positive duration/);
    assertOneLineError(
      irqkit(['summary', '--windo', '5s']),
      64,
      /unknown option '--windo' \(did you mean --window\?\)/,
    );
    assertOneLineError(irqkit(['summary', '--window', '1h']), 64, /longer than the 900 s of history kept/);
  });
});
