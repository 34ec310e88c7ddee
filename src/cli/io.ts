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
  /** Terminal width, when known. */
  columns: number | undefined;
  /** Milliseconds, for reporting how long the planner took and how long a sample lasted. */
  now(): number;
  sleep(ms: number): Promise<void>;
}
