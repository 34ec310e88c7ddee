/**
 * Generators and oracles for fuzzing irqkitd's API from its own /openapi.json: every operation,
 * path parameter, query parameter and request body the document describes gets values that are
 * valid, almost valid, of the wrong type, out of range, hostile (traversal, encodings, lone
 * surrogates, bidi controls, NUL, prototype keys, duplicate keys) or huge. Bodies are built as a
 * small JSON syntax tree and serialised by hand, so that `__proto__` is an own key, keys can be
 * repeated and numbers like 1e400 or -0 reach the server as written.
 */
import fc from 'fast-check';
import type { OpenApiDoc } from '../../src/api/schemas.ts';
import { ERROR_CODES } from '../../src/core/errors.ts';
import type { HttpResponse } from './http.ts';

// --- the OpenAPI document, as much of it as the fuzzer needs ----------------------------------

export interface JsonSchema {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchema[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

export interface Operation {
  method: string;
  /** '/api/v1/irqs/{irq}/affinity' */
  path: string;
  operationId: string;
  pathParams: Array<{ name: string; schema: JsonSchema }>;
  queryParams: Array<{ name: string; schema: JsonSchema }>;
  body: JsonSchema | undefined;
  /** status → content types documented for it, and the error codes for problem answers. */
  responses: Map<number, { types: string[]; codes: string[] | null }>;
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; schema: JsonSchema }>;
      const content = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> } | undefined)
        ?.content;
      const responses = new Map<number, { types: string[]; codes: string[] | null }>();
      for (const [status, r] of Object.entries(op.responses as Record<string, Record<string, unknown>>)) {
        const rc = (r.content ?? {}) as Record<string, { schema?: { allOf?: JsonSchema[] } }>;
        const problem = rc['application/problem+json'];
        const codes = problem?.schema?.allOf?.[1]?.properties?.code as { enum?: string[] } | undefined;
        responses.set(Number(status), { types: Object.keys(rc), codes: codes?.enum ?? null });
      }
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: String(op.operationId),
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        body: content?.['application/json']?.schema,
        responses,
      });
    }
  }
  return out;
}

export const isMutating = (op: Operation): boolean => op.method !== 'GET' && op.method !== 'HEAD';

// --- encoding ----------------------------------------------------------------------------------

/**
 * Percent-encodes every UTF-16 unit outside [A-Za-z0-9-._~]. A lone surrogate, which
 * encodeURIComponent refuses, becomes its 3-byte WTF-8 form (%ED%A0%80): what a hostile client
 * can send, and invalid UTF-8 to the server.
 */
export function pctEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (/[A-Za-z0-9\-._~]/.test(ch)) out += ch;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && /[\udc00-\udfff]/.test(s[i + 1] as string)) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** A value for the request target: already encoded (`raw`) or to be encoded. */
export type TargetPart = { raw: string } | { text: string };
export const encodePart = (p: TargetPart): string => ('raw' in p ? p.raw : pctEncode(p.text));

// --- JSON syntax trees --------------------------------------------------------------------------

export type Json =
  | { t: 'obj'; entries: Array<[string, Json]> }
  | { t: 'arr'; items: Json[] }
  /** Written as is: `1e400`, `-0`, `9007199254740993`. */
  | { t: 'lit'; text: string }
  | { t: 'val'; value: string | number | boolean | null };

export function serialize(j: Json): string {
  switch (j.t) {
    case 'obj':
      return `{${j.entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(',')}}`;
    case 'arr':
      return `[${j.items.map(serialize).join(',')}]`;
    case 'lit':
      return j.text;
    case 'val':
      return JSON.stringify(j.value);
  }
}

const val = (value: string | number | boolean | null): Json => ({ t: 'val', value });
const lit = (text: string): Json => ({ t: 'lit', text });

// --- value generators ---------------------------------------------------------------------------

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Strings to be percent-encoded: lone surrogates, bidi overrides, NUL, zero-width, look-alikes. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '24\u0000',
    '\u202e42',
    '\u200f24',
    '\u2066x\u2069',
    '\ufeff24',
    '\ud800',
    '\udfff24',
    '24\ud83d',
    '\u0662\u0664', // Arabic-Indic "24"
    '\uff12\uff14', // fullwidth "24"
    '../24',
    '..\\24',
    '/etc/passwd',
    '24/../25',
    'a'.repeat(5000),
    '\r\n',
    '%',
    '%00',
  ),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => `${String.fromCharCode(c)}1`),
);

