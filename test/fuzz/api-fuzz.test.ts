/**
 * Every operation of irqkitd's own /openapi.json, fuzzed against the real bundled daemon on a
 * simulated machine (`8cpu,2node,offline=5`, `--retention 3s`, `--max-wait 500ms`): path
 * parameters, query strings, bodies, methods and raw request lines, with fixed seeds.
 *
 * The oracle for every answer: a status the operation documents (or 404/405 where the request
 * cannot reach it), with the documented content type; an error is an application/problem+json
 * document with a catalogued code whose status is the answer's, and never IRQ_ERR_INTERNAL. After
 * every changing request the simulated /proc/irq/N/smp_affinity_list files must equal what they
 * were, plus exactly the writes a 2xx answer reports as applied. At the end the daemon is alive,
 * healthy and logged no internal error.
 *
 * The contract holds both ways: a request the document allows (params, query and body checked
 * against its schemas, including the limits it states at run time: the machine's highest CPU, the
 * retention as the longest window, the cpulist rules) is never refused for its form, and one it
 * forbids is refused with 400.
 *
 * The operations come from the live document, so a new route is fuzzed without touching this
 * file; an operation whose effect on affinities the oracle cannot predict (restore, pins) may
 * change them only with a 2xx answer.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BatchResult, OpenApiDoc, PlanApplyResult, SetAffinityResult } from '../../src/api/schemas.ts';
import { formatCpuList } from '../../src/core/cpuset.ts';
import {
  bodyValue,
  type ContractSchema,
  contentType,
  encodePart,
  type FuzzContext,
  hostileText,
  isMutating,
  jsonFor,
  judge,
  type Operation,
  operationsOf,
  PROTO_KEYS,
  pctEncode,
  RAW_SEGMENTS,
  rawBody,
  schemaAllows,
  serialize,
  Tally,
  type TargetPart,
  textFor,
  typedText,
} from '../helpers/api-fuzz.ts';
import { type DaemonProcess, eventually, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { type HttpRequest, type HttpResponse, sendRaw } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

/**
 * The affinity writes a 2xx answer says were applied, or null for an operation whose effect the
 * oracle does not model (the state is then re-read).
 */
function appliedWrites(op: Operation, body: unknown): Array<[string, string]> | null {
  const applied = (r: BatchResult): Array<[string, string]> =>
    r.dryRun
      ? []
      : r.outcomes.filter((o) => o.ok && !o.rolledBack).map((o) => [o.irq, formatCpuList(o.affinity)]);
  switch (op.operationId) {
    case 'setIrqAffinity': {
      const o = body as SetAffinityResult;
      return [[o.irq, formatCpuList(o.affinity)]];
    }
    case 'applyAffinityBatch':
      return applied(body as BatchResult);
    case 'applyPlan':
      return applied((body as PlanApplyResult).result);
    default:
      return null;
  }
}

const tally = new Tally();

