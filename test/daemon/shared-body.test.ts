import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerCache } from '../../src/daemon/answer-cache.ts';
import { jsonBytes, shareBody } from '../../src/daemon/http/shared-body.ts';

describe('shared bodies are serialised once', () => {
  it('a shared body gives the same bytes object every time, equal to JSON.stringify', () => {
    const body = shareBody({ cpus: [0, 1], irqs: [{ irq: '24', perCpu: [5, 0] }] });
    const first = jsonBytes(body);
    assert.ok(Buffer.isBuffer(first));
    assert.equal(first.toString('utf8'), JSON.stringify(body));
    assert.equal(jsonBytes(body), first, 'the second request reuses the bytes');
  });

  it('any other body is serialised on every call, so a handler may change it between requests', () => {
    const body = { n: 1 };
    assert.equal(jsonBytes(body), '{"n":1}');
    body.n = 2;
    assert.equal(jsonBytes(body), '{"n":2}');
    assert.equal(jsonBytes(null), 'null');
    assert.equal(jsonBytes('text'), '"text"');
  });

  it('window answers from the AnswerCache are shared bodies', async () => {
    const cache = new AnswerCache();
    const answer = await cache.get(1000, 'distribution', '5000|true', async () => ({ total: 3 }));
    const bytes = jsonBytes(answer);
    assert.ok(Buffer.isBuffer(bytes));
    assert.equal(
      jsonBytes(await cache.get(1000, 'distribution', '5000|true', async () => ({ total: 9 }))),
      bytes,
    );
  });
});
