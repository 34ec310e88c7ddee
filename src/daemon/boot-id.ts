/**
 * The kernel's boot id (/proc/sys/kernel/random/boot_id): a new random UUID at every boot. The
 * original affinities irqkitd saved belong to one boot; after a reboot the kernel starts from its
 * defaults again, so they no longer describe anything to put back.
 */
import { join } from 'node:path';
import { readOptionalFile } from '../io/procfs.ts';

/** The boot id, or null where the file is missing or unreadable (then originals are kept). */
export function readBootId(procRoot: string): string | null {
  try {
    const text = readOptionalFile(join(procRoot, 'sys', 'kernel', 'random', 'boot_id'))?.trim();
    return text === undefined || text === '' ? null : text;
  } catch {
    return null;
  }
}
