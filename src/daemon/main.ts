/**
 * `irqkitd` command line → a running daemon. `runDaemon(argv, io)` resolves with an exit code
 * when the daemon stops (on the signal io.onStop delivers), so it is testable without a process.
 */

import { join } from 'node:path';
import {
  type CommandSpec,
  commandHelp,
  type OptionValues,
  parseCommandArgs,
  stringList,
  stringOption,
} from '../args/command-args.ts';
import { parseDuration } from '../core/duration.ts';
import { EXIT, IrqkitError, toIrqkitError } from '../core/errors.ts';
import { createSystem } from '../io/create-system.ts';
import type { SystemAccess } from '../io/system.ts';
import { createSimulatedMachine } from '../sim/machine.ts';
import { loadSimSpec } from '../sim/spec.ts';
import {
  AUTO_DEFAULTS,
  type AutoSettings,
  type AutoSettingsInput,
  autoSettingsView,
  resolveAutoSettings,
} from './auto-settings.ts';
import { type DaemonConfig, loadConfig } from './config-file.ts';
import { startDaemon } from './daemon.ts';
import { checkExposure, DEFAULT_LISTEN, parseListen } from './listen.ts';
import { DEFAULT_STATE_DIR } from './state-store.ts';

declare const IRQKIT_VERSION: string | undefined;
const VERSION = typeof IRQKIT_VERSION === 'string' ? IRQKIT_VERSION : 'dev';

export const daemonSpec: CommandSpec = {
  name: 'irqkitd',
  summary:
    'Samples /proc/interrupts continuously and serves a REST/JSON API: the interrupt distribution over\n' +
    'a time window, IRQ details, affinity writes (one CPU per IRQ, all-or-nothing batches) and plans.\n' +
    'Runs as root to write /proc/irq. --simulate runs on a simulated machine instead (no root needed).',
  usage: 'irqkitd [options]',
  examples: [
    'irqkitd                                   # 127.0.0.1:9640, real /proc',
    'irqkitd --simulate                        # a simulated 8-CPU machine, no root needed',
    'irqkitd --simulate 16cpu,2node --listen :9641',
    'irqkitd --listen /run/irqkitd.sock --read-only',
    'irqkitd --restore-on-exit --config /etc/irqkit/irqkitd.json   # SIGHUP re-reads the file',
    'irqkitd --auto --restore-on-exit          # keep IRQs balanced unattended (stop irqbalance first)',
  ],
  maxPositionals: 0,
  options: {
    listen: {
      type: 'string',
      multiple: true,
      arg: 'ADDR',
      description: `HOST:PORT, [V6]:PORT, :PORT or a Unix socket path (default ${DEFAULT_LISTEN})`,
    },
    'allow-remote': {
      type: 'boolean',
      description:
        'allow a --listen address that is not loopback or a Unix socket (0.0.0.0, ::, a LAN address); anyone who reaches it can change affinities',
    },
    'allow-host': {
      type: 'string',
      multiple: true,
      arg: 'NAME',
      description: 'also accept this Host header (e.g. the name of a non-loopback --listen address)',
    },
    interval: { type: 'string', arg: 'DURATION', description: 'sampling interval (default 1s)' },
    retention: {
      type: 'string',
      arg: 'DURATION',
      description: 'history kept for window queries (default 15m)',
    },
    'max-wait': {
      type: 'string',
      arg: 'DURATION',
      description: 'longest a window query waits for history it does not have yet (default 60s)',
    },
    procfs: { type: 'string', arg: 'DIR', description: 'procfs root (default /proc)' },
    sysfs: { type: 'string', arg: 'DIR', description: 'sysfs root (default /sys)' },
    simulate: {
      type: 'string',
      arg: '[SPEC]',
      description: "run on a simulated machine: '' or e.g. 16cpu,2node, inline JSON, or a JSON file",
    },
    'read-only': { type: 'boolean', description: 'refuse every change (403 IRQ_ERR_READ_ONLY)' },
    ban: {
      type: 'string',
      multiple: true,
      arg: 'IRQ',
      description: 'never move this IRQ in plans (comma lists too)',
    },
    'state-dir': {
      type: 'string',
      arg: 'DIR',
      description: `pins and original affinities are kept in DIR/state.json (default ${DEFAULT_STATE_DIR}; with --simulate, the machine's directory)`,
    },
    'restore-on-exit': {
      type: 'boolean',
      description:
        'when stopping, put back the affinities irqkitd changed, as they were before (pins stay saved)',
    },
    config: {
      type: 'string',
      arg: 'FILE',
      description: 'JSON settings re-read on SIGHUP: {"ban":[IRQ,…],"restoreOnExit":true}',
    },
    auto: {
      type: 'boolean',
      description:
        'autopilot: every --auto-every, plan on the last --auto-window and apply the moves that gain more than the noise; paused while irqbalance runs',
    },
    'auto-every': {
      type: 'string',
      arg: 'DURATION',
      description: 'how often the autopilot plans (default 30s)',
    },
    'auto-window': {
      type: 'string',
      arg: 'DURATION',
      description: 'the history each autopilot round plans on (default: --auto-every)',
    },
    'auto-max-moves': {
      type: 'string',
      arg: 'N',
      description: `at most N moves per round, the most valuable first (default ${AUTO_DEFAULTS.maxMoves})`,
    },
    'auto-cooldown': {
      type: 'string',
      arg: 'DURATION',
      description:
        'an IRQ the autopilot moved stays put this long unless its CPU goes offline (default two rounds)',
    },
    'auto-cpus': {
      type: 'string',
      arg: 'LIST',
      description: 'balance over these CPUs only (default: online ones but isolated and nohz_full)',
    },
    'auto-numa': {
      type: 'string',
      arg: 'POLICY',
      description: "keep IRQs on their device's NUMA node: strict, prefer (default) or ignore",
    },
    'metrics-irq-cpu': {
      type: 'boolean',
      description: 'also export IRQ×CPU series in /metrics (~IRQs×CPUs series: 1.2 M on 1,152 CPUs)',
    },
    version: { type: 'boolean', short: 'V', description: 'print the version' },
  },
};

