/**
 * The irqkitd process from the outside: where it listens (Unix socket, several targets), how it
 * refuses a bad command line or a busy address, how it stops on a signal while a request is
 * still waiting for history, and --version/--help. Every daemon is the real bundle in a child
 * process; independent ones run in parallel.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Distribution, IrqList } from '../../src/api/schemas.ts';
import { expectProblem } from '../helpers/api-assert.ts';
import { hasStackTrace } from '../helpers/cli.ts';
import {
  type DaemonProcess,
  eventually,
  type RunResult,
  runDaemonToExit,
  type StopResult,
  samplerFigures,
  startDaemon,
} from '../helpers/daemon-process.ts';
import { type HttpResponse, send } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { repoRoot } from '../helpers/paths.ts';

const SIM = ['--simulate', '4cpu', '--interval', '100ms'];

function listenOn(target: { port: number; host: string } | string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((c) => c.end());
    server.once('error', reject);
    if (typeof target === 'string') server.listen(target, () => resolve(server));
    else server.listen(target.port, target.host, () => resolve(server));
  });
}

const closeServer = (s: Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

/** One line on stderr, nothing on stdout, no stack trace. */
function oneLineError(r: RunResult, what: string): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
  assert.ok(!hasStackTrace(r.stderr), `${what}: no stack trace:\n${r.stderr}`);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
  assert.match(lines[0] as string, /^irqkitd: /, what);
  return lines[0] as string;
}

function expectStopped(d: DaemonProcess, r: StopResult, signal = 'SIGTERM'): void {
  assert.equal(
    r.killed,
    false,
    `irqkitd stopped on ${signal} by itself; stderr:\n${d.stderr().slice(-2000)}`,
  );
  assert.equal(r.code, 0, `irqkitd exits 0 on ${signal}; stderr:\n${d.stderr().slice(-2000)}`);
  const msgs = d.logs().map((e) => e.msg);
  assert.ok(
    d.logs().some((e) => e.msg === 'stopping' && e.signal === signal),
    `logs 'stopping' on ${signal}: ${msgs}`,
  );
  assert.ok(msgs.includes('irqkitd stopped'), `logs 'irqkitd stopped': ${msgs}`);
}

