/** The `irqkit` executable: binds run() to the real process. */
import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { readTextFile } from '../io/procfs.ts';
import type { CliIo, TerminalIo } from './io.ts';
import { run } from './main.ts';

// `irqkit … | head` closes the pipe early; that is a normal end, not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const LIVE_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

// process.stdin is touched only when a live view asks: creating it puts a terminal's fd 0 in
// non-blocking mode, which would break readStdin's synchronous read.
const terminal: TerminalIo = {
  stdinIsTTY: isatty(0),
  size: () =>
    process.stdout.isTTY ? { columns: process.stdout.columns, rows: process.stdout.rows } : undefined,
  setRawMode: (on) => {
    if (process.stdin.isTTY) process.stdin.setRawMode(on);
  },
  onInput: (listener) => {
    const onData = (chunk: Buffer): void => listener(chunk.toString('utf8'));
    process.stdin.on('data', onData);
    process.stdin.resume();
    return () => {
      process.stdin.off('data', onData);
      process.stdin.pause();
    };
  },
  onResize: (listener) => {
    process.stdout.on('resize', listener);
    return () => process.stdout.off('resize', listener);
  },
  onSignal: (listener) => {
    const handlers = LIVE_SIGNALS.map((signal) => [signal, () => listener(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    return () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
  },
  onExit: (listener) => {
    process.on('exit', listener);
    return () => process.off('exit', listener);
  },
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

const io: CliIo = {
  stdout: (t) => {
    process.stdout.write(t);
  },
  stderr: (t) => {
    process.stderr.write(t);
  },
  readStdin: async () => {
    // fd 0 read synchronously handles pipes, files and here-docs alike, and Node 16 has it.
    return readFileSync(0, 'utf8');
  },
  readFile: readTextFile,
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  // Pipes have no width; COLUMNS lets scripts and tests choose one, as ls and ps allow.
  columns: process.stdout.columns ?? (Number(process.env.COLUMNS) || undefined),
  now: () => Number(process.hrtime.bigint()) / 1e6,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  terminal,
};

run(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`irqkit: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 70;
  },
);
