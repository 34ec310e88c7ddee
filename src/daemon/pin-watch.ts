/**
 * What to do about one pin, given what /proc/irq/N and sysfs show now. Pure, so every case is a
 * table row in a test. The rules:
 *
 * - The IRQ is gone (driver unloaded, NIC reset in progress): `missing`, wait for it.
 * - Its handlers are not the pinned ones: the number was reused by another device. `mismatch`:
 *   never pin a stranger's IRQ.
 * - The pinned CPU is offline: `cpu-offline`. The kernel moved the IRQ away ("affinity broken")
 *   and will not move it back; irqkitd does when the CPU returns.
 * - The affinity is the pin: `applied`.
 * - Otherwise the pin is (re-)applied when irqkitd starts or reloads, when asked, or when the IRQ
 *   has just come back (it vanished, its counters restarted, its identity changed, its CPU came
 *   back): the kernel reset it, nobody chose that. Any other difference is `drifted`: something
 *   else (irqbalance, a script, a person) chose another affinity; irqkitd reports it and does not
 *   fight it, since fighting irqbalance is a loop of moves every 10 s.
 */
import { cpuSetsEqual, formatCpuList } from '../core/cpuset.ts';

export type PinStatus = 'applied' | 'drifted' | 'missing' | 'cpu-offline' | 'mismatch' | 'failed';

/** Why a check runs: start-up, SIGHUP, POST /api/v1/pins/apply, or after a sample. */
export type PinTrigger = 'startup' | 'reload' | 'request' | 'sample';

export interface PinObservation {
  /** The IRQ's smp_affinity_list and handler names; null when /proc/irq/N does not exist. */
  present: { affinity: number[]; name: string } | null;
  /** Whether the pinned CPU is online. */
  cpuOnline: boolean;
  /** The sampler saw the IRQ appear or its counters restart since the last check. */
  reappeared: boolean;
}

export interface PinDecision {
  status: PinStatus;
  /** Write the pin now. */
  apply: boolean;
  /** For people: why this status. */
  detail: string | null;
  /** Why it is applied ('startup', 'reappeared', 'cpu-online' …), for the log. */
  reason?: string;
}

export function decidePin(
  pin: { irq: string; cpu: number; name: string },
  obs: PinObservation,
  previous: PinStatus | undefined,
  trigger: PinTrigger,
): PinDecision {
  const { irq, cpu } = pin;
  if (obs.present === null) {
    return {
      status: 'missing',
      apply: false,
      detail: `IRQ ${irq} does not exist now (driver unloaded or device reset); the pin is applied again when it comes back`,
    };
  }
  const { affinity, name } = obs.present;
  if (pin.name !== '' && name !== '' && pin.name !== name) {
    return {
      status: 'mismatch',
      apply: false,
      detail: `IRQ ${irq} now belongs to ${name}, not ${pin.name} as when it was pinned; left alone`,
    };
  }
  if (!obs.cpuOnline) {
    return {
      status: 'cpu-offline',
      apply: false,
      detail: `CPU ${cpu} is offline; the pin is applied again when it comes back`,
    };
  }
  if (cpuSetsEqual(affinity, [cpu])) return { status: 'applied', apply: false, detail: null };
  const reason =
    trigger !== 'sample'
      ? trigger
      : obs.reappeared || previous === 'missing' || previous === 'mismatch'
        ? 'reappeared'
        : previous === 'cpu-offline'
          ? 'cpu-online'
          : previous === undefined
            ? 'new'
            : null;
  if (reason !== null) return { status: 'applied', apply: true, detail: null, reason };
  if (previous === 'failed') return { status: 'failed', apply: false, detail: null };
  return {
    status: 'drifted',
    apply: false,
    detail: `smp_affinity_list is ${formatCpuList(affinity) || 'empty'}, not ${cpu}: something else changed it (irqbalance?)`,
  };
}