export interface DaemonIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Resolves when the daemon should stop (SIGTERM/SIGINT in bin.ts). */
  stopSignal: Promise<string>;
  /** Called once listening, with the URLs (tests read the port from here). */
  onListening?(urls: string[]): void;
  /** Hands over what SIGHUP runs: re-read --config and the state file (bin.ts binds the signal). */
  onReload?(reload: () => void): void;
}

/** `--simulate` may come without a value; parseArgs needs one, so give it ''. */
function normaliseArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    out.push(a);
    const next = argv[i + 1];
    if (a === '--simulate' && (next === undefined || next.startsWith('--'))) out.push('');
  });
  return out;
}

/** The --auto* flags as a settings layer (absent flags leave the config file's keys alone). */
function autoFlags(values: OptionValues): AutoSettingsInput {
  const maxMoves = stringOption(values, 'auto-max-moves');
  if (maxMoves !== undefined && !/^\d{1,6}$/.test(maxMoves.trim())) {
    throw new IrqkitError('IRQ_ERR_USAGE', `--auto-max-moves takes a whole number, not '${maxMoves}'`);
  }
  const named = (flag: string, key: keyof AutoSettingsInput): AutoSettingsInput => {
    const v = stringOption(values, flag);
    return v === undefined ? {} : { [key]: v };
  };
  return {
    ...(values.auto === true ? { enabled: true } : {}),
    ...named('auto-every', 'every'),
    ...named('auto-window', 'window'),
    ...named('auto-cooldown', 'cooldown'),
    ...named('auto-cpus', 'cpus'),
    ...named('auto-numa', 'numa'),
    ...(maxMoves !== undefined ? { maxMoves: Number(maxMoves.trim()) } : {}),
  };
}

function parseBans(values: string[]): Set<string> {
  const banned = new Set<string>();
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = part.trim();
      if (!/^\d{1,7}$/.test(t)) throw new IrqkitError('IRQ_ERR_USAGE', `--ban takes IRQ numbers, not '${v}'`);
      banned.add(t);
    }
  }
  return banned;
}

