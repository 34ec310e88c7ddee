/**
 * One API endpoint as data: method, path pattern, TypeBox schemas and a handler. The same schemas
 * validate requests (validate.ts) and describe the API (openapi.ts), so the two cannot drift.
 */
import type { Static, TObject, TSchema, TUndefined } from '@sinclair/typebox';
import type { ErrorCode } from '../../core/errors.ts';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** They need a JSON content type, and are refused under --read-only unless a route says `mutating: false`. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(['PUT', 'POST', 'DELETE']);

export interface HandlerRequest<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  /** Aborted when the client goes away or the server's shutdown deadline passes. */
  signal: AbortSignal;
}

export interface HandlerResponse {
  /** 200 when absent. */
  status?: number;
  /** JSON-serialised for application/json; a string or Buffer for any other content type. */
  body: unknown;
  /** application/json when absent. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Exact segments and `:name` parameters, e.g. '/api/v1/irqs/:irq'. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** An object schema whose properties are the `:name` segments. */
  params?: TSchema;
  /** An object schema; keys it does not name are rejected. */
  query?: TSchema;
  /** The JSON body; object schemas in it must state `additionalProperties`. */
  body?: TSchema;
  /** The 200 body. */
  response: TSchema;
  /** Other bodies by status (201, 202, 207, a 409 that still reports …). */
  responses?: Partial<Record<number, TSchema>>;
  /** Catalogued errors the handler itself may throw, for the OpenAPI document. */
  errors?: readonly ErrorCode[];
  /**
   * Refused under --read-only; defaults to true for PUT/POST/DELETE. `false` lets a POST that only
   * computes (a plan preview) run read-only. A mutating GET is rejected at startup: any web page
   * can make a browser send a GET to 127.0.0.1, and no Content-Type check can stop it.
   */
  mutating?: boolean;
  /** Content types of the 200 body, application/json when absent (e.g. add text/plain for ?format=text). */
  produces?: readonly string[];
  // Method syntax on purpose: it keeps RouteSpec<{ irq: string }> assignable to RouteSpec.
  handler(req: HandlerRequest<P, Q, B>): Promise<HandlerResponse> | HandlerResponse;
}

/** An object schema with no properties: what a route without params or query receives. */
type NoFields = TObject<Record<string, never>>;

type Awaitable<T> = T | Promise<T>;

/** A JSON answer with status S whose body is the static type of its declared schema. */
interface JsonResult<S extends number, Body> {
  status?: S;
  body: Body;
  contentType?: 'application/json';
  headers?: Record<string, string>;
}

/**
 * A 200 as text (the dashboard, /metrics, ?format=text): the body is the text itself. Which text
 * types a route may send is its `produces`, checked when responses are checked.
 */
interface TextResult {
  status?: 200;
  /** Text, its UTF-8 bytes, or chunks of bytes sent one after the other (a cached part as it is). */
  body: string | Uint8Array | readonly Uint8Array[];
  contentType: `text/${string}`;
  headers?: Record<string, string>;
}

/** One JSON answer per status of `responses`, with that status spelt out. */
type ExtraResults<XS extends Partial<Record<number, TSchema>>> = {
  [K in keyof XS & number]: {
    status: K;
    body: Static<NonNullable<XS[K]>>;
    contentType?: 'application/json';
    headers?: Record<string, string>;
  };
}[keyof XS & number];

/**
 * Every answer a route may give: its 200 schema's type as JSON, each other declared status with
 * that status's type, or text. (`number extends keyof XS`: no `responses`, or not inferred yet.)
 */
export type RouteResult<RS extends TSchema, XS extends Partial<Record<number, TSchema>>> =
  | JsonResult<200, Static<RS>>
  | (number extends keyof XS ? never : ExtraResults<XS>)
  | TextResult;

/**
 * Declares a route whose handler sees the `Static` types of its request schemas and must return
 * the `Static` type of the response schema for each status it declares, so a schema change is a
 * compile error in the handler rather than a runtime surprise (test/daemon/http-route-types.test.ts
 * keeps it so).
 *
 * Two limits of tsc, both on the safe side or covered at run time: a handler without parameters
 * is typed before `response` is known, so literal members of its body widen (`'ok'` to string)
 * and need a type of their own; and members a schema does not declare are not excess-checked in
 * a function's return, so those are left to the response check (ApiServerOptions.checkResponses).
 */
export function defineRoute<
  RS extends TSchema,
  PS extends TSchema = NoFields,
  QS extends TSchema = NoFields,
  BS extends TSchema = TUndefined,
  XS extends Partial<Record<number, TSchema>> = Record<never, never>,
>(
  spec: Omit<RouteSpec, 'params' | 'query' | 'body' | 'response' | 'responses' | 'handler'> & {
    params?: PS;
    query?: QS;
    body?: BS;
    response: RS;
    responses?: XS;
    handler(req: HandlerRequest<Static<PS>, Static<QS>, Static<BS>>): Awaitable<RouteResult<RS, XS>>;
  },
): RouteSpec<Static<PS>, Static<QS>, Static<BS>> {
  return spec;
}

export type PathSegment = { kind: 'static'; value: string } | { kind: 'param'; name: string };

// No leading '__': a parameter named __proto__ would be a prototype write in the params object.
const PARAM_NAME = /^(?!__)[A-Za-z_][A-Za-z0-9_]*$/;
const STATIC_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** Splits a route pattern; throws on patterns the router could never match (a startup bug). */
export function parsePattern(path: string): PathSegment[] {
  if (!path.startsWith('/')) throw new TypeError(`route path '${path}' must start with '/'`);
  if (path === '/') return [];
  return path
    .slice(1)
    .split('/')
    .map((s): PathSegment => {
      if (s.startsWith(':')) {
        const name = s.slice(1);
        if (!PARAM_NAME.test(name)) throw new TypeError(`route path '${path}': bad parameter '${s}'`);
        return { kind: 'param', name };
      }
      if (!STATIC_SEGMENT.test(s) || /^\.+$/.test(s)) {
        throw new TypeError(`route path '${path}': bad segment '${s}'`);
      }
      return { kind: 'static', value: s };
    });
}

/** '/api/v1/irqs/:irq' → '/api/v1/irqs/{irq}' (OpenAPI's template syntax). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

export function isMutating(route: Pick<RouteSpec, 'method' | 'mutating'>): boolean {
  return route.mutating ?? MUTATING_METHODS.has(route.method);
}
