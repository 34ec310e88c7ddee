/**
 * The limits of the API that depend on the running daemon, written into the route schemas before
 * the server compiles its validators and builds /openapi.json from them, so the document states
 * what this daemon accepts: CPU ids up to the machine's highest possible CPU (a higher one would
 * be refused as IRQ_ERR_UNKNOWN_CPU although the static schema allows up to 65535), and windows
 * up to --retention (`x-maximum-ms`; a longer one is refused with 400, since there is no history
 * to answer it from). Schemas carry the `x-irqkit-limit` mark (src/api/schemas.ts).
 */
import type { TSchema } from '@sinclair/typebox';
import { formatDuration } from '../core/duration.ts';
import type { RouteSpec } from './http/route.ts';

export interface ApiLimits {
  retentionMs: number;
  /** The highest CPU id that can exist (sysfs `possible`, else the highest online); null: unknown. */
  maxCpu: number | null;
}

type Schema = Record<string, unknown>;

function limited(schema: unknown, limits: ApiLimits): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  if (Array.isArray(schema)) return schema.map((s) => limited(s, limits));
  // Object spread keeps TypeBox's symbol keys (Kind, Optional), which its compiler needs.
  const s: Schema = { ...(schema as Schema) };
  for (const key of ['properties', 'patternProperties']) {
    const props = s[key];
    if (typeof props === 'object' && props !== null) {
      s[key] = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, limited(v, limits)]));
    }
  }
  for (const key of ['items', 'anyOf', 'allOf', 'oneOf', 'prefixItems', 'additionalProperties']) {
    if (s[key] !== undefined && typeof s[key] === 'object') s[key] = limited(s[key], limits);
  }
  switch (s['x-irqkit-limit']) {
    case 'cpu':
      if (limits.maxCpu !== null) {
        s.maximum = limits.maxCpu;
        s.description = `CPU id, at most ${limits.maxCpu} on this machine`;
      }
      break;
    case 'window':
      s['x-maximum-ms'] = limits.retentionMs;
      s.description = `A positive duration: 500ms, 5s, 1m, 15m (a bare number is seconds), at most ${formatDuration(limits.retentionMs)}: the history this daemon keeps (--retention)`;
      break;
    case 'cpulist':
      if (limits.maxCpu !== null) {
        s.description = `${String(s.description)}; CPU ids at most ${limits.maxCpu} here`;
        s['x-maximum-cpu'] = limits.maxCpu;
      }
      break;
  }
  return s;
}

/** The routes with this daemon's limits in their request schemas (responses are left as they are). */
export function withApiLimits(routes: readonly RouteSpec[], limits: ApiLimits): RouteSpec[] {
  return routes.map((r) => ({
    ...r,
    ...(r.params ? { params: limited(r.params, limits) as TSchema } : {}),
    ...(r.query ? { query: limited(r.query, limits) as TSchema } : {}),
    ...(r.body ? { body: limited(r.body, limits) as TSchema } : {}),
  }));
}

/** The highest CPU id of a topology, or null when it lists none. */
export function highestCpu(topology: {
  online: readonly number[];
  possible?: readonly number[];
}): number | null {
  const cpus = topology.possible ?? topology.online;
  let max = -1;
  for (const c of cpus) if (c > max) max = c;
  return max < 0 ? null : max;
}
