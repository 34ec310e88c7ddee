/**
 * Signals to the real irqkitd process: SIGTERM in the middle of requests ends in a clean shutdown
 * where each request either finished (kernel file and state file both have it) or did nothing;
 * SIGHUP reloads --config (bans, restore-on-exit) and the state file, and a bad file is refused
 * without stopping anything.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AutoStatus } from '../../src/api/auto-schemas.ts';
import type { PinsDoc } from '../../src/api/pin-schemas.ts';
import type { IrqDetails, Plan } from '../../src/api/schemas.ts';
import { defaultSimSpec, type SimSpec } from '../../src/sim/spec.ts';
import { expectProblem } from '../helpers/api-assert.ts';
import {
  type DaemonProcess,
  eventually,
  type LogEntry,
  runDaemonToExit,
  samplerFigures,
  startDaemon,
} from '../helpers/daemon-process.ts';
import type { HttpResponse } from '../helpers/http.ts';
import { machineArgs, readStateFile, runningMachine } from '../helpers/sim-daemon.ts';

const SPEC: SimSpec = { ...defaultSimSpec(8), noise: 0 };
type Machine = ReturnType<typeof runningMachine>;

const affinity = (m: Machine, irq: string): string =>
  readFileSync(join(m.procRoot, 'irq', irq, 'smp_affinity_list'), 'utf8').trim();

function logged(d: DaemonProcess, what: string, match: (e: LogEntry) => boolean): Promise<LogEntry> {
  return eventually(`the log line ${what}`, () => d.logs().find(match), undefined, 25);
}

/**
 * A PUT that says `Expect: 100-continue` and holds its body back until finish(). The daemon's
 * 100 Continue (`continued`) is the handshake: the daemon has taken the request in, past its
 * check for a shutdown under way, and waits for the body.
 */
function heldPut(
  ep: { host: string; port: number },
  path: string,
  body: unknown,
): { continued: Promise<void>; finish(): Promise<HttpResponse> } {
  const payload = Buffer.from(JSON.stringify(body));
  let resolveRes: (r: HttpResponse) => void = () => undefined;
  let rejectRes: (e: Error) => void = () => undefined;
  const answered = new Promise<HttpResponse>((resolve, reject) => {
    resolveRes = resolve;
    rejectRes = reject;
  });
  const req = httpRequest(
    {
      host: ep.host,
      port: ep.port,
      method: 'PUT',
      path,
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': String(payload.length),
        expect: '100-continue',
      },
    },
    (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolveRes({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: <T>() => JSON.parse(text) as T,
        });
      });
    },
  );
  const continued = new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    answered.then(
      (r) => reject(new Error(`answered ${r.status} before 100 Continue: ${r.text}`)),
      (e: Error) => reject(e),
    );
  });
  continued.catch(() => undefined);
  req.on('error', (e) => rejectRes(e));
  req.flushHeaders();
  return {
    continued,
    finish() {
      req.end(payload);
      return answered;
    },
  };
}

async function withMachine(spec: SimSpec, fn: (m: Machine) => Promise<void>): Promise<void> {
  const m = runningMachine(spec);
  try {
    await fn(m);
  } finally {
    m.cleanup();
  }
}

