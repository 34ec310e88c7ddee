/**
 * One pass over a JSON text before JSON.parse, for the two things JSON.parse cannot refuse:
 * nesting deep enough to exhaust the stack (10,000 levels answered "Maximum call stack size
 * exceeded") and numbers written in a form that hides what they are: `-0` arrives as IRQ 0,
 * `1.0` and `1e2` as integers, `-1e-400` as CPU 0, `1e400` as Infinity. A number must be written
 * as the value it means: see isCanonicalNumber.
 */

/** Far deeper than any request body of this API (3 levels), far below any stack limit. */
export const MAX_JSON_DEPTH = 64;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * True for a JSON number that means exactly what it says: finite, not minus zero, an integer value
 * written without a fraction or exponent, and no non-zero digits that underflow to zero.
 */
export function isCanonicalNumber(text: string): boolean {
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  if (Object.is(n, -0)) return false;
  if (Number.isInteger(n)) return /^-?(0|[1-9]\d*)$/.test(text);
  // Not an integer, so not zero: nothing underflowed.
  return true;
}

/** Why the text must be refused, or null; the text is otherwise left for JSON.parse to judge. */
export function scanJson(text: string): string | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string; JSON.parse reports a broken one.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_JSON_DEPTH) return `too deeply nested (more than ${MAX_JSON_DEPTH} levels)`;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) continue; // not a number; JSON.parse says why
      const token = m[0];
      if (!isCanonicalNumber(token)) {
        return `the number ${token.slice(0, 40)} is not written canonically (no -0, no fraction or exponent on an integer, no underflow or overflow)`;
      }
      i += token.length - 1;
    }
  }
  return null;
}
