/**
 * Request bodies: a JSON-only content-type rule, a hard size cap, and strict decoding.
 */
import type { IncomingMessage } from 'node:http';
import { IrqkitError } from '../../core/errors.ts';
import { scanJson } from './json-scan.ts';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * `application/json`, optionally with `charset=utf-8`. Requiring it on every mutating request is
 * also the CSRF defence: an HTML form can only send form or text types, and a script that sets
 * JSON needs a CORS preflight, which this server never grants.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => p === '' || p === 'charset=utf-8' || p === 'charset="utf-8"');
}

/** True when the request says it carries a body (a length above 0 or any transfer coding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Reads the whole body, refusing more than `limit` bytes: a declared Content-Length over the cap
 * fails before a byte is read, a chunked body as soon as it crosses it.
 */
export function readBody(req: IncomingMessage, limit: number, signal: AbortSignal): Promise<Buffer> {
  const tooLarge = (): IrqkitError =>
    new IrqkitError('IRQ_ERR_BODY_TOO_LARGE', `the request body is over the ${limit}-byte limit`, { limit });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge());
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onAbort = (): void => onError(new Error('the client went away while sending the body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    signal.addEventListener('abort', onAbort);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict UTF-8 and JSON. Integers beyond 2^53 are refused rather than silently rounded, so a
 * CPU or IRQ number can never arrive as a different number than the one sent.
 */
export function parseJsonBody(buf: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw new IrqkitError('IRQ_ERR_USAGE', 'the request body is not valid UTF-8');
  }
  const refused = scanJson(text);
  if (refused !== null) throw new IrqkitError('IRQ_ERR_USAGE', `the request body is refused: ${refused}`);
  try {
    return JSON.parse(text, (_key, value: unknown) => {
      if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw new RangeError(`the number ${value} is too large to be exact`);
      }
      return value;
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new IrqkitError('IRQ_ERR_USAGE', `the request body is not valid JSON: ${why}`);
  }
}
