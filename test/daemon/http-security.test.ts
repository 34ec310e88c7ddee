import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasStackTrace } from '../helpers/cli.ts';
import { type DummyServer, startDummy } from '../helpers/dummy-routes.ts';
import { rawJsonBody, send, sendRaw } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

describe('irqkitd HTTP security rules', () => {
  let s: DummyServer;
  let port: number;
  before(async () => {
    s = await startDummy();
    assert.ok('port' in s.endpoint);
    port = s.endpoint.port;
  });
  after(() => s.api.close());

  describe('Host header (DNS rebinding)', () => {
    it('accepts the listen address, localhost and [::1] with the bound port', async () => {
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
        const r = await send(s.endpoint, { path: '/api/v1/health', host });
        assert.equal(r.status, 200, host);
      }
    });

    it('refuses other names, other ports, a missing Host and a repeated Host', async () => {
      for (const host of [
        'evil.com',
        `evil.com:${port}`,
        `127.0.0.1:${port + 1}`,
        '127.0.0.1',
        `127.0.0.1.:${port}`,
        '',
      ]) {
        const r = await send(s.endpoint, { path: '/api/v1/health', host });
        assert.equal(r.status, 421, host);
        assert.equal(r.json().code, 'IRQ_ERR_HOST');
      }
      const none = await send(s.endpoint, { path: '/api/v1/health', host: null });
      assert.equal(none.status, 421);
      const twice = await sendRaw(
        s.endpoint,
        `GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.com\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(twice.status, 400);
    });

    it('checks Host before routing, so a rebinding page learns nothing about the API', async () => {
      const known = await send(s.endpoint, { path: '/api/v1/health', host: 'evil.com' });
      const unknown = await send(s.endpoint, { path: '/no/such/thing', host: 'evil.com' });
      const write = await send(s.endpoint, {
        method: 'PUT',
        path: '/api/v1/irqs/1/affinity',
        host: 'evil.com',
        json: { cpus: [0] },
      });
      assert.deepEqual([known.status, unknown.status, write.status], [421, 421, 421]);
      assert.deepEqual(s.state.writes, []);
    });
  });

  describe('cross-site browser requests', () => {
    it('refuses Sec-Fetch-Site cross-site and same-site with 403 IRQ_ERR_CROSS_SITE, on reads as well as writes', async () => {
      for (const site of ['cross-site', 'same-site', 'Cross-Site']) {
        const read = await send(s.endpoint, { path: '/api/v1/health', headers: { 'sec-fetch-site': site } });
        assert.equal(read.status, 403, site);
        assert.equal(read.json().code, 'IRQ_ERR_CROSS_SITE');
        assert.equal(read.headers['content-type'], 'application/problem+json');
        const write = await send(s.endpoint, {
          method: 'PUT',
          path: '/api/v1/irqs/1/affinity',
          json: { cpus: [0] },
          headers: { 'sec-fetch-site': site },
        });
        assert.equal(write.status, 403, site);
      }
      assert.deepEqual(s.state.writes, []);
    });

    it('serves same-origin fetches and typed-in navigations (Sec-Fetch-Site same-origin, none)', async () => {
      for (const site of ['same-origin', 'none']) {
        const r = await send(s.endpoint, { path: '/api/v1/health', headers: { 'sec-fetch-site': site } });
        assert.equal(r.status, 200, site);
      }
    });

    it("refuses an Origin that is not the daemon's own scheme, host and port", async () => {
      for (const origin of [
        'http://evil.example',
        `http://evil.example:${port}`,
        `http://127.0.0.1:${port + 1}`,
        `https://127.0.0.1:${port}`,
        `http://localhost:${port}`,
        'null',
      ]) {
        const r = await send(s.endpoint, { path: '/api/v1/health', headers: { origin } });
        assert.equal(r.status, 403, origin);
        assert.equal(r.json().code, 'IRQ_ERR_CROSS_SITE');
      }
      const own = await send(s.endpoint, {
        path: '/api/v1/health',
        headers: { origin: `http://127.0.0.1:${port}` },
      });
      assert.equal(own.status, 200);
      const viaLocalhost = await send(s.endpoint, {
        path: '/api/v1/health',
        host: `localhost:${port}`,
        headers: { origin: `http://localhost:${port}` },
      });
      assert.equal(viaLocalhost.status, 200);
    });

    it('serves clients that send neither header (curl, the CLI, Prometheus)', async () => {
      const r = await send(s.endpoint, { path: '/api/v1/health' });
      assert.equal(r.status, 200);
    });
  });

  describe('Expect', () => {
    it('answers an expectation other than 100-continue with a 417 problem document', async () => {
      const r = await sendRaw(
        s.endpoint,
        `GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nExpect: teapot\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(r.status, 417);
      assert.equal(rawJsonBody(r.text).code, 'IRQ_ERR_EXPECTATION');
    });
  });

  describe('mutating requests', () => {
    it('require Content-Type: application/json (415), which HTML forms cannot send', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'application/jsonx',
      ]) {
        const r = await send(s.endpoint, {
          method: 'PUT',
          path: '/api/v1/irqs/1/affinity',
          body: '{"cpus":[0]}',
          headers: { 'content-type': type },
        });
        assert.equal(r.status, 415, type);
        assert.equal(r.json().code, 'IRQ_ERR_MEDIA_TYPE');
      }
      const missing = await send(s.endpoint, { method: 'DELETE', path: '/api/v1/pins/1' });
      assert.equal(missing.status, 415, 'even a DELETE without a body needs it');
      assert.deepEqual(s.state.writes, []);
    });

    it('accept a DELETE without a body when the content type is JSON', async () => {
      const r = await send(s.endpoint, {
        method: 'DELETE',
        path: '/api/v1/pins/1',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json(), { deleted: '1' });
    });

    it('refuse a body over the cap with 413 from Content-Length alone', async () => {
      const small = await startDummy({ bodyLimit: 1024 });
      try {
        const r = await send(small.endpoint, {
          method: 'PUT',
          path: '/api/v1/irqs/1/affinity',
          json: { cpus: Array.from({ length: 600 }, (_, i) => i) },
        });
        assert.equal(r.status, 413);
        assert.equal(r.json().code, 'IRQ_ERR_BODY_TOO_LARGE');
        assert.equal(r.headers.connection, 'close');
        assert.deepEqual(small.state.writes, []);
      } finally {
        await small.api.close();
      }
    });

    it('refuse a chunked body as soon as it crosses the cap', async () => {
      const small = await startDummy({ bodyLimit: 1024 });
      try {
        const r = await send(small.endpoint, {
          method: 'PUT',
          path: '/api/v1/irqs/1/affinity',
          body: `{"cpus":[${'0,'.repeat(2000)}0]}`,
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        });
        assert.equal(r.status, 413);
        assert.equal(r.json().code, 'IRQ_ERR_BODY_TOO_LARGE');
        const ok = await send(small.endpoint, { path: '/api/v1/health' });
        assert.equal(ok.status, 200);
      } finally {
        await small.api.close();
      }
    });
  });

  describe('read-only mode', () => {
    it('refuses PUT and DELETE with 403 IRQ_ERR_READ_ONLY and never calls the handler', async () => {
      const ro = await startDummy({ readOnly: true });
      try {
        const put = await send(ro.endpoint, {
          method: 'PUT',
          path: '/api/v1/irqs/1/affinity',
          json: { cpus: [0] },
        });
        assert.equal(put.status, 403);
        assert.equal(put.json().code, 'IRQ_ERR_READ_ONLY');
        const del = await send(ro.endpoint, {
          method: 'DELETE',
          path: '/api/v1/pins/1',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(del.status, 403);
        assert.deepEqual(ro.state.writes, []);
      } finally {
        await ro.api.close();
      }
    });

    it('still serves GETs and a POST declared non-mutating', async () => {
      const ro = await startDummy({ readOnly: true });
      try {
        assert.equal((await send(ro.endpoint, { path: '/api/v1/health' })).status, 200);
        const plan = await send(ro.endpoint, {
          method: 'POST',
          path: '/api/v1/plan',
          json: { cpus: [0, 1] },
        });
        assert.equal(plan.status, 200, plan.text);
        assert.deepEqual(plan.json(), { cpus: 2 });
      } finally {
        await ro.api.close();
      }
    });
  });

  describe('responses', () => {
    it('carry nosniff and no-store on successes, errors and malformed requests', async () => {
      const ok = await send(s.endpoint, { path: '/api/v1/health' });
      const notFound = await send(s.endpoint, { path: '/x' });
      for (const r of [ok, notFound]) {
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        assert.equal(r.headers['cache-control'], 'no-store');
      }
      const raw = await sendRaw(s.endpoint, 'GET /a b c HTTP/1.1\r\n\r\n');
      assert.match(raw.text, /^X-Content-Type-Options: nosniff\r$/m);
      assert.match(raw.text, /^Cache-Control: no-store\r$/m);
    });

    it('turn a handler bug into 500 IRQ_ERR_INTERNAL without its message or stack, and log both', async () => {
      const r = await send(s.endpoint, { path: '/api/v1/boom' });
      assert.equal(r.status, 500);
      assert.equal(r.headers['content-type'], 'application/problem+json');
      const body = r.json();
      assert.equal(body.code, 'IRQ_ERR_INTERNAL');
      assert.doesNotMatch(r.text, /secret|id_rsa|dummy-routes|\.ts:\d+/);
      assert.ok(!hasStackTrace(r.text));
      const logged = s.logs.find((e) => e.msg === 'handler failed');
      assert.match(String(logged?.error), /secret detail[\s\S]*\n\s+at /);
      assert.equal((await send(s.endpoint, { path: '/api/v1/health' })).status, 200, 'the server lives on');
    });

    it('serve non-JSON bodies with their own content type', async () => {
      const metrics = await send(s.endpoint, { path: '/metrics' });
      assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(metrics.text, /^irqkit_up 1$/m);
      const text = await send(s.endpoint, { path: '/api/v1/irqs/9?format=text' });
      assert.equal(text.text, 'IRQ 9\n');
    });
  });

  describe('malformed input', () => {
    it('never crashes the process: a barrage of broken requests, then a normal one', async () => {
      const uncaught: unknown[] = [];
      const record = (e: unknown): void => {
        uncaught.push(e);
      };
      process.on('uncaughtException', record);
      try {
        const host = `Host: 127.0.0.1:${port}\r\n`;
        const barrage = [
          'GET /a b c HTTP/1.1\r\n\r\n',
          '\x00\x01\x02\x03 garbage\r\n\r\n',
          'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n',
          `GET http://127.0.0.1:${port}/api/v1/irqs/%ZZ HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          `GET /api/v1/irqs/1?%ZZ HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          `GET /api/v1/irqs/\xff\xfe HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          `GET /api/v1/health HTTP/1.1\r\n${host}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello`,
          `PUT /api/v1/irqs/1/affinity HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
          `PUT /api/v1/irqs/1/affinity HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"cpus":`,
          `GET /api/v1/health HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(10_000)}\r\n\r\n`,
          `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${host}\r\n`,
          `GET /api/v1/health HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
          'GET /api/v1/health HTTP/1.0\r\n\r\n',
          `GET /api/v1/health HTTP/9.9\r\n${host}\r\n`,
          `BREW /api/v1/health HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          `DELETE /api/v1/pins/1 HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnull`,
        ];
        const answers = await Promise.all(
          barrage.map((raw) => sendRaw(s.endpoint, Buffer.from(raw, 'latin1'), 1_500)),
        );
        for (const [i, a] of answers.entries())
          assert.ok(!hasStackTrace(a.text), `request ${i} leaked a stack`);
        // 0: the connection closed without an answer (CONNECT is never tunnelled) or, for the
        // truncated body, is still waiting for the rest when the client gives up.
        assert.deepEqual(
          answers.map((a) => a.status),
          [400, 400, 421, 400, 400, 400, 400, 400, 0, 431, 0, 200, 421, 400, 400, 400],
        );
        const health = await send(s.endpoint, { path: '/api/v1/health' });
        assert.equal(health.status, 200);
        assert.deepEqual(uncaught, []);
      } finally {
        process.off('uncaughtException', record);
      }
    });

    it('answers a well-formed request with a null JSON body to a no-body route with a usage error', async () => {
      const r = await sendRaw(
        s.endpoint,
        `DELETE /api/v1/pins/1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnull`,
      );
      assert.equal(r.status, 400);
      assert.equal(rawJsonBody(r.text).code, 'IRQ_ERR_USAGE');
    });
  });
});
