/** Durations as people type them: "250ms", "5s", "1.5m", "15m", "1h", or a bare number of seconds. */
import { IrqkitError } from './errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * @param bareUnit what a number without a unit means: seconds for windows ("window=5"),
 *   milliseconds where the CLI always took them ("--time-limit 250").
 */
export function parseDuration(text: string, what: string, bareUnit: 'ms' | 's' = 's'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const value = m ? Number(m[1]) * (UNIT_MS[m[2] ?? bareUnit] ?? Number.NaN) : Number.NaN;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `${what} takes a positive duration such as 250ms, 5s or 15m, not '${text}'`,
      {
        value: text,
      },
    );
  }
  return value;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
