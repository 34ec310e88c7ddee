import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DummyServer, startDummy } from '../helpers/dummy-routes.ts';
import { rawJsonBody, send, sendRaw } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

describe('irqkitd HTTP routing', () => {
  let s: DummyServer;
  let hostHeader: string;
  before(async () => {
    s = await startDummy();
    assert.ok('port' in s.endpoint);
    hostHeader = `127.0.0.1:${s.endpoint.port}`;
  });
  after(() => s.api.close());

  it('answers a known GET route with its JSON body', async () => {
    const r = await send(s.endpoint, { path: '/api/v1/health' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(r.json(), { ok: true });
  });

  it('gives 404 IRQ_ERR_NOT_FOUND for an unknown path, a trailing slash, or a doubled slash', async () => {
    for (const path of ['/nope', '/api/v1/health/', '//api/v1/health', '/api/v1', '/']) {
      const r = await send(s.endpoint, { path });
      assert.equal(r.status, 404, path);
      assert.equal(r.json().code, 'IRQ_ERR_NOT_FOUND', path);
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    const r = await send(s.endpoint, { method: 'HEAD', path: '/api/v1/health' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.match(String(r.headers['content-type']), /application\/json/);
  });

  it('gives 405 IRQ_ERR_METHOD with an Allow header for a known path and the wrong method', async () => {
    const r = await send(s.endpoint, { method: 'POST', path: '/api/v1/health', json: {} });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
    assert.equal(r.json().code, 'IRQ_ERR_METHOD');
    const put = await send(s.endpoint, { method: 'GET', path: '/api/v1/irqs/5/affinity' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'PUT');
  });

  it('prefers a static segment over a :param segment when both match', async () => {
    const r = await send(s.endpoint, { path: '/api/v1/irqs/summary' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { summary: true });
  });

  it('decodes percent-encoded static segments once', async () => {
    const r = await send(s.endpoint, { path: '/api/v1/%68ealth' });
    assert.equal(r.status, 200);
  });

  it('refuses ../, encoded dots and encoded slashes in the path with 400 before any handler runs', async () => {
    for (const path of [
      '/api/v1/irqs/..',
      '/api/v1/irqs/.',
      '/api/v1/irqs/%2e%2e',
      '/api/v1/irqs/%2E%2e',
      '/api/v1/irqs/..%2f..%2fetc%2fpasswd',
      '/api/v1/irqs/5%2f..',
      '/api/v1/irqs/5%2F',
      '/api/v1/irqs/a%5cb',
      '/api/v1/irqs/%00',
      '/api/v1/irqs/%ZZ',
      '/api/v1/irqs/5/../../health',
      '/api/v1/pins/..',
    ]) {
      const r = await send(s.endpoint, { path });
      assert.equal(r.status, 400, path);
      assert.equal(r.json().code, 'IRQ_ERR_USAGE', path);
    }
    const put = await send(s.endpoint, {
      method: 'PUT',
      path: '/api/v1/irqs/%2e%2e/affinity',
      json: { cpus: [0] },
    });
    assert.equal(put.status, 400);
    assert.deepEqual(s.state.writes, []);
  });

  it('decodes a double-encoded slash only once, so it reaches validation as text and fails there', async () => {
    const r = await send(s.endpoint, {
      method: 'DELETE',
      path: '/api/v1/pins/%252f',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json().errors, [
      { path: '/params/irq', message: "Expected string to match '^[0-9]+$'" },
    ]);
  });

  it('accepts an absolute-form request target for its own address', async () => {
    const r = await sendRaw(
      s.endpoint,
      `GET http://${hostHeader}/api/v1/irqs/7?verbose=true HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(rawJsonBody(r.text), { irq: 7, verbose: true, cpus: [], limit: null });
    const bare = await sendRaw(
      s.endpoint,
      `GET http://${hostHeader} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(bare.status, 404);
    const query = await sendRaw(
      s.endpoint,
      `GET http://${hostHeader}?verbose=1 HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(query.status, 404, 'the empty path is /, and no route is there');
  });

  it('refuses an absolute-form target naming another host even with a correct Host header', async () => {
    const r = await sendRaw(
      s.endpoint,
      `GET http://evil.example:80/api/v1/health HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(r.status, 421, r.text);
    assert.equal(rawJsonBody(r.text).code, 'IRQ_ERR_HOST');
  });

  it('refuses https:, asterisk-form and other non-path targets with 400', async () => {
    for (const target of [
      `https://${hostHeader}/api/v1/health`,
      '*',
      'api/v1/health',
      `ftp://${hostHeader}/x`,
    ]) {
      const r = await sendRaw(
        s.endpoint,
        `OPTIONS ${target} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(r.status, 400, `${target}: ${r.text}`);
      assert.equal(rawJsonBody(r.text).code, 'IRQ_ERR_USAGE');
    }
  });

  it('answers a CORS preflight from another origin with 403 (cross-site) and no Access-Control headers', async () => {
    const preflight = {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    };
    const known = await send(s.endpoint, { ...preflight, path: '/api/v1/irqs/5/affinity' });
    assert.equal(known.status, 403);
    assert.equal(known.json().code, 'IRQ_ERR_CROSS_SITE');
    const unknown = await send(s.endpoint, { ...preflight, path: '/api/v1/nothing' });
    assert.equal(unknown.status, 403, 'refused before routing: a page learns nothing about the API');
    for (const r of [known, unknown]) {
      assert.deepEqual(
        Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
        [],
      );
    }
  });

  it('sends no CORS headers on a successful request with its own Origin either', async () => {
    const r = await send(s.endpoint, { path: '/api/v1/health', headers: { origin: `http://${hostHeader}` } });
    assert.equal(r.status, 200);
    assert.deepEqual(
      Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
      [],
    );
  });
});
