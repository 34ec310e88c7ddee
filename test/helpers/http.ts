/**
 * Real HTTP requests for daemon tests, with node:http (Node 16 has no fetch) and raw sockets for
 * requests a well-behaved client would refuse to send.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export type Endpoint = { host: string; port: number } | { path: string };

export interface HttpRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /**
   * The Host header to send: a string sends exactly that, null sends none, undefined lets node
   * derive it from the endpoint ('127.0.0.1:PORT', or 'localhost' on a Unix socket).
   */
  host?: string | null;
  /** Sent as is; no content type is added. */
  body?: string | Buffer;
  /** Serialised, with Content-Type: application/json unless headers say otherwise. */
  json?: unknown;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (throws when it is not). */
  json<T = Record<string, unknown>>(): T;
}

export function send(endpoint: Endpoint, req: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  let body = req.body;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, req.headers ?? {});
  if (typeof req.host === 'string') headers.host = req.host;
  if (
    body !== undefined &&
    headers['content-length'] === undefined &&
    headers['transfer-encoding'] === undefined
  ) {
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        ...('path' in endpoint
          ? { socketPath: endpoint.path }
          : { host: endpoint.host, port: endpoint.port }),
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        // Node adds its own Host whenever ours is falsy, so '' and null both need setHost off.
        setHost: req.host === undefined,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on('error', reject);
      },
    );
    // The server may answer (413, 415) and close before the whole upload is sent; the response
    // has then already resolved the promise and the late EPIPE/ECONNRESET is irrelevant.
    r.on('error', reject);
    r.setTimeout(req.timeoutMs ?? 10_000, () => r.destroy(new Error(`request ${req.path} timed out`)));
    if (body !== undefined) r.write(body);
    r.end();
  });
}

export interface RawResponse {
  /** Everything the server wrote before it closed the connection (or the timeout). */
  text: string;
  /** The status code of the first response line, 0 when there was none. */
  status: number;
}

/**
 * Writes `raw` bytes to a fresh connection and collects the answer until the server closes it
 * (send `Connection: close` for well-formed requests) or `timeoutMs` passes.
 */
export function sendRaw(endpoint: Endpoint, raw: string | Buffer, timeoutMs = 3_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in endpoint ? connect(endpoint.path) : connect(endpoint.port, endpoint.host);
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : 0 });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A reset after the answer is the server hanging up; before it, a real failure.
      if (chunks.length > 0 || e.code === 'ECONNRESET' || e.code === 'EPIPE') done();
      else {
        clearTimeout(timer);
        reject(e);
      }
    });
    socket.write(raw);
  });
}

/** The JSON body of a raw HTTP/1.1 response (after the blank line). */
export function rawJsonBody<T = Record<string, unknown>>(text: string): T {
  const at = text.indexOf('\r\n\r\n');
  return JSON.parse(text.slice(at + 4)) as T;
}
