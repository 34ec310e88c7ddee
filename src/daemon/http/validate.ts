/**
 * Request validation with TypeBox's compiled checkers, built once per route at startup. Path and
 * query strings are coerced first (coerce.ts), then everything is checked and every problem is
 * reported at once as IRQ_ERR_USAGE with `errors: [{ path, message }]`.
 *
 * Responses are checked too when the server is asked to (tests): against the same schemas, read
 * as closed, so a member the schema does not declare is as much a failure as a wrong one.
 */
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { registerFormats } from '../../api/formats.ts';
import { IrqkitError } from '../../core/errors.ts';
import { CoerceError, type Coercer, coercerFor } from './coerce.ts';
import type { RouteSpec } from './route.ts';
import { objectProperties } from './router.ts';

export interface ValidationIssue {
  /** JSON pointer into the request, prefixed by where: '/params/irq', '/query/limit', '/body/cpus/0'. */
  path: string;
  message: string;
}

export interface ValidInput {
  params: unknown;
  query: unknown;
  body: unknown;
}

export interface RouteValidator {
  /** Coerces and checks everything; throws IRQ_ERR_USAGE listing every problem found. */
  input(raw: { params: Record<string, string>; rawQuery: string; body: unknown }): ValidInput;
  /** Problems with a handler's JSON body against the schema the route declares for its status. */
  response(status: number, body: unknown): ValidationIssue[];
}

/** Enough to fix a request; more only bloats the error body. */
const MAX_ISSUES = 20;

interface FieldSet {
  check: TypeCheck<TSchema>;
  fields: Map<string, { coerce: Coercer; repeatable: boolean }>;
}

export function compileRouteValidator(route: RouteSpec): RouteValidator {
  const where = `${route.method} ${route.path}`;
  registerFormats();
  const declared: Array<[string, TSchema | undefined]> = [
    ['params', route.params],
    ['query', route.query],
    ['body', route.body],
    ['response', route.response],
    ...Object.entries(route.responses ?? {}).map(([status, schema]): [string, TSchema | undefined] => [
      `${status} response`,
      schema,
    ]),
  ];
  for (const [part, schema] of declared) if (schema) requireKnownFormats(schema, `${where} ${part}`);
  const params = route.params === undefined ? undefined : compileFields(route.params, `${where} params`);
  const query = route.query === undefined ? undefined : compileFields(route.query, `${where} query`);
  if (route.body !== undefined) requireClosedObjects(route.body, `${where} body`);
  const body = route.body === undefined ? undefined : TypeCompiler.Compile(route.body);
  // Compiled on first use: only servers that check responses need them.
  const responses = new Map<number, ResponseCheck>();
  const responseCheck = (status: number): ResponseCheck | undefined => {
    const schema = status === 200 ? route.response : route.responses?.[status];
    if (schema === undefined) return undefined;
    let check = responses.get(status);
    if (!check) {
      check = compileResponseCheck(schema);
      responses.set(status, check);
    }
    return check;
  };

  return {
    input(raw) {
      const issues: ValidationIssue[] = [];
      const p = params ? coerceFields(params, entriesOf(raw.params), '/params', issues) : {};
      let q: Record<string, unknown> = {};
      const queryEntries = parseQuery(raw.rawQuery, issues);
      if (query) q = coerceFields(query, queryEntries, '/query', issues);
      else
        for (const key of queryEntries.keys())
          issues.push({ path: `/query/${pointer(key)}`, message: 'Unknown query parameter' });
      let b: unknown = raw.body;
      if (body) {
        collect(body, b, '/body', issues);
      } else if (b !== undefined) {
        issues.push({ path: '/body', message: 'This endpoint takes no request body' });
        b = undefined;
      }
      if (issues.length > 0) {
        throw new IrqkitError('IRQ_ERR_USAGE', describe(issues), { errors: issues.slice(0, MAX_ISSUES) });
      }
      return { params: p, query: q, body: b };
    },
    response(status, value) {
      const check = responseCheck(status);
      if (!check) return [{ path: '', message: `the route declares no body for status ${status}` }];
      return check(value);
    },
  };
}

