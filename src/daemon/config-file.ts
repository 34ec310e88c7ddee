/**
 * `irqkitd --config FILE`: the settings an operator may change while irqkitd runs, re-read on
 * SIGHUP (`systemctl reload irqkitd`, `/etc/init.d/irqkitd reload`). A JSON object:
 *
 *   { "ban": [41, "42"], "restoreOnExit": true, "auto": { "enabled": true, "every": "30s" } }
 *
 * - `ban`: IRQs that plans never move, on top of the command line's --ban.
 * - `restoreOnExit`: put back the affinities irqkitd changed when it stops (the command line's
 *   --restore-on-exit always wins).
 * - `auto`: the autopilot (auto-settings.ts): enabled, every, window, maxMoves, cooldown, cpus,
 *   numa; an --auto-* flag on the command line wins over its key here.
 *
 * Everything else (listen addresses, intervals, the state directory) needs a restart: changing
 * it in place would mean re-binding sockets or moving the state file under running requests.
 * A file that cannot be read or is wrong fails the start; on SIGHUP it is refused and the running
 * configuration stays.
 */
import { IrqkitError } from '../core/errors.ts';
import { readTextFile } from '../io/procfs.ts';
import { type AutoSettingsInput, parseAutoConfig } from './auto-settings.ts';

export interface DaemonConfig {
  ban: string[];
  restoreOnExit: boolean | undefined;
  auto: AutoSettingsInput;
}

const KEYS = new Set(['ban', 'restoreOnExit', 'auto']);

export function parseConfig(text: string, source: string): DaemonConfig {
  const bad = (why: string): IrqkitError =>
    new IrqkitError('IRQ_ERR_USAGE', `${source}: ${why}`, { path: source });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('must be a JSON object');
  const o = doc as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KEYS.has(k));
  if (unknown.length > 0)
    throw bad(
      `unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ban, restoreOnExit, auto)`,
    );
  const ban: string[] = [];
  if (o.ban !== undefined) {
    if (!Array.isArray(o.ban)) throw bad('"ban" must be a list of IRQ numbers');
    for (const v of o.ban) {
      const t = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
      if (!/^\d{1,7}$/.test(t)) throw bad(`"ban" takes IRQ numbers, not ${JSON.stringify(v)}`);
      ban.push(String(Number(t)));
    }
  }
  if (o.restoreOnExit !== undefined && typeof o.restoreOnExit !== 'boolean') {
    throw bad('"restoreOnExit" must be true or false');
  }
  const auto = o.auto === undefined ? {} : parseAutoConfig(o.auto, source);
  return { ban, restoreOnExit: o.restoreOnExit as boolean | undefined, auto };
}

export function loadConfig(path: string): DaemonConfig {
  return parseConfig(readTextFile(path), path);
}
