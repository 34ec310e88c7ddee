/** Input files: the repository's own fixtures (test/fixtures), as plain-text paths. */
import { corpusFile, seedFile, testbedDir } from '../test/helpers/paths.ts';

export const SEED_FILE = seedFile('interrupts-per-day.txt');
export const SEED_VARIANT = seedFile('interrupts-per-day-variant.txt');
export const CORPUS_1152 = corpusFile('21-x86-1152cpu-i40e-smartpqi-pcp.txt');
export const CORPUS_40 = corpusFile('20-x86-40cpu-msix-perdevice-domains-pcp.txt');
export const TESTBED_DIR = testbedDir();
