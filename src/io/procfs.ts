/**
 * Access to procfs with an injectable root (as prometheus/procfs's `NewFS(mountPoint)`), so tests
 * point it at a temp dir and operators at a captured tree.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCpuList, parseCpuMask } from '../core/cpuset.ts';
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

const CHUNK = 65536;

/**
 * Where small files are read: /irqs and plans read ~8,000 files of a few bytes on a 2,000-IRQ
 * machine, and a fresh 64 KiB buffer for each was a third of the time (allocation and GC).
 * Synchronous reads cannot interleave, so one buffer serves them all.
 */
const scratch = Buffer.allocUnsafe(CHUNK);

/** Reads until read() returns 0, ignoring st_size: procfs says 0 and sysfs 4096 whatever the content. */
function readToEof(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let buf = scratch;
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buf.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a whole file into `buffer` (a larger one when it does not fit, returned in its place),
 * for the sampler: a 6 MB /proc/interrupts read every second into the same memory instead of
 * into fresh chunks and a fresh string.
 */
export function readFileInto(path: string, buffer: Uint8Array): { bytes: Uint8Array; length: number } {
  let bytes = buffer.length >= CHUNK ? buffer : new Uint8Array(CHUNK * 4);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw fileError(path, e);
  }
  try {
    let length = 0;
    for (;;) {
      if (bytes.length - length < CHUNK) {
        const bigger = new Uint8Array(bytes.length * 2);
        bigger.set(bytes.subarray(0, length));
        bytes = bigger;
      }
      const n = readSync(fd, bytes, length, bytes.length - length, null);
      if (n === 0) return { bytes, length };
      length += n;
    }
  } catch (e) {
    throw fileError(path, e);
  } finally {
    closeSync(fd);
  }
}

/** Turns a failed file access into a catalogued error. */
export function fileError(path: string, e: unknown): IrqkitError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new IrqkitError('IRQ_ERR_FILE_NOT_FOUND', `${path}: no such file`, { path });
  }
  if (code === 'EISDIR') return new IrqkitError('IRQ_ERR_FILE_READ', `${path}: is a directory`, { path });
  if (code === 'EACCES' || code === 'EPERM') {
    return new IrqkitError('IRQ_ERR_PERMISSION', `${path}: permission denied`, { path });
  }
  return new IrqkitError('IRQ_ERR_FILE_READ', `${path}: ${(e as Error).message}`, { path, errno: code });
}