/** Path segments sent exactly as written: traversal in its usual disguises. */
export const RAW_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '..%2f..%2fetc%2fpasswd',
  '..%2F24',
  '%2e%2e%2f',
  '%252e%252e', // double-encoded: one decoding gives %2e%2e, a string, not dots
  '%252f',
  '%c0%ae%c0%ae', // overlong UTF-8 dots
  '%c0%af',
  '%e0%80%ae',
  '..%5c..%5c',
  '%5c',
  '..;',
  '24;x=1',
  '24%00',
  '%00',
  '24%0d%0aX-Injected:%201',
  '24%23frag',
  '%ZZ',
  '%',
  '%2',
  '%ed%a0%80', // lone surrogate in WTF-8
  '%ef%bb%bf24', // BOM
  '%e2%80%ae42', // RLO
  '24%20',
  '%2024',
  '+24',
  '0x18',
  '1e3',
  '24.0',
  '-1',
  '-0',
  '00000000000000000000024',
  '1048576',
  '9007199254740993',
  '99999999999999999999999999999999',
  '',
];

export interface FuzzContext {
  /** Existing IRQ numbers of the machine (movable and managed). */
  irqs: string[];
  /** The retention the daemon runs with, e.g. '3s'. */
  retention: string;
}

const DURATION_GOOD = ['100ms', '500ms', '1s', '2s', '1', '1.5s', '0.5', '3s', '3000ms'];
const DURATION_BAD = [
  ' 1s ',
  '200 ms',
  '0',
  '0ms',
  '-1s',
  '1d',
  '1y',
  '1.5.5s',
  '1e3',
  'NaN',
  'Infinity',
  '',
  '1s\u0000',
  '1\u202es',
  '１s',
  '999999999999999h', // syntactically fine, far beyond --retention
  '9999999999999999',
  '15m',
  '1h',
  '4s', // just beyond a 3 s retention
  'x'.repeat(17),
];
const CPULIST_GOOD = ['0', '0-3', '0,2,4', '0-7', '1-4', '0-4:1/2', '6,7', '0-7:2/4'];
const CPULIST_BAD = [
  '-1',
  '5', // offline on the fuzz machine
  '8',
  '4096',
  '4097',
  '0-4096',
  '0-65535',
  '65536',
  '4294967296',
  '9007199254740993',
  '0-',
  '7-0',
  '0,,1',
  '0-4:0/1',
  'a',
  ' ',
  '',
  '0,'.repeat(2000),
  'all',
];
const BOOL_GOOD = ['true', 'false'];
const BOOL_BAD = ['TRUE', 'yes', '', '2', 'true\u0000', 'null', '1', '0'];
const NUMBER_GOOD = ['0', '5', '100', '2.5', '0.25'];
const NUMBER_BAD = [
  '-1',
  '101',
  'NaN',
  '1e400',
  '0x10',
  'Infinity',
  '-0.0000001',
  '1,5',
  '',
  '0.0',
  '-0',
  '1.0',
  '1e-400',
];

function isDuration(s: JsonSchema): boolean {
  return typeof s.pattern === 'string' && s.pattern.includes('ms|s|m|h');
}
function isCpuList(s: JsonSchema): boolean {
  return typeof s.pattern === 'string' && s.pattern.includes('0-9,');
}
function isIrqString(s: JsonSchema): boolean {
  return s.pattern === '^[0-9]{1,7}$';
}

