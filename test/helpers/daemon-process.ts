/**
 * The real `irqkitd` bundle (dist/irqkitd.cjs) as a child process: started with `--listen …:0`,
 * its bound URLs read from the `irqkitd listening` JSON log line on stderr, stopped with SIGTERM
 * (SIGKILL after a timeout). Daemons still running when the test process exits are SIGKILLed.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Health, SamplerHealth } from '../../src/api/schemas.ts';
import { bundlePath } from './cli.ts';
import { type Endpoint, type HttpRequest, type HttpResponse, send } from './http.ts';

export interface LogEntry {
  time?: string;
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopResult extends ExitInfo {
  /** Milliseconds from the signal to the exit. */
  ms: number;
  /** True when the daemon ignored the signal and had to be SIGKILLed. */
  killed: boolean;
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  /** The URLs of the listening line: 'http://127.0.0.1:PORT' or 'unix:/path'. */
  readonly urls: string[];
  /** One per URL, for helpers/http.ts. */
  readonly endpoints: Endpoint[];
  /** The first endpoint. */
  readonly endpoint: Endpoint;
  /** The `system` of the listening line ('/proc and /sys', 'simulated machine in /tmp/…'). */
  readonly system: string;
  /** The simulated machine's directory, null on a real system. */
  readonly simDir: string | null;
  /** Where the daemon reads procfs: `simDir/proc`, or '/proc'. */
  readonly procRoot: string;
  /** Every JSON log line so far. */
  logs(): LogEntry[];
  stderr(): string;
  stdout(): string;
  /** True until the process exits. */
  running(): boolean;
  readonly exited: Promise<ExitInfo>;
  /** A request to the first endpoint. */
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Reads a simulated (or real) /proc/irq/N file, trimmed. */
  irqFile(irq: string, file: string): string;
  irqFileMode(irq: string, file: string): number;
  /** SIGTERM (or `signal`), then SIGKILL after `killAfterMs`; idempotent. */
  stop(options?: { signal?: NodeJS.Signals; killAfterMs?: number }): Promise<StopResult>;
}

export interface RunResult extends ExitInfo {
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * How long a daemon may take to listen (or to run to its exit) before the test gives up: a
 * deadline against a hang, not a speed check, so it is generous enough for a machine whose
 * cores are busy with other work (a Node 16 start-up was seen to pass 10 s under load).
 */
const START_DEADLINE_MS = 60_000;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** An environment without the test runner's variables; TMPDIR can be redirected. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return { ...env, ...extra };
}

/** 'http://127.0.0.1:PORT' / 'http://[::1]:PORT' / 'unix:/path' → an Endpoint. */
export function endpointOf(url: string): Endpoint {
  if (url.startsWith('unix:')) return { path: url.slice(5) };
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

/** Arguments for a simulated daemon on a loopback port with fast sampling. */
export function simArgs(spec = '8cpu,2node', extra: readonly string[] = []): string[] {
  return ['--simulate', spec, '--listen', '127.0.0.1:0', '--interval', '100ms', ...extra];
}

function parseLogLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      // a partial line; the next call sees it whole
    }
  }
  return out;
}

/**
 * Starts the bundled daemon and resolves once it logs that it listens. Rejects (with its
 * stderr) when it exits first or does not listen within `startTimeoutMs`.
 */
