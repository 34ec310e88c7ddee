// Runs INSIDE the QEMU testbed guest (Node 20, no npm), in /host = a folder holding irqkitd.cjs,
// irqkit.cjs, this file and (for --balancers …irqbalance…) irqbalance/ with the host's binary and
// the libraries the guest lacks. Booted with irqaffinity=0: every movable IRQ starts on CPU 0.
//
// One two-phase traffic schedule per balancer, each from the same start state:
//   phase A  PHASE_S seconds of unequal ping traffic, eth0 busiest (eth2 and eth3 nearly idle)
//   phase B  PHASE_S seconds with the load moved: eth0 light, eth2 and eth3 heavy
// Throughout, kernel-managed disk queues are kept busy from CPU 1 (their load is fixed where the
// kernel puts it). Balancers:
//   auto        `irqkitd --auto --auto-every 5s --auto-window 5s`, started before phase A and not
//               driven by anything: its API is read once, after phase B, for the record
//   irqbalance  `irqbalance --foreground` (daemon mode, its default 10 s interval)
//   none        nothing moves: the start state (every movable IRQ on CPU 0), as a reference
// Independently of the balancer, this script samples /proc/interrupts and every IRQ's
// smp_affinity_list once a second (on a fixed 1 s grid from the start of phase A) and writes
// everything to results.json (or --out). The host does all the judging (test/helpers/autopilot-testbed.ts).
//
//   node guest-autopilot.mjs [--balancers auto,irqbalance,none] [--phase-seconds 45] [--out FILE]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const BALANCERS = arg('--balancers', 'auto').split(',');
const PHASE_S = Number(arg('--phase-seconds', '45'));
const OUT = arg('--out', 'results.json');
const PORT = 9641;
const EVERY = '5s';
const WINDOW = '5s';
// tb-traffic NIC:ping interval (s). Under TCG 0.002 gives ~300 pings/s, 0.004 ~250, 0.01 ~85; one
// ping is about one RX and one TX interrupt (e1000e: its TX vector up to two). In phase A eth2 and
// eth3 only trickle (2 pings/s), so no balancer has a reason to move their IRQs off CPU 0; in
// phase B they carry most of the load, so the placement left by phase A no longer fits and
// balancing needs new moves (on 8 CPUs too, where phase A's spread would otherwise already suit
// phase B). The rates measured are in results.json.
const PHASES = [
  {
    name: 'A',
    note: 'eth0 busiest, eth1 and eth4 medium, eth2 and eth3 trickle',
    traffic: ['eth0:0.002', 'eth1:0.01', 'eth2:0.5', 'eth3:0.5', 'eth4:0.02'],
  },
  {
    name: 'B',
    note: 'eth0 light, eth2 and eth3 heavy',
    traffic: ['eth0:0.1', 'eth1:0.02', 'eth2:0.004', 'eth3:0.004', 'eth4:0.05'],
  },
];
// Direct reads of the null-backed disks, from CPU 1 only: the kernel-managed queue IRQs serving
// CPU 1 carry a steady load that no balancer can move.
const DISK_LOOP =
  'while :; do for d in /dev/nvme0n1 /dev/vda; do dd if=$d of=/dev/null bs=4k count=8 iflag=direct 2>/dev/null; done; sleep 0.1; done';

const node = process.execPath;
const t0 = Date.now();
const out = {
  cpus: 0,
  kernel: '',
  phaseSeconds: PHASE_S,
  phases: PHASES,
  autoArgs: ['--auto', '--auto-every', EVERY, '--auto-window', WINDOW],
  nics: [],
  unmovable: [],
  runs: [],
  log: [],
};
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
const save = () => fs.writeFileSync(OUT, JSON.stringify(out));

// ------------------------------------------------------------------------------------------
// guard: the affinity writes and irqbalance must only ever run in the testbed guest

function assertTestbedGuest() {
  const cmdline = read('/proc/cmdline') ?? '';
  if (!fs.existsSync('/ctl/cmd.sh') || !/\birqaffinity=0\b/.test(cmdline) || !/console=ttyS0/.test(cmdline)) {
    throw new Error('not the testbed guest booted with irqaffinity=0: refusing to move IRQs');
  }
}

// ------------------------------------------------------------------------------------------
// /proc

