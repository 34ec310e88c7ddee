// Runs INSIDE the testbed guest (Node 20, no npm), in /host = a folder holding the bundles.
// Drives irqkitd on the guest's real /proc through unequal NIC traffic: measure, plan, apply,
// measure again; writes everything the host test checks to results.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const node = process.execPath;
const URL = 'http://127.0.0.1:9640';
const out = { steps: [] };
const log = (msg) => {
  out.steps.push(`${new Date().toISOString()} ${msg}`);
  process.stdout.write(`[guest] ${msg}\n`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(path) {
  return new Promise((resolve, reject) => {
    http
      .get(`${URL}${path}`, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

function irqkit(args) {
  const r = execFileSync(node, ['irqkit.cjs', ...args, '--url', URL], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return r;
}

function irqkitJson(args) {
  try {
    return { ok: true, json: JSON.parse(irqkit([...args, '--json'])) };
  } catch (e) {
    return { ok: false, status: e.status, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}

// Unequal load: eth0 busiest, eth4 lightest (ping intervals in seconds).
const TRAFFIC = ['eth0:0.01', 'eth1:0.02', 'eth2:0.03', 'eth3:0.05', 'eth4:0.1'];
const traffic = (seconds) => spawn('tb-traffic', [String(seconds), ...TRAFFIC], { stdio: 'ignore' });
// Reads from the null-backed disks keep their kernel-managed queue IRQs busy, so the plan meets
// them (and must leave them where the kernel put them).
const disks = () =>
  spawn(
    'sh',
    [
      '-c',
      'while :; do for d in /dev/nvme0n1 /dev/vda; do dd if=$d of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null; done; sleep 0.1; done',
    ],
    { stdio: 'ignore' },
  );
const exited = (child) => new Promise((r) => child.on('exit', r));

function affinityFiles(irq) {
  const read = (f) => {
    try {
      return fs.readFileSync(`/proc/irq/${irq}/${f}`, 'utf8').trim();
    } catch {
      return null;
    }
  };
  return { affinity: read('smp_affinity_list'), effective: read('effective_affinity_list') };
}

const daemonLog = fs.openSync('irqkitd.log', 'a');
async function startDaemon(extra) {
  const d = spawn(
    node,
    [
      'irqkitd.cjs',
      '--listen',
      '127.0.0.1:9640',
      '--interval',
      '500ms',
      '--state-dir',
      '/tmp/irqkit-state',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', daemonLog] },
  );
  for (let i = 0; i < 100; i++) {
    try {
      if ((await get('/healthz')).status === 200) return d;
    } catch {}
    await sleep(100);
  }
  throw new Error('irqkitd did not start');
}

function post(path, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      `${URL}${path}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function main() {
  out.cpus = Number(fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim().split('-')[1]) + 1;
  out.interruptsAtStart = fs.readFileSync('/proc/interrupts', 'utf8');
  const movable = [
    ...out.interruptsAtStart.matchAll(
      /^\s*(\d+):.*\s(virtio[23]-(?:input|output)\.\d+|eth[2-4](?:-rx-0|-tx-0)?)\s*$/gm,
    ),
  ].map((m) => m[1]);
  out.filesAtStart = Object.fromEntries(movable.map((irq) => [irq, affinityFiles(irq)]));
  let daemon = await startDaemon([]);
  log('irqkitd is up');

  // Phase 1: traffic on the unbalanced machine (irqaffinity=0: every movable IRQ on CPU 0).
  const io = disks();
  let t = traffic(22);
  await sleep(10_000);
  out.before = {
    api: JSON.parse((await get('/api/v1/distribution?window=8s')).body),
    summary: irqkitJson(['summary', '--window', '8s']),
  };
  log('measured before');
  out.irqsBefore = irqkitJson(['irqs']);
  out.plan = irqkitJson(['plan', '--window', '8s']);
  out.apply = irqkitJson(['apply', '--window', '8s']);
  log(`applied: ok=${out.apply.ok && out.apply.json?.result?.ok}`);
  out.applyText = (() => {
    try {
      return irqkit(['summary', '--window', '2s']);
    } catch (e) {
      return String(e.stdout ?? e.message);
    }
  })();
  await exited(t);

  // Phase 2: the same traffic after the moves.
  t = traffic(14);
  await sleep(11_000);
  out.after = {
    api: JSON.parse((await get('/api/v1/distribution?window=8s')).body),
    summary: irqkitJson(['summary', '--window', '8s']),
  };
  log('measured after');
  await exited(t);
  io.kill('SIGKILL');
  out.irqsAfter = irqkitJson(['irqs']);
  out.files = {};
  for (const a of out.apply.json?.plan?.assignments ?? []) out.files[a.irq] = affinityFiles(a.irq);
  out.interruptsAtEnd = fs.readFileSync('/proc/interrupts', 'utf8');

  // Pins survive a restart: pin the applied placement, knock the IRQs back to CPU 0 while the
  // daemon is down (as a driver reset or a reboot would), start it again.
  const plan = out.apply.json?.plan;
  const placed = [...(plan?.moves ?? []), ...(plan?.pins ?? [])];
  const pin = await post('/api/v1/affinity', { assignments: placed, persist: true });
  out.pin = { status: pin.status, body: JSON.parse(pin.body) };
  daemon.kill('SIGTERM');
  out.daemonExit = await exited(daemon);
  for (const m of placed) fs.writeFileSync(`/proc/irq/${m.irq}/smp_affinity_list`, '0');
  out.filesWhileDown = Object.fromEntries(placed.map((m) => [m.irq, affinityFiles(m.irq)]));
  daemon = await startDaemon(['--restore-on-exit']);
  await sleep(1500);
  out.filesAfterRestart = Object.fromEntries(placed.map((m) => [m.irq, affinityFiles(m.irq)]));
  out.pinsAfterRestart = JSON.parse((await get('/api/v1/pins')).body);
  log('restarted: pins checked');
  // --restore-on-exit: stopping puts back the affinities irqkitd changed, as they were before.
  daemon.kill('SIGTERM');
  out.restoreExit = await exited(daemon);
  out.filesAfterRestore = Object.fromEntries(movable.map((irq) => [irq, affinityFiles(irq)]));
  fs.writeFileSync('results.json', JSON.stringify(out, null, 1));
  log('done');
}

main().catch((e) => {
  out.error = String(e?.stack ?? e);
  fs.writeFileSync('results.json', JSON.stringify(out, null, 1));
  process.exitCode = 1;
});
