/**
 * Path and query values arrive as strings; these turn them into what the schema expects, by
 * strict rules instead of TypeBox's `Value.Convert`, which turns '0x10' into 16, ' 12 ' into 12
 * and '1e23' into an "integer": an IRQ number must be written as decimal digits and fit a double
 * exactly. A string that does not fit is passed on unchanged for the schema check to report.
 */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isCanonicalNumber } from './json-scan.ts';

export type Coercer = (raw: string) => unknown;

/** A value that is recognisably meant as the type but unusable (an integer beyond 2^53). */
export class CoerceError extends Error {}

interface SchemaShape {
  type?: unknown;
  const?: unknown;
  anyOf?: unknown[];
}

const INTEGER = /^-?\d{1,16}$/;
const DECIMAL = /^-?\d{1,30}(\.\d{1,30})?([eE][+-]?\d{1,3})?$/;
/** Minus zero is passed on as text for the schema check to refuse ('-0' is not IRQ 0). */
const MINUS_ZERO = /^-0+$/;

export function coercerFor(schema: unknown): Coercer {
  const s = (schema ?? {}) as SchemaShape;
  if (Array.isArray(s.anyOf)) {
    // A union of e.g. an integer and the literal 'all': the first member that accepts the coerced
    // value wins; a string that none accepts is passed on so the checker can report it.
    const members = s.anyOf.map((m) => ({
      coerce: coercerFor(m),
      check: TypeCompiler.Compile(m as TSchema),
    }));
    return (raw) => {
      for (const m of members) {
        try {
          const v = m.coerce(raw);
          if (m.check.Check(v)) return v;
        } catch (e) {
          if (!(e instanceof CoerceError)) throw e;
        }
      }
      return raw;
    };
  }
  const type = s.const !== undefined ? typeof s.const : s.type;
  switch (type) {
    case 'integer':
      return (raw) => {
        // Leading zeros name the same number ('024' is IRQ 24, decimal digits only).
        if (!/^-?\d+$/.test(raw) || MINUS_ZERO.test(raw)) return raw;
        const n = Number(raw);
        if (!INTEGER.test(raw) || !Number.isSafeInteger(n)) {
          throw new CoerceError(`Expected an integer of at most ${Number.MAX_SAFE_INTEGER}`);
        }
        return n;
      };
    case 'number':
      return (raw) => {
        // The same rule as for bodies (json-scan.ts): '-0', '1.0', '1e-400' stay text and are refused.
        if (!DECIMAL.test(raw) || !/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) return raw;
        return isCanonicalNumber(raw) ? Number(raw) : raw;
      };
    case 'boolean':
      // Only what the document's boolean allows: '1'/'0' would be values the schema does not list.
      return (raw) => (raw === 'true' ? true : raw === 'false' ? false : raw);
    default:
      return (raw) => raw;
  }
}
