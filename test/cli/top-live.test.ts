/**
 * The live view's loop in-process: a fake terminal delivers keys, resizes, signals and timer
 * ticks, a stub stands in for irqkitd, and every test checks the terminal is left as found.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Distribution } from '../../src/api/schemas.ts';
import {
  runTop,
  type SampleSource,
  sampleFrom,
  type topJson,
  topOptions,
} from '../../src/cli/commands/top.ts';
import { ENTER_SCREEN, LEAVE_SCREEN, LiveScreen, paint, parseKeys } from '../../src/cli/terminal.ts';
import { IrqkitError } from '../../src/core/errors.ts';
import {
  distribution,
  FakeTerminal,
  fakeIo,
  lastScreen,
  range,
  settle,
  skewedIrqs,
  stripAnsi,
} from '../helpers/top-fakes.ts';

const URL = 'http://127.0.0.1:9640';
const options = (args: Record<string, string | boolean> = {}) => topOptions(args, URL);
const answer = distribution(range(4), skewedIrqs(4, 6));
const nothingLeft = { raw: false, input: 0, resize: 0, signal: 0, exit: 0, timers: 0 };

/** A source that counts requests and answers from a list (the last answer repeats). */
function source(...answers: Array<Distribution | Error>): SampleSource & { calls: number } {
  const f = Object.assign(
    async (): Promise<Distribution> => {
      const a = answers[Math.min(f.calls, answers.length - 1)] as Distribution | Error;
      f.calls++;
      if (a instanceof Error) throw a;
      return a;
    },
    { calls: 0 },
  );
  return f;
}

/** A key, and the loop's turn to act on it (events are handled one at a time, asynchronously). */
async function press(term: FakeTerminal, keys: string): Promise<void> {
  term.type(keys);
  await settle();
}

const irqOrder = (screen: string[]): string[] =>
  screen.map((l) => /^\s*(\d+)\s{2}\S/.exec(l)?.[1]).filter((x): x is string => x !== undefined);

