/**
 * Everything the CLI touches outside itself. `run(argv, io)` gets one of these, so tests drive
 * the real command logic with captured output, and only bin.ts touches `process`.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whole standard input as text. */
  readStdin(): Promise<string>;
  readFile(path: string): string;
  env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (colours, widths). */
  isTTY: boolean;
  /**
   * Whether stderr is a terminal: progress (a window's countdown) is drawn there only then, so
   * `irqkit … > file` still shows it and logs and pipes never get carriage returns. Optional so
   * that test doubles need not care; absent means no.
   */
  stderrIsTTY?: boolean;
  /** Terminal width, when known. */
  columns: number | undefined;
  /** Milliseconds, for reporting how long the planner took and how long a sample lasted. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /**
   * What a full-screen live view (`irqkit top`) needs from the terminal. Optional so that test
   * doubles of other commands need not care; absent means there is no terminal to drive.
   */
  terminal?: TerminalIo;
}

export type TerminalSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** Every subscription returns its own undo, so a live view can leave no listener behind. */
export interface TerminalIo {
  /** Whether stdin is a terminal, i.e. whether keys can be read in raw mode. */
  stdinIsTTY: boolean;
  /** stdout's current size; undefined when it is not a terminal. */
  size(): { columns: number; rows: number } | undefined;
  /** Raw mode on stdin: keys arrive one by one, unechoed, and Ctrl-C arrives as a byte. */
  setRawMode(on: boolean): void;
  /** Starts reading stdin; the undo stops reading, so a finished view does not keep the process alive. */
  onInput(listener: (chunk: string) => void): () => void;
  onResize(listener: () => void): () => void;
  /** While subscribed, these signals no longer end the process: the listener does. */
  onSignal(listener: (signal: TerminalSignal) => void): () => void;
  /** Runs synchronously when the process exits however it does: the last chance to restore the terminal. */
  onExit(listener: () => void): () => void;
  /** A cancellable timer; a cancelled one does not keep the process alive. */
  setTimer(ms: number, fn: () => void): () => void;
}
