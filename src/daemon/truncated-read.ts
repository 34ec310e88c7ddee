/**
 * Tells a truncated read of /proc/interrupts from a real change. A short read (a procfs or FUSE
 * hiccup, a captured file still being written) would otherwise look like IRQs vanishing, and the
 * next good read like them all reappearing: a burst of "new" interrupts in every window, and pins
 * re-applied for nothing. Such a read is refused; the next interval reads again.
 */
import type { Snapshot } from '../core/snapshot.ts';

/**
 * Why `text` looks cut short compared with the previous good read, or null when it does not.
 * Two signs, neither of which a running kernel produces on its own:
 * - the previous read ended with a newline and this one does not (cut in mid-line);
 * - a named row of the previous read (NMI, LOC, ERR, IPI0 …) is missing. Those rows are fixed by
 *   the architecture and printed after every IRQ, so losing one means the tail of the file is gone.
 */
export function truncatedRead(
  prev: { text: string; snapshot: Snapshot },
  text: string,
  snapshot: Snapshot,
): string | null {
  if (prev.text.endsWith('\n') && !text.endsWith('\n')) {
    return 'the read of /proc/interrupts ends in the middle of a line (truncated); it is skipped';
  }
  const labels = new Set(snapshot.rows.filter((r) => !r.numeric).map((r) => r.label));
  const lost = prev.snapshot.rows.filter((r) => !r.numeric && !labels.has(r.label)).map((r) => r.label);
  if (lost.length > 0) {
    const shown = lost.slice(0, 5).join(', ') + (lost.length > 5 ? ', …' : '');
    return `the read of /proc/interrupts lacks the ${shown} row${lost.length === 1 ? '' : 's'} of the previous read (truncated); it is skipped`;
  }
  return null;
}
