/**
 * The irqkit CLI against a real irqkitd child (helpers/daemon-process.ts): every command runs as
 * a process, as a user would run it, with the daemon's URL in IRQKIT_URL.
 */
import assert from 'node:assert/strict';
import { type CliRun, hasStackTrace, runCli } from './cli.ts';
import type { DaemonProcess } from './daemon-process.ts';

export type Irqkit = (args: readonly string[], env?: Record<string, string>) => CliRun;

/** `irqkit …` talking to `d`; COLUMNS is unset unless given, so no width fitting happens. */
export function irqkitAt(d: DaemonProcess): Irqkit {
  return (args, env = {}) => runCli(args, { env: { IRQKIT_URL: d.urls[0] as string, ...env } });
}

/** GET a JSON document from the daemon, failing the test on anything but 200. */
export async function getJson<T>(d: DaemonProcess, path: string): Promise<T> {
  const r = await d.request({ path });
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json<T>();
}

/** A failed run: the exit code, exactly one line on stderr matching `pattern`, no stack trace. */
export function assertOneLineError(r: CliRun, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit ${r.code}; stderr: ${r.stderr}; stdout: ${r.stdout}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.ok(!hasStackTrace(r.stderr + r.stdout), r.stderr);
}

/** Splits a text table's line into cells (runs of two or more blanks separate cells). */
export function cells(line: string): string[] {
  return line.trim().split(/\s{2,}/);
}

/** "1,234" → 1234. */
export function num(text: string | undefined): number {
  return Number((text ?? '').replace(/,/g, ''));
}

/** The line of a table whose first cell is `key`. */
export function rowOf(text: string, key: string): string | undefined {
  return text.split('\n').find((l) => l.trim().split(/\s+/)[0] === key);
}
