// Runs INSIDE the QEMU testbed guest (Node 20, no npm), in /host = a folder holding irqkit.cjs,
// irqkitd.cjs, this file and (optionally) irqbalance/ with the host's binary and libraries.
// One boot; for each traffic profile, four placements of the same unequal NIC traffic, each from
// the same start (irqaffinity=0: every movable IRQ on CPU 0):
//   unbalanced   nothing moved
//   irqkit       irqkitd on the real /proc, `irqkit apply --window 8s`
//   irqbalance   `irqbalance --oneshot` (the host's Debian binary)
//   round-robin  NIC queue IRQs in IRQ order onto CPUs 0..k-1 (vendor set_irq_affinity style)
// The start state: the boot affinities, with every NIC IRQ pinned to CPU 0 (the kernel gives the
// virtio-net queues "0-7" even with irqaffinity=0; they fire on CPU 0 but a write of "0-7" back
// could land them elsewhere). Before each method, every IRQ whose smp_affinity_list differs from
// the start state is written back to it; an IRQ no method could move (kernel-managed: writes fail
// with EIO) never differs, so it is never written. Everything goes to peers-results.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const MEASURE_MS = quick ? 5000 : 8000;
const SETTLE_MS = 2000; // a move takes effect at the IRQ's next interrupt
const PLAN_WINDOW_S = quick ? 5 : 8;
// Ping intervals in seconds. A is the end-to-end test's profile (eth0 busiest, eth4 lightest);
// B is the same rates in the reverse NIC order (--quick runs A only).
const PROFILES = [
  {
    name: 'A',
    note: 'eth0 busiest (the e2e test)',
    traffic: ['eth0:0.01', 'eth1:0.02', 'eth2:0.03', 'eth3:0.05', 'eth4:0.1'],
  },
  {
    name: 'B',
    note: 'eth4 busiest (A reversed)',
    traffic: ['eth0:0.1', 'eth1:0.05', 'eth2:0.03', 'eth3:0.02', 'eth4:0.01'],
  },
].slice(0, quick ? 1 : 2);
const PORT = 9640;
const URL = `http://127.0.0.1:${PORT}`;
const node = process.execPath;

const out = {
  quick,
  measureMs: MEASURE_MS,
  settleMs: SETTLE_MS,
  planWindowS: PLAN_WINDOW_S,
  profiles: [],
  log: [],
};
const t0 = Date.now();
const log = (msg) => {
  const line = `[guest +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`;
  out.log.push(line);
  process.stdout.write(`${line}\n`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const read = (path) => {
  try {
    return fs.readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
};

// ------------------------------------------------------------------------------------------
// guard: irqbalance and the affinity writes must only ever run in the testbed guest

function assertTestbedGuest() {
  const cmdline = read('/proc/cmdline') ?? '';
  if (!fs.existsSync('/ctl/cmd.sh') || !/\birqaffinity=0\b/.test(cmdline) || !/console=ttyS0/.test(cmdline)) {
    throw new Error(
      'not the testbed guest booted with irqaffinity=0 (see bench/peers/testbed.ts): refusing to move IRQs',
    );
  }
}

// ------------------------------------------------------------------------------------------
// /proc/interrupts and /proc/irq

function readInterrupts() {
  const lines = fs.readFileSync('/proc/interrupts', 'utf8').split('\n');
  const ncpu = (lines[0] ?? '').trim().split(/\s+/).length;
  const rows = new Map();
  for (const line of lines.slice(1)) {
    const m = /^\s*(\d+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const tokens = m[2].trim().split(/\s+/);
    const counts = tokens.slice(0, ncpu).map(Number);
    rows.set(m[1], { counts, name: tokens[tokens.length - 1] ?? '' });
  }
  return { ncpu, rows, at: Date.now() };
}

function irqNumbers() {
  return fs
    .readdirSync('/proc/irq')
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(a) - Number(b));
}

function affinities() {
  const m = new Map();
  for (const irq of irqNumbers()) {
    const a = read(`/proc/irq/${irq}/smp_affinity_list`);
    if (a !== null) m.set(irq, a);
  }
  return m;
}

const effective = (irq) => read(`/proc/irq/${irq}/effective_affinity_list`);

/** Each ethN's IRQs from sysfs (msi_irqs of the PCI device, or its legacy `irq`). */
function nicIrqs(names) {
  const nics = [];
  for (const nic of fs.readdirSync('/sys/class/net').filter((n) => /^eth\d+$/.test(n))) {
    const dev = fs.realpathSync(`/sys/class/net/${nic}/device`);
    // virtio-net: `device` is the virtio device, the PCI function is its parent.
    const pci = fs.existsSync(`${dev}/msi_irqs`) || fs.existsSync(`${dev}/irq`) ? dev : `${dev}/..`;
    let irqs = [];
    if (fs.existsSync(`${pci}/msi_irqs`)) irqs = fs.readdirSync(`${pci}/msi_irqs`);
    if (irqs.length === 0 && read(`${pci}/irq`)) irqs = [read(`${pci}/irq`)];
    for (const irq of irqs) nics.push({ irq, nic, name: names.get(irq) ?? '?' });
  }
  return nics.sort((a, b) => Number(a.irq) - Number(b.irq));
}

/** Queue IRQs only (what a vendor script spreads): rx/tx/input/output vectors, or a NIC's only IRQ. */
function queueIrqs(nics) {
  const count = new Map();
  for (const n of nics) count.set(n.nic, (count.get(n.nic) ?? 0) + 1);
  return nics.filter((n) => count.get(n.nic) === 1 || /(input|output|rx|tx|TxRx)/.test(n.name));
}

// ------------------------------------------------------------------------------------------
// traffic, irqkitd, measurement

function startTraffic(traffic) {
  // Its own process group, so that the pings go with it.
  const child = spawn('tb-traffic', ['600', ...traffic], { stdio: 'ignore', detached: true });
  return () =>
    new Promise((resolve) => {
      child.on('exit', () => resolve());
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        resolve();
      }
    });
}

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

function procStatus(pid) {
  const s = read(`/proc/${pid}/status`) ?? '';
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? Number.NaN);
  const stat = (read(`/proc/${pid}/stat`) ?? '').split(')').pop()?.trim().split(/\s+/) ?? [];
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), cpuTicks: Number(stat[11]) + Number(stat[12]) };
}