/** Numeric rows of /proc/interrupts: IRQ → per-CPU counts (and the names, once). */
function readInterrupts() {
  const lines = fs.readFileSync('/proc/interrupts', 'utf8').split('\n');
  const ncpu = (lines[0] ?? '').trim().split(/\s+/).length;
  const counts = {};
  const names = {};
  for (const line of lines.slice(1)) {
    const m = /^\s*(\d+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const tokens = m[2].trim().split(/\s+/);
    counts[m[1]] = tokens.slice(0, ncpu).map(Number);
    names[m[1]] = tokens[tokens.length - 1] ?? '';
  }
  return { counts, names };
}

function irqNumbers() {
  return fs
    .readdirSync('/proc/irq')
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(a) - Number(b));
}

/** Every IRQ's smp_affinity_list. */
function affinities() {
  const m = {};
  for (const irq of irqNumbers()) {
    const a = read(`/proc/irq/${irq}/smp_affinity_list`);
    if (a !== null) m[irq] = a;
  }
  return m;
}

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
    for (const irq of irqs) nics.push({ irq, nic, name: names[irq] ?? '?' });
  }
  return nics.sort((a, b) => Number(a.irq) - Number(b.irq));
}

/**
 * IRQs whose affinity the kernel refuses to change (kernel-managed queues; before 6.12 only a
 * write tells): each IRQ's own smp_affinity_list is written back, which moves nothing, and an
 * EIO marks it. Done once, before any balancer runs.
 */
function probeUnmovable() {
  const refused = [];
  for (const irq of irqNumbers()) {
    const a = read(`/proc/irq/${irq}/smp_affinity_list`);
    if (a === null) continue;
    try {
      fs.writeFileSync(`/proc/irq/${irq}/smp_affinity_list`, a);
    } catch (e) {
      refused.push({ irq, code: e.code ?? String(e) });
    }
  }
  return refused;
}

// ------------------------------------------------------------------------------------------
// processes

/** tb-traffic in its own process group, so that stopping it stops its pings at once. */
function startTraffic(traffic) {
  const child = spawn('tb-traffic', ['3600', ...traffic], { stdio: 'ignore', detached: true });
  const exited = new Promise((r) => child.on('exit', r));
  return async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    await exited;
  };
}

function startDisks() {
  const child = spawn('taskset', ['-c', '1', 'sh', '-c', DISK_LOOP], { stdio: 'ignore', detached: true });
  const exited = new Promise((r) => child.on('exit', r));
  return async () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    await exited;
  };
}