describe('irqkitd signals (real daemon process)', { concurrency: 4 }, () => {
  it('SIGTERM while a plan/apply waits for its window: 503, nothing written, exit 0', () =>
    withMachine(SPEC, async (m) => {
      // A 10-minute window that --max-wait lets wait as long: only the shutdown can end the wait.
      const d = await startDaemon(machineArgs(m, m.stateDir, ['--max-wait', '15m']));
      const pending = d
        .request({ method: 'POST', path: '/api/v1/plan/apply', json: { window: '10m' }, timeoutMs: 60_000 })
        .catch((e: Error) => e);
      // Waiting (/healthz counts it), with an interval sampled: the window so far is enough to
      // plan on, so only the shutdown stops it.
      await eventually('the apply to wait, with an interval sampled', async () => {
        const s = await samplerFigures(d);
        return s.waiting === 1 && s.samples >= 2 ? true : undefined;
      });
      const stop = await d.stop();
      assert.equal(stop.code, 0, d.stderr());
      const res = await pending;
      assert.ok(!(res instanceof Error), `answered, not ${res}`);
      const p = expectProblem(res, 503, 'IRQ_ERR_UNAVAILABLE');
      assert.match(p.detail, /shutting down; nothing was written/);
      for (const i of m.irqs) {
        if (!i.managed)
          assert.equal(affinity(m, String(i.irq)), String(i.affinity[0]), `IRQ ${i.irq} untouched`);
      }
      assert.equal(readStateFile(m.stateDir), null, 'no state was saved for it');
    }));

  it('SIGTERM in a stream of persisted writes: each request finished (kernel and state file agree) or did nothing', () =>
    withMachine({ ...defaultSimSpec(32), noise: 0 }, async (m) => {
      const d = await startDaemon(machineArgs(m, m.stateDir));
      // eth0's 32 queues are IRQs 24-55, all on CPU 0; 55 is for the held request.
      const irqs = Array.from({ length: 31 }, (_, i) => String(24 + i));
      const target = (irq: string): number => 1 + (Number(irq) % 7);
      const results = new Map<string, HttpResponse | Error>();
      // The stream goes on across the signal: the last 11 requests are sent once the daemon
      // has logged that it is stopping, while the first 20 may still be under way.
      const BEFORE = 20;
      let signalTaken: () => void = () => undefined;
      const taken = new Promise<void>((resolve) => {
        signalTaken = resolve;
      });
      let next = 0;
      const worker = async (): Promise<void> => {
        for (;;) {
          const i = next++;
          const irq = irqs[i];
          if (irq === undefined) return;
          if (i >= BEFORE) await taken;
          const r = await d
            .request({
              method: 'PUT',
              path: `/api/v1/irqs/${irq}/affinity`,
              json: { cpu: target(irq), persist: true },
            })
            .catch((e: Error) => e);
          results.set(irq, r);
        }
      };
      const workers = Promise.all([worker(), worker(), worker()]);
      await eventually('some pins', () =>
        [...results.values()].some((r) => !(r instanceof Error)) ? true : undefined,
      );
      // One request is under way when the signal comes: taken in, its body not sent yet.
      const held = heldPut(d.endpoint as { host: string; port: number }, '/api/v1/irqs/55/affinity', {
        cpu: 7,
        persist: true,
      });
      await held.continued;
      const stopping = d.stop();
      // Logged as the shutdown begins; from then on no write may start.
      await logged(d, "'stopping'", (e) => e.msg === 'stopping');
      signalTaken();
      const late = await held.finish();
      const stop = await stopping;
      await workers;
      assert.equal(stop.code, 0, d.stderr());
      const p = expectProblem(late, 503, 'IRQ_ERR_UNAVAILABLE', 'the request whose body came after SIGTERM');
      assert.match(p.detail, /shutting down; nothing was written/);
      assert.equal(affinity(m, '55'), '0');
      const state = readStateFile(m.stateDir);
      assert.ok(state, 'the state file is whole JSON');
      let done = 0;
      let refused = 0;
      for (const irq of irqs) {
        const r = results.get(irq);
        const file = affinity(m, irq);
        const pinned: { cpu: number } | undefined = state.pins[irq];
        if (r !== undefined && !(r instanceof Error) && r.status === 200) {
          done++;
          assert.equal(file, String(target(irq)), `IRQ ${irq}: answered 200, so it is set`);
          assert.equal(pinned?.cpu, target(irq), `IRQ ${irq}: answered 200, so it is pinned on disk`);
        } else {
          if (r !== undefined && !(r instanceof Error)) {
            expectProblem(r, 503, 'IRQ_ERR_UNAVAILABLE', `IRQ ${irq}`);
            refused++;
          }
          // Refused, never sent or cut off: both kernel and disk have it, or neither.
          assert.equal(
            file === String(target(irq)),
            pinned !== undefined,
            `IRQ ${irq}: kernel ${file}, pin ${pinned?.cpu}`,
          );
        }
      }
      assert.ok(done > 0, 'some requests finished before the signal');
      for (const irq of irqs.slice(BEFORE)) {
        const r = results.get(irq);
        assert.ok(
          r instanceof Error || r?.status === 503,
          `IRQ ${irq}, sent after 'stopping': refused or cut off, not ${r instanceof Error ? r : r?.status}`,
        );
      }
      console.log(`# ${done} done, ${refused} refused with 503, ${irqs.length - done - refused} cut off`);
    }));

  it('SIGHUP reloads --config (bans, restore-on-exit); a broken file is refused and the running configuration stays', () =>
    withMachine(SPEC, async (m) => {
      const config = join(m.stateDir, 'irqkitd.json');
      writeFileSync(config, JSON.stringify({ ban: [] }));
      const d = await startDaemon(machineArgs(m, m.stateDir, ['--config', config]));
      try {
        const banned = async (irq: string): Promise<boolean> =>
          (await d.request({ path: `/api/v1/irqs/${irq}` })).json<IrqDetails>().banned;
        assert.equal(await banned('24'), false);
        writeFileSync(config, JSON.stringify({ ban: [24, '25'], restoreOnExit: true }));
        d.child.kill('SIGHUP');
        const line = await logged(d, "'configuration reloaded'", (e) => e.msg === 'configuration reloaded');
        assert.deepEqual(line.ban, ['24', '25']);
        assert.equal(line.restoreOnExit, true);
        assert.equal(await banned('24'), true);
        const plan = (await d.request({ path: '/api/v1/plan?window=1s' })).json<Plan>();
        assert.equal(
          plan.assignments.find((a) => a.irq === '24')?.fixed,
          true,
          'plans leave a banned IRQ alone',
        );
        writeFileSync(config, '{"ban": [24');
        d.child.kill('SIGHUP');
        const refused = await logged(
          d,
          "'reload failed'",
          (e) => e.msg === 'reload failed; keeping the running configuration',
        );
        assert.equal(refused.level, 'error');
        assert.match(String(refused.error), /not JSON/);
        assert.equal(d.running(), true, 'a bad reload stops nothing');
        assert.equal(await banned('25'), true, 'the running configuration stays');
        const put = await d.request({ method: 'PUT', path: '/api/v1/irqs/26/affinity', json: { cpu: 2 } });
        assert.equal(put.status, 200);
      } finally {
        const stop = await d.stop();
        assert.equal(stop.code, 0);
      }
      assert.ok(
        d.logs().some((e) => e.msg === 'restored on exit'),
        'restoreOnExit came from the reloaded file',
      );
      assert.equal(affinity(m, '26'), '0');
    }));

  it('SIGHUP turns the autopilot on and off from --config; an --auto-* flag wins over the file; bad settings are refused', () =>
    withMachine(SPEC, async (m) => {
      const config = join(m.stateDir, 'irqkitd.json');
      writeFileSync(config, JSON.stringify({ auto: { enabled: false, every: '2s' } }));
      const d = await startDaemon(machineArgs(m, m.stateDir, ['--config', config, '--auto-max-moves', '3']));
      const auto = async (): Promise<AutoStatus> =>
        (await d.request({ path: '/api/v1/auto' })).json<AutoStatus>();
      try {
        assert.equal((await auto()).enabled, false);
        writeFileSync(
          config,
          JSON.stringify({ auto: { enabled: true, every: '1s', maxMoves: 50, numa: 'ignore' } }),
        );
        d.child.kill('SIGHUP');
        const line = await logged(d, "'configuration reloaded'", (e) => e.msg === 'configuration reloaded');
        assert.deepEqual(line.auto, {
          everySeconds: 1,
          windowSeconds: 1,
          maxMoves: 3,
          cooldownSeconds: 2,
          cpus: null,
          numa: 'ignore',
        });
        const on = await auto();
        assert.equal(on.enabled, true);
        assert.equal(on.settings.maxMoves, 3, 'the command line wins over the file');
        writeFileSync(config, JSON.stringify({ auto: { enabled: true, window: '1h' } }));
        d.child.kill('SIGHUP');
        const refused = await logged(
          d,
          "'reload failed'",
          (e) => e.msg === 'reload failed; keeping the running configuration',
        );
        assert.match(String(refused.error), /auto window must fit in the --retention history/);
        assert.equal((await auto()).settings.numa, 'ignore', 'the running settings stay');
        writeFileSync(config, JSON.stringify({ auto: { enabled: true, speed: 'fast' } }));
        d.child.kill('SIGHUP');
        await logged(d, 'an unknown key refused', (e) =>
          /"auto" has unknown key "speed"/.test(String(e.error)),
        );
      } finally {
        assert.equal((await d.stop()).code, 0);
      }
    }));

  it('SIGHUP re-reads the state file: pins added to it are applied; an unreadable one keeps the pins in memory', () =>
    withMachine(SPEC, async (m) => {
      const d = await startDaemon(machineArgs(m, m.stateDir));
      try {
        const put = await d.request({
          method: 'PUT',
          path: '/api/v1/irqs/24/affinity',
          json: { cpu: 3, persist: true },
        });
        assert.equal(put.status, 200);
        const file = join(m.stateDir, 'state.json');
        const doc = JSON.parse(readFileSync(file, 'utf8'));
        doc.pins['26'] = { cpu: 5, name: 'eth0-TxRx-2', since: 'by hand' };
        writeFileSync(file, JSON.stringify(doc));
        d.child.kill('SIGHUP');
        await logged(
          d,
          "'pin applied' for 26",
          (e) => e.msg === 'pin applied' && e.irq === '26' && e.reason === 'reload',
        );
        assert.equal(affinity(m, '26'), '5');
        writeFileSync(file, 'garbage');
        d.child.kill('SIGHUP');
        const line = await logged(
          d,
          'a reload with a state error',
          (e) => e.msg === 'configuration reloaded' && e.stateError !== undefined,
        );
        assert.equal(line.level, 'warn');
        assert.equal(line.pins, 2, 'the pins in memory stay');
        const pins = (await d.request({ path: '/api/v1/pins' })).json<PinsDoc>();
        assert.deepEqual(
          pins.pins.map((p) => p.irq),
          ['24', '26'],
        );
      } finally {
        assert.equal((await d.stop()).code, 0);
      }
    }));

  it('SIGHUP does not stop the daemon; SIGINT does, cleanly', () =>
    withMachine(SPEC, async (m) => {
      const d = await startDaemon(machineArgs(m, m.stateDir));
      d.child.kill('SIGHUP');
      await logged(d, "'configuration reloaded'", (e) => e.msg === 'configuration reloaded');
      assert.equal((await d.request({ path: '/healthz' })).status, 200);
      const stop = await d.stop({ signal: 'SIGINT' });
      assert.equal(stop.code, 0);
      assert.equal(stop.killed, false);
    }));

  it('a --config that is missing or wrong fails the start with one line', async () => {
    const bad = await runDaemonToExit([
      '--simulate',
      '4cpu',
      '--listen',
      '127.0.0.1:0',
      '--config',
      '/nonexistent/irqkitd.json',
    ]);
    assert.equal(bad.code, 66, bad.stderr);
    assert.match(bad.stderr, /^irqkitd: .*irqkitd\.json.*\n$/);
    await withMachine(SPEC, async (m) => {
      const config = join(m.stateDir, 'c.json');
      writeFileSync(config, JSON.stringify({ ban: ['x'], bogus: 1 }));
      const r = await runDaemonToExit([...machineArgs(m, m.stateDir), '--config', config]);
      assert.equal(r.code, 64, r.stderr);
      assert.match(r.stderr, /unknown key "bogus"/);
    });
  });
});
