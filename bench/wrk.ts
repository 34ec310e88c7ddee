/**
 * Runs wrk (Debian package `wrk`) against one URL and reads its figures from a Lua `done` hook,
 * not from its human-readable output. wrk measures latency from when it sends each request, so
 * under saturation the percentiles leave out the time requests would have waited to be sent
 * ("coordinated omission"); they describe the daemon's service time with N connections busy.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Response bytes per request. */
  bytesPerRequest: number;
  /** Latency in ms. */
  p50: number;
  p99: number;
  max: number;
  mean: number;
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number;
  /** connect + read + write + timeout errors. */
  errors: number;
}

const DONE_HOOK = `
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,\\"connect\\":%d,\\"read\\":%d," ..
    "\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50\\":%d,\\"p99\\":%d,\\"max\\":%d,\\"mean\\":%f}\\n",
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
`;

/** The wrk version line, or null when wrk is not installed. */
export function wrkVersion(): string | null {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (r.error) return null;
  const line = `${r.stdout}${r.stderr}`.split('\n').find((l) => l.startsWith('wrk'));
  return line?.trim() ?? 'wrk';
}

export interface WrkOptions {
  url: string;
  seconds: number;
  connections: number;
  threads: number;
  timeoutSeconds: number;
}

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-wrk-'));
  const script = join(dir, 'done.lua');
  writeFileSync(script, DONE_HOOK);
  try {
    const args = [
      `-t${o.threads}`,
      `-c${o.connections}`,
      `-d${o.seconds}s`,
      `--timeout`,
      `${o.timeoutSeconds}s`,
      '-s',
      script,
      o.url,
    ];
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (s: string) => {
        text += s;
      });
      child.stderr.on('data', (s: string) => {
        text += s;
      });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}:\n${text}`)),
      );
    });
    const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
    if (!line) throw new Error(`wrk printed no figures:\n${out}`);
    const j = JSON.parse(line.slice('WRKJSON '.length)) as Record<string, number>;
    const n = (k: string): number => j[k] ?? 0;
    const seconds = n('duration_us') / 1e6;
    return {
      requests: n('requests'),
      seconds,
      rps: n('requests') / seconds,
      bytesPerRequest: n('requests') > 0 ? n('bytes') / n('requests') : 0,
      p50: n('p50') / 1000,
      p99: n('p99') / 1000,
      max: n('max') / 1000,
      mean: n('mean') / 1000,
      non2xx: n('status'),
      errors: n('connect') + n('read') + n('write') + n('timeout'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
