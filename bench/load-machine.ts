/**
 * The machine and the daemon for the load and soak benches: a simulated 256-CPU, 4-node host
 * with 2,000 IRQs (six 256-queue NICs, a 200-queue InfiniBand HCA, two NVMe drives with 128
 * kernel-managed queues each, seven INTx devices and the timer), and the bundled irqkitd reading
 * it through --procfs/--sysfs.
 *
 * By default the machine runs in a process of its own (sim-child.ts), so the daemon pays only
 * for what it would pay on a real host, reading and parsing a 5.8 MB /proc/interrupts every
 * interval, and the bench's probes do not wait behind the simulator's rendering.
 * `inside` runs it in the daemon instead (`--simulate FILE`), which adds the simulator's ~150 ms
 * per second of rewriting 2,000 IRQs' files to the daemon's event loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimDeviceSpec, SimSpec } from '../src/sim/spec.ts';
import { daemonNodeFlags } from './paths.ts';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

const NIC_QUEUES = 256;

/** 256 CPUs on 4 nodes; 1 + 6·256 + 200 + 2·128 + 7 = 2,000 IRQs. */
export function bigMachineSpec(): SimSpec {
  const nics: SimDeviceSpec[] = Array.from({ length: 6 }, (_, i) => ({
    name: `eth${i}`,
    pci: `0000:${(0x18 + i * 0x10).toString(16)}:00.0`,
    node: i % 4,
    queues: NIC_QUEUES,
    rate: 2_000 * NIC_QUEUES,
    skew: 'lognormal',
  }));
  const intx: SimDeviceSpec[] = ['ahci', 'xhci_hcd', 'i801_smbus', 'ioat0', 'ioat1', 'mei_me', 'snd_hda'].map(
    (name, i) => ({ name, pci: `0000:00:${(0x11 + i).toString(16)}.0`, type: 'intx', node: 0, rate: 10 }),
  );
  return {
    cpus: 256,
    nodes: 4,
    seed: 7,
    uptime: 3600,
    devices: [
      { name: 'timer', type: 'legacy', irq: 0, rate: 1 },
      ...nics,
      { name: 'mlx5_0', pci: '0000:af:00.0', node: 1, queues: 200, rate: 200_000, skew: 'lognormal' },
      { name: 'nvme0', pci: '0000:5e:00.0', node: 2, queues: 128, rate: 100_000, managed: true },
      { name: 'nvme1', pci: '0000:d8:00.0', node: 3, queues: 128, rate: 100_000, managed: true },
      ...intx,
    ],
  };
}

/** The big machine advancing in a process of its own (sim-child.ts). */
export interface Sim {
  procRoot: string;
  sysRoot: string;
  stop(): Promise<void>;
}

/**
 * Starts `sim-child.ts` on `dir`, ticking every `tickMs`: the bench and the daemon then pay
 * nothing for rendering the machine's files, and a probe's latency is not the bench's own.
 */