/** The problems of a response body (an empty list when it matches). */
export type ResponseCheck = (value: unknown) => ValidationIssue[];

/**
 * A check of a response against `schema` read as closed: every object schema that leaves
 * `additionalProperties` unset refuses members it does not declare, so the schema has to describe
 * everything the daemon sends. The published schema stays open for clients.
 */
export function compileResponseCheck(schema: TSchema): ResponseCheck {
  registerFormats();
  requireKnownFormats(schema, 'response');
  const check = TypeCompiler.Compile(closeObjects(schema) as TSchema);
  return (value) => {
    const issues: ValidationIssue[] = [];
    collect(check, value, '', issues);
    return issues;
  };
}

/** Keys whose value is one sub-schema, and keys whose value is a list or map of them. */
const SUB_SCHEMA = new Set(['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else']);
const SUB_SCHEMAS = new Set(['properties', 'patternProperties', 'anyOf', 'oneOf', 'allOf', 'prefixItems']);

/** A shallow copy of `s` whose sub-schemas are replaced by `map(sub, pointer, key)`. */
function mapSubSchemas(
  s: Record<string, unknown>,
  map: (sub: unknown, pointer: string, key: string) => unknown,
): Record<string, unknown> {
  const out = { ...s };
  for (const [key, value] of Object.entries(s)) {
    if (typeof value !== 'object' || value === null) continue;
    if (SUB_SCHEMA.has(key) && !Array.isArray(value)) out[key] = map(value, `/${key}`, key);
    else if (Array.isArray(value) && (SUB_SCHEMAS.has(key) || key === 'items')) {
      out[key] = value.map((sub, i) => map(sub, `/${key}/${i}`, key));
    } else if (SUB_SCHEMAS.has(key)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, map(sub, `/${key}/${pointer(name)}`, key)]),
      );
    }
  }
  return out;
}

/**
 * A copy with `additionalProperties: false` on every object schema that does not set it. Object
 * spread keeps TypeBox's symbol keys (Kind), which the compiler needs; members of an allOf stay
 * open, since each would refuse the members of the others.
 */
function closeObjects(schema: unknown, inAllOf = false): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = mapSubSchemas(schema as Record<string, unknown>, (sub, _, key) =>
    closeObjects(sub, key === 'allOf'),
  );
  if (!inAllOf && s.type === 'object' && s.properties !== undefined && s.additionalProperties === undefined) {
    s.additionalProperties = false;
  }
  return s;
}

/**
 * TypeBox fails every value of a format it does not know ("Unknown format"), so a schema naming
 * one that src/api/formats.ts does not register is refused at startup, not found by a 500.
 */
function requireKnownFormats(schema: unknown, where: string, path = ''): void {
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Record<string, unknown>;
  if (typeof s.format === 'string' && !FormatRegistry.Has(s.format)) {
    throw new TypeError(`${where}${path}: format '${s.format}' is not registered (src/api/formats.ts)`);
  }
  mapSubSchemas(s, (sub, at) => requireKnownFormats(sub, where, `${path}${at}`));
}

function describe(issues: readonly ValidationIssue[]): string {
  const first = issues[0] as ValidationIssue;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `invalid request: ${first.path || '/'}: ${first.message}${more}`;
}

function collect(check: TypeCheck<TSchema>, value: unknown, prefix: string, issues: ValidationIssue[]): void {
  if (check.Check(value)) return;
  for (const e of check.Errors(value)) {
    if (issues.length >= MAX_ISSUES) return;
    // A pattern says nothing to a person; a marked schema (durations, cpulists) says what it wants.
    const s = e.schema as { 'x-irqkit-limit'?: unknown; description?: unknown; maximum?: unknown };
    let plain = e.message;
    if (
      s['x-irqkit-limit'] !== undefined &&
      typeof s.description === 'string' &&
      typeof e.value === 'string'
    ) {
      plain = `Expected ${s.description.charAt(0).toLowerCase()}${s.description.slice(1)}`;
    } else if (
      s['x-irqkit-limit'] === 'cpu' &&
      typeof e.value === 'number' &&
      typeof s.maximum === 'number' &&
      Number.isInteger(e.value) &&
      e.value > s.maximum
    ) {
      // The maximum is this machine's highest CPU (api-limits.ts): say so in the user's terms.
      plain = `CPU ${e.value} does not exist on this machine (the highest is CPU ${s.maximum})`;
    }
    issues.push({ path: `${prefix}${e.path}`, message: plain });
  }
}

