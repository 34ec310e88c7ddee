/** Input files. `IRQKIT_SHARED` overrides the shared folder (default: ../shared beside the repository). */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = process.env.IRQKIT_SHARED ?? resolve(repo, '..', 'shared');

export const SEED_FILE = join(SHARED, 'seeds', 'interrupts-per-day.txt');
export const SEED_VARIANT = join(SHARED, 'seeds', 'interrupts-per-day-variant.txt');
export const CORPUS_DIR = join(SHARED, 'corpus', 'interrupts');
export const CORPUS_1152 = join(CORPUS_DIR, '21-x86-1152cpu-i40e-smartpqi-pcp.txt');
export const CORPUS_40 = join(CORPUS_DIR, '20-x86-40cpu-msix-perdevice-domains-pcp.txt');
