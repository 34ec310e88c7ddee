/**
 * Access to procfs with an injectable root (as prometheus/procfs's `NewFS(mountPoint)`), so tests
 * point it at a temp dir and operators at a captured tree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IrqkitError } from '../core/errors.ts';

export const DEFAULT_PROC_ROOT = '/proc';

export interface ProcFs {
  readonly root: string;
  /** Reads a file under the root to EOF; /proc sizes lie (0 or 4096), so never trust stat. */
  read(relative: string): string;
  readInterrupts(): string;
}

export function createProcFs(root: string = DEFAULT_PROC_ROOT): ProcFs {
  const read = (relative: string): string => readTextFile(join(root, relative));
  return { root, read, readInterrupts: () => read('interrupts') };
}

/** Reads a whole text file, turning errno failures into catalogued errors. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new IrqkitError('IRQ_ERR_FILE_NOT_FOUND', `${path}: no such file`, { path });
    }
    if (code === 'EISDIR') throw new IrqkitError('IRQ_ERR_FILE_READ', `${path}: is a directory`, { path });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new IrqkitError('IRQ_ERR_PERMISSION', `${path}: permission denied`, { path });
    }
    throw new IrqkitError('IRQ_ERR_FILE_READ', `${path}: ${(e as Error).message}`, { path, errno: code });
  }
}