function compileFields(schema: TSchema, where: string): FieldSet {
  const props = objectProperties(schema);
  if (!props || (schema as { type?: unknown }).type !== 'object') {
    throw new TypeError(`${where}: must be an object schema (Type.Object)`);
  }
  const fields = new Map<string, { coerce: Coercer; repeatable: boolean }>();
  for (const [name, sub] of Object.entries(props)) {
    const s = sub as { type?: unknown; items?: unknown };
    // An array field is a repeated key (?cpu=1&cpu=2); each value is coerced as an item.
    fields.set(
      name,
      s.type === 'array'
        ? { coerce: coercerFor(s.items), repeatable: true }
        : { coerce: coercerFor(s), repeatable: false },
    );
  }
  return { check: TypeCompiler.Compile(schema), fields };
}

function coerceFields(
  set: FieldSet,
  entries: Map<string, string[]>,
  prefix: string,
  issues: ValidationIssue[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Keys already reported are left out of `out`; the schema check must not report them again.
  const reported = new Set<string>();
  for (const [key, values] of entries) {
    const path = `${prefix}/${pointer(key)}`;
    const fail = (message: string): void => {
      issues.push({ path, message });
      reported.add(path);
    };
    // A Map, not the schema's properties object: 'constructor' or '__proto__' find nothing.
    const field = set.fields.get(key);
    if (!field) {
      fail(prefix === '/query' ? 'Unknown query parameter' : 'Unknown parameter');
      continue;
    }
    if (!field.repeatable && values.length > 1) {
      fail('Given more than once');
      continue;
    }
    try {
      const coerced = values.map(field.coerce);
      out[key] = field.repeatable ? coerced : coerced[0];
    } catch (e) {
      if (!(e instanceof CoerceError)) throw e;
      fail(e.message);
    }
  }
  const found: ValidationIssue[] = [];
  collect(set.check, out, prefix, found);
  for (const issue of found) {
    const top = issue.path.split('/').slice(0, 3).join('/');
    if (!reported.has(top) && issues.length < MAX_ISSUES) issues.push(issue);
  }
  return out;
}

function entriesOf(record: Record<string, string>): Map<string, string[]> {
  return new Map(Object.entries(record).map(([k, v]) => [k, [v]]));
}

/** `a=1&b=x+y&a=2` → a: ['1', '2'], b: ['x y']. Malformed escapes become issues, not exceptions. */
export function parseQuery(rawQuery: string, issues: ValidationIssue[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      issues.push({ path: '/query', message: `Malformed percent-encoding in '${part.slice(0, 100)}'` });
      continue;
    }
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

/** JSON pointer escaping (RFC 6901), so a key like 'a/b' cannot fake a nested path. */
function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * A body object schema without `additionalProperties` silently accepts misspelt keys: a
 * `{"dryrun": true}` would then write to the kernel. So the route table must decide, per object.
 */
function requireClosedObjects(schema: unknown, where: string, path = ''): void {
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Record<string, unknown>;
  if (s.type === 'object' && s.properties !== undefined && s.additionalProperties === undefined) {
    throw new TypeError(`${where}${path || ''}: object schemas in a body must set additionalProperties`);
  }
  for (const [key, sub] of Object.entries(s)) {
    if (key === 'properties' || key === 'patternProperties') {
      for (const [name, inner] of Object.entries((sub ?? {}) as Record<string, unknown>)) {
        requireClosedObjects(inner, where, `${path}/${name}`);
      }
    } else if (Array.isArray(sub)) {
      sub.forEach((inner, i) => {
        requireClosedObjects(inner, where, `${path}/${key}/${i}`);
      });
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      requireClosedObjects(sub, where, `${path}/${key}`);
    }
  }
}
