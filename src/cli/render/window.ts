/** The window an answer covers, as the window commands (summary, overview, plan) head their output. */
import type { WindowInfo } from '../../api/schemas.ts';
import type { Style } from './color.ts';

export function formatSeconds(seconds: number): string {
  return seconds >= 100
    ? `${seconds.toFixed(0)} s`
    : seconds >= 10
      ? `${seconds.toFixed(1)} s`
      : `${seconds.toFixed(2)} s`;
}

/**
 * The window an answer really covers, and a note when the daemon had less history than asked
 * for (it answers with what it has after --max-wait, or at once with --no-wait).
 */
export function describeWindow(what: string, w: WindowInfo, style: Style): string[] {
  const lines = [`${what} from ${w.start} to ${w.end} (${formatSeconds(w.seconds)})`];
  if (!w.complete) {
    lines.push(
      style.yellow(
        `note: incomplete window: irqkitd had only ${formatSeconds(w.seconds)} of history, ` +
          `not the ${formatSeconds(w.requestedSeconds)} asked for`,
      ),
    );
  }
  return lines;
}
