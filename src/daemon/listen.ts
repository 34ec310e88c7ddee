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
