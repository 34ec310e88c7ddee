import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { createApiServer } from '../../src/daemon/http/server.ts';
import { dummyRoutes, dummyState, startDummy } from '../helpers/dummy-routes.ts';
import { send } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `cond`; the deadline only turns a hang into a failure, so it is generous. */
async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('irqkitd HTTP server lifecycle', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'irqkit-http-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('on a Unix socket', () => {
    it('serves requests with Host: localhost or no Host, and refuses other hosts', async () => {
      const path = join(dir, 'api.sock');
      const s = await startDummy({}, { path });
      try {
        assert.deepEqual(s.endpoint, { path });
        assert.equal((await send(s.endpoint, { path: '/api/v1/health' })).status, 200);
        assert.equal((await send(s.endpoint, { path: '/api/v1/health', host: null })).status, 200);
        assert.equal((await send(s.endpoint, { path: '/api/v1/health', host: '' })).status, 200);
        const evil = await send(s.endpoint, { path: '/api/v1/health', host: 'evil.com' });
        assert.equal(evil.status, 421);
        assert.equal(evil.json().code, 'IRQ_ERR_HOST');
        const put = await send(s.endpoint, {
          method: 'PUT',
          path: '/api/v1/irqs/3/affinity',
          json: { cpus: [1] },
        });
        assert.equal(put.status, 200, put.text);
      } finally {
        await s.api.close();
      }
    });

    it('creates the socket owner-only (0600) and removes it on close', async () => {
      const path = join(dir, 'mode.sock');
      const s = await startDummy({}, { path });
      const st = statSync(path);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o600);
      await s.api.close();
      assert.throws(() => statSync(path), /ENOENT/);
    });

    it('replaces a stale socket left by a crash', async () => {
      const path = join(dir, 'stale.sock');
      // A process that exits while listening leaves its socket file behind, as a killed daemon does.
      const child = spawnSync(process.execPath, [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`,
      ]);
      assert.equal(child.status, 0, String(child.stderr));
      assert.ok(statSync(path).isSocket());
      const s = await startDummy({}, { path });
      try {
        assert.equal((await send(s.endpoint, { path: '/api/v1/health' })).status, 200);
      } finally {
        await s.api.close();
      }
    });

    it('refuses to take over a socket another process still listens on', async () => {
      const path = join(dir, 'live.sock');
      const other = createNetServer((c) => c.end());
      await new Promise<void>((resolve) => other.listen(path, resolve));
      try {
        const api = createApiServer({ routes: dummyRoutes(dummyState()), readOnly: false });
        await assert.rejects(api.listen({ path }), { code: 'EADDRINUSE' });
        assert.ok(statSync(path).isSocket(), 'the live socket is left alone');
      } finally {
        await new Promise<void>((resolve) => other.close(() => resolve()));
      }
    });

    it('refuses to delete a regular file in the way', async () => {
      const path = join(dir, 'not-a-socket');
      writeFileSync(path, 'precious');
      const api = createApiServer({ routes: dummyRoutes(dummyState()), readOnly: false });
      await assert.rejects(api.listen({ path }), { code: 'EEXIST' });
      assert.ok(statSync(path).isFile());
    });
  });

  describe('timeouts and limits', () => {
    it('sets header, request and keep-alive timeouts on the server', async () => {
      const api = createApiServer({ routes: [], readOnly: false, requestTimeoutMs: 7_000 });
      assert.equal(api.server.requestTimeout, 7_000);
      assert.equal(api.server.headersTimeout, 7_000, 'never longer than the whole request may take');
      assert.equal(api.server.keepAliveTimeout, 5_000);
      const dflt = createApiServer({ routes: [], readOnly: false });
      assert.equal(dflt.server.requestTimeout, 30_000);
      assert.equal(dflt.server.headersTimeout, 10_000);
    });

    it('takes the Host list it is given verbatim instead of computing one', async () => {
      const s = await startDummy({ allowedHosts: ['irqkitd.internal:9640'] });
      try {
        assert.equal((await send(s.endpoint, { path: '/api/v1/health' })).status, 421);
        assert.equal(
          (await send(s.endpoint, { path: '/api/v1/health', host: 'IRQKITD.internal:9640' })).status,
          200,
        );
      } finally {
        await s.api.close();
      }
    });
  });

  describe('abort signals and graceful close', () => {
    it('aborts the handler signal when the client goes away', async () => {
      const s = await startDummy();
      try {
        const req = request({
          ...(s.endpoint as { host: string; port: number }),
          path: '/api/v1/slow',
          agent: false,
        });
        req.on('error', () => undefined);
        req.end();
        await until('the slow handler to start', () => s.state.slowSignals.length === 1);
        req.destroy();
        await until('the signal to abort', () => s.state.slowSignals[0]?.aborted === true);
        assert.equal((await send(s.endpoint, { path: '/api/v1/health' })).status, 200);
        assert.ok(!s.logs.some((e) => e.level === 'error'), 'a client leaving is not an error');
      } finally {
        await s.api.close();
      }
    });

    it('lets an in-flight request finish, refuses new connections, then resolves', {
      timeout: 60_000,
    }, async () => {
      // A shutdown deadline far beyond the test's timeout: close() resolving at all shows it did
      // not wait for it.
      const s = await startDummy({ shutdownTimeoutMs: 3_600_000 });
      const inFlight = send(s.endpoint, { path: '/api/v1/slow' });
      await until('the slow handler to start', () => s.state.slowSignals.length === 1);
      let closedYet = false;
      const closed = s.api.close().then(() => {
        closedYet = true;
      });
      await assert.rejects(send(s.endpoint, { path: '/api/v1/health' }), { code: 'ECONNREFUSED' });
      assert.equal(closedYet, false, 'close() waits for the request under way');
      s.state.releaseSlow[0]?.();
      const r = await inFlight;
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), { waited: true });
      assert.equal(r.headers.connection, 'close');
      await closed;
      assert.equal(s.state.slowSignals[0]?.aborted, false);
    });

    it('closes idle keep-alive connections at once instead of waiting for their timeout', {
      timeout: 60_000,
    }, async () => {
      const s = await startDummy({ shutdownTimeoutMs: 3_600_000 });
      let idleTimeouts = 0;
      s.api.server.on('connection', (socket: Socket) => {
        socket.on('timeout', () => {
          idleTimeouts++;
        });
      });
      const { Agent } = await import('node:http');
      const agent = new Agent({ keepAlive: true });
      try {
        const r = await new Promise<number>((resolve, reject) => {
          const req = request(
            { ...(s.endpoint as { host: string; port: number }), path: '/api/v1/health', agent },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
        assert.equal(r, 200);
        // Had close() waited for the idle connection's keep-alive timeout, that timeout would
        // have fired on the server's socket; it closes it at once instead.
        await s.api.close();
        assert.equal(idleTimeouts, 0, 'the idle connection was closed, not timed out');
      } finally {
        agent.destroy();
      }
    });

    it('aborts handlers still running at the deadline and answers them 503 IRQ_ERR_UNAVAILABLE', async () => {
      const s = await startDummy({ shutdownTimeoutMs: 100 });
      const inFlight = send(s.endpoint, { path: '/api/v1/slow' });
      await until('the slow handler to start', () => s.state.slowSignals.length === 1);
      await s.api.close();
      const r = await inFlight;
      assert.equal(r.status, 503);
      assert.equal(r.json().code, 'IRQ_ERR_UNAVAILABLE');
      assert.equal(s.state.slowSignals[0]?.aborted, true);
    });

    it('drops a handler that ignores its signal a second after the deadline', {
      timeout: 60_000,
    }, async () => {
      const signals: AbortSignal[] = [];
      const hung = createApiServer({
        routes: [
          {
            method: 'GET',
            path: '/hang',
            operationId: 'hang',
            summary: 'Never answers',
            response: Type.Object({}),
            handler: ({ signal }) => {
              signals.push(signal);
              return new Promise(() => undefined);
            },
          },
        ],
        readOnly: false,
        shutdownTimeoutMs: 50,
        checkResponses: true,
      });
      const endpoint = await hung.listen({ host: '127.0.0.1', port: 0 });
      const pending = send(endpoint, { path: '/hang' });
      pending.catch(() => undefined);
      await until('the hanging handler to start', () => signals.length === 1);
      await hung.close();
      assert.equal(signals[0]?.aborted, true, 'its signal was aborted at the deadline');
      await assert.rejects(pending, { code: 'ECONNRESET' });
    });

    it('can be closed twice and before it ever listened', async () => {
      const api = createApiServer({ routes: [], readOnly: false });
      await api.close();
      await api.close();
    });
  });
});
