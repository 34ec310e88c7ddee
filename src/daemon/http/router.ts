/**
 * Exact-segment routing over a fixed table. About ten endpoints do not need a radix tree, and a
 * linear scan has no parsing corner cases of its own (find-my-way 9 crashes on Node 16).
 * Route tables are checked once at startup so a bad table fails loudly there.
 */
import { isMutating, type PathSegment, parsePattern, type RouteSpec } from './route.ts';

interface CompiledPattern {
  route: RouteSpec;
  segments: PathSegment[];
  /** 's'/'p' per segment: static segments win over parameters at the first difference. */
  shape: string;
}

export type RouteMatch =
  | { kind: 'found'; route: RouteSpec; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

export interface Router {
  match(method: string, segments: readonly string[]): RouteMatch;
}

export function createRouter(routes: readonly RouteSpec[]): Router {
  const table = routes.map(compile);
  checkTable(table);
  return {
    match(method, segments) {
      const hits: Array<{ entry: CompiledPattern; params: Record<string, string> }> = [];
      for (const entry of table) {
        const params = matchSegments(entry.segments, segments);
        if (params) hits.push({ entry, params });
      }
      if (hits.length === 0) return { kind: 'not-found' };
      // HEAD is GET without a body (node's ServerResponse drops the body for HEAD by itself).
      const wanted = method === 'HEAD' ? 'GET' : method;
      const same = hits.filter((h) => h.entry.route.method === wanted);
      if (same.length === 0) {
        const methods = hits.map((h) => h.entry.route.method as string);
        if (methods.includes('GET')) methods.push('HEAD');
        const allow = [...new Set(methods)].sort();
        return { kind: 'method-not-allowed', allow };
      }
      const best = same.reduce((a, b) => (b.entry.shape > a.entry.shape ? b : a));
      return { kind: 'found', route: best.entry.route, params: best.params };
    },
  };
}

function compile(route: RouteSpec): CompiledPattern {
  const segments = parsePattern(route.path);
  // 's' > 'p', so the larger shape is the more specific route.
  const shape = segments.map((s) => (s.kind === 'static' ? 's' : 'p')).join('');
  return { route, segments, shape };
}

function matchSegments(
  pattern: readonly PathSegment[],
  actual: readonly string[],
): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as PathSegment;
    const a = actual[i] as string;
    if (p.kind === 'static') {
      if (p.value !== a) return null;
    } else {
      if (a === '') return null;
      params[p.name] = a;
    }
  }
  return params;
}

function checkTable(table: readonly CompiledPattern[]): void {
  const seenShapes = new Set<string>();
  const seenIds = new Set<string>();
  for (const { route, segments } of table) {
    const where = `${route.method} ${route.path}`;
    const key = `${route.method} ${segments.map((s) => (s.kind === 'static' ? s.value : ':')).join('/')}`;
    if (seenShapes.has(key)) throw new TypeError(`duplicate route ${where}`);
    seenShapes.add(key);
    if (seenIds.has(route.operationId)) throw new TypeError(`duplicate operationId '${route.operationId}'`);
    seenIds.add(route.operationId);
    if (route.method === 'GET' && isMutating(route)) {
      throw new TypeError(`${where}: a GET must not be mutating (browsers send GETs cross-site freely)`);
    }
    const names = segments.flatMap((s) => (s.kind === 'param' ? [s.name] : []));
    if (new Set(names).size !== names.length) throw new TypeError(`${where}: repeated parameter name`);
    const declared = Object.keys(objectProperties(route.params) ?? {});
    if (names.length > 0 || route.params !== undefined) {
      const a = [...names].sort().join(',');
      const b = [...declared].sort().join(',');
      if (a !== b) throw new TypeError(`${where}: params schema declares [${b}] but the path has [${a}]`);
    }
  }
}

/** The properties of an object schema, or undefined for anything else. */
export function objectProperties(schema: unknown): Record<string, unknown> | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const props = (schema as { properties?: unknown }).properties;
  return typeof props === 'object' && props !== null ? (props as Record<string, unknown>) : undefined;
}
