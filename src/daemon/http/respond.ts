/**
 * Writing responses: handler results, problem documents, and the raw answer to a request Node's
 * parser refused. Every one carries SECURITY_HEADERS and none carries a CORS header.
 */
import type { ServerResponse } from 'node:http';
import { IrqkitError } from '../../core/errors.ts';
import { PROBLEM_CONTENT_TYPE, problemBody, statusTitle } from './problem.ts';
import type { HandlerResponse, RouteSpec } from './route.ts';
import { jsonBytes } from './shared-body.ts';
import type { RouteValidator } from './validate.ts';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

const JSON_TYPE = /^application\/([\w.-]+\+)?json\b/i;

export function isJsonMediaType(contentType: string): boolean {
  return JSON_TYPE.test(contentType);
}

/**
 * Sends a handler's result. Throws (before writing anything) when the handler broke the
 * contract: a bad status, a CORS header, a non-text body for a text type, or, with `check`,
 * a body its schema does not allow.
 */
export function sendResult(
  res: ServerResponse,
  route: RouteSpec,
  out: HandlerResponse,
  extraHeaders: Record<string, string>,
  check?: RouteValidator,
): void {
  const status = out.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new Error(`${route.operationId} answered with status ${status}`);
  }
  const headers = out.headers ?? {};
  for (const name of Object.keys(headers)) {
    if (/^access-control-/i.test(name))
      throw new Error(`${route.operationId} set ${name}; CORS is never allowed`);
  }
  const contentType = out.contentType ?? 'application/json';
  const isJson = isJsonMediaType(contentType);
  if (check) checkResult(route, check, status, contentType, out.body);
  let chunks: Array<string | Uint8Array>;
  if (status === 204) chunks = [];
  else if (isJson) chunks = [jsonBytes(out.body)];
  else if (typeof out.body === 'string' || out.body instanceof Uint8Array) chunks = [out.body];
  else if (Array.isArray(out.body) && out.body.every((c) => c instanceof Uint8Array)) chunks = out.body;
  else throw new Error(`${route.operationId}: a ${contentType} body must be a string or bytes`);
  let length = 0;
  for (const c of chunks) length += Buffer.byteLength(c);
  res.writeHead(status, {
    ...headers,
    ...extraHeaders,
    'Content-Type': contentType,
    ...(status === 204 ? {} : { 'Content-Length': String(length) }),
  });
  // Chunks go out as they are (a cached part is not copied into a new buffer per request).
  for (let i = 0; i < chunks.length - 1; i++) res.write(chunks[i] as string | Uint8Array);
  res.end(chunks[chunks.length - 1] ?? '');
}

function checkResult(
  route: RouteSpec,
  check: RouteValidator,
  status: number,
  contentType: string,
  body: unknown,
): void {
  const base = (t: string): string => (t.split(';')[0] ?? '').trim().toLowerCase();
  const produces = status === 200 ? (route.produces ?? ['application/json']) : ['application/json'];
  if (!produces.map(base).includes(base(contentType))) {
    throw new Error(
      `${route.operationId}: ${status} as ${contentType} is not among [${produces.join(', ')}]`,
    );
  }
  if (!isJsonMediaType(contentType)) return;
  const issues = check.response(status, body);
  if (issues.length > 0) {
    throw new Error(
      `${route.operationId}: ${status} body does not match its schema: ${JSON.stringify(issues)}`,
    );
  }
}

export function sendProblem(
  res: ServerResponse,
  err: IrqkitError,
  extraHeaders: Record<string, string>,
): void {
  const body = problemBody(err);
  const retryAfter = err.details?.retryAfterSeconds;
  res.writeHead(err.httpStatus, {
    ...extraHeaders,
    // 429 and 503 say when to come back (RFC 9110 §10.2.3); clients such as curl --retry honour it.
    ...(typeof retryAfter === 'number' && retryAfter > 0
      ? { 'Retry-After': String(Math.ceil(retryAfter)) }
      : {}),
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/**
 * The bytes to answer a request the HTTP parser refused (there is no ServerResponse then):
 * 431 for oversized headers, 408 for a request that took too long, else a 400 problem.
 */
export function rawErrorResponse(errCode: string | undefined): string {
  const status = errCode === 'HPE_HEADER_OVERFLOW' ? 431 : errCode === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = status === 400 ? problemBody(new IrqkitError('IRQ_ERR_USAGE', 'malformed HTTP request')) : '';
  const head = [
    `HTTP/1.1 ${status} ${statusTitle(status)}`,
    'Connection: close',
    ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}`),
    ...(body ? [`Content-Type: ${PROBLEM_CONTENT_TYPE}`] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}