/** A query (or path) value for a parameter, as text: mostly plausible, often not. */
export function textFor(name: string, schema: JsonSchema, ctx: FuzzContext): fc.Arbitrary<string> {
  const pick = (good: readonly string[], bad: readonly string[]): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...good) },
      { weight: 4, arbitrary: fc.constantFrom(...bad) },
      { weight: 1, arbitrary: hostileText },
    );
  if (isDuration(schema)) return pick(DURATION_GOOD, DURATION_BAD);
  if (isCpuList(schema)) return pick(CPULIST_GOOD, CPULIST_BAD);
  if (schema.type === 'boolean') return pick(BOOL_GOOD, BOOL_BAD);
  if (schema.type === 'integer' && name !== 'irq') {
    return pick(['0', '1', '3', '10'], ['-1', '-0', '1.0', '1e2', 'x', '9007199254740993']);
  }
  if (schema.type === 'number') return pick(NUMBER_GOOD, NUMBER_BAD);
  if (schema.type === 'integer' || name === 'irq') {
    return pick(ctx.irqs, ['9999', '0', '1048575', '1048576', '-1', '4294967296', '1.5', 'abc']);
  }
  const consts = (schema.anyOf ?? []).map((m) => m.const).filter((c): c is string => typeof c === 'string');
  if (consts.length > 0) return pick(consts, consts.map((c) => c.toUpperCase()).concat(['xml', '', ' json']));
  return hostileText;
}

/** CPU numbers: the machine's, offline, beyond it, beyond 4096, beyond 2^16 and 2^53, not integers. */
const cpuJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 9 }).map(val) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(-1, 4095, 4096, 4097, 8191, 65535, 65536, 1_000_000, 2 ** 31, 2 ** 32, 1.5, -0.5)
      .map(val),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('1e400', '-0', '9007199254740993', '1E2', '0.0', '-1e-7', '00').map(lit),
  },
);

function irqJson(ctx: FuzzContext): fc.Arbitrary<Json> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ctx.irqs).map(val) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom('9999', '0', '1048575', '12345678', '024', '../24', '24/..', '', ' 24', '24 ', '0x18')
        .map(val),
    },
    { weight: 1, arbitrary: hostileText.map(val) },
    { weight: 1, arbitrary: fc.constantFrom<Json>(val(24), val(null), { t: 'arr', items: [val('24')] }) },
  );
}

/** Any JSON value, shallow: the wrong type for wherever it lands. */
const wrongType: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    val(null),
    val(true),
    val(''),
    val(0),
    val('1'),
    { t: 'arr', items: [] },
    { t: 'obj', entries: [] },
    lit('1e400'),
    { t: 'obj', entries: [['__proto__', { t: 'obj', entries: [['polluted', val(true)]] }]] },
  ),
  fc.jsonValue({ maxDepth: 2 }).map((v) => lit(JSON.stringify(v) ?? 'null')),
  hostileText.map(val),
);

/** A body value for a schema: valid most of the time at each node, else out of range or wrong. */
export function jsonFor(schema: JsonSchema, ctx: FuzzContext, key = ''): fc.Arbitrary<Json> {
  const node = ((): fc.Arbitrary<Json> => {
    if (schema.anyOf) return fc.oneof(...schema.anyOf.map((m) => jsonFor(m, ctx, key)));
    if (schema.const !== undefined) return fc.constant(val(schema.const as string));
    switch (schema.type) {
      case 'object':
        return objectJson(schema, ctx);
      case 'array': {
        const items = jsonFor(schema.items ?? {}, ctx, key);
        return fc.oneof(
          {
            weight: 8,
            arbitrary: fc.array(items, { maxLength: 5 }).map((xs): Json => ({ t: 'arr', items: xs })),
          },
          // Long arrays: near and beyond the 64 KiB body cap, and beyond maxItems.
          {
            weight: 1,
            arbitrary: fc
              .tuple(items, fc.integer({ min: 100, max: 20_000 }))
              .map(([x, n]): Json => ({ t: 'arr', items: new Array<Json>(n).fill(x) })),
          },
        );
      }
      case 'integer':
        return cpuJson;
      case 'number':
        return fc.oneof(
          fc.constantFrom(...NUMBER_GOOD).map((s) => val(Number(s))),
          fc.constantFrom('-1', '101', '1e400', '-0').map(lit),
        );
      case 'boolean':
        return fc.oneof({ weight: 4, arbitrary: fc.boolean().map(val) }, { weight: 1, arbitrary: wrongType });
      case 'string':
        if (isIrqString(schema)) return irqJson(ctx);
        if (isDuration(schema))
          return fc.oneof(
            fc.constantFrom(...DURATION_GOOD).map(val),
            fc.constantFrom(...DURATION_BAD).map(val),
          );
        if (isCpuList(schema))
          return fc.oneof(
            fc.constantFrom(...CPULIST_GOOD).map(val),
            fc.constantFrom(...CPULIST_BAD).map(val),
          );
        return hostileText.map(val);
      default:
        return wrongType;
    }
  })();
  return fc.oneof({ weight: 12, arbitrary: node }, { weight: 1, arbitrary: wrongType });
}

