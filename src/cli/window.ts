/**
 * Window queries (/api/v1/distribution, /cpus, /plan): the --window and --no-wait flags, and a
 * request that may legitimately take as long as the window, because a daemon younger than the
 * window waits for the history before it answers.
 */

import type { Health } from '../api/schemas.ts';
import type { OptionSpec, OptionValues } from '../args/command-args.ts';
import { stringOption } from '../args/command-args.ts';
import { parseDuration } from '../core/duration.ts';
import type { DaemonClient } from './client.ts';
import type { CliIo } from './io.ts';
import { withCountdown } from './progress.ts';
import { formatSeconds } from './render/window.ts';

export function windowOptions(description: string): Record<string, OptionSpec> {
  return {
    window: { type: 'string', arg: 'DURATION', description },
    'no-wait': {
      type: 'boolean',
      description: 'answer at once with the history irqkitd has, even if shorter than --window',
    },
  };
}

/** --window as milliseconds (a bare number is seconds, as the daemon reads it). */
export function windowMsFrom(values: OptionValues, fallbackMs: number): number {
  const text = stringOption(values, 'window');
  return text === undefined ? fallbackMs : parseDuration(text, '--window', 's');
}

/** The daemon's duration syntax; whole milliseconds say exactly what the user asked for. */
export function durationParam(ms: number): string {
  return `${Math.max(1, Math.round(ms))}ms`;
}

/**
 * A request whose answer may wait for up to `windowMs` of history. The client's timeout is
 * stretched by the window; on a terminal, stderr counts the wait down (how long is known from
 * the history /healthz reports, so a daemon that already has the history shows nothing).
 */
export async function windowRequest<T>(
  io: CliIo,
  client: DaemonClient,
  windowMs: number,
  wait: boolean,
  send: (extraTimeoutMs: number) => Promise<T>,
): Promise<T> {
  const extra = wait ? windowMs : 0;
  if (!wait || io.stderrIsTTY !== true) return send(extra);
  let historyMs = windowMs;
  try {
    const health = await client.get<Health>('/healthz');
    historyMs = (health.sampler.historySeconds ?? 0) * 1000;
  } catch {
    // The real request reports an unreachable daemon, with the right message and exit code.
    return send(extra);
  }
  const leftMs = windowMs - historyMs;
  // Under half a second a countdown would only flicker.
  if (leftMs < 500) return send(extra);
  const total = formatSeconds(windowMs / 1000);
  return withCountdown(
    io,
    leftMs,
    (left) =>
      `irqkit: irqkitd has ${formatSeconds(historyMs / 1000)} of history, waiting for ${total}: ${left} s left`,
    send(extra),
  );
}