export async function runDaemon(argv: readonly string[], io: DaemonIo): Promise<number> {
  const log = (entry: Record<string, unknown>): void => {
    io.stderr(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  };
  let cleanup: (() => void) | undefined;
  try {
    const { values } = parseCommandArgs(daemonSpec, normaliseArgv(argv));
    if (values.help === true) {
      io.stdout(commandHelp(daemonSpec));
      return EXIT.ok;
    }
    if (values.version === true) {
      io.stdout(`irqkitd ${VERSION}\n`);
      return EXIT.ok;
    }
    const simulate = stringOption(values, 'simulate');
    const procfs = stringOption(values, 'procfs');
    const sysfs = stringOption(values, 'sysfs');
    if (simulate !== undefined && (procfs !== undefined || sysfs !== undefined)) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        '--simulate makes its own procfs and sysfs; drop --procfs/--sysfs',
      );
    }
    const intervalMs = parseDuration(stringOption(values, 'interval') ?? '1s', '--interval');
    const retentionMs = parseDuration(stringOption(values, 'retention') ?? '15m', '--retention');
    const maxWaitMs = parseDuration(stringOption(values, 'max-wait') ?? '60s', '--max-wait');
    if (retentionMs < 2 * intervalMs) {
      throw new IrqkitError('IRQ_ERR_USAGE', '--retention must hold at least two --interval samples');
    }
    const listen = (
      stringList(values, 'listen').length > 0 ? stringList(values, 'listen') : [DEFAULT_LISTEN]
    ).map(parseListen);
    for (const warning of checkExposure(listen, values['allow-remote'] === true)) {
      log({ level: 'warn', msg: 'listening beyond loopback (--allow-remote)', warning });
    }
    const cliBans = parseBans(stringList(values, 'ban'));
    const cliRestore = values['restore-on-exit'] === true;
    const configPath = stringOption(values, 'config');
    const readConfig = (): DaemonConfig =>
      configPath === undefined ? { ban: [], restoreOnExit: undefined, auto: {} } : loadConfig(configPath);
    const config = readConfig();
    const cliAuto = autoFlags(values);
    const autoOf = (c: DaemonConfig) => resolveAutoSettings([c.auto, cliAuto], { intervalMs, retentionMs });
    const auto = autoOf(config);
    if (auto.enabled && values['read-only'] === true) {
      throw new IrqkitError('IRQ_ERR_USAGE', '--auto writes affinities; it cannot run with --read-only');
    }
    let stateDir = stringOption(values, 'state-dir');
    if (stateDir === '') throw new IrqkitError('IRQ_ERR_USAGE', '--state-dir needs a directory');
    let procRoot = procfs ?? '/proc';
    let system: SystemAccess;
    if (simulate !== undefined) {
      const machine = createSimulatedMachine(loadSimSpec(simulate));
      machine.start(Math.min(intervalMs, 1000));
      cleanup = () => machine.dispose();
      const sim = machine.system();
      // Each read catches the machine up first, so that a window's counts cover exactly the
      // sampler's own seconds: a late timer on a loaded host would otherwise skew short windows.
      system = {
        ...sim,
        readInterrupts: () => {
          machine.catchUp();
          return sim.readInterrupts();
        },
        ...(sim.readInterruptsInto
          ? {
              readInterruptsInto: (buffer: Uint8Array) => {
                machine.catchUp();
                return (sim.readInterruptsInto as NonNullable<typeof sim.readInterruptsInto>)(buffer);
              },
            }
          : {}),
      };
      procRoot = machine.procRoot;
      // Pins of a simulated machine must never reach the real one's state file.
      stateDir ??= join(machine.dir, 'state');
    } else {
      system = createSystem({
        ...(procfs !== undefined ? { procRoot: procfs } : {}),
        ...(sysfs !== undefined ? { sysRoot: sysfs } : {}),
      });
    }
    const daemon = await startDaemon({
      system,
      listen,
      extraHosts: stringList(values, 'allow-host'),
      intervalMs,
      retentionMs,
      maxWaitMs,
      readOnly: values['read-only'] === true,
      bannedIrqs: new Set([...cliBans, ...config.ban]),
      metricsIrqCpu: values['metrics-irq-cpu'] === true,
      version: VERSION,
      log,
      stateDir: stateDir ?? DEFAULT_STATE_DIR,
      procRoot,
      restoreOnExit: cliRestore || config.restoreOnExit === true,
      auto,
      ...(cleanup ? { onClose: cleanup } : {}),
    });
    cleanup = undefined; // the daemon owns it now
    io.onReload?.(async () => {
      let next: DaemonConfig;
      let nextAuto: AutoSettings;
      try {
        next = readConfig();
        nextAuto = autoOf(next);
        if (nextAuto.enabled && values['read-only'] === true) {
          throw new IrqkitError('IRQ_ERR_USAGE', '"auto" writes affinities; it cannot run with --read-only');
        }
      } catch (e) {
        log({
          level: 'error',
          msg: 'reload failed; keeping the running configuration',
          config: configPath,
          error: toIrqkitError(e).message,
        });
        return;
      }
      const bannedIrqs = new Set([...cliBans, ...next.ban]);
      const restoreOnExit = cliRestore || next.restoreOnExit === true;
      const r = await daemon.reload({ bannedIrqs, restoreOnExit, auto: nextAuto });
      log({
        level: r.stateError === undefined ? 'info' : 'warn',
        msg: 'configuration reloaded',
        config: configPath ?? null,
        ban: [...bannedIrqs].sort((a, b) => Number(a) - Number(b)),
        restoreOnExit,
        auto: nextAuto.enabled ? autoSettingsView(nextAuto) : false,
        pins: r.pins,
        originals: r.originals,
        ...(r.stateError !== undefined ? { stateError: r.stateError } : {}),
      });
    });
    io.onListening?.(daemon.urls);
    const signal = await io.stopSignal;
    log({ level: 'info', msg: 'stopping', signal });
    await daemon.close();
    return EXIT.ok;
  } catch (e) {
    cleanup?.();
    const err = toIrqkitError(e);
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'EADDRINUSE' || errno === 'EACCES' || errno === 'EADDRNOTAVAIL' || errno === 'EEXIST') {
      io.stderr(`irqkitd: cannot listen: ${(e as Error).message}\n`);
      return EXIT.unavailable;
    }
    io.stderr(`irqkitd: ${err.message}\n`);
    return err.exitCode;
  }
}
