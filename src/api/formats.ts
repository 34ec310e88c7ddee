/**
 * The string formats the API's schemas use, registered with TypeBox. TypeBox knows no format by
 * itself: an unregistered one fails every check ("Unknown format"), so the validator and the tests
 * both call registerFormats() before compiling a schema, and the validator refuses at startup a
 * schema naming a format missing here.
 */
import { FormatRegistry } from '@sinclair/typebox';

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** RFC 3339 `date-time` (what JSON Schema's format means), e.g. 2024-05-01T12:00:00.000Z. */
export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (days === undefined || day < 1 || day > days) return false;
  // 60 is a leap second, which RFC 3339 allows.
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (m[7] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  return true;
}

/** Every format a schema of src/api may name, with its check. */
export const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  'date-time': isDateTime,
};

/** Idempotent; FormatRegistry is global to the TypeBox copy in the bundle. */
export function registerFormats(): void {
  for (const [name, check] of Object.entries(FORMATS)) {
    if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
  }
}
