/**
 * Assertions on irqkitd's answers: RFC 7807 problem documents, the absence of CORS, and bodies
 * against their schemas.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { TSchema } from '@sinclair/typebox';
import type { Problem } from '../../src/api/problem.ts';
import { compileResponseCheck } from '../../src/daemon/http/validate.ts';
import type { HttpResponse } from './http.ts';

/**
 * Asserts an application/problem+json answer with this status and stable `code`, whose body
 * repeats both (and `type` names the code); returns the body.
 */
export function expectProblem(res: HttpResponse, status: number, code: string, what = ''): Problem {
  const where = `${what ? `${what}: ` : ''}${res.status} ${res.text.slice(0, 400)}`;
  assert.equal(res.status, status, where);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json\b/, where);
  const body = res.json<Problem>();
  assert.equal(body.code, code, where);
  assert.equal(body.status, status, where);
  assert.equal(body.type, `urn:irqkit:error:${code}`, where);
  assert.equal(typeof body.detail, 'string', where);
  assert.ok(body.detail.length > 0, where);
  return body;
}

/** Header names of a response that would let another origin read or drive the API. */
export function corsHeaders(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers).filter((h) => /^access-control-/i.test(h));
}

/**
 * Asserts that `value` is a body `schema` allows, checked as the daemon checks its answers (read
 * as closed, formats registered), and returns it: for tests that drive the service directly.
 */
export function conforms<T>(schema: TSchema, value: T, what = ''): T {
  const issues = compileResponseCheck(schema)(JSON.parse(JSON.stringify(value)));
  assert.deepEqual(issues, [], `${what ? `${what}: ` : ''}off its schema`);
  return value;
}
