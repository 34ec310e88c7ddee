/**
 * irqInfo for many IRQs without holding the event loop. Each IRQ costs about seven procfs reads,
 * 100–150 µs; on a 2,000-IRQ machine that is 200–300 ms in one go, during which no request is
 * answered and no sample taken. So the reads run in slices of `sliceMs`, each followed by a turn
 * of the event loop.
 */
import { IrqkitError } from '../core/errors.ts';
import type { IrqInfo, SystemAccess } from './system.ts';

export interface IrqInfoSliceOptions {
  /** The longest stretch of reads between two turns of the event loop. */
  sliceMs?: number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
  /** Checked at each turn: a cancelled plan stops reading. */
  signal?: AbortSignal;
  /**
   * Which failures of one IRQ give null instead of failing the whole read: 'unknown' (the IRQ
   * went away since it was listed), or 'any' (the planner places such an IRQ where it is).
   */
  skip?: 'unknown' | 'any';
}

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function readIrqInfos(
  system: Pick<SystemAccess, 'irqInfo'>,
  irqs: readonly string[],
  options: IrqInfoSliceOptions = {},
): Promise<(IrqInfo | null)[]> {
  const sliceMs = options.sliceMs ?? 10;
  const now = options.now ?? (() => performance.now());
  const skip = options.skip ?? 'unknown';
  const out: (IrqInfo | null)[] = [];
  let sliceStart = now();
  for (const irq of irqs) {
    if (now() - sliceStart >= sliceMs) {
      await yieldToEventLoop();
      if (options.signal?.aborted) throw new IrqkitError('IRQ_ERR_UNAVAILABLE', 'the request was cancelled');
      sliceStart = now();
    }
    try {
      out.push(system.irqInfo(irq));
    } catch (e) {
      if (skip === 'any' || (e instanceof IrqkitError && e.code === 'IRQ_ERR_UNKNOWN_IRQ')) out.push(null);
      else throw e;
    }
  }
  return out;
}
