/** Input files: the repository's own fixtures (test/fixtures), as plain-text paths; and how the daemon is run. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusFile, seedFile, testbedDir } from '../test/helpers/paths.ts';

export const SEED_FILE = seedFile('interrupts-per-day.txt');
export const SEED_VARIANT = seedFile('interrupts-per-day-variant.txt');
export const CORPUS_1152 = corpusFile('21-x86-1152cpu-i40e-smartpqi-pcp.txt');
export const CORPUS_40 = corpusFile('20-x86-40cpu-msix-perdevice-domains-pcp.txt');
export const TESTBED_DIR = testbedDir();

/**
 * The V8 flags the packages run irqkitd with, from `ROOT/packaging/irqkitd-node-flags` (none for a
 * tree that predates the file): benches run the daemon as it is shipped.
 */
export function daemonNodeFlags(root: string): string[] {
  const file = join(root, 'packaging', 'irqkitd-node-flags');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '');
}
