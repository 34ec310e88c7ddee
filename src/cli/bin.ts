/** The `irqkit` executable: binds run() to the real process. */
import { readFileSync } from 'node:fs';
import { readTextFile } from '../io/procfs.ts';
import type { CliIo } from './io.ts';
import { run } from './main.ts';

// `irqkit … | head` closes the pipe early; that is a normal end, not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

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
  // Pipes have no width; COLUMNS lets scripts and tests choose one, as ls and ps allow.
  columns: process.stdout.columns ?? (Number(process.env.COLUMNS) || undefined),
  now: () => Number(process.hrtime.bigint()) / 1e6,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
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