/** Reads a whole text file, turning errno failures into catalogued errors. */
export function readTextFile(path: string): string {
  try {
    return readToEof(path);
  } catch (e) {
    throw fileError(path, e);
  }
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Like readTextFile, but null when the file does not exist (optional kernel files). */
export function readOptionalFile(path: string): string | null {
  try {
    return readToEof(path);
  } catch (e) {
    if (isMissing(e)) return null;
    throw fileError(path, e);
  }
}

/** Directory entries, [] when the directory does not exist. */
export function listDirectory(path: string): { name: string; isDirectory: boolean }[] {
  try {
    return readdirSync(path, { withFileTypes: true }).map((d) => ({
      name: d.name,
      isDirectory: d.isDirectory(),
    }));
  } catch (e) {
    if (isMissing(e)) return [];
    throw fileError(path, e);
  }
}

/** File mode bits (permissions only), null when the file does not exist. */
export function fileMode(path: string): number | null {
  try {
    return statSync(path).mode & 0o7777;
  } catch (e) {
    if (isMissing(e)) return null;
    throw fileError(path, e);
  }
}

// ---------------------------------------------------------------------------------------------
// /proc/irq/N

const IRQ_NUMBER = /^\d+$/;

/** A label that can name a /proc/irq directory: digits only, so no `..` or `/` reaches a path. */
export function isIrqNumber(irq: unknown): irq is string {
  return typeof irq === 'string' && IRQ_NUMBER.test(irq);
}

export function irqDir(procRoot: string, irq: string): string {
  return join(procRoot, 'irq', irq);
}

export function affinityListPath(procRoot: string, irq: string): string {
  return join(procRoot, 'irq', irq, 'smp_affinity_list');
}

/** IRQ numbers with a /proc/irq/N directory, ascending. */
export function listIrqNumbers(procRoot: string): string[] {
  return listDirectory(join(procRoot, 'irq'))
    .filter((d) => d.isDirectory && IRQ_NUMBER.test(d.name))
    .map((d) => d.name)
    .sort((a, b) => Number(a) - Number(b));
}

export function irqExists(procRoot: string, irq: string): boolean {
  return isIrqNumber(irq) && fileMode(irqDir(procRoot, irq)) !== null;
}

/** smp_affinity_list as CPUs; null when the file is missing (the IRQ vanished or UP kernel). */
export function readAffinity(procRoot: string, irq: string): number[] | null {
  const text = readOptionalFile(affinityListPath(procRoot, irq));
  return text === null ? null : parseCpuList(text);
}

export function readEffectiveAffinity(procRoot: string, irq: string): number[] | null {
  const text = readOptionalFile(join(irqDir(procRoot, irq), 'effective_affinity_list'));
  return text === null ? null : parseCpuList(text);
}

/** The parts of /proc/irq/N that need no knowledge beyond the directory itself. */
export interface ProcIrqState {
  affinity: number[];
  effective: number[] | null;
  node: number | null;
  hint: number[] | null;
  /** Mode of smp_affinity_list; null when the file is missing. */
  affinityMode: number | null;
  actions: string[];
}

function parseNode(text: string | null): number | null {
  if (text === null) return null;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** affinity_hint was 0400 on old kernels: unreadable to non-root callers means no hint, not an error. */
function readHint(path: string): string | null {
  try {
    return readOptionalFile(path);
  } catch (e) {
    if (e instanceof IrqkitError && e.code === 'IRQ_ERR_PERMISSION') return null;
    throw e;
  }
}

/** Reads /proc/irq/N; throws IRQ_ERR_UNKNOWN_IRQ when the directory does not exist. */
export function readProcIrq(procRoot: string, irq: string): ProcIrqState {
  if (!isIrqNumber(irq)) throw unknownIrq(irq);
  const dir = irqDir(procRoot, irq);
  // Only a missing file needs the directory checked: one stat fewer per IRQ on the common path.
  const affinity = readAffinity(procRoot, irq);
  if (affinity === null && !irqExists(procRoot, irq)) throw unknownIrq(irq);
  const hintText = readHint(join(dir, 'affinity_hint'));
  const hint = hintText === null ? null : parseCpuMask(hintText);
  return {
    affinity: affinity ?? [],
    effective: readEffectiveAffinity(procRoot, irq),
    node: parseNode(readOptionalFile(join(dir, 'node'))),
    hint: hint === null || hint.length === 0 ? null : hint,
    affinityMode: fileMode(affinityListPath(procRoot, irq)),
    // Each uniquely named action gets an (empty) directory; sorted because readdir order is not.
    actions: listDirectory(dir)
      .filter((d) => d.isDirectory)
      .map((d) => d.name)
      .sort(),
  };
}

export function unknownIrq(irq: unknown): IrqkitError {
  return isIrqNumber(irq)
    ? new IrqkitError('IRQ_ERR_UNKNOWN_IRQ', `IRQ ${irq} does not exist`, { irq })
    : new IrqkitError('IRQ_ERR_UNKNOWN_IRQ', `${JSON.stringify(irq)} is not an IRQ number`, { irq });
}

/** The kernel release from <procRoot>/sys/kernel/osrelease as [major, minor], null if unknown. */
export function kernelVersion(procRoot: string): [number, number] | null {
  const text = readOptionalFile(join(procRoot, 'sys', 'kernel', 'osrelease'));
  const m = text === null ? null : /^(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}
