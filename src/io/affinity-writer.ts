/**
 * Writes one IRQ's smp_affinity_list and says, with a catalogued code, why the kernel refused.
 */
import { closeSync, constants as fsConstants, openSync, writeSync } from 'node:fs';
import { formatCpuList } from '../core/cpuset.ts';
import type { ErrorCode } from '../core/errors.ts';
import { affinityListPath, fileMode } from './procfs.ts';

export interface WriteError {
  code: ErrorCode;
  message: string;
  errno?: string;
}

export type WriteResult = { ok: true } | { ok: false; error: WriteError };

/**
 * errno of a write to /proc/irq/N/smp_affinity_list → catalogue code:
 * EIO (≤ 6.11) / EPERM (≥ 6.12) when user space may not set the IRQ's affinity; EINVAL for a
 * mask without an online CPU, ERANGE/EOVERFLOW for a CPU beyond the mask; ENOSPC when x86 has no
 * free vector on the target; ENOENT when the IRQ was freed under us.
 */
export function errnoToErrorCode(errno: string | undefined): ErrorCode {
  switch (errno) {
    case 'EIO':
    case 'EPERM':
      return 'IRQ_ERR_MANAGED';
    case 'EINVAL':
    case 'ERANGE':
    case 'EOVERFLOW':
      return 'IRQ_ERR_CPU_OFFLINE';
    case 'ENOSPC':
      return 'IRQ_ERR_NO_VECTOR';
    case 'EACCES':
    case 'EROFS':
      return 'IRQ_ERR_PERMISSION';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'IRQ_ERR_UNKNOWN_IRQ';
    default:
      return 'IRQ_ERR_INTERNAL';
  }
}

function isRoot(): boolean {
  // The effective uid decides what open(2) may do, not the real one.
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

function describeRefusal(code: ErrorCode, irq: string, text: string, errno: string | undefined): string {
  const what = `IRQ ${irq}: writing "${text}" to smp_affinity_list`;
  switch (code) {
    case 'IRQ_ERR_MANAGED':
      return `${what} was refused (${errno}): the kernel manages this IRQ's affinity`;
    case 'IRQ_ERR_CPU_OFFLINE':
      return `${what} was refused (${errno}): no online CPU in the mask, or a CPU beyond the kernel's mask`;
    case 'IRQ_ERR_NO_VECTOR':
      return `${what} was refused (${errno}): no free interrupt vector on the target CPU`;
    case 'IRQ_ERR_PERMISSION':
      return isRoot()
        ? `${what} was refused (${errno}) although running as root (read-only mount, LSM or user namespace?)`
        : `${what} was refused (${errno}): changing IRQ affinity needs root`;
    case 'IRQ_ERR_UNKNOWN_IRQ':
      return `${what} failed (${errno}): the IRQ no longer exists`;
    default:
      return `${what} failed (${errno ?? 'unknown error'})`;
  }
}

/**
 * One write(2) of `text` to the file, with no mode check: the kernel parses each write call on
 * its own, so the text must go in one call. Exported for tests that want the kernel's own answer.
 */
export function writeAffinityText(procRoot: string, irq: string, text: string): WriteResult {
  const path = affinityListPath(procRoot, irq);
  let fd: number | null = null;
  try {
    // No O_CREAT: a vanished IRQ must fail with ENOENT, not grow a regular file. O_TRUNC is what
    // `echo >` does; procfs ignores it, and a regular file (a simulated tree) needs it.
    fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_TRUNC);
    const data = Buffer.from(`${text}\n`);
    const n = writeSync(fd, data, 0, data.length);
    if (n !== data.length) {
      return {
        ok: false,
        error: { code: 'IRQ_ERR_INTERNAL', message: `IRQ ${irq}: short write (${n} bytes)` },
      };
    }
    return { ok: true };
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    const code = errnoToErrorCode(errno);
    const error: WriteError = { code, message: describeRefusal(code, irq, text, errno) };
    if (errno !== undefined) error.errno = errno;
    return { ok: false, error };
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export interface AffinityWriter {
  /** Sets smp_affinity_list to `cpus` (for a batch: one CPU; for a rollback: the old list). */
  write(irq: string, cpus: readonly number[]): WriteResult;
  /**
   * What the last write to this IRQ taught: 'refused' as managed (EIO/EPERM, or a 0444 file),
   * 'accepted', or undefined when it was never written (or failed for another reason).
   */
  learned(irq: string): 'refused' | 'accepted' | undefined;
  /** Writes the kernel accepted so far: answers that show affinities are stale once it moves. */
  readonly accepted: number;
}

/** A writer that remembers which IRQs refused, so later queries can say they are managed. */
export function createAffinityWriter(procRoot: string): AffinityWriter {
  const learned = new Map<string, 'refused' | 'accepted'>();
  let accepted = 0;
  return {
    get accepted() {
      return accepted;
    },
    write(irq, cpus) {
      const text = formatCpuList(cpus);
      const mode = fileMode(affinityListPath(procRoot, irq));
      let result: WriteResult;
      if (mode === null) {
        result = {
          ok: false,
          error: { code: 'IRQ_ERR_UNKNOWN_IRQ', message: `IRQ ${irq} no longer exists`, errno: 'ENOENT' },
        };
      } else if ((mode & 0o222) === 0) {
        // Kernels ≥ 6.12 mark IRQs user space may not move 0444. Root would be let through to the
        // kernel's EPERM anyway; not writing keeps a simulated (regular-file) tree honest too.
        result = {
          ok: false,
          error: {
            code: 'IRQ_ERR_MANAGED',
            message: `IRQ ${irq}: smp_affinity_list is read-only (mode 0${mode.toString(8)}): the kernel manages this IRQ's affinity`,
          },
        };
      } else {
        result = writeAffinityText(procRoot, irq, text);
      }
      if (result.ok) {
        learned.set(irq, 'accepted');
        accepted++;
      } else if (result.error.code === 'IRQ_ERR_MANAGED') learned.set(irq, 'refused');
      return result;
    },
    learned: (irq) => learned.get(irq),
  };
}
