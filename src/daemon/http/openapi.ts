/**
 * The OpenAPI 3.1 document, built from the route table itself: 3.1 embeds JSON Schema, and
 * TypeBox schemas are JSON Schema, so the document shows exactly what the server validates.
 */
import { Problem } from '../../api/problem.ts';
import type { OpenApiDoc, OpenApiOperation } from '../../api/schemas.ts';
import { ERROR_CODES, type ErrorCode } from '../../core/errors.ts';
import { PROBLEM_CONTENT_TYPE, statusTitle } from './problem.ts';
import { isMutating, openApiPath, parsePattern, type RouteSpec } from './route.ts';
import { objectProperties } from './router.ts';

export type ApiInfo = OpenApiDoc['info'];

type Json = Record<string, unknown>;

/**
 * Errors any route can answer with, whatever it does: the checks in server.ts run before a route
 * is known to take a body, so a GET with a body meets the same 413/415 as a PUT, another method on
 * the path gets 405 and an unknown Expect 417.
 */
const COMMON_ERRORS: readonly ErrorCode[] = [
  'IRQ_ERR_USAGE',
  'IRQ_ERR_HOST',
  'IRQ_ERR_CROSS_SITE',
  'IRQ_ERR_METHOD',
  'IRQ_ERR_MEDIA_TYPE',
  'IRQ_ERR_BODY_TOO_LARGE',
  'IRQ_ERR_EXPECTATION',
  'IRQ_ERR_INTERNAL',
  'IRQ_ERR_UNAVAILABLE',
];

export function buildOpenApi(routes: readonly RouteSpec[], info: ApiInfo): OpenApiDoc {
  const paths: OpenApiDoc['paths'] = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    const item = paths[path] ?? {};
    item[route.method.toLowerCase()] = operation(route);
    // The router answers HEAD for every GET (router.ts): the same operation without a body.
    if (route.method === 'GET') item.head = headOperation(operation(route));
    paths[path] = item;
  }
  const tags = [...new Set(routes.flatMap((r) => r.tags ?? []))].sort().map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: { ...info },
    tags,
    paths,
    components: { schemas: { Problem: plain(Problem) } },
  };
}

function operation(route: RouteSpec): OpenApiOperation {
  const parameters = [...pathParameters(route), ...queryParameters(route)];
  const responses: OpenApiOperation['responses'] = {
    '200': success(200, route.response, route.produces ?? ['application/json']),
  };
  for (const [status, schema] of Object.entries(route.responses ?? {})) {
    if (schema) responses[status] = success(Number(status), schema, ['application/json']);
  }
  for (const [status, codes] of errorsByStatus(route)) responses[String(status)] = problems(status, codes);
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description !== undefined ? { description: route.description } : {}),
    ...(route.tags !== undefined ? { tags: [...route.tags] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body !== undefined
      ? { requestBody: { required: true, content: { 'application/json': { schema: plain(route.body) } } } }
      : {}),
    responses,
  };
}

function headOperation(get: OpenApiOperation): OpenApiOperation {
  const responses: OpenApiOperation['responses'] = {};
  for (const [status, r] of Object.entries(get.responses)) {
    const { content: _content, ...rest } = r as Json;
    responses[status] = rest;
  }
  return {
    ...get,
    operationId: `${get.operationId}Head`,
    summary: `${get.summary} (headers only)`,
    responses,
  };
}

function pathParameters(route: RouteSpec): Json[] {
  const props = objectProperties(route.params) ?? {};
  return parsePattern(route.path).flatMap((s) =>
    s.kind === 'param' ? [parameter(s.name, 'path', true, props[s.name] ?? { type: 'string' })] : [],
  );
}

function queryParameters(route: RouteSpec): Json[] {
  const props = objectProperties(route.query) ?? {};
  const required = new Set((route.query as { required?: string[] } | undefined)?.required ?? []);
  return Object.entries(props).map(([name, schema]) => parameter(name, 'query', required.has(name), schema));
}

function parameter(name: string, where: 'path' | 'query', required: boolean, schema: unknown): Json {
  const p: Json = { name, in: where, required, schema: plain(schema) };
  const description = (schema as { description?: unknown }).description;
  if (typeof description === 'string') p.description = description;
  // Arrays in the query are repeated keys (?cpu=1&cpu=2), which is what validate.ts accepts.
  if ((schema as { type?: unknown }).type === 'array') Object.assign(p, { style: 'form', explode: true });
  return p;
}

function success(status: number, schema: unknown, produces: readonly string[]): Json {
  const content: Json = {};
  for (const type of produces) {
    const json = /^application\/([\w.-]+\+)?json\b/i.test(type);
    const isString = (schema as { type?: unknown }).type === 'string';
    content[type] = { schema: json || isString ? plain(schema) : { type: 'string' } };
  }
  return status === 204
    ? { description: statusTitle(status) }
    : { description: statusTitle(status), content };
}

/** The catalogued errors the document says this route can produce. */
export function documentedErrors(route: RouteSpec): Set<ErrorCode> {
  const codes = new Set<ErrorCode>(COMMON_ERRORS);
  if (isMutating(route)) codes.add('IRQ_ERR_READ_ONLY');
  for (const c of route.errors ?? []) codes.add(c);
  return codes;
}

/** The catalogued errors this route can produce, grouped by their (single) HTTP status. */
function errorsByStatus(route: RouteSpec): Map<number, ErrorCode[]> {
  const codes = documentedErrors(route);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes].sort()) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort((a, b) => a[0] - b[0]));
}

function problems(status: number, codes: readonly ErrorCode[]): Json {
  return {
    description: `${statusTitle(status)}: ${codes.join(', ')}`,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Problem' },
            { type: 'object', properties: { status: { const: status }, code: { enum: [...codes] } } },
          ],
        },
      },
    },
  };
}

/** TypeBox schemas carry symbol keys (Kind, Optional); the document must be plain JSON. */
function plain(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}
