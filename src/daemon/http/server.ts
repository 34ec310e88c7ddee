/**
 * The API server: node:http plus the route table, with the defences a root daemon that writes
 * kernel settings needs even on loopback. Every check runs before the body is read and before a
 * handler sees anything, in this order: target syntax, Host (DNS rebinding), cross-site browser
 * requests (Sec-Fetch-Site, Origin), route, read-only, content type, body size, schema.
 *
 * No CORS headers are ever sent: a page on another origin must not be able to read or drive this
 * API, and an OPTIONS preflight just gets 404/405 like any other unknown method.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Problem } from '../../api/problem.ts';
import { IrqkitError } from '../../core/errors.ts';
import { allowedHostsFor, type ListenTarget } from '../listen.ts';
import { DEFAULT_BODY_LIMIT, hasBody, isJsonContentType, parseJsonBody, readBody } from './body.ts';
import { ConnectionTracker } from './connections.ts';
import { checkCrossSite } from './cross-site.ts';
import { checkHost } from './host-check.ts';
import { documentedErrors } from './openapi.ts';
import { problemBody } from './problem.ts';
import { parseRequestTarget } from './request-target.ts';
import { rawErrorResponse, SECURITY_HEADERS, sendProblem, sendResult } from './respond.ts';
import { isMutating, MUTATING_METHODS, type RouteSpec } from './route.ts';
import { createRouter } from './router.ts';
import { bindOwnerOnly, clearStaleSocket, restrictSocket } from './unix-socket.ts';
import { compileResponseCheck, compileRouteValidator, type RouteValidator } from './validate.ts';

export interface ApiServerOptions {
  routes: readonly RouteSpec[];
  /** Refuse every mutating route with 403 IRQ_ERR_READ_ONLY. */
  readOnly: boolean;
  /**
   * Accepted Host header values ('127.0.0.1:9640', 'localhost:9640', '[::1]:9640'; for a Unix
   * socket 'localhost' and '' for none). When absent they are computed from the address bound by
   * listen(); a server started any other way then accepts no Host at all.
   */
  allowedHosts?: readonly string[];
  /** More Host values to accept on top of the computed ones (--allow-host, for a public address). */
  extraHosts?: readonly string[];
  /** Bytes; 64 KiB when absent. */
  bodyLimit?: number;
  /** The whole request (headers and body) must arrive within this; 30 s when absent. */
  requestTimeoutMs?: number;
  /** How long close() lets in-flight requests run before aborting their signals; 10 s when absent. */
  shutdownTimeoutMs?: number;
  /**
   * Check every answer against the API contract (tests, development): a handler's body against
   * its route's schema for the status and its content type against `produces`, and a problem
   * document against the Problem schema and, for an error the handler threw, the route's
   * documented errors. A breach is answered 500 IRQ_ERR_INTERNAL and logged.
   */
  checkResponses?: boolean;
  /** One structured entry per request and per failure; guarded, so it cannot break a request. */
  logger?: (entry: object) => void;
}

export interface ApiServer {
  readonly server: Server;
  /** Resolves with the address really bound (the port chosen for port 0). */
  listen(target: ListenTarget): Promise<ListenTarget>;
  /**
   * Stops accepting, closes idle keep-alive connections, lets in-flight requests finish; after
   * the shutdown timeout aborts their signals, and a second later drops whatever is left.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /** The Host values currently accepted (lower-case). */
  allowedHosts(): string[];
}

