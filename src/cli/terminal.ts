/**
 * A full-screen live view on a plain ANSI terminal, without a UI library: the alternate screen
 * (so the user's scrollback is untouched and comes back on exit), a hidden cursor, raw-mode
 * keys, in-place repaints, and a restore that runs on every way out.
 */

import type { TerminalIo, TerminalSignal } from './io.ts';
import { visibleWidth } from './render/color.ts';

export const ENTER_SCREEN =
  '\u001b[?1049h' + // alternate screen
  '\u001b[?25l' + // hide the cursor
  '\u001b[?7l'; // no autowrap: a line that is one column too wide is cut, not wrapped into a scroll
export const LEAVE_SCREEN = '\u001b[0m\u001b[?7h\u001b[?25h\u001b[?1049l';

/**
 * Bytes that repaint the screen with `text`: every line is addressed by its row, so nothing is
 * written past the last row (which would scroll), and only what the new frame does not cover
 * is cleared (clearing everything first flickers).
 */
export function paint(text: string, cols: number, rows: number): string {
  const lines = text === '' ? [] : text.split('\n').slice(0, rows);
  let out = '';
  lines.forEach((line, i) => {
    // A full-width line is not followed by erase-to-end: the cursor sits on its last column,
    // and erasing from there would blank that column.
    out += `\u001b[${i + 1};1H${line}${visibleWidth(line) < cols ? '\u001b[K' : ''}`;
  });
  if (lines.length < rows) out += `\u001b[${lines.length + 1};1H\u001b[J`;
  return out;
}

/** A printable character as typed, or 'quit' (Ctrl-C, Ctrl-D) or 'escape'. */
export type Key = string;

/**
 * A chunk of raw-mode input → keys. Ctrl-C (and Ctrl-D) quit, since raw mode turns them into
 * bytes; escape sequences (arrows, function keys) are skipped whole so their letters are not
 * taken for commands.
 */
export function parseKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i] as string;
    if (c === '\u0003' || c === '\u0004') {
      keys.push('quit');
    } else if (c === '\u001b') {
      const next = chunk[i + 1];
      if (next === '[' || next === 'O') {
        i += 2;
        // CSI parameters run until a final byte in @..~; SS3 has just one byte after 'O'.
        if (next === '[') while (i < chunk.length && !/[@-~]/.test(chunk[i] as string)) i++;
      } else {
        keys.push('escape');
      }
    } else {
      keys.push(c);
    }
  }
  return keys;
}

export interface LiveHandlers {
  key(key: Key): void;
  resize(): void;
  signal(signal: TerminalSignal): void;
}

/**
 * The terminal of one live view. `restore()` is idempotent and is also hooked to process exit,
 * so the terminal comes back whether the view quits, fails, or is killed by a signal.
 */
export class LiveScreen {
  private readonly write: (text: string) => void;
  private readonly terminal: TerminalIo;
  private undo: Array<() => void> = [];
  private active = false;

  constructor(write: (text: string) => void, terminal: TerminalIo) {
    this.write = write;
    this.terminal = terminal;
  }

  start(handlers: LiveHandlers): void {
    if (this.active) return;
    this.active = true;
    const t = this.terminal;
    // The exit hook comes first so that a failure in any later step still restores.
    this.undo.push(t.onExit(() => this.restore()));
    this.undo.push(t.onSignal((s) => handlers.signal(s)));
    this.undo.push(t.onResize(() => handlers.resize()));
    this.write(ENTER_SCREEN);
    if (t.stdinIsTTY) {
      t.setRawMode(true);
      this.undo.push(() => t.setRawMode(false));
      this.undo.push(
        t.onInput((chunk) => {
          for (const key of parseKeys(chunk)) handlers.key(key);
        }),
      );
    }
  }

  draw(text: string, cols: number, rows: number): void {
    if (this.active) this.write(paint(text, cols, rows));
  }

  restore(): void {
    if (!this.active) return;
    this.active = false;
    // Listeners and raw mode go first, newest first, then the screen comes back.
    for (const undo of this.undo.reverse()) {
      try {
        undo();
      } catch {
        // one failed step (stdin already closed) must not keep the others from running
      }
    }
    this.undo = [];
    this.write(LEAVE_SCREEN);
  }
}
