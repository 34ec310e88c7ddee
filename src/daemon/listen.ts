/**
 * `--listen` targets: a TCP address or a Unix socket path. Loopback by default: irqkitd runs as
 * root, writes kernel settings and has no authentication, so it must not face a network unless
 * the operator says so in as many words.
 */
import { IrqkitError } from '../core/errors.ts';

export type ListenTarget = { host: string; port: number } | { path: string };

export const DEFAULT_PORT = 9640;
export const DEFAULT_LISTEN = `127.0.0.1:${DEFAULT_PORT}`;

export function parseListen(text: string): ListenTarget {
  const t = text.trim();
  if (t.startsWith('unix:')) return socketPath(t.slice(5), text);
  if (t.startsWith('/') || t.startsWith('./')) return socketPath(t, text);
  // [v6]:port, host:port, or :port (which means loopback, never "all interfaces").
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(t);
  const v4 = /^([A-Za-z0-9.-]*):(\d+)$/.exec(t);
  const m = v6 ?? v4;
  if (!m) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `--listen takes HOST:PORT, [V6]:PORT, :PORT or a Unix socket path, not '${text}'`,
    );
  }
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new IrqkitError('IRQ_ERR_USAGE', `--listen: port ${m[2]} is out of range`);
  }
  const host = m[1] === '' ? '127.0.0.1' : (m[1] as string);
  return { host, port };
}

/** A Unix socket, 'localhost', ::1 or a dotted-quad 127.x.y.z: nothing else is taken as loopback. */
export function isLoopback(target: ListenTarget): boolean {
  if ('path' in target) return true;
  const h = target.host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const quad = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return quad?.slice(1).every((n) => Number(n) <= 255) === true;
}

/** What binding `host` means, in words, for the refusal message. */
function meaning(host: string): string {
  if (/^(0+|0+\.0+\.0+\.0+|::|0*:0*:0*:0*:0*:0*:0*:0*)$/.test(host)) return 'every network interface';
  return `the address '${host}', which is not loopback`;
}

/**
 * Refuses a non-loopback target unless `allowRemote` (--allow-remote): `0:9640` looks like
 * `:9640`, which is loopback, but binds every interface. Returns one warning per accepted one.
 */
export function checkExposure(targets: readonly ListenTarget[], allowRemote: boolean): string[] {
  const warnings: string[] = [];
  for (const t of targets) {
    if (isLoopback(t) || 'path' in t) continue;
    const where = `${describeTarget(t)} would listen on ${meaning(t.host)}`;
    if (!allowRemote) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `--listen ${where}, and irqkitd has no authentication; add --allow-remote if that is meant (':${t.port}' is loopback)`,
      );
    }
    warnings.push(`${where}: anyone who can reach it can change IRQ affinities (no authentication)`);
  }
  return warnings;
}

function socketPath(path: string, original: string): ListenTarget {
  if (path.length === 0 || path.length > 100) {
    throw new IrqkitError('IRQ_ERR_USAGE', `--listen: '${original}' is not a usable Unix socket path`);
  }
  return { path };
}

/** Host header values a browser or client may send for this target (DNS-rebinding defence). */
export function allowedHostsFor(target: ListenTarget, boundPort?: number): string[] {
  if ('path' in target) return ['localhost', ''];
  const port = boundPort ?? target.port;
  const hosts = new Set<string>();
  const add = (h: string): void => {
    hosts.add(`${h}:${port}`);
    if (port === 80) hosts.add(h);
  };
  const isV6 = target.host.includes(':');
  add(isV6 ? `[${target.host}]` : target.host);
  if (['127.0.0.1', '::1', 'localhost'].includes(target.host)) {
    add('127.0.0.1');
    add('localhost');
    add('[::1]');
  }
  return [...hosts];
}

export function describeTarget(target: ListenTarget, boundPort?: number): string {
  if ('path' in target) return `unix:${target.path}`;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `http://${host}:${boundPort ?? target.port}`;
}