export function startDaemon(
  args: readonly string[],
  options: { startTimeoutMs?: number; env?: Record<string, string> } = {},
): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [bundlePath('irqkitd'), ...args], {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  let stdout = '';
  child.stderr?.setEncoding('utf8');
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (s: string) => {
    stdout += s;
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    // 'close', not 'exit': by then stderr has been read to the end.
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  let stopping: Promise<StopResult> | undefined;

  return new Promise<DaemonProcess>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`irqkitd ${args.join(' ')} did not listen within the timeout; stderr:\n${stderr}`));
    }, options.startTimeoutMs ?? START_DEADLINE_MS);
    void exited.then((info) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(
        new Error(
          `irqkitd ${args.join(' ')} exited (${info.code ?? info.signal}) before listening:\n${stderr}`,
        ),
      );
    });
    child.stderr?.on('data', (s: string) => {
      stderr += s;
      if (settled) return;
      const entry = parseLogLines(stderr).find((e) => e.msg === 'irqkitd listening');
      if (!entry) return;
      settled = true;
      clearTimeout(timer);
      const urls = (entry.urls as string[]) ?? [];
      const system = String(entry.system ?? '');
      const sim = /^simulated machine in (.+)$/.exec(system);
      const simDir = sim ? (sim[1] as string) : null;
      const procRoot = simDir === null ? '/proc' : join(simDir, 'proc');
      const endpoints = urls.map(endpointOf);
      const irqPath = (irq: string, file: string): string => {
        if (!/^\d+$/.test(irq)) throw new Error(`not an IRQ number: ${irq}`);
        return join(procRoot, 'irq', irq, file);
      };
      const d: DaemonProcess = {
        child,
        urls,
        endpoints,
        endpoint: endpoints[0] as Endpoint,
        system,
        simDir,
        procRoot,
        logs: () => parseLogLines(stderr),
        stderr: () => stderr,
        stdout: () => stdout,
        running: () => child.exitCode === null && child.signalCode === null,
        exited,
        request: (req) => send(endpoints[0] as Endpoint, req),
        irqFile: (irq, file) => readFileSync(irqPath(irq, file), 'utf8').trim(),
        irqFileMode: (irq, file) => statSync(irqPath(irq, file)).mode & 0o777,
        stop(stopOptions = {}) {
          stopping ??= (async () => {
            const started = Date.now();
            if (!d.running()) {
              const info = await exited;
              return { ...info, ms: 0, killed: false };
            }
            child.kill(stopOptions.signal ?? 'SIGTERM');
            let killed = false;
            const killer = setTimeout(() => {
              killed = true;
              child.kill('SIGKILL');
            }, stopOptions.killAfterMs ?? 15_000);
            const info = await exited;
            clearTimeout(killer);
            // A SIGKILLed simulated daemon cannot remove its machine; do it for it.
            if (
              killed &&
              simDir !== null &&
              dirname(simDir) === tmpdir() &&
              /^irqkit-sim-/.test(basename(simDir))
            ) {
              rmSync(simDir, { recursive: true, force: true });
            }
            return { ...info, ms: Date.now() - started, killed };
          })();
          return stopping;
        },
      };
      resolve(d);
    });
  });
}

/** Runs the bundled daemon to its exit (bad flags, --version, a port in use) and collects its output. */
export function runDaemonToExit(
  args: readonly string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [bundlePath('irqkitd'), ...args], {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (s: string) => {
    stdout += s;
  });
  child.stderr?.on('data', (s: string) => {
    stderr += s;
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? START_DEADLINE_MS);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Only for pacing a poll: tests synchronise on handshakes, never on sleeps. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. The
 * deadline only turns a hang into a failure; it is not a timing check, so it is generous: a loaded
 * machine makes a test slower, never red.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The sampler part of /healthz. */
export type SamplerFigures = SamplerHealth;

/** Anything with /healthz: a daemon process, or one in this process (helpers/sim-daemon.ts). */
interface Healthy {
  request(req: HttpRequest): Promise<HttpResponse>;
}

export async function samplerFigures(d: Healthy): Promise<SamplerFigures> {
  const r = await d.request({ path: '/healthz' });
  if (r.status !== 200) throw new Error(`/healthz answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json<Health>().sampler;
}

/**
 * Resolves once the daemon has taken `n` more samples (reads that succeeded) than when called,
 * with its sampler figures then. What it does after each sample (re-applying pins that came
 * back, noticing drift) has run `n` times on what the files held at the call: "nothing happened"
 * can then be asserted without sleeping for it.
 */
export async function afterSamples(d: Healthy, n = 2, timeoutMs = 30_000): Promise<SamplerFigures> {
  const from = (await samplerFigures(d)).samples;
  return eventually(
    `${n} more samples than ${from}`,
    async () => {
      const s = await samplerFigures(d);
      return s.samples >= from + n ? s : undefined;
    },
    timeoutMs,
    20,
  );
}

/**
 * Resolves once `n` more reads of /proc/interrupts than when called have failed (the sampler
 * skips a failed read and counts it), with the sampler figures then.
 */
export async function afterFailures(d: Healthy, n: number, timeoutMs = 30_000): Promise<SamplerFigures> {
  const from = (await samplerFigures(d)).failures;
  return eventually(
    `${n} more failed reads than ${from}`,
    async () => {
      const s = await samplerFigures(d);
      return s.failures >= from + n ? s : undefined;
    },
    timeoutMs,
    20,
  );
}

/**
 * Resolves once the simulated machine under `procRoot` has stepped since the call. A step first
 * takes up what was written to smp_affinity_list (routing the IRQ, which effective_affinity_list
 * then shows) and ends by rewriting /proc/interrupts, whose counters always move; so when that
 * file has changed, every write made before the call has had its effect in the files, and one
 * that was never made has had none. (With --simulate the machine steps inside the daemon's
 * event loop, so a step that ends after a response began after the request was handled.)
 */
export async function machineStepped(procRoot: string, timeoutMs = 30_000): Promise<void> {
  const path = join(procRoot, 'interrupts');
  const before = readFileSync(path, 'utf8');
  await eventually(
    `the simulated machine in ${procRoot} to step`,
    () => (readFileSync(path, 'utf8') !== before ? true : undefined),
    timeoutMs,
    20,
  );
}
