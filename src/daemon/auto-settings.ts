/**
 * The autopilot's settings, from the command line (--auto, --auto-every, …) and from the "auto"
 * object of --config, which SIGHUP re-reads. A flag given on the command line wins over the file,
 * as --restore-on-exit does, so a reload never undoes what the operator typed.
 */
import { formatCpuList, parseCpuList } from '../core/cpuset.ts';
import { parseDuration } from '../core/duration.ts';
import { IrqkitError } from '../core/errors.ts';
import type { NumaPolicy } from '../core/irq-classes.ts';

export interface AutoSettings {
  enabled: boolean;
  everyMs: number;
  /** The history each round plans on. */
  windowMs: number;
  maxMoves: number;
  /** An IRQ the autopilot moved stays put this long (unless its CPU goes offline). */
  cooldownMs: number;
  /** null: every online CPU but isolated and nohz_full ones; a list includes those it names. */
  cpus: number[] | null;
  numa: NumaPolicy;
}

/** One layer of settings as written (flags or the config file); absent fields fall through. */
export interface AutoSettingsInput {
  enabled?: boolean;
  every?: string;
  window?: string;
  maxMoves?: number;
  cooldown?: string;
  cpus?: string;
  numa?: string;
}

export const AUTO_DEFAULTS = {
  everyMs: 30_000,
  /** Enough for the first rounds on a machine whose IRQs all start on CPU 0, few enough to watch. */
  maxMoves: 32,
  cooldownRounds: 2,
  numa: 'prefer' as NumaPolicy,
};

const NUMA = new Set(['strict', 'prefer', 'ignore']);
export const AUTO_CONFIG_KEYS = [
  'enabled',
  'every',
  'window',
  'maxMoves',
  'cooldown',
  'cpus',
  'numa',
] as const;

/**
 * Merges the layers (later ones win) over the defaults and checks the result against the
 * sampler: a round needs at least two samples of history, and no more than is kept.
 */
export function resolveAutoSettings(
  layers: readonly AutoSettingsInput[],
  limits: { intervalMs: number; retentionMs: number },
): AutoSettings {
  const merged: AutoSettingsInput = {};
  for (const l of layers) {
    for (const [k, v] of Object.entries(l)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  }
  const everyMs =
    merged.every === undefined ? AUTO_DEFAULTS.everyMs : parseDuration(merged.every, 'auto every');
  const windowMs = merged.window === undefined ? everyMs : parseDuration(merged.window, 'auto window');
  const cooldownMs =
    merged.cooldown === undefined
      ? AUTO_DEFAULTS.cooldownRounds * everyMs
      : merged.cooldown.trim() === '0'
        ? 0
        : parseDuration(merged.cooldown, 'auto cooldown');
  const maxMoves = merged.maxMoves ?? AUTO_DEFAULTS.maxMoves;
  if (!Number.isSafeInteger(maxMoves) || maxMoves < 1 || maxMoves > 100_000) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `auto max moves must be a whole number from 1 to 100000, not ${maxMoves}`,
    );
  }
  // Settings of an autopilot that is off are shown, not used: a short --retention must not stop
  // a daemon that never runs a round.
  const enabled = merged.enabled === true;
  if (enabled && everyMs < limits.intervalMs) {
    throw new IrqkitError('IRQ_ERR_USAGE', 'auto every must be at least the sampling --interval');
  }
  if (enabled && windowMs < 2 * limits.intervalMs) {
    throw new IrqkitError('IRQ_ERR_USAGE', 'auto window must hold at least two --interval samples');
  }
  if (enabled && windowMs > limits.retentionMs) {
    throw new IrqkitError('IRQ_ERR_USAGE', 'auto window must fit in the --retention history');
  }
  const numa = merged.numa ?? AUTO_DEFAULTS.numa;
  if (!NUMA.has(numa)) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `auto numa must be strict, prefer or ignore, not ${JSON.stringify(numa)}`,
    );
  }
  const cpus = merged.cpus === undefined || merged.cpus.trim() === '' ? null : parseCpuList(merged.cpus);
  if (cpus !== null && cpus.length === 0) throw new IrqkitError('IRQ_ERR_USAGE', 'auto cpus names no CPU');
  return {
    enabled,
    everyMs,
    windowMs,
    maxMoves,
    cooldownMs,
    cpus,
    numa: numa as NumaPolicy,
  };
}

/** The "auto" object of --config, checked key by key; `source` names the file in messages. */
export function parseAutoConfig(value: unknown, source: string): AutoSettingsInput {
  const bad = (why: string): IrqkitError =>
    new IrqkitError('IRQ_ERR_USAGE', `${source}: "auto" ${why}`, { path: source });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be a JSON object');
  const o = value as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !(AUTO_CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw bad(
      `has unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${AUTO_CONFIG_KEYS.join(', ')})`,
    );
  }
  const out: AutoSettingsInput = {};
  if (o.enabled !== undefined) {
    if (typeof o.enabled !== 'boolean') throw bad('"enabled" must be true or false');
    out.enabled = o.enabled;
  }
  for (const k of ['every', 'window', 'cooldown', 'cpus', 'numa'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'string')
      throw bad(
        `"${k}" must be a string (e.g. ${k === 'cpus' ? '"2-15"' : k === 'numa' ? '"prefer"' : '"30s"'})`,
      );
    out[k] = v;
  }
  if (o.maxMoves !== undefined) {
    if (typeof o.maxMoves !== 'number' || !Number.isSafeInteger(o.maxMoves))
      throw bad('"maxMoves" must be a whole number');
    out.maxMoves = o.maxMoves;
  }
  return out;
}

export function autoSettingsView(s: AutoSettings): {
  everySeconds: number;
  windowSeconds: number;
  maxMoves: number;
  cooldownSeconds: number;
  cpus: string | null;
  numa: NumaPolicy;
} {
  return {
    everySeconds: s.everyMs / 1000,
    windowSeconds: s.windowMs / 1000,
    maxMoves: s.maxMoves,
    cooldownSeconds: s.cooldownMs / 1000,
    cpus: s.cpus === null ? null : formatCpuList(s.cpus),
    numa: s.numa,
  };
}