/** Headers and a small JSON body fit in far less than Node's 16 KiB default. */
const MAX_HEADER_SIZE = 8 * 1024;
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export function createApiServer(options: ApiServerOptions): ApiServer {
  // Both throw on a bad route table, so a broken daemon fails at startup, not on first request.
  const router = createRouter(options.routes);
  const validators = new Map<RouteSpec, RouteValidator>(
    options.routes.map((r) => [r, compileRouteValidator(r)]),
  );
  const problemCheck = options.checkResponses ? compileResponseCheck(Problem) : undefined;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  let allowed = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  const log = (entry: object): void => {
    try {
      options.logger?.(entry);
    } catch {
      // A broken logger must not turn into a failed request or a crash.
    }
  };

  // requireHostHeader and connectionsCheckingInterval exist on Node 18+ only (16 ignores them).
  // The Host rule is ours, so that a Unix-socket client without Host is judged the same on both.
  const serverOptions: ServerOptions & { requireHostHeader?: boolean; connectionsCheckingInterval?: number } =
    {
      maxHeaderSize: MAX_HEADER_SIZE,
      insecureHTTPParser: false,
      requireHostHeader: false,
      connectionsCheckingInterval: 1_000,
    };
  const server = createServer(serverOptions);
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const connections = new ConnectionTracker(server);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      // Only a bug in this file gets here; the request is lost but the daemon lives.
      log({ level: 'error', msg: 'request handling failed', error: describeError(e) });
      req.socket.destroy();
    });
  };
  server.on('request', onRequest);
  // Without a listener node answers an unknown Expect with a bare 417; with it, handle() answers
  // with a problem document like every other refusal.
  server.on('checkExpectation', onRequest);

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    log({ level: 'warn', msg: 'malformed request', error: err.code ?? err.message });
    // As Node's default handler: never write into the middle of a response already under way.
    const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) socket.destroy();
    else socket.end(rawErrorResponse(err.code));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let errorCode: string | undefined;
    const signal = connections.begin(req, res, () =>
      log({
        msg: 'request',
        method: req.method,
        path: (req.url ?? '').slice(0, 200),
        status: res.statusCode,
        ...(errorCode ? { code: errorCode } : {}),
        ms: Date.now() - started,
      }),
    );
    // Without listeners these are harmless today; with them they can never become a crash.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);

    let route: RouteSpec | undefined;
    let inHandler = false;
    try {
      if (connections.closing) throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon is shutting down');
      const target = parseRequestTarget(req.url ?? '');
      checkHost(req, target, allowed);
      checkCrossSite(req, req.headers.host ?? '');
      const expect = req.headers.expect;
      if (expect !== undefined && expect.trim().toLowerCase() !== '100-continue') {
        throw new IrqkitError(
          'IRQ_ERR_EXPECTATION',
          'the only expectation this server meets is 100-continue',
          {
            expect: expect.slice(0, 100),
          },
        );
      }
      const match = router.match(req.method ?? '', target.segments);
      if (match.kind === 'not-found') {
        throw new IrqkitError('IRQ_ERR_NOT_FOUND', `no such endpoint: ${target.rawPath.slice(0, 200)}`);
      }
      if (match.kind === 'method-not-allowed') {
        res.setHeader('Allow', match.allow.join(', '));
        const use = match.allow.join(' or ');
        throw new IrqkitError('IRQ_ERR_METHOD', `${req.method} is not allowed here; use ${use}`, {
          allow: match.allow,
        });
      }
      route = match.route;
      if (options.readOnly && isMutating(route)) {
        throw new IrqkitError(
          'IRQ_ERR_READ_ONLY',
          'the daemon runs read-only (--read-only); nothing was changed',
        );
      }
      const contentType = req.headers['content-type'];
      if (!isJsonContentType(contentType) && (MUTATING_METHODS.has(route.method) || hasBody(req))) {
        throw new IrqkitError('IRQ_ERR_MEDIA_TYPE', 'this request needs Content-Type: application/json', {
          contentType: contentType?.slice(0, 100) ?? null,
        });
      }
      let body: unknown;
      if (hasBody(req)) {
        const buf = await readBody(req, bodyLimit, signal);
        body = buf.length === 0 ? undefined : parseJsonBody(buf);
      }
      const validator = validators.get(route) as RouteValidator;
      const input = validator.input({ params: match.params, rawQuery: target.rawQuery, body });
      inHandler = true;
      const out = await route.handler({ ...input, signal });
      inHandler = false;
      sendResult(res, route, out, connectionHeader(req), options.checkResponses ? validator : undefined);
    } catch (e) {
      errorCode = fail(req, res, e, signal, route, inHandler);
    }
  }

  /** Answers with the problem document for `e`; returns its code for the access log. */
  function fail(
    req: IncomingMessage,
    res: ServerResponse,
    e: unknown,
    signal: AbortSignal,
    route: RouteSpec | undefined,
    inHandler: boolean,
  ): string | undefined {
    const path = (req.url ?? '').slice(0, 200);
    if (signal.aborted && !connections.closing) {
      // The client went away (the only other reason a signal aborts); nobody is left to answer.
      log({ level: 'info', msg: 'client went away', method: req.method, path });
      req.socket.destroy();
      return undefined;
    }
    let err: IrqkitError;
    if (e instanceof IrqkitError) {
      err = e;
    } else if (signal.aborted) {
      err = new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the daemon shut down before the request finished');
    } else {
      const operationId = route?.operationId;
      log({
        level: 'error',
        msg: 'handler failed',
        operationId,
        method: req.method,
        path,
        error: describeError(e),
      });
      // The message may carry paths or internals; the log has it, the client gets a pointer.
      err = new IrqkitError('IRQ_ERR_INTERNAL', 'internal error; the daemon log has the details');
    }
    if (problemCheck) err = checkedProblem(err, inHandler ? route : undefined, path);
    if (res.headersSent || res.writableEnded || res.destroyed) req.socket.destroy();
    else sendProblem(res, err, connectionHeader(req));
    return err.code;
  }

  /** `err`, or IRQ_ERR_INTERNAL when its document breaks the Problem schema or `route` does not list it. */
  function checkedProblem(err: IrqkitError, route: RouteSpec | undefined, path: string): IrqkitError {
    const issues = problemCheck?.(JSON.parse(problemBody(err))) ?? [];
    const undocumented = route !== undefined && !documentedErrors(route).has(err.code);
    if (issues.length === 0 && !undocumented) return err;
    log({
      level: 'error',
      msg: 'error answer breaks the API contract',
      operationId: route?.operationId,
      path,
      code: err.code,
      ...(undocumented ? { undocumented: `${err.code} is not among the route's errors` } : {}),
      ...(issues.length > 0 ? { issues } : {}),
    });
    return new IrqkitError('IRQ_ERR_INTERNAL', 'internal error; the daemon log has the details');
  }

  /**
   * Close the connection when shutting down, or when a body was left unread (refused early or
   * over the cap): draining an unbounded upload just to keep the connection alive is a DoS.
   */
  function connectionHeader(req: IncomingMessage): Record<string, string> {
    return connections.closing || (hasBody(req) && !req.complete) ? { Connection: 'close' } : {};
  }

  function listening(start: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => {
        server.off('listening', onListening);
        reject(e);
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      try {
        start();
      } catch (e) {
        server.off('error', onError);
        server.off('listening', onListening);
        reject(e);
      }
    });
  }

  return {
    server,
    allowedHosts: () => [...allowed],

    async listen(target) {
      let bound: ListenTarget;
      if ('path' in target) {
        await clearStaleSocket(target.path);
        await listening(() => bindOwnerOnly(() => server.listen(target.path)));
        restrictSocket(target.path);
        bound = { path: target.path };
      } else {
        await listening(() => server.listen(target.port, target.host));
        bound = { host: target.host, port: (server.address() as AddressInfo).port };
      }
      if (options.allowedHosts === undefined) {
        const port = 'port' in bound ? bound.port : undefined;
        allowed = new Set(
          [...allowedHostsFor(bound, port), ...(options.extraHosts ?? [])].map((h) => h.toLowerCase()),
        );
      }
      return bound;
    },

    close(closeOptions = {}) {
      return connections.shutdown(closeOptions.timeoutMs ?? options.shutdownTimeoutMs ?? 10_000);
    },
  };
}

function describeError(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