describe('irqkitd as a process: listening, refusing to start, stopping', { concurrency: 10 }, () => {
  let dir: string;
  before(() => {
    // Short: Unix socket paths are limited to ~100 bytes.
    dir = mkdtempSync(join(tmpdir(), 'irqkitd-lc-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('listens on a Unix socket: mode 0600, answers without a Host or with localhost, refuses other hosts', async () => {
    const path = join(dir, 'irqkitd.sock');
    const d = await startDaemon([...SIM, '--listen', path]);
    try {
      assert.deepEqual(d.urls, [`unix:${path}`]);
      const st = statSync(path);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o600, 'owner-only: the socket is the access control');
      // No Host, an empty one, 'localhost', and what node sends on a socket by itself.
      const requests = [null, '', 'localhost'].map((host) => send({ path }, { path: '/healthz', host }));
      for (const r of [...(await Promise.all(requests)), await send({ path }, { path: '/healthz' })]) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json().status, 'ok');
      }
      for (const host of ['127.0.0.1', 'evil.example', 'localhost:9640']) {
        expectProblem(await send({ path }, { path: '/healthz', host }), 421, 'IRQ_ERR_HOST', host);
      }
      // Writes go through the socket too.
      const list = (await send({ path }, { path: '/api/v1/irqs', host: null })).json<IrqList>();
      const eth = list.irqs.find((i) => i.name === 'eth0-TxRx-0')?.irq as string;
      const put = await send(
        { path },
        { method: 'PUT', path: `/api/v1/irqs/${eth}/affinity`, json: { cpu: 1 }, host: null },
      );
      assert.equal(put.status, 200, put.text);
      assert.equal(d.irqFile(eth, 'smp_affinity_list'), '1');
    } finally {
      expectStopped(d, await d.stop());
    }
    assert.throws(() => statSync(path), /ENOENT/, 'the socket is removed on exit');
    assert.throws(() => statSync(d.simDir as string), /ENOENT/, 'the simulated machine is removed on exit');
  });

  it('listens on two targets at once (TCP and a Unix socket), one daemon behind both', async () => {
    const path = join(dir, 'two.sock');
    const d = await startDaemon([...SIM, '--listen', '127.0.0.1:0', '--listen', path]);
    try {
      assert.equal(d.urls.length, 2);
      assert.match(d.urls[0] as string, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(d.urls[1], `unix:${path}`);
      const [tcp, unix] = d.endpoints as [{ host: string; port: number }, { path: string }];
      assert.ok(tcp.port > 0);
      const viaTcp = await send(tcp, { path: '/healthz' });
      const viaUnix = await send(unix, { path: '/healthz', host: null });
      assert.equal(viaTcp.status, 200);
      assert.equal(viaUnix.status, 200);
      assert.equal(viaTcp.json().system, viaUnix.json().system, 'the same machine');
      // Each target keeps its own Host rule.
      expectProblem(
        await send(tcp, { path: '/healthz', host: null }),
        421,
        'IRQ_ERR_HOST',
        'TCP without Host',
      );
      expectProblem(
        await send(unix, { path: '/healthz', host: `127.0.0.1:${tcp.port}` }),
        421,
        'IRQ_ERR_HOST',
      );
      // A write through one is seen through the other.
      const irqs = (await send(tcp, { path: '/api/v1/irqs' })).json<IrqList>();
      const eth = irqs.irqs.find((i) => i.name === 'eth0-TxRx-1')?.irq as string;
      const put = await send(unix, {
        method: 'PUT',
        path: `/api/v1/irqs/${eth}/affinity`,
        json: { cpu: 2 },
        host: null,
      });
      assert.equal(put.status, 200, put.text);
      const seen = (await send(tcp, { path: `/api/v1/irqs/${eth}` })).json();
      assert.equal(seen.affinity, '2');
    } finally {
      expectStopped(d, await d.stop());
    }
    assert.throws(() => statSync(path), /ENOENT/);
  });

  it('stops cleanly on SIGINT as well (SIGHUP reloads instead: irqkitd-signals.test.ts)', async () => {
    const a = await startDaemon([...SIM, '--listen', '127.0.0.1:0']);
    expectStopped(a, await a.stop({ signal: 'SIGINT' }), 'SIGINT');
  });

  it('exits 64 with one line on stderr (no stack trace) for every bad command line', async () => {
    const cases: string[][] = [
      ['--bogus'],
      ['--interval', 'abc'],
      ['--interval', '0'],
      ['--retention', '1s', '--interval', '1s'],
      ['--max-wait', 'soon'],
      ['--listen', 'nope'],
      ['--listen', '127.0.0.1:99999'],
      ['--listen', `/${'x'.repeat(120)}`],
      ['--simulate', '', '--procfs', '/tmp'],
      ['--simulate', '{"cpus":0,"devices":[]}'],
      ['--simulate', '{"cpus":4,"devices":[],"bogus":1}'],
      ['--simulate', '{not json'],
      ['--ban', 'x'],
      ['--ban', '1,,2'],
      ['extra'],
      ['--read-only=yes'],
      ['--version=1'],
    ];
    const runs = await Promise.all(
      cases.map((args) => runDaemonToExit([...args, '--listen', '127.0.0.1:0'])),
    );
    runs.forEach((r, i) => {
      const what = (cases[i] as string[]).join(' ');
      assert.equal(r.code, 64, `${what}: exit ${r.code ?? r.signal}; stderr:\n${r.stderr}`);
      oneLineError(r, what);
    });
    assert.match(runs[0]?.stderr ?? '', /--bogus/, 'names the unknown option');
    assert.match(runs[1]?.stderr ?? '', /--interval/, 'names the flag');
  });

  it('refuses a --listen beyond loopback without --allow-remote, saying what it would mean (64)', async () => {
    const cases: Array<[string, RegExp]> = [
      ['0:0', /every network interface/],
      ['0.0.0.0:0', /every network interface/],
      ['[::]:0', /every network interface/],
      ['192.0.2.1:0', /not loopback/],
      ['example.com:0', /not loopback/],
    ];
    const runs = await Promise.all(cases.map(([addr]) => runDaemonToExit([...SIM, '--listen', addr])));
    runs.forEach((r, i) => {
      const [addr, meaning] = cases[i] as [string, RegExp];
      assert.equal(r.code, 64, `${addr}: exit ${r.code ?? r.signal}; stderr:\n${r.stderr}`);
      const line = oneLineError(r, addr);
      assert.match(line, meaning, addr);
      assert.match(line, /--allow-remote/, addr);
    });
  });

  it('with --allow-remote listens on every interface and logs a warning that says so', async () => {
    const d = await startDaemon([...SIM, '--listen', '0:0', '--allow-remote']);
    try {
      const warning = d.logs().find((e) => e.msg === 'listening beyond loopback (--allow-remote)');
      assert.ok(warning, d.stderr());
      assert.equal(warning.level, 'warn');
      assert.match(String(warning.warning), /every network interface/);
      assert.match(d.urls[0] ?? '', /^http:\/\/0:\d+$/);
    } finally {
      expectStopped(d, await d.stop());
    }
  });

  it('names the program once in a bad-flag message', async () => {
    const r = await runDaemonToExit(['--bogus']);
    assert.doesNotMatch(r.stderr, /irqkitd: irqkitd:/);
  });

  it('keeps to one line for an option value that starts with a dash', async () => {
    const r = await runDaemonToExit(['--interval', '-1s', '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 64, r.stderr);
    oneLineError(r, '--interval -1s');
  });

  it('exits 66 with one line for a --simulate spec file that does not exist', async () => {
    const r = await runDaemonToExit(['--simulate', join(dir, 'missing.json'), '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 66, r.stderr);
    assert.match(oneLineError(r, 'missing spec'), /missing\.json/);
  });

  it('exits 64 for a --simulate word that is neither a file nor a compact spec, naming the accepted forms', async () => {
    const r = await runDaemonToExit(['--simulate', 'bogus', '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 64, r.stderr);
    assert.match(
      oneLineError(r, 'bogus spec'),
      /--simulate "bogus": no such file, and not a compact spec; give nothing .*16cpu,2node.*inline JSON.*or a JSON file/,
    );
  });

  it('exits non-zero with a clear message when the port is in use, and leaves no simulated machine behind', async () => {
    const busy = await listenOn({ port: 0, host: '127.0.0.1' });
    const port = (busy.address() as { port: number }).port;
    const tmp = join(dir, 'tmp-port');
    mkdirSync(tmp);
    try {
      const r = await runDaemonToExit(['--simulate', '', '--listen', `127.0.0.1:${port}`], {
        env: { TMPDIR: tmp },
      });
      assert.equal(
        r.code,
        69,
        `EX_UNAVAILABLE, got ${r.code ?? r.signal}; stderr: ${JSON.stringify(r.stderr)}`,
      );
      const line = oneLineError(r, 'port in use');
      assert.match(line, /cannot listen/);
      assert.match(line, /EADDRINUSE|address already in use/);
      assert.match(line, new RegExp(`127\\.0\\.0\\.1:${port}`));
      // The second of two targets busy: the first is released and the machine removed as well.
      const r2 = await runDaemonToExit(
        ['--simulate', '', '--listen', '127.0.0.1:0', '--listen', `127.0.0.1:${port}`],
        {
          env: { TMPDIR: tmp },
        },
      );
      assert.equal(r2.code, 69, r2.stderr);
      oneLineError(r2, 'second target busy');
      assert.deepEqual(readdirSync(tmp), [], 'the simulated machine was removed');
    } finally {
      await closeServer(busy);
    }
  });

  it('refuses a Unix socket path another process listens on, or a file in the way, and leaves both alone', async () => {
    const live = join(dir, 'live.sock');
    const other = await listenOn(live);
    const file = join(dir, 'precious');
    writeFileSync(file, 'keep me');
    try {
      const r = await runDaemonToExit([...SIM, '--listen', live]);
      assert.equal(r.code, 69, r.stderr);
      assert.match(oneLineError(r, 'live socket'), /cannot listen.*another process is listening/);
      assert.ok(statSync(live).isSocket(), 'the other process keeps its socket');
      const f = await runDaemonToExit([...SIM, '--listen', file]);
      assert.equal(f.code, 69, f.stderr);
      assert.match(oneLineError(f, 'file in the way'), /not a socket/);
      assert.equal(readFileSync(file, 'utf8'), 'keep me');
    } finally {
      await closeServer(other);
    }
  });

  describe('SIGTERM while a wait=true request waits for history', () => {
    // A 10-minute window that --max-wait lets wait as long: only the shutdown can end the wait.
    let run: Promise<{
      d: DaemonProcess;
      stop: StopResult;
      res: HttpResponse | Error;
      answeredBeforeSignal: boolean;
    }>;
    before(() => {
      run = (async () => {
        const d = await startDaemon([...SIM, '--listen', '127.0.0.1:0', '--max-wait', '15m']);
        let answered = false;
        const pending = d
          .request({ path: '/api/v1/distribution?window=10m&wait=true', timeoutMs: 60_000 })
          .then(
            (r) => r,
            (e: Error) => e,
          )
          .finally(() => {
            answered = true;
          });
        // /healthz counts the queries waiting for history; one interval is there to answer with.
        await eventually('the request to wait, with an interval sampled', async () => {
          const s = await samplerFigures(d);
          return s.waiting === 1 && s.samples >= 2 ? true : undefined;
        });
        const answeredBeforeSignal = answered;
        const stop = await d.stop({ killAfterMs: 25_000 });
        const res = await pending;
        return { d, stop, res, answeredBeforeSignal };
      })();
      // The tests below await it; keep an early failure from being an unhandled rejection.
      run.catch(() => undefined);
    });

    it('answers the waiting request with the window so far and exits 0', async () => {
      const { d, stop, res, answeredBeforeSignal } = await run;
      expectStopped(d, stop);
      assert.equal(answeredBeforeSignal, false, 'the request was still waiting when SIGTERM arrived');
      assert.ok(!(res instanceof Error), `the request got an answer, not ${res}`);
      assert.equal(res.status, 200, res.text);
      const w = res.json<Distribution>().window;
      assert.equal(w.requestedSeconds, 600);
      assert.equal(w.complete, false);
      assert.ok(w.seconds > 0);
      assert.equal(res.headers.connection, 'close', 'no keep-alive on a stopping daemon');
    });

    it('ends the wait at SIGTERM instead of letting it run to --max-wait or the shutdown deadline', async () => {
      const { d, res } = await run;
      // At the shutdown deadline (10 s) a waiting handler is aborted (503) and a second later
      // dropped; an answer with the window, logged between 'stopping' and 'irqkitd stopped',
      // comes from the shutdown waking the wait.
      assert.ok(!(res instanceof Error) && res.status === 200, 'answered with the window so far');
      const msgs = d.logs();
      const stopping = msgs.findIndex((e) => e.msg === 'stopping');
      const answered = msgs.findIndex(
        (e) => e.msg === 'request' && String(e.path).startsWith('/api/v1/distribution'),
      );
      const stopped = msgs.findIndex((e) => e.msg === 'irqkitd stopped');
      assert.ok(
        stopping >= 0 && stopping < answered && answered < stopped,
        `log order: stopping ${stopping}, answered ${answered}, stopped ${stopped}`,
      );
      assert.equal(msgs[answered]?.status, 200);
      assert.ok(
        !msgs.some((e) => e.msg === 'client went away' || e.level === 'error'),
        'nothing was aborted or dropped',
      );
    });
  });

  it('--version and -V print the version and exit 0', async () => {
    const [long, short] = await Promise.all([runDaemonToExit(['--version']), runDaemonToExit(['-V'])]);
    for (const r of [long, short]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^irqkitd \S+\n$/);
      assert.equal(r.stderr, '');
    }
    assert.equal(long.stdout, short.stdout);
  });

  it('--version of the bundle is the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    const r = await runDaemonToExit(['--version']);
    assert.equal(r.stdout, `irqkitd ${pkg.version}\n`);
  });

  it('--help and -h print the usage with every option and exit 0', async () => {
    const [long, short] = await Promise.all([runDaemonToExit(['--help']), runDaemonToExit(['-h'])]);
    for (const r of [long, short]) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^Usage: irqkitd \[options\]\n/);
      for (const flag of [
        '--listen',
        '--allow-remote',
        '--allow-host',
        '--interval',
        '--retention',
        '--max-wait',
        '--procfs',
        '--sysfs',
        '--simulate',
        '--read-only',
        '--ban',
        '--state-dir',
        '--restore-on-exit',
        '--config',
        '--metrics-irq-cpu',
        '--version',
        '--help',
      ]) {
        assert.ok(r.stdout.includes(flag), `--help mentions ${flag}`);
      }
    }
    assert.equal(long.stdout, short.stdout);
  });
});