function get(path) {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${PORT}${path}`, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

/**
 * irqkitd --auto with a fresh state folder. Ready when it logs that it listens (its stderr, JSON
 * lines, also kept in the run's log file); nothing is asked of its API until the schedule is over.
 */
async function startIrqkitd(run) {
  const stateDir = `/tmp/irqkit-state-${run}`;
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const logFile = fs.openSync(`/tmp/irqkitd-${run}.log`, 'w');
  const child = spawn(
    node,
    ['irqkitd.cjs', ...out.autoArgs, '--listen', `127.0.0.1:${PORT}`, '--state-dir', stateDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exit = new Promise((r) => child.on('exit', (code, signal) => r(code ?? signal)));
  let buffered = '';
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (c) => {
      fs.writeSync(logFile, c);
      buffered += c.toString();
      if (/"msg":"irqkitd listening"/.test(buffered)) resolve();
    });
    exit.then((code) =>
      reject(new Error(`irqkitd exited ${code} before listening: ${buffered.slice(-1500)}`)),
    );
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await ready;
  clearTimeout(timer);
  return {
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exit;
      fs.closeSync(logFile);
      return code;
    },
    log: () => (read(`/tmp/irqkitd-${run}.log`) ?? '').split('\n'),
  };
}

/** irqbalance in daemon mode, in the foreground, its output kept in a file. */
async function startIrqbalance(run) {
  const logPath = `/tmp/irqbalance-${run}.log`;
  const logFile = fs.openSync(logPath, 'w');
  const child = spawn('irqbalance/irqbalance', ['--foreground'], {
    stdio: ['ignore', logFile, logFile],
    env: { ...process.env, LD_LIBRARY_PATH: 'irqbalance/lib' },
  });
  let code = null;
  const exit = new Promise((r) =>
    child.on('exit', (c, signal) => {
      code = c ?? signal;
      r(code);
    }),
  );
  // An irqbalance that cannot run (a missing library, say) exits at once: that is the only
  // failure worth waiting for, and the schedule starts without it either way.
  await Promise.race([exit, sleep(1000)]);
  if (code !== null) throw new Error(`irqbalance exited ${code} at start: ${read(logPath)?.slice(-1500)}`);
  return {
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      const c = await exit;
      fs.closeSync(logFile);
      return c;
    },
    log: () => (read(logPath) ?? '').split('\n'),
  };
}

// ------------------------------------------------------------------------------------------

/** Puts every IRQ that differs from `start` back (only movable ones can differ). */
function restoreTo(start) {
  const now = affinities();
  const written = [];
  for (const [irq, a] of Object.entries(now)) {
    const want = start[irq];
    if (want === undefined || want === a) continue;
    try {
      fs.writeFileSync(`/proc/irq/${irq}/smp_affinity_list`, want);
      written.push(irq);
    } catch (e) {
      written.push(`${irq}(failed: ${e.code})`);
    }
  }
  return written;
}

/**
 * The schedule: samples on a 1 s grid from t=0 (sample i at about i s), phase A's traffic from
 * sample 0, phase B's from sample PHASE_S (taken just before A stops and B starts), the last
 * sample at 2·PHASE_S. Sample times are recorded as taken.
 */
async function schedule(run) {
  const samples = [];
  const phaseStarts = [];
  const start = Date.now();
  let stopTraffic = null;
  const total = PHASES.length * PHASE_S;
  for (let i = 0; i <= total; i++) {
    const due = start + i * 1000;
    if (Date.now() < due) await sleep(due - Date.now());
    const t = Date.now();
    const { counts } = readInterrupts();
    samples.push({ t, counts, affinity: affinities() });
    if (i % PHASE_S === 0) {
      if (stopTraffic) await stopTraffic();
      stopTraffic = null;
      const phase = PHASES[i / PHASE_S];
      if (phase) {
        phaseStarts.push(Date.now());
        stopTraffic = startTraffic(phase.traffic);
        log(`${run.balancer}: phase ${phase.name} (${phase.traffic.join(' ')})`);
      }
    }
  }
  if (stopTraffic) await stopTraffic();
  run.samples = samples;
  run.phaseStarts = phaseStarts;
}

async function main() {
  assertTestbedGuest();
  out.cpus = Number(read('/sys/devices/system/cpu/online')?.split('-')[1] ?? 0) + 1;
  out.kernel = read('/proc/sys/kernel/osrelease');
  const { names } = readInterrupts();
  out.names = names;
  out.nics = nicIrqs(names);
  // The start state: the boot affinities with every NIC IRQ on CPU 0 exactly (the kernel gives the
  // virtio-net queues "0-N" even with irqaffinity=0; they fire on CPU 0).
  for (const n of out.nics) {
    if (read(`/proc/irq/${n.irq}/smp_affinity_list`) !== '0') {
      fs.writeFileSync(`/proc/irq/${n.irq}/smp_affinity_list`, '0');
    }
  }
  out.unmovable = probeUnmovable();
  const startState = affinities();
  out.startState = startState;
  log(
    `${out.cpus} CPUs, kernel ${out.kernel}; NIC IRQs ${out.nics.map((n) => `${n.irq}:${n.name}`).join(' ')}; ` +
      `unmovable: ${out.unmovable.map((u) => u.irq).join(',')}`,
  );
  const stopDisks = startDisks();
  try {
    for (const balancer of BALANCERS) {
      const run = { balancer, restored: restoreTo(startState) };
      out.runs.push(run);
      let proc = null;
      if (balancer === 'auto') proc = await startIrqkitd(out.runs.length);
      else if (balancer === 'irqbalance') {
        if (!fs.existsSync('irqbalance/irqbalance')) {
          run.error = 'no irqbalance/ folder';
          log('irqbalance: no irqbalance/ folder, skipped');
          continue;
        }
        proc = await startIrqbalance(out.runs.length);
      } else if (balancer !== 'none') throw new Error(`unknown balancer ${balancer}`);
      await schedule(run);
      if (balancer === 'auto') {
        // For the record only: the rounds it decided on its own, and what it knows of each IRQ.
        run.auto = JSON.parse((await get('/api/v1/auto')).body);
        run.irqs = JSON.parse((await get('/api/v1/irqs')).body).irqs.map((i) => ({
          irq: i.irq,
          name: i.name,
          managed: i.managed,
          affinity: i.affinity,
        }));
      }
      if (proc) {
        run.exit = await proc.stop();
        run.log = proc.log().slice(-60);
      }
      run.affinityAtEnd = affinities();
      log(`${balancer}: done${proc ? `, exit ${run.exit}` : ''}`);
      save();
    }
  } finally {
    await stopDisks();
  }
  out.restoredAtEnd = restoreTo(startState);
  out.seconds = (Date.now() - t0) / 1000;
  save();
  log('done');
}

main().catch((e) => {
  out.error = String(e?.stack ?? e);
  save();
  process.stdout.write(`[guest] ERROR ${out.error}\n`);
  process.exitCode = 1;
});