function delta(a, b, ncpu) {
  const perIrq = [];
  for (const [irq, rb] of b.rows) {
    const ra = a.rows.get(irq);
    if (!ra) continue;
    const perCpu = rb.counts.map((v, i) => (v - (ra.counts[i] ?? 0) + 2 ** 32) % 2 ** 32);
    perIrq.push({ irq, name: rb.name, perCpu: perCpu.slice(0, ncpu) });
  }
  return { seconds: (b.at - a.at) / 1000, perIrq };
}

// ------------------------------------------------------------------------------------------

async function main() {
  assertTestbedGuest();
  const ncpu = Number(read('/sys/devices/system/cpu/online')?.split('-')[1] ?? 0) + 1;
  out.cpus = ncpu;
  out.kernel = read('/proc/sys/kernel/osrelease');
  const names = new Map([...readInterrupts().rows].map(([irq, r]) => [irq, r.name]));
  const nics = nicIrqs(names);
  const queues = queueIrqs(nics);
  out.nics = nics;
  out.queueIrqs = queues.map((q) => q.irq);
  out.atBoot = Object.fromEntries(affinities());
  for (const n of nics) {
    if (read(`/proc/irq/${n.irq}/smp_affinity_list`) !== '0')
      fs.writeFileSync(`/proc/irq/${n.irq}/smp_affinity_list`, '0');
  }
  const boot = affinities();
  out.boot = Object.fromEntries(boot);
  log(`${ncpu} CPUs, kernel ${out.kernel}; NIC IRQs ${nics.map((n) => `${n.irq}:${n.name}`).join(' ')}`);

  fs.mkdirSync('/tmp/irqkit-state', { recursive: true });
  const startDaemon = async () => {
    const daemonLog = fs.openSync('/tmp/irqkitd.log', 'a');
    const child = spawn(
      node,
      [
        'irqkitd.cjs',
        '--listen',
        `127.0.0.1:${PORT}`,
        '--interval',
        '500ms',
        '--state-dir',
        '/tmp/irqkit-state',
      ],
      { stdio: ['ignore', 'ignore', daemonLog] },
    );
    const exit = new Promise((r) => child.on('exit', (code, signal) => r(code ?? signal)));
    const started = Date.now();
    for (let i = 0; i < 150; i++) {
      try {
        if ((await get('/healthz')).status === 200) break;
      } catch {}
      await sleep(100);
    }
    return { child, exit, startMs: Date.now() - started };
  };

  // irqkitd tells which IRQs are kernel-managed (never written by this script; on this kernel
  // it may not know without a write, and then says null).
  let daemon = await startDaemon();
  const irqList = JSON.parse((await get('/api/v1/irqs')).body).irqs;
  const managed = new Set(irqList.filter((i) => i.managed === true).map((i) => i.irq));
  out.managed = [...managed];
  log(`irqkitd up after ${daemon.startMs} ms; managed IRQs: ${out.managed.join(',') || 'none known'}`);

  const restore = () => {
    const now = affinities();
    const written = [];
    for (const [irq, a] of now) {
      const b = boot.get(irq);
      if (b === undefined || a === b || managed.has(irq)) continue;
      try {
        fs.writeFileSync(`/proc/irq/${irq}/smp_affinity_list`, b);
        written.push(irq);
      } catch (e) {
        written.push(`${irq}(failed: ${e.code})`);
      }
    }
    return written;
  };

  for (const profile of PROFILES) {
    const result = { name: profile.name, note: profile.note, traffic: profile.traffic, phases: [] };
    out.profiles.push(result);

    /**
     * Start state, traffic, `waitMs` of traffic (its per-CPU split is kept as `pre`: it shows the
     * start really is CPU 0), the method, SETTLE_MS for the moves to happen, the measured window.
     */
    const phase = async (name, waitMs, act) => {
      const restored = restore();
      const stopTraffic = startTraffic(profile.traffic);
      await sleep(500);
      const p0 = readInterrupts();
      await sleep(Math.max(0, waitMs - 500));
      const p1 = readInterrupts();
      const started = Date.now();
      const extra = (await act()) ?? {};
      const actedMs = Date.now() - started;
      await sleep(SETTLE_MS);
      const a = readInterrupts();
      await sleep(MEASURE_MS);
      const b = readInterrupts();
      await stopTraffic();
      const after = affinities();
      const changed = [...after]
        .filter(([irq, v]) => boot.has(irq) && boot.get(irq) !== v)
        .map(([irq, v]) => ({ irq, name: names.get(irq) ?? '', from: boot.get(irq), to: v }));
      const placement = nics.map((n) => ({
        irq: n.irq,
        affinity: after.get(n.irq),
        effective: effective(n.irq),
      }));
      result.phases.push({
        name,
        restored,
        actedMs,
        pre: delta(p0, p1, ncpu),
        window: delta(a, b, ncpu),
        changed,
        placement,
        ...extra,
      });
      log(`${profile.name} ${name}: ${changed.length} IRQs differ from the start state`);
    };

    if (!daemon) daemon = await startDaemon();
    result.irqkitdStartMs = daemon.startMs;
    await phase('unbalanced', 1500, async () => {});

    // A full plan window of history under this traffic, then plan and apply in one call.
    await phase('irqkit', PLAN_WINDOW_S * 1000 + 1000, async () => {
      const t = Date.now();
      let apply;
      try {
        apply = JSON.parse(
          execFileSync(
            node,
            ['irqkit.cjs', 'apply', '--window', `${PLAN_WINDOW_S}s`, '--json', '--url', URL],
            {
              encoding: 'utf8',
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          ),
        );
      } catch (e) {
        apply = { error: String(e.stderr || e.stdout || e.message).slice(0, 2000) };
      }
      return { apply, applyMs: Date.now() - t };
    });
    // Stopped before the others, so that nothing of irqkit's runs while they place IRQs.
    result.irqkitd = { ...procStatus(daemon.child.pid), ticksPerSecond: 100 };
    daemon.child.kill('SIGTERM');
    result.irqkitd.exit = await daemon.exit;
    daemon = null;

    if (fs.existsSync('irqbalance/irqbalance')) {
      // Its first /proc/interrupts reading already sees the traffic.
      await phase('irqbalance', 1500, async () => {
        const t = Date.now();
        const r = await new Promise((resolve) => {
          let text = '';
          const p = spawn(
            'time',
            ['-v', 'env', 'LD_LIBRARY_PATH=irqbalance/lib', 'irqbalance/irqbalance', '--oneshot', '--debug'],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          );
          p.stdout.on('data', (c) => (text += c));
          p.stderr.on('data', (c) => (text += c));
          p.on('exit', (code) => resolve({ code, text }));
        });
        const field = (label) =>
          Number(new RegExp(`${label}[^:]*:\\s*([\\d.]+)`).exec(r.text)?.[1] ?? Number.NaN);
        return {
          irqbalance: {
            exit: r.code,
            wallMs: Date.now() - t,
            maxRssKb: field('Maximum resident set size'),
            userS: field('User time'),
            systemS: field('System time'),
            tail: r.text.split('\n').slice(-40),
          },
        };
      });
    } else {
      log('no irqbalance/ folder: irqbalance skipped');
    }

    await phase('round-robin', 1500, async () => {
      const written = [];
      queues.forEach((q, i) => {
        if (managed.has(q.irq)) return;
        const cpu = String(i % ncpu);
        try {
          fs.writeFileSync(`/proc/irq/${q.irq}/smp_affinity_list`, cpu);
          written.push({ irq: q.irq, cpu });
        } catch (e) {
          written.push({ irq: q.irq, cpu, error: e.code });
        }
      });
      return { roundRobin: written };
    });
  }
  out.irqkitdLog = (read('/tmp/irqkitd.log') ?? '').split('\n').slice(-20);
  out.restoredAtEnd = restore();
  out.seconds = (Date.now() - t0) / 1000;
  fs.writeFileSync('peers-results.json', JSON.stringify(out));
  log('done');
}

main().catch((e) => {
  out.error = String(e?.stack ?? e);
  fs.writeFileSync('peers-results.json', JSON.stringify(out));
  process.stdout.write(`[guest] ERROR ${out.error}\n`);
  process.exitCode = 1;
});
