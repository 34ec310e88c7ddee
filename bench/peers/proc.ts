/** Processes for the peer benches: start a server, wait for it, read its CPU time and memory, stop it. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const IRQKITD = join(REPO, 'dist', 'irqkitd.cjs');
export const IRQKIT = join(REPO, 'dist', 'irqkit.cjs');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let clkTck: number | undefined;
/** Clock ticks per second of /proc/PID/stat's utime and stime. */
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of the process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (VmHWM), bytes. */
  hwm: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface Fetched {
  status: number;
  bytes: number;
  body: string;
  ms: number;
}

/** GET with no Accept-Encoding (plain text, as curl sends it). */
export function get(url: string, timeoutMs = 120_000): Promise<Fetched> {
  const t = performance.now();
  return new Promise((resolveGet, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolveGet({
          status: res.statusCode ?? 0,
          bytes: buf.length,
          body: buf.toString('utf8'),
          ms: performance.now() - t,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface Server {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Milliseconds from spawn until `ready` answered 200. */
  startMs: number;
  log: string;
  stop(): Promise<number | string | null>;
}

/**
 * Spawns `cmd args` (stdout and stderr to `log`), then polls `url + readyPath` until it answers 200.
 * Throws with the log's tail when the process exits first or `timeoutMs` passes.
 */
export async function startServer(
  cmd: string,
  args: readonly string[],
  url: string,
  readyPath: string,
  log: string,
  timeoutMs = 60_000,
): Promise<Server> {
  const fd = openSync(log, 'w');
  const t = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: number | string | null | undefined;
  const exit = new Promise<number | string | null>((r) =>
    child.on('exit', (code, signal) => {
      exited = code ?? signal;
      r(exited);
    }),
  );
  const tail = (): string => (existsSync(log) ? readFileSync(log, 'utf8').slice(-1500) : '');
  for (;;) {
    if (exited !== undefined)
      throw new Error(`${cmd} exited (${exited}) before it served ${readyPath}\n${tail()}`);
    if (performance.now() - t > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${cmd} did not serve ${readyPath} within ${timeoutMs} ms\n${tail()}`);
    }
    try {
      if ((await get(`${url}${readyPath}`, 5000)).status === 200) break;
    } catch {}
    await sleep(100);
  }
  const pid = child.pid as number;
  return {
    child,
    pid,
    url,
    startMs: performance.now() - t,
    log,
    stop: async () => {
      if (exited === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/** irqkitd's successful samples so far, from /healthz. */
export async function irqkitdSamples(url: string): Promise<number> {
  const h = JSON.parse((await get(`${url}/healthz`)).body) as { sampler?: { samples?: number } };
  return h.sampler?.samples ?? Number.NaN;
}

/** Bytes as KB/MB with one decimal (10^3 / 10^6). */
export function bytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** Exposition lines that are samples (not # HELP / # TYPE, not blank). */
export function seriesCount(text: string): number {
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start && text.charCodeAt(start) !== 35) n++;
    start = end + 1;
  }
  return n;
}