function objectJson(schema: JsonSchema, ctx: FuzzContext): fc.Arbitrary<Json> {
  const required = new Set(schema.required ?? []);
  const props = Object.entries(schema.properties ?? {}).map(([name, sub]) =>
    fc.record({
      present: fc.integer({ min: 0, max: 9 }).map((r) => r < (required.has(name) ? 9 : 5)),
      // A repeated key: JSON.parse keeps the last one.
      twice: fc.integer({ min: 0, max: 24 }).map((r) => r === 0),
      value: jsonFor(sub, ctx, name),
      other: jsonFor(sub, ctx, name),
      name: fc.constant(name),
    }),
  );
  const extras = fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...PROTO_KEYS),
        fc.constantFrom('dryrun', 'DryRun', 'cpus', 'irq', 'force', ''),
        hostileText,
      ),
      wrongType,
    ),
    { maxLength: 2 },
  );
  return fc
    .tuple(
      fc.tuple(...props),
      fc.oneof({ weight: 5, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extras }),
    )
    .map(([fields, more]): Json => {
      const entries: Array<[string, Json]> = [];
      for (const f of fields) {
        if (!f.present) continue;
        if (f.twice) entries.push([f.name, f.other]);
        entries.push([f.name, f.value]);
      }
      for (const [k, v] of more) entries.push([k, v]);
      return { t: 'obj', entries };
    });
}

/** Bodies no schema would suggest: nesting, encodings, sizes, truncation. */
export const rawBody: fc.Arbitrary<{ what: string; body: Buffer }> = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }).map((n) => ({
    what: `array nested ${n} deep`,
    body: Buffer.from(`${'['.repeat(n)}${']'.repeat(n)}`),
  })),
  fc.integer({ min: 1, max: 12_000 }).map((n) => ({
    what: `object nested ${n} deep`,
    body: Buffer.from(`${'{"cpu":'.repeat(n)}1${'}'.repeat(n)}`),
  })),
  fc.integer({ min: 60_000, max: 200_000 }).map((n) => ({
    what: `${n} bytes of blanks`,
    body: Buffer.from(`{"cpu":1${' '.repeat(n)}}`),
  })),
  fc.uint8Array({ maxLength: 64 }).map((b) => ({ what: 'random bytes', body: Buffer.from(b) })),
  fc
    .constantFrom(
      '',
      '{',
      '}',
      'null',
      '[]',
      '""',
      '{"cpu":1}garbage',
      '{"cpu":1}{"cpu":2}',
      '\ufeff{"cpu":1}',
      '{"cpu":"\\ud800"}',
      '{"\\u0000":1}',
      '{"cpu":1,"cpu":2,"cpu":3}',
      '{"__proto__":{"cpu":1}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"cpu":1e400}',
      '{"cpu":-0}',
      '{"cpu":9007199254740993}',
      '{"cpu":0x1}',
      "{'cpu':1}",
      '{"cpu":1,}',
    )
    .map((s) => ({ what: JSON.stringify(s), body: Buffer.from(s) })),
  fc
    .constantFrom(
      [0x7b, 0x22, 0x63, 0xff, 0x22, 0x3a, 0x31, 0x7d], // invalid UTF-8 inside a key
      [0xed, 0xa0, 0x80], // a WTF-8 lone surrogate
      [0xc0, 0xae], // overlong '.'
      [0xef, 0xbb, 0xbf, 0x7b, 0x7d], // UTF-8 BOM then {}
      [0x00, 0x7b, 0x7d],
    )
    .map((b) => ({ what: `bytes ${b.map((x) => x.toString(16)).join(' ')}`, body: Buffer.from(b) })),
);

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/json, text/plain',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/problem+json',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

// --- the oracle -----------------------------------------------------------------------------------

