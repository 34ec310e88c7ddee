/**
 * Bodies that many requests answer with (a window answer shared until the next sample, the
 * OpenAPI document) are serialised once: JSON.stringify of a 256-CPU distribution (1.3 MB) took
 * ~25 ms of event loop per request, so 16 clients polling it kept /healthz waiting for seconds.
 * A body registered here must not change afterwards; the bytes are dropped with the body.
 */
const registered = new WeakSet<object>();
const serialised = new WeakMap<object, Buffer>();

/** Marks `body` as shared and unchanging from now on; returns it. */
export function shareBody<T>(body: T): T {
  if (typeof body === 'object' && body !== null) registered.add(body);
  return body;
}

/** The JSON bytes of `body`: made once for a shared body, every time for any other. */
export function jsonBytes(body: unknown): string | Buffer {
  if (typeof body !== 'object' || body === null || !registered.has(body))
    return JSON.stringify(body) ?? 'null';
  let bytes = serialised.get(body);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(body));
    serialised.set(body, bytes);
  }
  return bytes;
}
