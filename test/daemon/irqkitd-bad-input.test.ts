/**
 * Malformed, out-of-range and hostile requests against the real bundled daemon: each gets the
 * documented 4xx status and stable `code` in an application/problem+json body (a failed batch:
 * a 409 BatchResult), nothing is written to the (simulated) kernel, no response carries a CORS
 * header, and the daemon is still healthy afterwards.
 *
 * The main daemon simulates `8cpu,2node,offline=5` (CPU 5 offline, CPUs 0-7 possible) with
 * `--retention 5s`; a second one runs `--read-only`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BatchResult, Distribution, IrqDetails, IrqList } from '../../src/api/schemas.ts';
import { corsHeaders, expectProblem } from '../helpers/api-assert.ts';
import { type DaemonProcess, machineStepped, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { type HttpRequest, type HttpResponse, rawJsonBody, sendRaw } from '../helpers/http.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

/** Every response of this file, for the CORS check at the end. */
const seen: HttpResponse[] = [];

describe('irqkitd refuses bad input with stable problem codes (real daemon process)', () => {
  let d: DaemonProcess;
  let ro: DaemonProcess;
  /** A movable eth0 queue, a second and third one, and a kernel-managed NVMe queue. */
  let movable: string;
  let movable2: string;
  let movable3: string;
  /** Moved and moved back by the content-type control test, so not in snapshotFiles(). */
  let spare: string;
  let managed: string;
  let port: number;

  const call = async (req: HttpRequest, daemon: DaemonProcess = d): Promise<HttpResponse> => {
    const res = await daemon.request(req);
    seen.push(res);
    return res;
  };
  const put = (irq: string, body: unknown, extra: Partial<HttpRequest> = {}): Promise<HttpResponse> =>
    call({ method: 'PUT', path: `/api/v1/irqs/${irq}/affinity`, json: body, ...extra });
  const putRaw = (path: string, body: string | Buffer, contentType?: string): Promise<HttpResponse> =>
    call({
      method: 'PUT',
      path,
      body,
      ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
    });
  /** The affinity files of the IRQs these tests may try to change. */
  const snapshotFiles = (daemon: DaemonProcess = d): string[] =>
    [movable, movable2, movable3, managed].flatMap((irq) => [
      `${irq}:${daemon.irqFile(irq, 'smp_affinity_list')}`,
      `${irq}:${daemon.irqFile(irq, 'smp_affinity')}`,
      `${irq}:${daemon.irqFile(irq, 'effective_affinity_list')}`,
    ]);

  /**
   * Once the simulated kernel has stepped after the requests, a write any of them made would
   * show in the files (effective_affinity_list included): comparing them then proves none did.
   */
  const settled = (daemon: DaemonProcess = d): Promise<void> => machineStepped(daemon.procRoot);

  before(async () => {
    [d, ro] = await Promise.all([
      startDaemon(simArgs('8cpu,2node,offline=5', ['--retention', '5s'])),
      startDaemon(simArgs('8cpu,2node', ['--read-only'])),
    ]);
    port = (d.endpoint as { port: number }).port;
    const list = (await call({ path: '/api/v1/irqs' })).json<IrqList>();
    const named = (name: string): string => {
      const irq = list.irqs.find((i) => i.name === name)?.irq;
      assert.ok(irq, `the simulated machine has ${name}`);
      return irq;
    };
    movable = named('eth0-TxRx-0');
    movable2 = named('eth0-TxRx-1');
    movable3 = named('eth0-TxRx-2');
    spare = named('eth0-TxRx-3');
    managed = named('nvme0q1');
  });

  after(async () => {
    const [a, b] = await Promise.all([d?.stop(), ro?.stop()]);
    assert.equal(a?.code, 0, `irqkitd exits 0 on SIGTERM; stderr:\n${d?.stderr().slice(-2000)}`);
    assert.equal(b?.code, 0, `read-only irqkitd exits 0 on SIGTERM; stderr:\n${ro?.stderr().slice(-2000)}`);
  });

  describe('IRQ path parameter', () => {
    // [segment as sent, status, code]: schema-valid but absent IRQs are 404, the rest 400.
    const cases: Array<[string, number, string]> = [
      ['9999', 404, 'IRQ_ERR_UNKNOWN_IRQ'],
      ['1048575', 404, 'IRQ_ERR_UNKNOWN_IRQ'],
      ['abc', 400, 'IRQ_ERR_USAGE'],
      ['-1', 400, 'IRQ_ERR_USAGE'],
      ['99999999999', 400, 'IRQ_ERR_USAGE'],
      ['99999999999999999999', 400, 'IRQ_ERR_USAGE'],
      ['1048576', 400, 'IRQ_ERR_USAGE'],
      ['1e3', 400, 'IRQ_ERR_USAGE'],
      ['0x18', 400, 'IRQ_ERR_USAGE'],
      ['+24', 400, 'IRQ_ERR_USAGE'],
      ['24.0', 400, 'IRQ_ERR_USAGE'],
      ['%2024', 400, 'IRQ_ERR_USAGE'],
      ['%D9%A2%D9%A4', 400, 'IRQ_ERR_USAGE'],
      ['%2e%2e', 400, 'IRQ_ERR_USAGE'],
      ['..', 400, 'IRQ_ERR_USAGE'],
      ['..%2f..%2fetc', 400, 'IRQ_ERR_USAGE'],
      ['24%2f..', 400, 'IRQ_ERR_USAGE'],
      ['%5c..%5cetc', 400, 'IRQ_ERR_USAGE'],
      ['24%00', 400, 'IRQ_ERR_USAGE'],
      ['%ZZ', 400, 'IRQ_ERR_USAGE'],
    ];

    it('GET /api/v1/irqs/{irq}: unknown → 404 IRQ_ERR_UNKNOWN_IRQ, malformed or hostile → 400 IRQ_ERR_USAGE', async () => {
      for (const [seg, status, code] of cases) {
        expectProblem(await call({ path: `/api/v1/irqs/${seg}` }), status, code, `GET irq ${seg}`);
      }
    });

    it('PUT /api/v1/irqs/{irq}/affinity: the same answers, and no procfs file appears', async () => {
      const before = snapshotFiles();
      for (const [seg, status, code] of cases) {
        expectProblem(await put(seg, { cpu: 1 }), status, code, `PUT irq ${seg}`);
      }
      assert.equal(existsSync(join(d.procRoot, 'irq', '9999')), false, 'a write never creates an IRQ');
      assert.equal(existsSync(join(d.procRoot, 'irq', '1048575')), false);
      assert.deepEqual(snapshotFiles(), before);
    });

    it('a leading zero names the same IRQ (decimal digits only)', async () => {
      const r = await call({ path: `/api/v1/irqs/00${movable}` });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json().irq, movable);
    });
  });

  describe('CPU numbers', () => {
    it('PUT to an offline CPU → 409 IRQ_ERR_CPU_OFFLINE, to a CPU the machine lacks → 400 above the maximum its document states', async () => {
      const before = snapshotFiles();
      expectProblem(await put(movable, { cpu: 5 }), 409, 'IRQ_ERR_CPU_OFFLINE', 'offline CPU 5');
      for (const cpu of [8, 65535]) {
        const p = expectProblem(await put(movable, { cpu }), 400, 'IRQ_ERR_USAGE', `CPU ${cpu} of 0-7`);
        assert.deepEqual(p.errors?.[0], {
          path: '/body/cpu',
          message: `CPU ${cpu} does not exist on this machine (the highest is CPU 7)`,
        });
      }
      const doc = (await call({ path: '/openapi.json' })).json<{
        paths: Record<
          string,
          Record<
            string,
            {
              requestBody: {
                content: Record<string, { schema: { properties: { cpu: { maximum: number } } } }>;
              };
            }
          >
        >;
      }>();
      const cpu =
        doc.paths['/api/v1/irqs/{irq}/affinity']?.put?.requestBody.content['application/json']?.schema
          .properties.cpu;
      assert.equal(cpu?.maximum, 7, 'the document states the maximum the daemon accepts');
      await settled();
      assert.deepEqual(snapshotFiles(), before, 'nothing written');
    });

    it('PUT with a CPU that is not a non-negative integer up to 65535 → 400 IRQ_ERR_USAGE naming /body/cpu', async () => {
      const before = snapshotFiles();
      for (const cpu of [65536, -1, 1.5, '1', null, true, [1], { cpu: 1 }]) {
        const p = expectProblem(await put(movable, { cpu }), 400, 'IRQ_ERR_USAGE', JSON.stringify(cpu));
        assert.equal(p.errors?.[0]?.path, '/body/cpu', JSON.stringify(p));
      }
      // Numbers JSON can carry but a double cannot hold exactly, or not at all.
      for (const raw of ['{"cpu":9007199254740993}', '{"cpu":1e400}', '{"cpu":-0.0000001}']) {
        expectProblem(
          await putRaw(`/api/v1/irqs/${movable}/affinity`, raw, 'application/json'),
          400,
          'IRQ_ERR_USAGE',
          raw,
        );
      }
      expectProblem(await put(movable, {}), 400, 'IRQ_ERR_USAGE', 'no cpu');
      assert.deepEqual(snapshotFiles(), before);
    });

    it('a batch with an offline CPU → 409 with every outcome, nothing written', async () => {
      const before = snapshotFiles();
      const res = await call({
        method: 'POST',
        path: '/api/v1/affinity',
        json: {
          assignments: [
            { irq: movable, cpu: 1 },
            { irq: movable2, cpu: 5 },
          ],
        },
      });
      assert.equal(res.status, 409, res.text);
      const r = res.json<BatchResult>();
      assert.equal(r.ok, false);
      assert.equal(r.rolledBack, false, 'validated before the first write: nothing to undo');
      assert.deepEqual(
        r.outcomes.map((o) => [o.irq, o.ok, o.error?.code]),
        [
          [movable, false, 'IRQ_ERR_NOT_ATTEMPTED'],
          [movable2, false, 'IRQ_ERR_CPU_OFFLINE'],
        ],
      );
      await settled();
      assert.deepEqual(snapshotFiles(), before);
    });

    it('a batch naming an unknown IRQ or the same IRQ twice → 409 with the reason in its outcome', async () => {
      const before = snapshotFiles();
      const unknown = await call({
        method: 'POST',
        path: '/api/v1/affinity',
        json: {
          assignments: [
            { irq: movable, cpu: 1 },
            { irq: '9999', cpu: 1 },
          ],
        },
      });
      assert.equal(unknown.status, 409, unknown.text);
      assert.deepEqual(
        unknown.json<BatchResult>().outcomes.map((o) => o.error?.code),
        ['IRQ_ERR_NOT_ATTEMPTED', 'IRQ_ERR_UNKNOWN_IRQ'],
      );
      const twice = await call({
        method: 'POST',
        path: '/api/v1/affinity',
        json: {
          assignments: [
            { irq: movable, cpu: 1 },
            { irq: movable, cpu: 2 },
          ],
        },
      });
      assert.equal(twice.status, 409, twice.text);
      assert.deepEqual(
        twice.json<BatchResult>().outcomes.map((o) => o.error?.code),
        ['IRQ_ERR_USAGE', 'IRQ_ERR_USAGE'],
      );
      assert.deepEqual(snapshotFiles(), before);
    });

    it('a batch whose IRQ is not a decimal string, or that is empty → 400 IRQ_ERR_USAGE', async () => {
      const bodies = [
        { assignments: [{ irq: 24, cpu: 1 }] },
        { assignments: [{ irq: '0x18', cpu: 1 }] },
        { assignments: [{ irq: '../24', cpu: 1 }] },
        { assignments: [{ irq: '12345678', cpu: 1 }] },
        { assignments: [{ irq: movable, cpu: -1 }] },
        { assignments: [] },
        { assignments: {} },
        {},
      ];
      for (const json of bodies) {
        expectProblem(
          await call({ method: 'POST', path: '/api/v1/affinity', json }),
          400,
          'IRQ_ERR_USAGE',
          JSON.stringify(json),
        );
      }
    });
  });

  describe('kernel-managed IRQs', () => {
    it('PUT on a managed IRQ → 409 IRQ_ERR_MANAGED, and its files are unchanged', async () => {
      const list = d.irqFile(managed, 'smp_affinity_list');
      const mask = d.irqFile(managed, 'smp_affinity');
      const effective = d.irqFile(managed, 'effective_affinity_list');
      assert.equal(d.irqFileMode(managed, 'smp_affinity_list'), 0o444);
      const other = list === '3' ? 2 : 3;
      const p = expectProblem(await put(managed, { cpu: other }), 409, 'IRQ_ERR_MANAGED');
      assert.equal(p.irq, managed);
      assert.equal(p.cpu, other);
      await settled();
      assert.equal(d.irqFile(managed, 'smp_affinity_list'), list);
      assert.equal(d.irqFile(managed, 'smp_affinity'), mask);
      assert.equal(d.irqFile(managed, 'effective_affinity_list'), effective);
      assert.equal(d.irqFileMode(managed, 'smp_affinity_list'), 0o444);
      // A dry run finds it out too, without writing.
      const dry = await call({
        method: 'POST',
        path: '/api/v1/affinity',
        json: { assignments: [{ irq: managed, cpu: other }], dryRun: true },
      });
      assert.equal(dry.status, 409, dry.text);
      assert.equal(dry.json<BatchResult>().outcomes[0]?.error?.code, 'IRQ_ERR_MANAGED');
      assert.equal(d.irqFile(managed, 'smp_affinity_list'), list);
    });
  });

  describe('request bodies', () => {
    it('a wrong or missing content type on PUT/POST → 415 IRQ_ERR_MEDIA_TYPE, nothing written', async () => {
      const before = snapshotFiles();
      const body = JSON.stringify({ cpu: 1 });
      const path = `/api/v1/irqs/${movable}/affinity`;
      for (const type of [
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'application/jsonp',
        'application/problem+json',
        'text/json',
      ]) {
        expectProblem(await putRaw(path, body, type), 415, 'IRQ_ERR_MEDIA_TYPE', `PUT as ${type}`);
      }
      const batch = JSON.stringify({ assignments: [{ irq: movable, cpu: 1 }] });
      for (const [url, text] of [
        ['/api/v1/affinity', batch],
        ['/api/v1/plan/apply', '{"window":"1s"}'],
      ] as const) {
        const r = await call({
          method: 'POST',
          path: url,
          body: text,
          headers: { 'content-type': 'text/plain' },
        });
        expectProblem(r, 415, 'IRQ_ERR_MEDIA_TYPE', `POST ${url}`);
      }
      // A GET that carries a body must say it is JSON as well.
      expectProblem(
        await call({ path: '/healthz', body: 'x', headers: { 'content-type': 'text/plain' } }),
        415,
        'IRQ_ERR_MEDIA_TYPE',
      );
      await settled();
      assert.deepEqual(snapshotFiles(), before);
    });

    it('accepts application/json with charset=utf-8, in any case (the control for the 415s)', async () => {
      const r = await putRaw(
        `/api/v1/irqs/${spare}/affinity`,
        JSON.stringify({ cpu: 1 }),
        'Application/JSON; Charset=UTF-8',
      );
      assert.equal(r.status, 200, r.text);
      assert.equal(d.irqFile(spare, 'smp_affinity_list'), '1');
      const back = await put(spare, { cpu: 0 });
      assert.equal(back.status, 200, back.text);
    });

    it('a body over 64 KiB → 413 IRQ_ERR_BODY_TOO_LARGE and the connection is closed', async () => {
      const before = snapshotFiles();
      const padded = `{"cpu":1${' '.repeat(70_000)}}`;
      const r1 = await putRaw(`/api/v1/irqs/${movable}/affinity`, padded, 'application/json');
      const p = expectProblem(r1, 413, 'IRQ_ERR_BODY_TOO_LARGE', 'PUT with Content-Length');
      assert.equal(p.limit, 65536);
      assert.equal(r1.headers.connection, 'close');
      const many = { assignments: Array.from({ length: 4000 }, (_, i) => ({ irq: String(i), cpu: 0 })) };
      expectProblem(
        await call({ method: 'POST', path: '/api/v1/affinity', json: many }),
        413,
        'IRQ_ERR_BODY_TOO_LARGE',
        'a huge batch',
      );
      // Chunked: no length up front, refused as soon as it crosses the cap.
      const chunked = await call({
        method: 'PUT',
        path: `/api/v1/irqs/${movable}/affinity`,
        body: padded,
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      expectProblem(chunked, 413, 'IRQ_ERR_BODY_TOO_LARGE', 'chunked');
      assert.deepEqual(snapshotFiles(), before);
    });

    it('a body that is not JSON, not UTF-8 or not an object → 400 IRQ_ERR_USAGE', async () => {
      const before = snapshotFiles();
      const path = `/api/v1/irqs/${movable}/affinity`;
      const bodies: Array<string | Buffer> = [
        '{',
        '{"cpu":1,}',
        "{'cpu':1}",
        '{"cpu":1}{"cpu":2}',
        'cpu=1',
        'null',
        '[]',
        '"1"',
        '1',
        Buffer.from([0x7b, 0x22, 0x63, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      ];
      for (const body of bodies) {
        expectProblem(await putRaw(path, body, 'application/json'), 400, 'IRQ_ERR_USAGE', String(body));
      }
      // Content-Length: 0 is no body at all, which the route needs.
      expectProblem(await putRaw(path, '', 'application/json'), 400, 'IRQ_ERR_USAGE', 'empty body');
      expectProblem(
        await call({
          method: 'POST',
          path: '/api/v1/affinity',
          body: '{"assignments":',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'IRQ_ERR_USAGE',
      );
      assert.deepEqual(snapshotFiles(), before);
    });

    it('extra or misspelt body fields → 400 IRQ_ERR_USAGE naming them, and nothing is written', async () => {
      const before = snapshotFiles();
      const cases: Array<[string, string, unknown, string]> = [
        ['PUT', `/api/v1/irqs/${movable}/affinity`, { cpu: 1, irq: 2 }, '/body/irq'],
        ['PUT', `/api/v1/irqs/${movable}/affinity`, { cpus: [1] }, '/body/cpus'],
        // A misspelt dryRun must not turn a preview into a real write.
        [
          'POST',
          '/api/v1/affinity',
          { assignments: [{ irq: movable, cpu: 1 }], dryrun: true },
          '/body/dryrun',
        ],
        [
          'POST',
          '/api/v1/affinity',
          { assignments: [{ irq: movable, cpu: 1, force: true }] },
          '/body/assignments/0/force',
        ],
        ['POST', '/api/v1/plan/apply', { window: '1s', dryrun: true }, '/body/dryrun'],
      ];
      for (const [method, path, json, pointer] of cases) {
        const p = expectProblem(
          await call({ method, path, json }),
          400,
          'IRQ_ERR_USAGE',
          `${method} ${path}`,
        );
        assert.ok(
          p.errors?.some((e) => e.path === pointer),
          `${pointer} is named: ${JSON.stringify(p.errors)}`,
        );
      }
      const proto = await putRaw(
        `/api/v1/irqs/${movable}/affinity`,
        '{"cpu":1,"__proto__":{"cpu":2}}',
        'application/json',
      );
      expectProblem(proto, 400, 'IRQ_ERR_USAGE', '__proto__ key');
      // A body where none belongs.
      expectProblem(
        await call({ path: '/healthz', json: { x: 1 } }),
        400,
        'IRQ_ERR_USAGE',
        'GET with a body',
      );
      await settled();
      assert.deepEqual(snapshotFiles(), before);
    });
  });

  describe('query strings', () => {
    const usage: string[] = [
      '/api/v1/distribution?window=0',
      '/api/v1/distribution?window=abc',
      '/api/v1/distribution?window=-1s',
      '/api/v1/distribution?window=1.5.5s',
      '/api/v1/distribution?window=1d',
      '/api/v1/distribution?window=99999999999999999h',
      '/api/v1/distribution?window=6s',
      '/api/v1/distribution?window=1h',
      '/api/v1/cpus?window=0ms',
      '/api/v1/cpus?window=6s',
      '/api/v1/plan?window=6s',
      '/api/v1/distribution?wait=maybe',
      '/api/v1/distribution?wait=TRUE',
      '/api/v1/cpus?wait=',
      '/api/v1/distribution?windw=1s',
      '/api/v1/distribution?window=1s&window=2s',
      '/api/v1/distribution?window=%ZZ',
      '/api/v1/distribution?__proto__=1',
      '/api/v1/distribution?constructor=1',
      '/api/v1/interrupts?format=xml',
      '/api/v1/interrupts?format=TEXT',
      '/healthz?verbose=1',
      '/metrics?name=x',
      '/api/v1/irqs?limit=10',
      '/openapi.json?x',
      '/api/v1/plan?window=1s&numa=sideways',
      '/api/v1/plan?window=1s&cpus=abc',
      '/api/v1/plan?window=1s&tolerance=-1',
      '/api/v1/plan?window=1s&tolerance=101',
      '/api/v1/plan?window=1s&tolerance=abc',
      '/api/v1/plan?window=1s&tolerance=NaN',
      '/api/v1/plan?window=1s&timeLimit=0',
      '/api/v1/plan?window=1s&timeLimit=1y',
      '/api/v1/plan?window=1s&dryRun=true',
      '/api/v1/plan?window=1s&confidence=-1',
      '/api/v1/plan?window=1s&confidence=11',
      '/api/v1/plan?window=1s&confidence=z',
      '/api/v1/plan?window=1s&maxMoves=-1',
      '/api/v1/plan?window=1s&maxMoves=0.5',
    ];

    it('bad windows, booleans, formats, unknown or repeated keys → 400 IRQ_ERR_USAGE', async () => {
      for (const path of usage) expectProblem(await call({ path }), 400, 'IRQ_ERR_USAGE', path);
    });

    it('names the offending query key in `errors`', async () => {
      const p = expectProblem(
        await call({ path: '/api/v1/distribution?window=1s&foo=1' }),
        400,
        'IRQ_ERR_USAGE',
      );
      assert.deepEqual(p.errors, [{ path: '/query/foo', message: 'Unknown query parameter' }]);
      const w = expectProblem(await call({ path: '/api/v1/cpus?wait=maybe' }), 400, 'IRQ_ERR_USAGE');
      assert.equal(w.errors?.[0]?.path, '/query/wait');
    });

    it('a window longer than --retention says so', async () => {
      const p = expectProblem(await call({ path: '/api/v1/distribution?window=6s' }), 400, 'IRQ_ERR_USAGE');
      assert.match(p.detail, /retention/);
      // Exactly the retention is allowed; without waiting the answer says it is incomplete.
      const ok = await call({ path: '/api/v1/distribution?window=5s&wait=false' });
      assert.equal(ok.status, 200, ok.text);
      const w = ok.json<Distribution>().window;
      assert.equal(w.requestedSeconds, 5);
      assert.equal(typeof w.complete, 'boolean');
    });

    it('GET /api/v1/irqs still reports rates when --retention is shorter than its 10 s rate window', async () => {
      const one = (await call({ path: `/api/v1/irqs/${movable2}` })).json<IrqDetails>();
      assert.ok(one.rateWindowSeconds > 0, `rateWindowSeconds ${one.rateWindowSeconds}`);
      assert.ok(
        one.ratePerSecond > 0,
        `eth0-TxRx-1 interrupts all the time, yet ratePerSecond ${one.ratePerSecond}`,
      );
    });

    it('plan CPUs the machine lacks or has offline → 400 IRQ_ERR_UNKNOWN_CPU; a malformed list → 400 IRQ_ERR_CPUSET', async () => {
      for (const cpus of ['99', '5', '0-5', '8-4095']) {
        const p = expectProblem(
          await call({ path: `/api/v1/plan?window=1s&cpus=${cpus}` }),
          400,
          'IRQ_ERR_UNKNOWN_CPU',
          `cpus=${cpus}`,
        );
        assert.equal(typeof p.cpu, 'number');
      }
      for (const cpus of ['3-1', '0-4:2/1', '65536']) {
        expectProblem(
          await call({ path: `/api/v1/plan?window=1s&cpus=${cpus}` }),
          400,
          'IRQ_ERR_CPUSET',
          cpus,
        );
      }
      // Outside the cpulist syntax the document states: refused by the schema check.
      for (const cpus of ['1,,2-', '', '0,%201', '0-']) {
        const p = expectProblem(
          await call({ path: `/api/v1/plan?window=1s&cpus=${cpus}` }),
          400,
          'IRQ_ERR_USAGE',
          cpus,
        );
        assert.equal(p.errors?.[0]?.path, '/query/cpus', cpus);
      }
      const apply = await call({
        method: 'POST',
        path: '/api/v1/plan/apply',
        json: { window: '1s', cpus: '99' },
      });
      expectProblem(apply, 400, 'IRQ_ERR_UNKNOWN_CPU', 'apply on CPU 99');
      const numa = await call({
        method: 'POST',
        path: '/api/v1/plan/apply',
        json: { window: '1s', numa: 'sideways' },
      });
      expectProblem(numa, 400, 'IRQ_ERR_USAGE', 'apply numa=sideways');
    });

    it('query parameters on a PUT/POST route are refused too', async () => {
      const before = snapshotFiles();
      expectProblem(
        await put(movable, { cpu: 1 }, { path: `/api/v1/irqs/${movable}/affinity?dryRun=true` }),
        400,
        'IRQ_ERR_USAGE',
      );
      assert.deepEqual(snapshotFiles(), before);
    });
  });

  describe('Host header, CORS and raw HTTP', () => {
    it('a Host the daemon does not listen under → 421 IRQ_ERR_HOST (DNS rebinding), for reads and writes', async () => {
      const before = snapshotFiles();
      for (const host of [
        'evil.example',
        `evil.example:${port}`,
        `127.0.0.1:${port + 1}`,
        '127.0.0.1',
        'localhost.evil.example',
        '',
      ]) {
        expectProblem(await call({ path: '/healthz', host }), 421, 'IRQ_ERR_HOST', `Host: ${host}`);
      }
      expectProblem(await call({ path: '/healthz', host: null }), 421, 'IRQ_ERR_HOST', 'no Host on TCP');
      expectProblem(await put(movable, { cpu: 1 }, { host: 'evil.example' }), 421, 'IRQ_ERR_HOST', 'PUT');
      assert.deepEqual(snapshotFiles(), before);
      for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`]) {
        assert.equal((await call({ path: '/healthz', host })).status, 200, `Host: ${host}`);
      }
    });

    it('an absolute-form target with a foreign authority → 421; two Host headers → 400', async () => {
      const abs = await sendRaw(
        d.endpoint,
        `GET http://evil.example/healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(abs.status, 421, abs.text);
      assert.equal(rawJsonBody(abs.text).code, 'IRQ_ERR_HOST');
      const two = await sendRaw(
        d.endpoint,
        `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(two.status, 400, two.text);
      assert.equal(rawJsonBody(two.text).code, 'IRQ_ERR_USAGE');
    });

    it('malformed HTTP → 400 problem; oversized headers → 431; neither carries CORS headers', async () => {
      const garbage = await sendRaw(d.endpoint, 'THIS IS NOT HTTP\r\n\r\n');
      assert.equal(garbage.status, 400, garbage.text);
      assert.match(garbage.text, /content-type: application\/problem\+json/i);
      assert.equal(rawJsonBody(garbage.text).code, 'IRQ_ERR_USAGE');
      const big = await sendRaw(
        d.endpoint,
        `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Big: ${'a'.repeat(16_000)}\r\n\r\n`,
      );
      assert.equal(big.status, 431, big.text.slice(0, 200));
      for (const raw of [garbage.text, big.text]) assert.doesNotMatch(raw, /access-control-/i);
    });

    it('refuses a foreign Origin and a cross-site fetch (403 IRQ_ERR_CROSS_SITE), reads included, with no CORS headers', async () => {
      const origin = { origin: 'http://evil.example' };
      const get = await call({ path: '/api/v1/irqs', headers: origin });
      expectProblem(get, 403, 'IRQ_ERR_CROSS_SITE', 'foreign Origin');
      assert.deepEqual(corsHeaders(get.headers), []);
      // The red team's <img src=".../api/v1/plan?..."> from a web page.
      const img = await call({ path: '/api/v1/plan?window=1s', headers: { 'sec-fetch-site': 'cross-site' } });
      expectProblem(img, 403, 'IRQ_ERR_CROSS_SITE', 'cross-site plan');
      const own = await call({ path: '/api/v1/irqs', headers: { 'sec-fetch-site': 'same-origin' } });
      assert.equal(own.status, 200);
      assert.deepEqual(corsHeaders(own.headers), []);
      const preflight = await call({
        method: 'OPTIONS',
        path: `/api/v1/irqs/${movable}/affinity`,
        headers: {
          ...origin,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type',
        },
      });
      expectProblem(preflight, 403, 'IRQ_ERR_CROSS_SITE', 'preflight');
      assert.deepEqual(corsHeaders(preflight.headers), []);
    });
  });

  describe('routing', () => {
    it('unknown paths → 404 IRQ_ERR_NOT_FOUND, whatever the method', async () => {
      for (const path of [
        '/index.html',
        '/api',
        '/api/v1',
        '/api/v2/irqs',
        '/api/v1/irq',
        '/api/v1/irqs/',
        '/api/v1/irqs/24/affinity/x',
        '/api/v1/irqs/24/affinity/',
        '/healthz/',
        '/HEALTHZ',
        '/metrics.json',
        '/api/v1/plan/apply/now',
      ]) {
        expectProblem(await call({ path }), 404, 'IRQ_ERR_NOT_FOUND', `GET ${path}`);
      }
      expectProblem(
        await call({ method: 'POST', path: '/api/v1/irqs/24/pin', json: { cpu: 1 } }),
        404,
        'IRQ_ERR_NOT_FOUND',
      );
      expectProblem(await call({ method: 'DELETE', path: '/nope' }), 404, 'IRQ_ERR_NOT_FOUND');
    });

    it('a known path with the wrong method → 405 IRQ_ERR_METHOD with Allow', async () => {
      const cases: Array<[string, string, string]> = [
        ['DELETE', `/api/v1/irqs/${movable}`, 'GET'],
        ['PATCH', `/api/v1/irqs/${movable}`, 'GET'],
        ['PUT', `/api/v1/irqs/${movable}`, 'GET'],
        ['GET', `/api/v1/irqs/${movable}/affinity`, 'PUT'],
        ['POST', `/api/v1/irqs/${movable}/affinity`, 'PUT'],
        ['GET', '/api/v1/affinity', 'POST'],
        ['PUT', '/api/v1/affinity', 'POST'],
        ['GET', '/api/v1/plan/apply', 'POST'],
        ['POST', '/api/v1/plan', 'GET'],
        ['POST', '/healthz', 'GET'],
        ['DELETE', '/metrics', 'GET'],
        ['PUT', '/openapi.json', 'GET'],
      ];
      for (const [method, path, allow] of cases) {
        const r = await call({ method, path, json: { cpu: 1 } });
        const p = expectProblem(r, 405, 'IRQ_ERR_METHOD', `${method} ${path}`);
        // A GET route also answers HEAD, so both are allowed there.
        const expected = allow === 'GET' ? ['GET', 'HEAD'] : [allow];
        assert.equal(r.headers.allow, expected.join(', '), `${method} ${path}`);
        assert.deepEqual(p.allow, expected);
      }
    });
  });

  describe('--read-only', () => {
    it('refuses PUT and POST with 403 IRQ_ERR_READ_ONLY (dry runs too) and writes nothing', async () => {
      const irqs = (await call({ path: '/api/v1/irqs' }, ro)).json<IrqList>();
      const eth = irqs.irqs.find((i) => i.name === 'eth0-TxRx-0')?.irq as string;
      const before = ro.irqFile(eth, 'smp_affinity_list');
      const writes: HttpRequest[] = [
        { method: 'PUT', path: `/api/v1/irqs/${eth}/affinity`, json: { cpu: 1 } },
        { method: 'POST', path: '/api/v1/affinity', json: { assignments: [{ irq: eth, cpu: 1 }] } },
        {
          method: 'POST',
          path: '/api/v1/affinity',
          json: { assignments: [{ irq: eth, cpu: 1 }], dryRun: true },
        },
        { method: 'POST', path: '/api/v1/plan/apply', json: { window: '1s' } },
        { method: 'POST', path: '/api/v1/plan/apply', json: { window: '1s', dryRun: true } },
        {
          method: 'PUT',
          path: `/api/v1/irqs/${eth}/affinity`,
          body: 'x',
          headers: { 'content-type': 'text/plain' },
        },
      ];
      for (const req of writes) {
        const p = expectProblem(await call(req, ro), 403, 'IRQ_ERR_READ_ONLY', `${req.method} ${req.path}`);
        assert.match(p.detail, /read-only/);
      }
      await settled(ro);
      assert.equal(ro.irqFile(eth, 'smp_affinity_list'), before);
      assert.equal(ro.irqFile(eth, 'effective_affinity_list'), before);
    });

    it('still serves every GET', async () => {
      const health = await call({ path: '/healthz' }, ro);
      assert.equal(health.status, 200);
      assert.equal(health.json().readOnly, true);
      for (const path of [
        '/openapi.json',
        '/metrics',
        '/api/v1/interrupts',
        '/api/v1/interrupts?format=text',
        '/api/v1/distribution?window=500ms',
        '/api/v1/cpus?window=500ms',
        '/api/v1/irqs',
        '/api/v1/irqs/24',
        '/api/v1/plan?window=500ms',
      ]) {
        const r = await call({ path }, ro);
        assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 300)}`);
      }
    });
  });

  describe('afterwards', () => {
    it('the daemon is alive and healthy, logged no internal error, and no response carried CORS headers', async () => {
      for (const daemon of [d, ro]) {
        const h = await call({ path: '/healthz' }, daemon);
        assert.equal(h.status, 200);
        assert.equal(h.json().status, 'ok');
        assert.ok(daemon.running(), 'the process is still running');
        const errors = daemon.logs().filter((e) => e.level === 'error');
        assert.deepEqual(errors, [], 'no request reached the internal-error path');
      }
      assert.ok(seen.length > 150, `${seen.length} responses checked`);
      for (const r of seen)
        assert.deepEqual(corsHeaders(r.headers), [], `${r.status} ${r.text.slice(0, 100)}`);
      // Every 4xx was a problem document.
      for (const r of seen.filter((x) => x.status >= 400 && x.status !== 409)) {
        assert.match(String(r.headers['content-type']), /^application\/problem\+json/, r.text.slice(0, 200));
      }
    });
  });
});
