/**
 * Splits a request target into decoded path segments and the raw query. Hand-written rather than
 * `new URL()`: the router must see exactly one decoding, and a segment that decodes to a path
 * separator or to dots must be refused here, before any handler can join it into a file path.
 */
import { IrqkitError } from '../../core/errors.ts';

export interface RequestTarget {
  /** Percent-decoded path segments ('/' → [], '/a/b' → ['a', 'b'], '/a/' → ['a', '']). */
  segments: string[];
  /** The path as sent, for logs. */
  rawPath: string;
  /** Everything after the first '?', still encoded ('' when there is none). */
  rawQuery: string;
  /** The authority of an absolute-form target (`GET http://host:port/x`), lower-cased. */
  authority?: string;
}

// Absolute-form is legal HTTP/1.1 (RFC 9112 §3.2.2) and servers must accept it; only http:
// makes sense for a plain-HTTP daemon.
const ABSOLUTE_FORM = /^http:\/\/([^/?#]*)(.*)$/is;
const DOTS_ONLY = /^\.+$/;
// Separators and controls have no business inside one segment once decoded.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const FORBIDDEN_DECODED = /[/\\\u0000-\u001f\u007f]/;

function bad(message: string, target: string): IrqkitError {
  return new IrqkitError('IRQ_ERR_USAGE', message, { target: target.slice(0, 200) });
}

export function parseRequestTarget(url: string): RequestTarget {
  let rest = url;
  let authority: string | undefined;
  const abs = ABSOLUTE_FORM.exec(url);
  if (abs) {
    authority = (abs[1] ?? '').toLowerCase();
    // 'http://host' and 'http://host?x' have an empty path, which means '/'.
    const after = abs[2] ?? '';
    rest = after.startsWith('/') ? after : `/${after}`;
  }
  if (!rest.startsWith('/')) throw bad('the request target must be a path starting with /', url);
  if (rest.includes('#')) throw bad('the request target must not contain a fragment', url);
  const q = rest.indexOf('?');
  const rawPath = q === -1 ? rest : rest.slice(0, q);
  const rawQuery = q === -1 ? '' : rest.slice(q + 1);
  const segments =
    rawPath === '/'
      ? []
      : rawPath
          .slice(1)
          .split('/')
          .map((s) => decodeSegment(s, url));
  return authority === undefined
    ? { segments, rawPath, rawQuery }
    : { segments, rawPath, rawQuery, authority };
}

function decodeSegment(raw: string, url: string): string {
  let decoded = raw;
  if (raw.includes('%')) {
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw bad('the request path has malformed percent-encoding', url);
    }
  }
  if (DOTS_ONLY.test(decoded)) throw bad('path segments of dots only (./..) are not allowed', url);
  if (FORBIDDEN_DECODED.test(decoded)) {
    throw bad('a path segment must not contain /, \\ or control characters, encoded or not', url);
  }
  return decoded;
}
