/** Assertions on irqkitd's HTTP answers: RFC 7807 problem documents and the absence of CORS. */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { Problem } from '../../src/api/problem.ts';
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
