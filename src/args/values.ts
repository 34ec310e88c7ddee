/** Values of flags: durations, counts and percentages, each with one clear error when malformed. */
import { parseDuration } from '../core/duration.ts';
import { IrqkitError } from '../core/errors.ts';

/** "250", "250ms", "1.5s", "1m" → milliseconds (a bare number is milliseconds, as it always was). */
export function parseDurationMs(text: string, flag: string): number {
  return parseDuration(text, flag, 'ms');
}

/** A whole number ≥ 1 (counts such as --top). */
export function parsePositiveInt(text: string, flag: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1) || !Number.isSafeInteger(n))
    throw new IrqkitError('IRQ_ERR_USAGE', `${flag} takes a whole number of at least 1, not '${text}'`);
  return n;
}

/** "0.5%" or "0.5" (both half a percent) → 0.005. */
export function parsePercent(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const value = m ? Number(m[1]) / 100 : Number.NaN;
  if (!(value >= 0))
    throw new IrqkitError('IRQ_ERR_USAGE', `${flag} takes a percentage such as 0.5%, not '${text}'`);
  return value;
}
