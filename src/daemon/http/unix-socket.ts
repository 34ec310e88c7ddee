/**
 * Unix socket housekeeping. The socket is the daemon's only access control (no tokens), so it
 * is created owner-only and an existing path is removed only when it is a dead socket.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * Makes `path` free for listen(): nothing there, or a socket nobody answers on (left by a
 * crash). Refuses to delete anything else, and refuses to steal a socket a live daemon holds.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!isSocket) throw errno('EEXIST', `${path} exists and is not a socket; not removing it`);
  if (await answers(path)) throw errno('EADDRINUSE', `${path}: another process is listening on it`);
  unlinkSync(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Runs `bind` under umask 0177 so the socket is never reachable by others, not even between
 * bind() and chmod(); chmod then pins 0600 whatever the umask did. listen() binds synchronously,
 * so no other file creation can run under the narrowed umask.
 */
export function bindOwnerOnly(bind: () => void): void {
  const previous = process.umask(0o177);
  try {
    bind();
  } finally {
    process.umask(previous);
  }
}

export function restrictSocket(path: string): void {
  chmodSync(path, 0o600);
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = code;
  return e;
}
