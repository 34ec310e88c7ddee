/**
 * A real pseudo-terminal for testing the live view: a private tmux server (its own socket, no
 * user config) runs the command in a detached pane of a given size. The command is wrapped in a
 * shell that saves the terminal modes (stty -g) before and after it and records its exit code,
 * so a test can tell the terminal was put back exactly as it was.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why tmux tests cannot run here, or false when they can. */
export function tmuxMissing(): string | false {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  return r.error || r.status !== 0
    ? 'tmux is not installed (apt-get install -y tmux): the live view was not tested under a terminal'
    : false;
}

export interface PaneResult {
  /** The wrapped command's exit code. */
  code: number;
  /** Whether the terminal modes after the command are those from before it. */
  sttyRestored: boolean;
}

export class TmuxPane {
  readonly dir: string;
  private readonly socket: string;

  constructor(command: readonly string[], options: { cols: number; rows: number }) {
    this.dir = mkdtempSync(join(tmpdir(), 'irqkit-tmux-'));
    this.socket = join(this.dir, 'tmux.sock');
    const config = join(this.dir, 'tmux.conf');
    writeFileSync(config, 'set -g status off\n');
    const wrapper = join(this.dir, 'run.sh');
    writeFileSync(
      wrapper,
      [
        '#!/bin/sh',
        `d='${this.dir}'`,
        'stty -g > "$d/stty.before"',
        '"$@"',
        'code=$?',
        'stty -g > "$d/stty.after"',
        'echo "EXIT=$code"',
        'echo "$code" > "$d/exit"',
        // Stay: a dead pane always reports its cursor hidden, which would hide a real failure.
        'exec sleep 3600',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    this.tmux(
      [
        '-f',
        config,
        'new-session',
        '-d',
        '-s',
        'top',
        '-x',
        String(options.cols),
        '-y',
        String(options.rows),
      ],
      [wrapper, ...command],
    );
  }

  private tmux(args: readonly string[], command: readonly string[] = []): string {
    const r = spawnSync('tmux', ['-S', this.socket, ...args, ...command], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.dir,
        LANG: 'C.UTF-8',
        TERM: 'xterm-256color',
      },
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** The pane's visible text, one string per row, trailing blanks dropped. */
  capture(): string[] {
    return this.tmux(['capture-pane', '-p', '-t', 'top'])
      .replace(/\n+$/, '')
      .split('\n')
      .map((l) => l.trimEnd());
  }

  /** A tmux format of the pane, e.g. '#{alternate_on}'. */
  format(f: string): string {
    return this.tmux(['display-message', '-p', '-t', 'top', f]).trim();
  }

  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'top', ...keys]);
  }

  resize(cols: number, rows: number): void {
    this.tmux(['resize-window', '-t', 'top', '-x', String(cols), '-y', String(rows)]);
  }

  /** The wrapped command's own pid (a child of the pane's shell), once it runs. */
  commandPid(): number | undefined {
    const shell = Number(this.format('#{pane_pid}'));
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
        // Fields after the parenthesised command name: state, ppid, …
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === shell) return Number(entry);
      } catch {
        // the process ended while the table was read
      }
    }
    return undefined;
  }

  /** Set once the wrapped command has ended. */
  result(): PaneResult | undefined {
    const exit = join(this.dir, 'exit');
    if (!existsSync(exit)) return undefined;
    const before = readFileSync(join(this.dir, 'stty.before'), 'utf8');
    const after = readFileSync(join(this.dir, 'stty.after'), 'utf8');
    return { code: Number(readFileSync(exit, 'utf8').trim()), sttyRestored: before === after };
  }

  close(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
