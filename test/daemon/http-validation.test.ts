import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Problem } from '../../src/api/problem.ts';
import { ERROR_CODES } from '../../src/core/errors.ts';
import { type DummyServer, startDummy } from '../helpers/dummy-routes.ts';
import { type HttpResponse, send } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

const problemCheck = TypeCompiler.Compile(Problem);

/** Asserts the RFC 7807 shape, the catalogue's status for the code, and returns the body. */
function problem(r: HttpResponse, code: keyof typeof ERROR_CODES): Problem {
  assert.equal(r.headers['content-type'], 'application/problem+json', r.text);
  const body = r.json<Problem>();
  assert.ok(problemCheck.Check(body), `not a problem document: ${r.text}`);
  assert.equal(body.code, code, r.text);
  assert.equal(body.status, ERROR_CODES[code].status);
  assert.equal(r.status, ERROR_CODES[code].status);
  assert.equal(body.type, `urn:irqkit:error:${code}`);
  return body;
}

describe('irqkitd request validation', () => {
  let s: DummyServer;
  before(async () => {
    s = await startDummy();
  });
  after(() => s.api.close());

  const put = (path: string, body: string | object, headers: Record<string, string> = {}) =>
    send(s.endpoint, {
      method: 'PUT',
      path,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });

  describe('path parameters', () => {
    it('coerces a decimal integer parameter to a number', async () => {
      const r = await send(s.endpoint, { path: '/api/v1/irqs/42' });
      assert.equal(r.status, 200);
      assert.equal(r.json().irq, 42);
    });

    it('rejects non-numeric, hex, signed, spaced and fractional IRQ numbers with a list of errors', async () => {
      for (const irq of ['abc', '0x10', '+5', '%205', '1.5', '1e3', '-1', '']) {
        const r = await send(s.endpoint, { path: `/api/v1/irqs/${irq}` });
        if (irq === '') {
          assert.equal(r.status, 404, 'an empty segment matches no :param');
          continue;
        }
        const p = problem(r, 'IRQ_ERR_USAGE');
        assert.equal(p.errors?.[0]?.path, '/params/irq', irq);
      }
    });

    it('rejects numbers too large to be exact, and above the schema maximum', async () => {
      const huge = problem(
        await send(s.endpoint, { path: '/api/v1/irqs/99999999999999999999999' }),
        'IRQ_ERR_USAGE',
      );
      assert.match(huge.errors?.[0]?.message ?? '', /at most 9007199254740991/);
      const big = problem(await send(s.endpoint, { path: '/api/v1/irqs/1048576' }), 'IRQ_ERR_USAGE');
      assert.deepEqual(big.errors, [
        { path: '/params/irq', message: 'Expected integer to be less or equal to 1048575' },
      ]);
    });

    it('leaves string parameters to their pattern', async () => {
      const bad = await put('/api/v1/irqs/12a/affinity', { cpus: [0] });
      assert.deepEqual(problem(bad, 'IRQ_ERR_USAGE').errors, [
        { path: '/params/irq', message: "Expected string to match '^[0-9]{1,7}$'" },
      ]);
    });
  });

  describe('query strings', () => {
    it('coerces booleans, repeated integer keys into arrays, and union members', async () => {
      const r = await send(s.endpoint, { path: '/api/v1/irqs/3?verbose=true&cpu=0&cpu=7&limit=10' });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json(), { irq: 3, verbose: true, cpus: [0, 7], limit: 10 });
      const all = await send(s.endpoint, { path: '/api/v1/irqs/3?verbose=false&limit=all' });
      assert.deepEqual(all.json(), { irq: 3, verbose: false, cpus: [], limit: 'all' });
    });

    it('decodes percent escapes in values', async () => {
      const r = await send(s.endpoint, { path: '/api/v1/irqs/3?limit=%61ll' });
      assert.equal(r.json().limit, 'all');
    });

    it('rejects unknown query keys, including prototype names', async () => {
      for (const key of ['x', '__proto__', 'constructor', 'toString', 'Verbose']) {
        const p = problem(await send(s.endpoint, { path: `/api/v1/irqs/3?${key}=1` }), 'IRQ_ERR_USAGE');
        assert.deepEqual(p.errors, [{ path: `/query/${key}`, message: 'Unknown query parameter' }]);
      }
      const none = problem(await send(s.endpoint, { path: '/api/v1/health?verbose=1' }), 'IRQ_ERR_USAGE');
      assert.deepEqual(none.errors, [{ path: '/query/verbose', message: 'Unknown query parameter' }]);
    });

    it('rejects values that do not coerce, a scalar given twice and malformed escapes', async () => {
      const cases: Array<[string, string]> = [
        ['verbose=yes', '/query/verbose'],
        // Only the boolean values the document lists; no minus zero.
        ['verbose=1', '/query/verbose'],
        ['cpu=-0', '/query/cpu/0'],
        ['cpu=-00', '/query/cpu/0'],
        ['cpu=1&cpu=x', '/query/cpu/1'],
        ['cpu=-1', '/query/cpu/0'],
        ['limit=0', '/query/limit'],
        ['format=xml', '/query/format'],
        ['verbose=true&verbose=false', '/query/verbose'],
        ['cpu=%E0%A4%A', '/query'],
      ];
      for (const [q, path] of cases) {
        const p = problem(await send(s.endpoint, { path: `/api/v1/irqs/3?${q}` }), 'IRQ_ERR_USAGE');
        assert.equal(p.errors?.[0]?.path, path, `${q}: ${JSON.stringify(p.errors)}`);
      }
    });

    it('reports problems of params and query together', async () => {
      const p = problem(
        await send(s.endpoint, { path: '/api/v1/irqs/x?verbose=maybe&y=1' }),
        'IRQ_ERR_USAGE',
      );
      assert.deepEqual(p.errors?.map((e) => e.path).sort(), ['/params/irq', '/query/verbose', '/query/y']);
      assert.match(p.detail, /and 2 more/);
    });

    it('ignores empty pieces of a query string', async () => {
      const r = await send(s.endpoint, { path: '/api/v1/irqs/3?&&verbose=true&' });
      assert.equal(r.status, 200, r.text);
    });
  });

  describe('JSON bodies', () => {
    it('passes a valid body to the handler', async () => {
      const r = await put('/api/v1/irqs/5/affinity', { cpus: [1, 2], dryRun: true });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json(), { irq: '5', cpus: [1, 2], dryRun: true });
    });

    it('accepts application/json with a utf-8 charset, in any case', async () => {
      const r = await put(
        '/api/v1/irqs/5/affinity',
        { cpus: [1] },
        { 'content-type': 'Application/JSON; charset=UTF-8' },
      );
      assert.equal(r.status, 200, r.text);
    });

    it('rejects unknown keys, wrong types and missing fields with every problem listed', async () => {
      const writes = s.state.writes.length;
      const p = problem(
        await put('/api/v1/irqs/5/affinity', { cpus: ['1', -1], dryrun: true }),
        'IRQ_ERR_USAGE',
      );
      const paths = (p.errors ?? []).map((e) => e.path);
      assert.ok(paths.includes('/body/dryrun'), JSON.stringify(p.errors));
      assert.ok(paths.includes('/body/cpus/0'), JSON.stringify(p.errors));
      assert.ok(paths.includes('/body/cpus/1'), JSON.stringify(p.errors));
      const missing = problem(await put('/api/v1/irqs/5/affinity', {}), 'IRQ_ERR_USAGE');
      assert.equal(missing.errors?.[0]?.path, '/body/cpus');
      assert.equal(s.state.writes.length, writes, 'no invalid request reached the handler');
    });

    it('rejects a missing body where one is required', async () => {
      const p = problem(await put('/api/v1/irqs/5/affinity', ''), 'IRQ_ERR_USAGE');
      assert.equal(p.errors?.[0]?.path, '/body');
    });

    it('rejects invalid JSON, invalid UTF-8, and integers beyond 2^53 with 400', async () => {
      for (const body of [
        '{"cpus": [1,',
        "{'cpus': [1]}",
        '{"cpus": [1]} trailing',
        ' ',
        '{"cpus": [12345678901234567890]}',
      ]) {
        problem(await put('/api/v1/irqs/5/affinity', body), 'IRQ_ERR_USAGE');
      }
      const notUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
      const r = await send(s.endpoint, {
        method: 'PUT',
        path: '/api/v1/irqs/5/affinity',
        body: notUtf8,
        headers: { 'content-type': 'application/json' },
      });
      assert.match(problem(r, 'IRQ_ERR_USAGE').detail, /UTF-8/);
    });

    it('refuses numbers not written as the value they mean: -0, 1.0, 1e2, -1e-400, 1e400', async () => {
      for (const n of ['-0', '-0.0', '1.0', '1e2', '1E0', '-1e-400', '1e-400', '1e400', '0.0']) {
        const p = problem(await put('/api/v1/irqs/5/affinity', `{"cpus": [${n}]}`), 'IRQ_ERR_USAGE');
        assert.match(p.detail, /not written canonically/, n);
      }
      // A number inside a string is text, not a number.
      const text = await put('/api/v1/irqs/5/affinity', '{"cpus": [1], "note": "-0"}');
      assert.doesNotMatch(problem(text, 'IRQ_ERR_USAGE').detail, /canonically/);
      assert.equal((await put('/api/v1/irqs/5/affinity', '{"cpus": [0, 1]}')).status, 200);
    });

    it('answers JSON nested 10,000 deep with a plain "too deeply nested", arrays and objects alike', async () => {
      for (const body of [
        `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
        `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
      ]) {
        const p = problem(await put('/api/v1/irqs/5/affinity', body), 'IRQ_ERR_USAGE');
        assert.match(p.detail, /too deeply nested/);
        assert.doesNotMatch(p.detail, /stack/i);
      }
    });

    it('rejects a body sent to an endpoint that takes none', async () => {
      const r = await send(s.endpoint, {
        method: 'DELETE',
        path: '/api/v1/pins/5',
        json: { force: true },
      });
      assert.deepEqual(problem(r, 'IRQ_ERR_USAGE').errors, [
        { path: '/body', message: 'This endpoint takes no request body' },
      ]);
    });

    it('accepts a chunked body under the limit', async () => {
      const r = await send(s.endpoint, {
        method: 'PUT',
        path: '/api/v1/irqs/5/affinity',
        body: JSON.stringify({ cpus: [3] }),
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      assert.equal(r.status, 200, r.text);
    });
  });

  describe('problem documents', () => {
    it('flatten error details as extension members but never let them override the standard ones', async () => {
      const p = problem(await send(s.endpoint, { path: '/api/v1/not-ready' }), 'IRQ_ERR_UNAVAILABLE');
      assert.equal(p.retryAfterSeconds, 2);
      assert.equal(p.title, 'Service Unavailable');
      assert.equal(p.detail, 'no interval has been sampled yet');
    });

    it("carry a domain error's own status from the catalogue", async () => {
      const p = problem(await send(s.endpoint, { path: '/api/v1/irqs/404' }), 'IRQ_ERR_UNKNOWN_IRQ');
      assert.equal(p.irq, '404');
    });
  });
});
