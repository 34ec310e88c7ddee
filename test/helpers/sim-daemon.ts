/**
 * irqkitd on a simulated machine that the test drives, for fault tests:
 * - `inProcessDaemon`: the daemon in this process (startDaemon of src/daemon/daemon.ts), with
 *   the machine's system wrapped as the test likes, an injectable state file system, and every
 *   answer checked against the API contract (an off-schema answer is a 500 and an error log);
 * - `machineArgs`: arguments for the real bundled daemon (helpers/daemon-process.ts) pointed at a
 *   machine of this process with --procfs/--sysfs, so the test keeps the machine's fault hooks
 *   (CPU offline, driver reload, a broken /proc/interrupts) and the machine outlives a daemon.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AutoSettings } from '../../src/daemon/auto-settings.ts';
import { type RunningDaemon, startDaemon } from '../../src/daemon/daemon.ts';
import type { SamplerClock } from '../../src/daemon/sampler.ts';
import { nodeStateFs, type StateFs } from '../../src/daemon/state-store.ts';
import type { SystemAccess } from '../../src/io/system.ts';
import type { SimulatedMachine } from '../../src/sim/machine.ts';
import type { SimSpec } from '../../src/sim/spec.ts';
import type { LogEntry } from './daemon-process.ts';
import { FakeClock } from './fake-clock.ts';
import { type Endpoint, type HttpRequest, type HttpResponse, send } from './http.ts';
import { tempMachine } from './sim.ts';

/** A machine whose clock runs on a timer, plus a state directory; `cleanup()` removes both. */
export function runningMachine(
  spec: SimSpec,
  tickMs = 50,
): SimulatedMachine & { stateDir: string; cleanup(): void } {
  const m = tempMachine(spec);
  m.start(tickMs);
  const stateDir = mkdtempSync(join(tmpdir(), 'irqkit-state-'));
  const removeMachine = m.cleanup.bind(m);
  return Object.assign(m, {
    stateDir,
    cleanup() {
      removeMachine();
      rmSync(stateDir, { recursive: true, force: true });
    },
  });
}

/** Arguments for the bundled daemon on `m` with its state in `stateDir`, sampling every 100 ms. */
export function machineArgs(m: SimulatedMachine, stateDir: string, extra: readonly string[] = []): string[] {
  return [
    '--procfs',
    m.procRoot,
    '--sysfs',
    m.sysRoot,
    '--state-dir',
    stateDir,
    '--listen',
    '127.0.0.1:0',
    '--interval',
    '100ms',
    ...extra,
  ];
}

/** The state file as JSON (null when there is none). */
export function readStateFile(stateDir: string): {
  pins: Record<string, { cpu: number; name: string }>;
  originals: Record<string, { affinity: string }>;
  bootId: string | null;
} | null {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** nodeStateFs whose writes fail with `failWith` (e.g. 'ENOSPC') while it is set. */
export function faultyStateFs(): StateFs & { failWith: string | null } {
  const fs = {
    ...nodeStateFs,
    failWith: null as string | null,
    write(fd: number, data: Uint8Array, offset: number, length: number): number {
      if (fs.failWith !== null) {
        throw Object.assign(new Error(`${fs.failWith}: injected`), { code: fs.failWith });
      }
      return nodeStateFs.write(fd, data, offset, length);
    },
  };
  return fs;
}

export interface InProcessDaemon {
  daemon: RunningDaemon;
  endpoint: Endpoint;
  logs: LogEntry[];
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export async function inProcessDaemon(
  m: SimulatedMachine & { stateDir: string },
  options: {
    system?: SystemAccess;
    stateFs?: StateFs;
    restoreOnExit?: boolean;
    readOnly?: boolean;
    maxWaitMs?: number;
    /** A manual clock for the sampler (helpers/fake-clock.ts): it samples when the test advances it. */
    samplerClock?: SamplerClock;
    intervalMs?: number;
    auto?: AutoSettings;
    bannedIrqs?: Set<string>;
  } = {},
): Promise<InProcessDaemon> {
  const logs: LogEntry[] = [];
  const daemon = await startDaemon({
    system: options.system ?? m.system(),
    listen: [{ host: '127.0.0.1', port: 0 }],
    extraHosts: [],
    intervalMs: options.intervalMs ?? 100,
    retentionMs: 60_000,
    maxWaitMs: options.maxWaitMs ?? 5_000,
    readOnly: options.readOnly ?? false,
    bannedIrqs: options.bannedIrqs ?? new Set(),
    metricsIrqCpu: false,
    version: 'test',
    log: (e) => logs.push(e as LogEntry),
    ...(options.auto ? { auto: options.auto } : {}),
    stateDir: m.stateDir,
    procRoot: m.procRoot,
    restoreOnExit: options.restoreOnExit ?? false,
    checkResponses: true,
    ...(options.stateFs ? { stateFs: options.stateFs } : {}),
    ...(options.samplerClock ? { samplerClock: options.samplerClock } : {}),
  });
  const endpoint = daemon.addresses[0] as Endpoint;
  return { daemon, endpoint, logs, request: (req) => send(endpoint, req), close: () => daemon.close() };
}

export interface SteppedDaemon extends InProcessDaemon {
  machine: SimulatedMachine;
  /** `seconds` of simulated traffic, one sample after each second. */
  run(seconds: number): void;
}

/**
 * An in-process daemon on a machine that moves only when the test says: the sampler runs on a
 * manual clock (one sample per simulated second), so a window holds exactly the traffic the test
 * ran, whatever the load of the host. `close()` also removes the machine and its state.
 */
export async function steppedDaemon(
  spec: SimSpec,
  options: { auto?: AutoSettings; bannedIrqs?: Set<string> } = {},
): Promise<SteppedDaemon> {
  const m = Object.assign(tempMachine(spec), { stateDir: mkdtempSync(join(tmpdir(), 'irqkit-state-')) });
  const clock = new FakeClock();
  let d: InProcessDaemon;
  try {
    d = await inProcessDaemon(m, { samplerClock: clock, intervalMs: 1000, ...options });
  } catch (e) {
    m.cleanup();
    rmSync(m.stateDir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...d,
    machine: m,
    run(seconds) {
      for (let s = 0; s < seconds; s++) {
        m.advance(1);
        clock.advance(1000);
      }
    },
    async close() {
      try {
        await d.close();
      } finally {
        m.cleanup();
        rmSync(m.stateDir, { recursive: true, force: true });
      }
    },
  };
}