describe('irqkit top live view (fake terminal)', () => {
  it('enters the alternate screen in raw mode, draws, re-sorts on keys, and q restores everything', async () => {
    const term = new FakeTerminal();
    const io = fakeIo({ terminal: term });
    const src = source(answer);
    const done = runTop(io, options(), src);
    await settle();
    assert.ok(io.text().startsWith(ENTER_SCREEN), 'alternate screen, hidden cursor first');
    assert.equal(term.raw, true);
    let screen = lastScreen(io.text());
    assert.match(screen[0] ?? '', /^irqkit top {2}http:\/\/127\.0\.0\.1:9640 {2}window 1\.00 s/);
    assert.match(screen[1] ?? '', /^total [\d,]+\/s {2}peak\/avg [\d.]+ \(CPU0\) {2}sort: rate/);
    assert.ok(screen.some((l) => /^CPU3 /.test(l)));
    assert.equal(irqOrder(screen)[0], '29', 'busiest first');
    assert.ok(screen.length <= term.rows);

    await press(term, 'i');
    screen = lastScreen(io.text());
    assert.deepEqual(irqOrder(screen).slice(0, 3), ['0', '24', '25']);
    assert.match(screen[1] ?? '', /sort: irq/);
    await press(term, 'c');
    assert.match(lastScreen(io.text())[1] ?? '', /sort: CPU0/);
    await press(term, 'cc');
    assert.match(lastScreen(io.text())[1] ?? '', /sort: CPU2/);
    await press(term, 'C');
    assert.match(lastScreen(io.text())[1] ?? '', /sort: CPU1/);
    assert.equal(irqOrder(lastScreen(io.text()))[0], '101', "CPU1's own NVMe queue first");
    await press(term, '\u001b[A'); // an arrow key is not 'A' and not a quit
    await press(term, 't');
    assert.match(lastScreen(io.text())[1] ?? '', /sort: rate/);

    term.type('q');
    assert.equal(await done, 0);
    assert.ok(io.text().endsWith(LEAVE_SCREEN), 'leaves the alternate screen and shows the cursor last');
    assert.deepEqual(term.rawModeChanges, [true, false]);
    assert.deepEqual(term.leftOver(), nothingLeft);
  });

  it('refreshes on each timer tick with a new request, and redraws at the new size on resize', async () => {
    const term = new FakeTerminal();
    const io = fakeIo({ terminal: term });
    const src = source(answer);
    const done = runTop(io, options({ delay: '2s' }), src);
    await settle();
    assert.equal(src.calls, 1);
    for (let i = 2; i <= 4; i++) {
      assert.equal(term.tick(), 1, 'one refresh timer pending');
      await settle();
      assert.equal(src.calls, i);
    }
    term.resizeTo(50, 12);
    await settle();
    const screen = lastScreen(io.text());
    assert.ok(screen.length <= 12, `${screen.length} lines`);
    for (const l of screen) assert.ok(l.length <= 50, l);
    await press(term, '\u0003'); // Ctrl-C, which raw mode delivers as a byte
    assert.equal(await done, 0);
    assert.deepEqual(term.leftOver(), nothingLeft);
  });

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} ends the view with ${code} and restores the terminal`, async () => {
      const term = new FakeTerminal();
      const io = fakeIo({ terminal: term });
      const done = runTop(io, options(), source(answer));
      await settle();
      term.kill(signal);
      assert.equal(await done, code);
      assert.ok(io.text().endsWith(LEAVE_SCREEN));
      assert.deepEqual(term.leftOver(), nothingLeft);
    });
  }

  it('q works while the first request is still in flight', async () => {
    const term = new FakeTerminal();
    const io = fakeIo({ terminal: term });
    const done = runTop(io, options(), () => new Promise<Distribution>(() => {}));
    await settle();
    assert.match(
      lastScreen(io.text()).join('\n'),
      /waiting for the first sample from irqkitd at http:\/\/127\.0\.0\.1:9640/,
    );
    term.type('q');
    assert.equal(await done, 0);
    assert.deepEqual(term.leftOver(), nothingLeft);
  });

  it('a daemon that cannot be reached at first fails with its error after restoring the terminal', async () => {
    const term = new FakeTerminal();
    const io = fakeIo({ terminal: term });
    const err = new IrqkitError('IRQ_ERR_UNREACHABLE', `cannot reach irqkitd at ${URL}: connection refused`);
    await assert.rejects(runTop(io, options(), source(err)), (e: unknown) => e === err);
    assert.ok(io.text().endsWith(LEAVE_SCREEN));
    assert.deepEqual(term.leftOver(), nothingLeft);
  });

  it('a daemon that goes away later keeps the last frame, says it is retrying, and recovers', async () => {
    const term = new FakeTerminal();
    const io = fakeIo({ terminal: term });
    const err = new IrqkitError('IRQ_ERR_UNREACHABLE', `cannot reach irqkitd at ${URL}: connection refused`);
    const answers: Array<Distribution | Error> = [answer, err, answer];
    let n = 0;
    const done = runTop(io, options(), async () => {
      const a = answers[Math.min(n++, 2)] as Distribution | Error;
      if (a instanceof Error) throw a;
      return a;
    });
    await settle();
    term.tick();
    await settle();
    let screen = lastScreen(io.text());
    assert.ok(
      screen.some((l) => /^CPU0 /.test(l)),
      'the last frame stays',
    );
    assert.ok(screen.some((l) => l.includes('connection refused; retrying every 1 s')));
    term.tick();
    await settle();
    screen = lastScreen(io.text());
    assert.ok(!screen.some((l) => l.includes('retrying')));
    term.type('q');
    assert.equal(await done, 0);
    assert.deepEqual(term.leftOver(), nothingLeft);
  });

  it('without keys (stdin not a terminal) it stays out of raw mode and offers Ctrl-C', async () => {
    const term = new FakeTerminal();
    term.stdinIsTTY = false;
    const io = fakeIo({ terminal: term });
    const done = runTop(io, options(), source(answer));
    await settle();
    assert.deepEqual(term.rawModeChanges, []);
    assert.equal(lastScreen(io.text()).pop(), 'Ctrl-C quit');
    term.kill('SIGINT');
    assert.equal(await done, 130);
    assert.deepEqual(term.leftOver(), nothingLeft);
  });

  it('restores the terminal from the exit hook when the process ends some other way', () => {
    const term = new FakeTerminal();
    const out: string[] = [];
    const screen = new LiveScreen((t) => out.push(t), term);
    screen.start({ key: () => {}, resize: () => {}, signal: () => {} });
    assert.equal(term.raw, true);
    term.processExit();
    assert.equal(out.join(''), ENTER_SCREEN + LEAVE_SCREEN);
    assert.deepEqual(term.leftOver(), nothingLeft);
    screen.restore(); // idempotent
    assert.equal(out.join(''), ENTER_SCREEN + LEAVE_SCREEN);
  });
});

describe('irqkit top without a live terminal', () => {
  it('prints one plain frame and exits 0 when stdout is not a terminal', async () => {
    const io = fakeIo({ isTTY: false });
    const src = source(answer);
    assert.equal(await runTop(io, options(), src), 0);
    assert.equal(src.calls, 1);
    const text = io.text();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a pipe gets no escapes
    assert.doesNotMatch(text, /\u001b/);
    assert.match(text, /^irqkit top {2}http:\/\/127\.0\.0\.1:9640/);
    assert.equal(text.split('\n').filter((l) => /^\s*\d+ {2}\S/.test(l)).length, answer.irqs.length);
    assert.doesNotMatch(text, /quit/);
  });

  it('--once on a terminal prints one frame without taking over the screen', async () => {
    const term = new FakeTerminal();
    const io = fakeIo({ terminal: term });
    assert.equal(await runTop(io, options({ once: true, top: '3' }), source(answer)), 0);
    assert.ok(!io.text().includes(ENTER_SCREEN));
    assert.match(stripAnsi(io.text()), /top 3 of 11 IRQs/);
    assert.deepEqual(term.leftOver(), nothingLeft);
  });

  it('--json prints one sample: rates per CPU and per IRQ, sorted and limited like the screen', async () => {
    const io = fakeIo({ isTTY: false });
    assert.equal(await runTop(io, options({ json: true, top: '2', cpus: '0-1' }), source(answer)), 0);
    const j = JSON.parse(io.text()) as ReturnType<typeof topJson> & Record<string, unknown>;
    assert.equal(j.url, URL);
    assert.equal(j.sort, 'rate');
    assert.deepEqual(
      (j.cpus as Array<{ cpu: number }>).map((c) => c.cpu),
      [0, 1],
    );
    const irqs = j.irqs as Array<{ irq: string; ratePerSecond: number; perCpuRate: number[]; chip: string }>;
    assert.equal(irqs.length, 2);
    assert.equal(irqs[0]?.irq, '29');
    assert.equal(irqs[0]?.perCpuRate.length, 2);
    assert.equal(irqs[0]?.chip, 'PCI-MSIX');
    assert.equal(j.irqCount, 11);
    assert.equal(j.busiestCpu, 0);
    assert.equal(typeof j.peakToAverage, 'number');
  });
});

describe('irqkit top options and samples', () => {
  it('rejects bad flags before asking the daemon anything', () => {
    const usage = (args: Record<string, string>, pattern: RegExp): void => {
      assert.throws(
        () => options(args),
        (e: unknown) => e instanceof IrqkitError && e.exitCode === 64 && pattern.test(e.message),
      );
    };
    usage({ sort: 'load' }, /^--sort takes rate, irq, name or cpu:N, not 'load'/);
    usage({ top: '0' }, /--top takes a whole number of at least 1/);
    usage({ delay: 'soon' }, /--delay takes a positive duration/);
    usage({ window: '-1s' }, /--window takes a positive duration/);
    usage({ cpus: '0-3', sort: 'cpu7' }, /CPU 7 is not in --cpus 0-3/);
    assert.throws(
      () => options({ cpus: 'x' }),
      (e: unknown) => e instanceof IrqkitError && e.exitCode === 64,
    );
  });

  it('the window defaults to the delay, in whole milliseconds', () => {
    assert.equal(options().windowMs, 1000);
    assert.equal(options({ delay: '2.5s' }).windowMs, 2500);
    assert.equal(options({ delay: '2s', window: '10s' }).windowMs, 10_000);
  });

  it('a --cpus selection takes those columns and rates over them; an unknown CPU is named', () => {
    const s = sampleFrom(answer, options({ cpus: '1,3' }));
    assert.deepEqual(s.cpus, [1, 3]);
    assert.equal(s.allCpus, 4);
    const nvme1 = s.irqs.find((r) => r.irq === '101');
    assert.deepEqual(nvme1?.perCpu, [751, 0]);
    assert.equal(s.irqs.find((r) => r.irq === '24')?.rate, 0, 'CPU 0 is not shown, nor counted');
    assert.throws(
      () => sampleFrom(answer, options({ cpus: '2-9' })),
      (e: unknown) =>
        e instanceof IrqkitError && e.code === 'IRQ_ERR_UNKNOWN_CPU' && /has no CPU 4/.test(e.message),
    );
    assert.throws(
      () => sampleFrom(answer, options({ sort: 'cpu9' })),
      (e: unknown) => e instanceof IrqkitError && e.code === 'IRQ_ERR_UNKNOWN_CPU',
    );
  });

  it('rates are interrupts divided by the seconds the window really covers', () => {
    const half = distribution([0, 1], [{ irq: '5', name: 'x', perCpu: [100, 50] }], 0.5);
    const s = sampleFrom(half, options());
    assert.deepEqual(s.cpuRates, [200, 100]);
    assert.equal(s.irqs[0]?.rate, 300);
  });
});

describe('terminal control', () => {
  it('paint addresses every row, erases only what the frame does not cover, never writes below the screen', () => {
    assert.equal(paint('ab\ncd', 5, 4), '\u001b[1;1Hab\u001b[K\u001b[2;1Hcd\u001b[K\u001b[3;1H\u001b[J');
    // A full-width line keeps its last column: no erase after it. A full screen has no erase below.
    assert.equal(paint('abcde\nx', 5, 2), '\u001b[1;1Habcde\u001b[2;1Hx\u001b[K');
    assert.equal(paint('1\n2\n3', 5, 2), '\u001b[1;1H1\u001b[K\u001b[2;1H2\u001b[K');
  });

  it('parseKeys: letters, Ctrl-C and Ctrl-D as quit, escape sequences skipped whole', () => {
    assert.deepEqual(parseKeys('q'), ['q']);
    assert.deepEqual(parseKeys('tin'), ['t', 'i', 'n']);
    assert.deepEqual(parseKeys('\u0003'), ['quit']);
    assert.deepEqual(parseKeys('\u0004'), ['quit']);
    assert.deepEqual(parseKeys('\u001b[A\u001b[1;5Cq'), ['q']);
    assert.deepEqual(parseKeys('\u001bOPc'), ['c']);
    assert.deepEqual(parseKeys('\u001b'), ['escape']);
  });
});