export interface Verdict {
  /** The error code of a problem answer, undefined for a success. */
  code: string | undefined;
}

/**
 * Checks one answer: a problem document for an error (catalogued code whose status is the
 * answer's, never IRQ_ERR_INTERNAL), and a status and content type the operation documents.
 * `routing` lists the statuses allowed on top when the request may not reach the operation at
 * all (404 for an empty path segment). Returns the code, or throws a description.
 */
export function judge(op: Operation, res: HttpResponse, routing: readonly number[] = []): Verdict {
  const type = String(res.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  const where = `${op.method} ${op.path} → ${res.status} ${res.text.slice(0, 300)}`;
  let code: string | undefined;
  if (res.status >= 400 && type === 'application/problem+json') {
    const p = res.json<{ code: string; status: number; type: string; detail: string }>();
    if (!(p.code in ERROR_CODES)) throw new Error(`uncatalogued code: ${where}`);
    const spec = ERROR_CODES[p.code as keyof typeof ERROR_CODES];
    if (spec.status !== res.status || p.status !== res.status)
      throw new Error(`status is not the code's: ${where}`);
    if (p.type !== `urn:irqkit:error:${p.code}`) throw new Error(`problem type: ${where}`);
    if (typeof p.detail !== 'string' || p.detail === '') throw new Error(`problem detail: ${where}`);
    if (p.code === 'IRQ_ERR_INTERNAL') throw new Error(`internal error: ${where}`);
    code = p.code;
  }
  if (routing.includes(res.status)) return { code };
  const doc = op.responses.get(res.status);
  if (!doc) throw new Error(`undocumented status: ${where}`);
  const base = (t: string): string => (t.split(';')[0] ?? '').trim().toLowerCase();
  if (res.status !== 204 && !doc.types.map(base).includes(type ?? '')) {
    throw new Error(
      `content type ${type} is not documented for ${res.status} (${doc.types.join(', ')}): ${where}`,
    );
  }
  if (code !== undefined && doc.codes !== null && !doc.codes.includes(code)) {
    throw new Error(`code ${code} is not documented for ${res.status} (${doc.codes.join(', ')}): ${where}`);
  }
  if (res.status < 300 && /json/.test(type ?? '')) res.json(); // parses, or throws
  return { code };
}

/** Tallies per operation and status, for the log and docs/robustness.md. */
export class Tally {
  private readonly counts = new Map<string, Map<string, number>>();

  add(what: string, status: number, code: string | undefined): void {
    const m = this.counts.get(what) ?? new Map<string, number>();
    const key = code === undefined ? String(status) : `${status} ${code.replace('IRQ_ERR_', '')}`;
    m.set(key, (m.get(key) ?? 0) + 1);
    this.counts.set(what, m);
  }

  total(): number {
    let n = 0;
    for (const m of this.counts.values()) for (const v of m.values()) n += v;
    return n;
  }

  lines(): string[] {
    return [...this.counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([what, m]) => {
        const n = [...m.values()].reduce((a, b) => a + b, 0);
        const parts = [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`);
        return `${what}: ${n} (${parts.join(', ')})`;
      });
  }
}

// --- the document as a contract: what it allows must be accepted, what it forbids refused -------

/** The document's JSON Schema keywords that the daemon's schemas use. */
export interface ContractSchema extends JsonSchema {
  minLength?: number;
  uniqueItems?: boolean;
  additionalProperties?: boolean;
  allOf?: ContractSchema[];
  'x-irqkit-limit'?: string;
  'x-maximum-ms'?: number;
  'x-maximum-cpu'?: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The document's cpulist rules: syntax by pattern; ranges ascending, USED <= GROUP, GROUP > 0, CPUs up to the maximum. */
function cpulistAllowed(text: string, max: number | undefined): boolean {
  for (const region of text.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(region);
    if (!m) return false;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first > last) return false;
    if (m[3] !== undefined && (Number(m[4]) === 0 || Number(m[3]) > Number(m[4]))) return false;
    if (max !== undefined && last > max) return false;
  }
  return true;
}

/** Whether `value` is allowed by `schema` as the document states it (standard keywords and the x- limits). */
export function schemaAllows(schema: ContractSchema, value: unknown): boolean {
  if (schema.anyOf && !schema.anyOf.some((m) => schemaAllows(m, value))) return false;
  if (schema.allOf && !schema.allOf.every((m) => schemaAllows(m, value))) return false;
  if (schema.const !== undefined && value !== schema.const) return false;
  switch (schema.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return false;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      break;
    case 'string':
      if (typeof value !== 'string') return false;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return false;
      break;
    case 'array':
      if (!Array.isArray(value)) return false;
      break;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      break;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return false;
    if (schema.maximum !== undefined && value > schema.maximum) return false;
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.maxLength !== undefined && length > schema.maxLength) return false;
    if (schema.minLength !== undefined && length < schema.minLength) return false;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return false;
    if (schema['x-maximum-ms'] !== undefined) {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
      if (m && Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1) > schema['x-maximum-ms']) return false;
    }
    if (schema['x-irqkit-limit'] === 'cpulist' && !cpulistAllowed(value, schema['x-maximum-cpu']))
      return false;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return false;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return false;
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
      return false;
    if (schema.items && !value.every((v) => schemaAllows(schema.items as ContractSchema, v))) return false;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, ContractSchema>;
    for (const r of schema.required ?? []) if (!Object.hasOwn(obj, r)) return false;
    for (const [k, v] of Object.entries(obj)) {
      const sub = props[k];
      if (sub === undefined) {
        if (schema.additionalProperties === false) return false;
      } else if (!schemaAllows(sub, v)) return false;
    }
  }
  return true;
}

/**
 * A query or path value as the document types it, or `undefined` when the text is no value of
 * that type: integers as decimal digits (no minus zero), numbers as canonical JSON numbers,
 * booleans as true/false.
 */
export function typedText(schema: ContractSchema, text: string): unknown {
  const members = schema.anyOf ?? [schema];
  for (const m of members) {
    const type = m.const !== undefined ? typeof m.const : m.type;
    let v: unknown;
    if (type === 'integer') v = /^-?\d{1,15}$/.test(text) && !/^-0+$/.test(text) ? Number(text) : undefined;
    else if (type === 'number') v = isCanonicalJsonNumber(text) ? Number(text) : undefined;
    else if (type === 'boolean') v = text === 'true' ? true : text === 'false' ? false : undefined;
    else v = text;
    if (v !== undefined && schemaAllows(m, v)) return v;
  }
  return undefined;
}

function isCanonicalJsonNumber(text: string): boolean {
  if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return false;
  const n = Number(text);
  if (!Number.isFinite(n) || Object.is(n, -0)) return false;
  return Number.isInteger(n) ? /^-?(0|[1-9]\d*)$/.test(text) : true;
}

/**
 * The body as the document reads it: undefined when the text is not plain JSON the document can
 * judge (duplicate or prototype keys: the schema has nothing to say about them), else
 * `{ value, canonical }` where canonical is false for numbers like -0, 1.0 or 1e400.
 */
export function bodyValue(tree: Json): { value: unknown; canonical: boolean } | undefined {
  let canonical = true;
  const walk = (j: Json): unknown => {
    switch (j.t) {
      case 'obj': {
        const keys = j.entries.map(([k]) => k);
        if (new Set(keys).size !== keys.length || keys.some((k) => PROTO_KEYS.includes(k)))
          throw new Error('ambiguous');
        return Object.fromEntries(j.entries.map(([k, v]) => [k, walk(v)]));
      }
      case 'arr':
        return j.items.map(walk);
      case 'lit': {
        if (!isCanonicalJsonNumber(j.text)) canonical = false;
        const n = Number(j.text);
        return Number.isFinite(n) ? n : null;
      }
      case 'val':
        if (typeof j.value === 'number' && !isCanonicalJsonNumber(JSON.stringify(j.value))) canonical = false;
        if (
          typeof j.value === 'string' &&
          /[\ud800-\udfff]/.test(j.value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))
        ) {
          throw new Error('ambiguous'); // a lone surrogate is not valid UTF-8 on the wire
        }
        return j.value;
    }
  };
  try {
    const value = walk(tree);
    return { value, canonical };
  } catch {
    return undefined;
  }
}
