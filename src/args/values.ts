/** Values of flags: durations, counts and percentages, each with one clear error when malformed. */
import { parseDuration } from '../core/duration.ts';
import { IrqkitError } from '../core/errors.ts';
import { suggest } from './command-args.ts';

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

/** A whole number ≥ 0 (caps such as --max-moves, where 0 is a real answer). */
export function parseCount(text: string, flag: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 0) || !Number.isSafeInteger(n))
    throw new IrqkitError('IRQ_ERR_USAGE', `${flag} takes a whole number, 0 or more, not '${text}'`);
  return n;
}

/** The most standard errors --confidence takes, as the API (src/api/schemas.ts) does. */
export const MAX_CONFIDENCE = 10;

/** Standard errors that count as noise (--confidence): a number from 0 (exact) to 10, e.g. 2 or 1.5. */
export function parseConfidence(text: string, flag: string): number {
  const n = /^\s*\d+(?:\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 0) || !Number.isFinite(n) || n > MAX_CONFIDENCE)
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `${flag} takes a number of standard errors from 0 (exact) to ${MAX_CONFIDENCE}, e.g. 2, not '${text}'`,
    );
  return n;
}

/** One of a few words, case-insensitive; a near miss is suggested. */
export function parseChoice<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  const word = text.trim().toLowerCase();
  const found = choices.find((c) => c === word);
  if (found !== undefined) return found;
  const near = suggest(word, choices);
  const list = `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
  throw new IrqkitError(
    'IRQ_ERR_USAGE',
    `${flag} takes ${list}, not '${text}'${near ? ` (did you mean ${near}?)` : ''}`,
  );
}
