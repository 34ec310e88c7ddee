/**
 * Progress for long waits, drawn on stderr only when it is a terminal: a line rewritten in place
 * (carriage return + erase line) that would be noise in a log or a pipe.
 */
import type { CliIo } from './io.ts';

const ERASE_LINE = '\r\u001b[K';
/** Often enough for a seconds countdown to tick on time, rarely enough to cost nothing. */
const TICK_MS = 200;

/**
 * Resolves (or rejects) as `work` does; meanwhile counts `totalMs` down on stderr with
 * `label(secondsLeft)`. The line is erased before the result is returned, so what the command
 * prints next starts on a clean line.
 */
export async function withCountdown<T>(
  io: CliIo,
  totalMs: number,
  label: (secondsLeft: number) => string,
  work: Promise<T>,
): Promise<T> {
  if (io.stderrIsTTY !== true || !(totalMs > 0)) return work;
  let settled = false;
  const finished = work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const start = io.now();
  let drawn = false;
  while (!settled) {
    const left = Math.max(0, Math.ceil((totalMs - (io.now() - start)) / 1000));
    io.stderr(`${ERASE_LINE}${label(left)}`);
    drawn = true;
    await Promise.race([finished, io.sleep(TICK_MS)]);
  }
  if (drawn) io.stderr(ERASE_LINE);
  return work;
}