describe('irqkitd answers fuzzed requests to every documented operation (real daemon process)', () => {
  let d: DaemonProcess;
  let ops: Operation[];
  let ctx: FuzzContext;
  /** smp_affinity_list of every IRQ as the oracle expects it. */
  let expected: Record<string, string>;
  /** A movable eth0 queue, for the named cases. */
  let movable: string;
  const opById = (id: string): Operation => {
    const op = ops.find((o) => o.operationId === id);
    assert.ok(op, `the API has ${id}`);
    return op;
  };

  const affinities = (): Record<string, string> => {
    const dir = join(d.procRoot, 'irq');
    const out: Record<string, string> = {};
    for (const irq of readdirSync(dir).filter((n) => /^\d+$/.test(n))) {
      out[irq] = readFileSync(join(dir, irq, 'smp_affinity_list'), 'utf8').trim();
    }
    return out;
  };

  /** Sends, judges, tallies, and for a changing request checks the simulated procfs. */
  const exchange = async (
    op: Operation,
    req: HttpRequest,
    what: string,
    routing: readonly number[] = [],
  ): Promise<HttpResponse> => {
    let res: HttpResponse;
    try {
      res = await d.request({ timeoutMs: 20_000, ...req });
    } catch (e) {
      throw new Error(`${what}: no answer (${String(e)}); daemon running: ${d.running()}`, { cause: e });
    }
    let code: string | undefined;
    try {
      // A HEAD answer has headers and no body to judge: a GET's 200, a 405, or 400 when the
      // HEAD carried a body (GET routes take none).
      if (req.method === 'HEAD') {
        const ok = res.status === 200 || res.status === 405 || (res.status === 400 && req.body !== undefined);
        assert.ok(ok, `HEAD → ${res.status}`);
      } else code = judge(op, res, routing).code;
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
    tally.add(op.operationId, res.status, code);
    if (isMutating(op) || req.method !== op.method) {
      const actual = affinities();
      if (res.status >= 200 && res.status < 300 && req.method === op.method) {
        const applied = appliedWrites(op, res.json());
        if (applied === null) expected = actual;
        else for (const [irq, list] of applied) expected[irq] = list;
      }
      assert.deepEqual(actual, expected, `${what} → ${res.status} ${res.text.slice(0, 200)}: affinities`);
    }
    return res;
  };

  /**
   * For uploads over the 64 KiB cap: the daemon answers 413 and closes the connection before the
   * body is read, and a client still writing may see only EPIPE/ECONNRESET (Node 16's client
   * does, often) instead of the answer. That is the refusal working; what must hold is that the
   * daemon is alive and nothing changed.
   */
  const exchangeUpload = async (
    op: Operation,
    req: HttpRequest,
    what: string,
    routing: readonly number[],
  ) => {
    try {
      await exchange(op, req, what, routing);
    } catch (e) {
      const errno = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      const size = req.body === undefined ? 0 : Buffer.byteLength(req.body);
      if (!(size > 64 * 1024 && (errno === 'EPIPE' || errno === 'ECONNRESET'))) throw e;
      assert.equal(d.running(), true, `${what}: the daemon died`);
      assert.deepEqual(affinities(), expected, `${what}: affinities after a cut upload`);
      tally.add(op.operationId, 0, `cut upload (${errno})`);
    }
  };

  before(async () => {
    d = await startDaemon(simArgs('8cpu,2node,offline=5', ['--retention', '3s', '--max-wait', '500ms']));
    // Windows up to --retention answer at once from here on, so wait=true costs no time.
    await eventually(
      'three seconds of history',
      async () => {
        const h = (await d.request({ path: '/healthz' })).json<{ sampler: { historySeconds: number } }>();
        return h.sampler.historySeconds >= 2.9 ? true : undefined;
      },
      10_000,
    );
    const all = operationsOf((await d.request({ path: '/openapi.json' })).json<OpenApiDoc>());
    // HEAD operations are their GET without a body: fuzzed through the GETs (the methods case).
    ops = all.filter((o) => o.method !== 'HEAD');
    for (const get of ops.filter((o) => o.method === 'GET')) {
      assert.ok(
        all.some((o) => o.method === 'HEAD' && o.path === get.path),
        `HEAD ${get.path} is documented`,
      );
    }
    const irqs = (await d.request({ path: '/api/v1/irqs' })).json<{
      irqs: Array<{ irq: string; name: string }>;
    }>();
    ctx = { irqs: irqs.irqs.map((i) => i.irq), retention: '3s' };
    movable = irqs.irqs.find((i) => i.name === 'eth0-TxRx-0')?.irq ?? '';
    assert.ok(movable, 'the simulated machine has eth0-TxRx-0');
    expected = affinities();
  });

  after(async () => {
    for (const line of tally.lines()) console.log(`# ${line}`);
    console.log(`# ${tally.total()} fuzzed requests in all`);
    const r = await d?.stop();
    assert.equal(r?.code, 0, `irqkitd exits 0 on SIGTERM; stderr:\n${d?.stderr().slice(-2000)}`);
  });

  const opArb = (filter: (op: Operation) => boolean): fc.Arbitrary<Operation> => {
    const chosen = ops.filter(filter);
    assert.ok(chosen.length > 0);
    return fc.constantFrom(...chosen);
  };

  /** Fills the path template: `{name}` → an encoded part. */
  const fill = (op: Operation, parts: Record<string, TargetPart>): string =>
    op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      encodePart(parts[name] ?? { text: ctx.irqs[0] as string }),
    );

  const bodyOf = (op: Operation): fc.Arbitrary<string | undefined> =>
    op.body === undefined ? fc.constant(undefined) : jsonFor(op.body, ctx).map(serialize);

  it('path parameters: plausible, out of range, traversal and encoded variants, Unicode', {
    timeout: 120_000,
  }, async () => {
    const segment: fc.Arbitrary<TargetPart> = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...ctx.irqs).map((text) => ({ text })) },
      { weight: 2, arbitrary: fc.integer({ min: -10, max: 2_000_000 }).map((n) => ({ text: String(n) })) },
      { weight: 4, arbitrary: fc.constantFrom(...RAW_SEGMENTS).map((raw) => ({ raw })) },
      { weight: 3, arbitrary: hostileText.map((text) => ({ text })) },
    );
    const withParams = ops.filter((op) => op.pathParams.length > 0);
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...withParams)
          .chain((op) =>
            fc.tuple(
              fc.constant(op),
              fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, segment]))),
              bodyOf(op),
            ),
          ),
        async ([op, parts, body]) => {
          const path = fill(op, parts as Record<string, TargetPart>);
          const empty = Object.values(parts as Record<string, TargetPart>).some((p) => encodePart(p) === '');
          await exchange(
            op,
            {
              method: op.method,
              path,
              ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
            },
            `${op.method} ${path} ${body ?? ''}`.slice(0, 300),
            empty ? [404] : [],
          );
        },
      ),
      { seed: 0x0a11, numRuns: 600, includeErrorInReport: true },
    );
  });

  it('query strings: every parameter with good, bad and hostile values, unknown, repeated and prototype keys', {
    timeout: 120_000,
  }, async () => {
    const pairsFor = (op: Operation): fc.Arbitrary<Array<[TargetPart, TargetPart]>> => {
      const known = op.queryParams.map((p) =>
        fc.tuple(
          fc.constant<TargetPart>({ text: p.name }),
          textFor(p.name, p.schema, ctx).map((text) => ({ text })),
        ),
      );
      const stray = fc.tuple(
        fc.oneof(
          fc.constantFrom(...PROTO_KEYS).map((text): TargetPart => ({ text })),
          fc
            .constantFrom('%ZZ', 'a%00', 'window%00', '+', '=', '&', 'Window', 'wait[]')
            .map((raw): TargetPart => ({ raw })),
          hostileText.map((text): TargetPart => ({ text })),
        ),
        fc.oneof(
          hostileText.map((text): TargetPart => ({ text })),
          fc.constantFrom({ raw: '%ZZ' }, { raw: '' }),
        ),
      );
      const pair =
        known.length > 0
          ? fc.oneof({ weight: 8, arbitrary: fc.oneof(...known) }, { weight: 1, arbitrary: stray })
          : stray;
      return fc.array(pair, { maxLength: 5 });
    };
    await fc.assert(
      fc.asyncProperty(
        opArb(() => true).chain((op) => fc.tuple(fc.constant(op), pairsFor(op), bodyOf(op))),
        async ([op, pairs, body]) => {
          const query = pairs.map(([k, v]) => `${encodePart(k)}=${encodePart(v)}`).join('&');
          const path = `${fill(op, {})}${query === '' ? '' : `?${query}`}`;
          // The body that goes with the query may be over the cap: a cut upload is a refusal too.
          await exchangeUpload(
            op,
            {
              method: op.method,
              path,
              ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
            },
            `${op.method} ${path}`.slice(0, 300),
            [],
          );
        },
      ),
      { seed: 0x0b22, numRuns: 900, includeErrorInReport: true },
    );
  });

  it('bodies: schema-shaped values of every kind, wrong types, duplicate and prototype keys, deep nesting, huge arrays, bad encodings', {
    timeout: 180_000,
  }, async () => {
    // GET operations too: a body where none belongs must be refused like any other.
    const withBody = fc.oneof(
      { weight: 6, arbitrary: opArb((op) => op.body !== undefined) },
      { weight: 1, arbitrary: opArb((op) => op.method === 'GET') },
    );
    await fc.assert(
      fc.asyncProperty(
        withBody.chain((op) =>
          fc.tuple(
            fc.constant(op),
            fc.oneof(
              {
                weight: 5,
                arbitrary: bodyOf(op).map((b) => ({ what: b ?? '', body: Buffer.from(b ?? '') })),
              },
              { weight: 1, arbitrary: rawBody },
            ),
            contentType,
            fc.boolean(),
          ),
        ),
        async ([op, { what, body }, type, chunked]) => {
          const headers: Record<string, string> = {};
          if (type !== undefined) headers['content-type'] = type;
          // Chunked uploads have no length to refuse early; the cap must cut them while streaming.
          if (chunked && body.length > 0) headers['transfer-encoding'] = 'chunked';
          const path = fill(op, {});
          // Every operation documents 413 and 415, GETs included: nothing is allowed on top.
          await exchangeUpload(
            op,
            { method: op.method, path, body, headers },
            `${op.method} ${path} [${type}${chunked ? ', chunked' : ''}] ${what.slice(0, 200)}${what.length > 200 ? `…(${body.length} bytes)` : ''}`,
            [],
          );
        },
      ),
      { seed: 0x0c33, numRuns: 1200, includeErrorInReport: true },
    );
  });

  it('both directions: every request the document allows is accepted, every one it forbids is refused with 400', {
    timeout: 240_000,
  }, async () => {
    // A valid request may still meet a documented semantic refusal: no such IRQ (404), an offline
    // CPU or a managed IRQ (409), nothing to plan (422), not enough history (503). What it must
    // never get is a complaint about its form.
    const FORM_CODES = new Set(['IRQ_ERR_USAGE', 'IRQ_ERR_CPUSET']);
    const irqText = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ctx.irqs) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('9999', '0', '1048575', '1048576', '-0', '-1', '1.0', '2e1', ''),
      },
    );
    const lonely = (t: string): boolean =>
      /[\ud800-\udfff]/.test(t.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
    let valid = 0;
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(
        opArb(() => true).chain((op) =>
          fc.tuple(
            fc.constant(op),
            fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, irqText]))),
            fc.array(
              op.queryParams.length === 0
                ? fc.constant(undefined)
                : fc
                    .constantFrom(...op.queryParams)
                    .chain((p) => fc.tuple(fc.constant(p), textFor(p.name, p.schema, ctx))),
              { maxLength: 3 },
            ),
            op.body === undefined ? fc.constant(undefined) : jsonFor(op.body, ctx),
          ),
        ),
        async ([op, params, rawPairs, tree]) => {
          const pairs = rawPairs.filter((x) => x !== undefined);
          if (pairs.some(([, t]) => lonely(t))) return; // not UTF-8 on the wire: no value to judge
          let allowed = Object.entries(params).every(
            ([name, text]) =>
              typedText(
                op.pathParams.find((p) => p.name === name)?.schema as ContractSchema,
                text as string,
              ) !== undefined,
          );
          const seen = new Map<string, number>();
          for (const [p, text] of pairs) {
            seen.set(p.name, (seen.get(p.name) ?? 0) + 1);
            const item =
              p.schema.type === 'array' ? (p.schema.items as ContractSchema) : (p.schema as ContractSchema);
            if (typedText(item, text) === undefined) allowed = false;
          }
          for (const p of op.queryParams)
            if (p.schema.type !== 'array' && (seen.get(p.name) ?? 0) > 1) allowed = false;
          let body: string | undefined;
          if (tree !== undefined) {
            const read = bodyValue(tree);
            if (read === undefined) return; // duplicate or prototype keys: the schema says nothing
            if (!read.canonical || !schemaAllows(op.body as ContractSchema, read.value)) allowed = false;
            body = serialize(tree);
            if (Buffer.byteLength(body) > 64 * 1024) return; // the size cap is fuzzed with the bodies
          }
          const query = pairs.map(([p, t]) => `${p.name}=${pctEncode(t)}`).join('&');
          const path = `${op.path.replace(/\{(\w+)\}/g, (_m, name: string) => pctEncode(String(params[name])))}${query ? `?${query}` : ''}`;
          const what = `${op.method} ${path} ${body ?? ''}`.slice(0, 400);
          if (Object.values(params).some((t) => t === '')) return; // another route, or none
          const res = await exchange(
            op,
            {
              method: op.method,
              path,
              ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
            },
            what,
          );
          const problem = String(res.headers['content-type'] ?? '').startsWith('application/problem+json');
          // A batch answers 409 with its outcomes (JSON, not a problem): semantic by construction.
          const code = problem ? res.json<{ code: string }>().code : undefined;
          if (allowed) {
            valid++;
            assert.ok(
              res.status < 300 ||
                (res.status !== 400 && code === undefined) ||
                (code !== undefined && !FORM_CODES.has(code)),
              `allowed by the document, yet refused for its form: ${what} → ${res.status} ${res.text.slice(0, 300)}`,
            );
          } else {
            invalid++;
            assert.equal(
              res.status,
              400,
              `forbidden by the document, yet ${res.status}: ${what} → ${res.text.slice(0, 300)}`,
            );
          }
        },
      ),
      { seed: 0x0f66, numRuns: 1500, includeErrorInReport: true },
    );
    console.log(`# contract: ${valid} allowed requests accepted, ${invalid} forbidden ones refused`);
    assert.ok(
      valid > 200 && invalid > 200,
      `both directions exercised: ${valid} allowed, ${invalid} forbidden`,
    );
  });

  it('methods: every operation path with other methods gets 405 with Allow (HEAD on a GET: the GET without body)', {
    timeout: 60_000,
  }, async () => {
    const methods = [
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'TRACE',
      'PROPFIND',
      'X-FOO',
    ];
    await fc.assert(
      fc.asyncProperty(
        opArb(() => true),
        fc.constantFrom(...methods),
        fc.boolean(),
        async (op, method, withBody) => {
          const path = fill(op, {});
          const same = ops.filter((o) => o.path === op.path).map((o) => o.method);
          const req: HttpRequest = {
            method,
            path,
            ...(withBody ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
          };
          if (same.includes(method) || (method === 'HEAD' && same.includes('GET'))) {
            const target = ops.find(
              (o) => o.path === op.path && o.method === (method === 'HEAD' ? 'GET' : method),
            );
            await exchange(target as Operation, req, `${method} ${path}`);
            return;
          }
          const res = await exchange(op, req, `${method} ${path}`, [405]);
          if (method === 'X-FOO') {
            // Node's HTTP parser knows no such method and refuses the request before routing.
            assert.equal(res.status, 400, `${method} ${path}: ${res.text.slice(0, 200)}`);
            return;
          }
          assert.equal(res.status, 405, `${method} ${path}: ${res.text.slice(0, 200)}`);
          assert.ok(String(res.headers.allow ?? '').length > 0, 'a 405 names the allowed methods');
        },
      ),
      { seed: 0x0d44, numRuns: 300, includeErrorInReport: true },
    );
  });

  it('raw request lines and headers: malformed HTTP is refused with 400/431 or answered as documented', {
    timeout: 120_000,
  }, async () => {
    const port = (d.endpoint as { port: number }).port;
    const host = `127.0.0.1:${port}`;
    const target = fc.oneof(
      fc.constantFrom(...RAW_SEGMENTS).map((s) => `/api/v1/irqs/${s}`),
      fc
        .uint8Array({ minLength: 1, maxLength: 40 })
        .map((b) => `/api/v1/${Buffer.from(b).toString('latin1')}`),
      fc.constantFrom(
        '*',
        '',
        'http://evil.example/healthz',
        `http://${host}/healthz`,
        '//healthz',
        '/healthz?%',
        '\u0000',
      ),
    );
    const headerLines = fc.array(
      fc.oneof(
        fc.constantFrom(
          'Content-Length: 5',
          'Content-Length: -1',
          'Content-Length: 1, 2',
          'Content-Length: 99999999999999999999',
          'Transfer-Encoding: chunked',
          'Transfer-Encoding: gzip, chunked',
          'Transfer-Encoding: identity',
          `Host: ${host}`,
          'Host: evil.example',
          ' folded: continuation',
          'X-Nul: a\u0000b',
          'Content-Type: application/json',
          'Expect: 100-continue',
          'Connection: upgrade',
          'Upgrade: websocket',
          `X-Big: ${'a'.repeat(9000)}`,
        ),
        fc
          .tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), fc.string({ unit: 'binary-ascii', maxLength: 30 }))
          .map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, '')}`),
      ),
      { maxLength: 6 },
    );
    const method = fc.constantFrom('GET', 'PUT', 'POST', 'get', 'G ET', 'GET\u0000', '');
    const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '', 'HTTP/0.9');
    let dropped = 0;
    await fc.assert(
      fc.asyncProperty(method, target, version, headerLines, fc.boolean(), async (m, t, v, hs, addHost) => {
        const head = [
          `${m} ${t} ${v}`.trimEnd(),
          ...(addHost ? [`Host: ${host}`] : []),
          ...hs,
          'Connection: close',
        ];
        const raw = Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
        const r = await sendRaw(d.endpoint, raw, 3_000);
        const what = JSON.stringify(raw.toString('latin1').slice(0, 300));
        if (r.status === 0) {
          // A request Node's parser is still waiting on (a declared body that never comes) or a
          // connection it reset: no answer is allowed, a wrong one is not.
          dropped++;
          return;
        }
        tally.add('(raw HTTP)', r.status, undefined);
        assert.ok(
          [200, 400, 404, 405, 408, 413, 415, 421, 431, 503].includes(r.status),
          `${what} → ${r.text.slice(0, 300)}`,
        );
        if (r.status === 400) assert.match(r.text, /application\/problem\+json/i, what);
        assert.doesNotMatch(r.text, /IRQ_ERR_INTERNAL/, what);
      }),
      { seed: 0x0e55, numRuns: 300, includeErrorInReport: true },
    );
    console.log(
      `# raw HTTP: ${dropped} of 300 requests got no answer within 3 s (waiting for a body, or reset)`,
    );
    assert.ok(d.running());
  });

  it('named hostile cases: 100k-deep nesting, duplicate and prototype keys, huge batches, CPUs beyond 4096, lone surrogates', {
    timeout: 60_000,
  }, async () => {
    const put = opById('setIrqAffinity');
    const batch = opById('applyAffinityBatch');
    const apply = opById('applyPlan');
    const putPath = `/api/v1/irqs/${movable}/affinity`;
    const json: Record<string, string> = { 'content-type': 'application/json' };
    const send = async (op: Operation, path: string, body: string, what: string, headers = json) =>
      exchange(op, { method: op.method, path, body, headers }, what);
    const code = (r: HttpResponse): string => r.json<{ code?: string }>().code ?? '';

    const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    let r = await send(put, putPath, deep(100_000), '100k-deep array');
    assert.deepEqual([r.status, code(r)], [413, 'IRQ_ERR_BODY_TOO_LARGE']);
    r = await send(put, putPath, deep(100_000), '100k-deep array, chunked', {
      ...json,
      'transfer-encoding': 'chunked',
    });
    assert.deepEqual([r.status, code(r)], [413, 'IRQ_ERR_BODY_TOO_LARGE']);
    // Under the 64 KiB cap the parser meets the nesting itself: refused as bad JSON, not a crash.
    r = await send(put, putPath, deep(32_000), '32k-deep array');
    assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE']);
    r = await send(put, putPath, `${'{"cpu":'.repeat(8_000)}1${'}'.repeat(8_000)}`, '8k-deep object');
    assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE']);

    // Duplicate keys: JSON.parse keeps the last, and the answer and the kernel agree on it.
    r = await send(put, putPath, '{"cpu":1,"cpu":2}', 'duplicate key');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json<{ affinity: number[] }>().affinity, [2]);
    assert.equal(affinities()[movable], '2');
    r = await send(put, putPath, '{"cpu":0}', 'back to CPU 0');
    assert.equal(r.status, 200, r.text);

    for (const body of [
      '{"cpu":1,"__proto__":{"polluted":true}}',
      '{"__proto__":{"cpu":1}}',
      '{"cpu":1,"constructor":{"prototype":{"polluted":true}}}',
      '{"cpu":1,"prototype":{"polluted":true}}',
    ]) {
      r = await send(put, putPath, body, body);
      assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE'], body);
    }
    r = await send(
      batch,
      '/api/v1/affinity',
      '{"assignments":[{"irq":"24","cpu":0,"__proto__":{"x":1}}]}',
      'proto in an item',
    );
    assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE']);
    const h = (await d.request({ path: '/healthz' })).json<Record<string, unknown>>();
    assert.equal(h.polluted, undefined, 'Object.prototype is untouched');

    // Batches: 16,384 items (the schema's maximum) are far over the byte cap; 2,000 unknown IRQs
    // fit it and are refused item by item, nothing written.
    const items = (n: number, irq: (i: number) => string, cpu = 0) =>
      JSON.stringify({ assignments: Array.from({ length: n }, (_, i) => ({ irq: irq(i), cpu })) });
    r = await send(
      batch,
      '/api/v1/affinity',
      items(16_384, (i) => String(i)),
      '16,384 items',
    );
    assert.deepEqual([r.status, code(r)], [413, 'IRQ_ERR_BODY_TOO_LARGE']);
    r = await send(
      batch,
      '/api/v1/affinity',
      items(2_000, (i) => String(100_000 + i)),
      '2,000 unknown IRQs',
    );
    assert.equal(r.status, 409, r.text.slice(0, 300));
    assert.equal(r.json<BatchResult>().outcomes.length, 2_000);
    r = await send(
      batch,
      '/api/v1/affinity',
      items(2_000, () => movable),
      '2,000 times the same IRQ',
    );
    assert.equal(r.status, 409, r.text.slice(0, 300));

    // CPUs beyond the machine and beyond 4096: above the maximum the document states (the
    // machine's highest CPU), so refused by the schema check, never written.
    for (const cpu of [8, 4095, 4096, 4097, 65535]) {
      r = await send(put, putPath, JSON.stringify({ cpu }), `cpu ${cpu}`);
      assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE'], `cpu ${cpu}`);
      r = await send(
        batch,
        '/api/v1/affinity',
        items(1, () => movable, cpu),
        `batch cpu ${cpu}`,
      );
      assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE'], `batch cpu ${cpu}`);
    }
    for (const cpu of ['65536', '4294967296', '-1', '-0.5', '1e400']) {
      r = await send(put, putPath, `{"cpu":${cpu}}`, `cpu ${cpu}`);
      assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE'], `cpu ${cpu}`);
    }
    r = await exchange(opById('getPlan'), { path: '/api/v1/plan?window=1s&cpus=0-4096' }, 'plan cpus=0-4096');
    assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_UNKNOWN_CPU']);

    // Lone surrogates, bidi overrides and NUL in strings: refused by the schema, echoed safely.
    for (const window of ['\ud800', '1\u202es', '1s\u0000', '\udfff\ud800']) {
      r = await send(apply, '/api/v1/plan/apply', `{"window":"${window}","dryRun":true}`, `window ${window}`);
      assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE'], window);
    }
    // Huge windows: syntactically durations, longer than --retention.
    for (const window of ['999999999999999h', '15m', '4s']) {
      r = await exchange(
        opById('getDistribution'),
        { path: `/api/v1/distribution?window=${window}` },
        window,
      );
      assert.deepEqual([r.status, code(r)], [400, 'IRQ_ERR_USAGE'], window);
      assert.match(r.json<{ detail: string }>().detail, /retention|duration/);
    }
  });

  it('afterwards: alive and healthy, no internal error logged, affinities as the answers said', async () => {
    assert.ok(d.running(), 'the daemon process is still running');
    const h = await d.request({ path: '/healthz' });
    assert.equal(h.status, 200);
    const health = h.json<{ status: string; sampler: { samples: number; lastError: unknown } }>();
    assert.equal(health.status, 'ok');
    // Prototype keys in bodies and queries polluted nothing: a fresh object has no such member.
    assert.equal((health as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(affinities(), expected);
    const errors = d.logs().filter((e) => e.level === 'error');
    assert.deepEqual(errors, [], 'no request reached the internal-error path');
  });
});
