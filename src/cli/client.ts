/**
 * The irqkit → irqkitd client, on node:http (Node 16 has no fetch). It reaches the daemon over
 * TCP or a Unix socket and turns every failure into a catalogued error: unreachable (exit 2),
 * the daemon's own problem+json (its code and message), or a response that is not irqkitd's.
 */
import { request } from 'node:http';
import { formatDuration } from '../core/duration.ts';
import { ERROR_CODES, type ErrorCode, IrqkitError } from '../core/errors.ts';

export const DEFAULT_URL = 'http://127.0.0.1:9640';

export type DaemonEndpoint =
  | { kind: 'tcp'; host: string; port: number; url: string }
  | { kind: 'unix'; path: string; url: string };

/** `http://host:port`, `unix:/run/irqkitd.sock` or a bare socket path. */
export function parseDaemonUrl(text: string, where = '--url'): DaemonEndpoint {
  const t = text.trim();
  if (t.startsWith('unix:')) return { kind: 'unix', path: t.slice(5), url: t };
  if (t.startsWith('/')) return { kind: 'unix', path: t, url: `unix:${t}` };
  // HOST:PORT or a bare host without the scheme: the likeliest slip, so name the fix.
  const schemeless = !t.includes('://') && /^(?:\[[0-9a-f:.]+\]|[\w.-]+)(?::\d+)?$/i.test(t);
  let u: URL | undefined;
  try {
    u = schemeless ? undefined : new URL(t);
  } catch {
    // reported below
  }
  if (u === undefined) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `${where} takes http://HOST:PORT or unix:/path/to/socket, not '${text}'` +
        (schemeless ? ` (did you mean http://${t}?)` : ''),
    );
  }
  if (u.protocol !== 'http:') {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `${where}: irqkitd speaks plain HTTP on loopback; '${u.protocol}' is not supported`,
    );
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { kind: 'tcp', host, port: u.port === '' ? 80 : Number(u.port), url: `http://${u.host}` };
}

export interface ClientOptions {
  endpoint: DaemonEndpoint;
  timeoutMs: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export class DaemonClient {
  readonly endpoint: DaemonEndpoint;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.endpoint = options.endpoint;
    this.timeoutMs = options.timeoutMs;
  }

  get<T>(path: string, extraTimeoutMs = 0): Promise<T> {
    return this.call<T>('GET', path, undefined, extraTimeoutMs).then((r) => r.body);
  }

  /** Raw text (e.g. /api/v1/interrupts?format=text). */
  async text(path: string): Promise<string> {
    const r = await this.raw('GET', path, undefined, 0);
    if (r.status >= 400) throw this.problem(r.status, r.text);
    return r.text;
  }

  /**
   * A JSON call. Statuses listed in `accept` (e.g. 409 for a failed batch, whose body carries
   * every IRQ's outcome) are returned, not thrown.
   */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    extraTimeoutMs = 0,
    accept: readonly number[] = [],
  ): Promise<ApiResponse<T>> {
    const r = await this.raw(method, path, body, extraTimeoutMs);
    if (r.status >= 400 && !accept.includes(r.status)) throw this.problem(r.status, r.text);
    try {
      return { status: r.status, body: JSON.parse(r.text) as T };
    } catch {
      throw new IrqkitError(
        'IRQ_ERR_BAD_RESPONSE',
        `${this.endpoint.url}${path}: the answer is not JSON; is that irqkitd?`,
      );
    }
  }

  private problem(status: number, text: string): IrqkitError {
    let p: { code?: string; detail?: string; title?: string } = {};
    try {
      p = JSON.parse(text) as typeof p;
    } catch {
      // not a problem document; fall through
    }
    const code = p.code && p.code in ERROR_CODES ? (p.code as ErrorCode) : undefined;
    if (!code) {
      return new IrqkitError(
        'IRQ_ERR_BAD_RESPONSE',
        `${this.endpoint.url}: HTTP ${status}${p.title ? ` ${p.title}` : ''}; is that irqkitd?`,
      );
    }
    const { code: _c, detail, title, ...rest } = p as Record<string, unknown>;
    return new IrqkitError(code, `${String(detail ?? title ?? `HTTP ${status}`)} (${code})`, rest);
  }

  private raw(
    method: string,
    path: string,
    body: unknown,
    extraTimeoutMs: number,
  ): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const ep = this.endpoint;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...(ep.kind === 'unix' ? { socketPath: ep.path } : { host: ep.host, port: ep.port }),
          method,
          path,
          headers: {
            accept: 'application/json',
            ...(ep.kind === 'unix' ? { host: 'localhost' } : {}),
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (e) => reject(this.unreachable(e)));
        },
      );
      const timeoutMs = this.timeoutMs + extraTimeoutMs;
      req.setTimeout(timeoutMs, () => {
        req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT', timeoutMs }));
      });
      req.on('error', (e) => reject(this.unreachable(e)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  private unreachable(e: Error): IrqkitError {
    const errno = (e as NodeJS.ErrnoException).code;
    const why =
      errno === 'ECONNREFUSED'
        ? 'connection refused (is irqkitd running?)'
        : errno === 'ENOENT'
          ? 'no such socket (is irqkitd running?)'
          : errno === 'EACCES'
            ? 'permission denied on the socket (irqkitd sockets are root-only)'
            : errno === 'ETIMEDOUT'
              ? timeoutWhy(e)
              : e.message;
    return new IrqkitError('IRQ_ERR_UNREACHABLE', `cannot reach irqkitd at ${this.endpoint.url}: ${why}`, {
      url: this.endpoint.url,
      ...(errno ? { errno } : {}),
    });
  }
}

/** Which limit ran out, so that a user knows what --timeout to raise. */
function timeoutWhy(e: Error): string {
  const ms = (e as { timeoutMs?: unknown }).timeoutMs;
  return typeof ms === 'number' ? `no answer within ${formatDuration(ms)} (--timeout)` : 'no answer in time';
}