export async function startSim(dir: string, tickMs: number): Promise<Sim> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repo, 'bench', 'sim-child.ts'), dir, String(tickMs)],
    {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((res) => child.once('close', () => res()));
  const roots = await new Promise<{ procRoot: string; sysRoot: string }>((res, rej) => {
    let buf = '';
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) res(JSON.parse(buf.slice(0, nl)));
    });
    void exited.then(() => rej(new Error('the simulated machine exited before it was ready')));
  });
  return {
    ...roots,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface LoadDaemon {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  irqs: number;
  cpus: number;
  interruptsBytes: number;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 15 s; removes the machine and the state directory. */
  stop(): Promise<number | null>;
}

export interface LoadDaemonOptions {
  /** Where the simulated machine runs: in a process of its own (default) or in the daemon. */
  sim: 'outside' | 'inside';
  interval: string;
  retention: string;
}

export async function startLoadDaemon(o: LoadDaemonOptions): Promise<LoadDaemon> {
  const spec = bigMachineSpec();
  const work = mkdtempSync(join(tmpdir(), 'irqkit-bench-'));
  let machine: Sim | null = null;
  const args = ['--listen', '127.0.0.1:0', '--interval', o.interval, '--retention', o.retention];
  if (o.sim === 'outside') {
    // Advancing once a second like the daemon's own simulator would.
    machine = await startSim(join(work, 'machine'), 1000);
    args.push('--procfs', machine.procRoot, '--sysfs', machine.sysRoot, '--state-dir', join(work, 'state'));
  } else {
    const file = join(work, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    args.push('--simulate', file);
  }
  // The log (one JSON line per request) goes to a file, not a pipe: a pipe the bench is slow to
  // drain (it also runs the simulator) would block the daemon's synchronous stderr writes.
  const logFile = join(work, 'irqkitd.log');
  const logFd = openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [...daemonNodeFlags(repo), join(repo, 'dist', 'irqkitd.cjs'), ...args],
    {
      stdio: ['ignore', 'ignore', logFd],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    },
  );
  closeSync(logFd);
  const stderr = (): string => {
    try {
      const text = readFileSync(logFile, 'utf8');
      return text.length > 200_000 ? text.slice(-200_000) : text;
    } catch {
      return '';
    }
  };
  const cleanup = async (): Promise<void> => {
    await machine?.stop();
    rmSync(work, { recursive: true, force: true });
  };
  const exited = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
  const port = await new Promise<number>((res, rej) => {
    let done = false;
    const deadline = Date.now() + 60_000;
    const poll = (): void => {
      if (done) return;
      const m = /"irqkitd listening","urls":\["http:\/\/127\.0\.0\.1:(\d+)"/.exec(stderr());
      if (m) {
        done = true;
        res(Number(m[1]));
      } else if (Date.now() > deadline) {
        done = true;
        rej(new Error(`irqkitd did not listen within 60 s:\n${stderr()}`));
      } else setTimeout(poll, 50);
    };
    poll();
    void exited.then((code) => {
      if (done) return;
      done = true;
      rej(new Error(`irqkitd exited (${code}) before listening:\n${stderr()}`));
    });
  }).catch(async (e: unknown) => {
    child.kill('SIGKILL');
    await cleanup();
    throw e;
  });
  const procRoot = machine ? machine.procRoot : null;
  const interruptsBytes = procRoot ? readFileSync(join(procRoot, 'interrupts')).length : 0;
  return {
    child,
    pid: child.pid as number,
    port,
    url: `http://127.0.0.1:${port}`,
    irqs: spec.devices.reduce((n, d) => n + (d.queues ?? 1), 0),
    cpus: spec.cpus,
    interruptsBytes,
    stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(killer);
        await cleanup();
        return code;
      }
      await cleanup();
      return child.exitCode;
    },
  };
}

export interface Timed<T> {
  ms: number;
  status: number;
  body: T | null;
  bytes: number;
}

/** One GET on a fresh connection, timed; the body parsed as JSON when `json`. */
export function get<T = unknown>(
  port: number,
  path: string,
  json = true,
  timeoutMs = 30_000,
): Promise<Timed<T>> {
  const started = performance.now();
  return new Promise((res, rej) => {
    const r = request({ host: '127.0.0.1', port, path, agent: false }, (resp) => {
      const chunks: Buffer[] = [];
      resp.on('data', (c: Buffer) => chunks.push(c));
      resp.on('end', () => {
        const buf = Buffer.concat(chunks);
        let body: T | null = null;
        if (json && resp.statusCode === 200) body = JSON.parse(buf.toString('utf8')) as T;
        res({ ms: performance.now() - started, status: resp.statusCode ?? 0, body, bytes: buf.length });
      });
      resp.on('error', rej);
    });
    r.on('error', rej);
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`GET ${path} timed out`)));
    r.end();
  });
}

/** VmRSS of a process in bytes, from /proc/<pid>/status (null once it is gone). */
export function vmRss(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
