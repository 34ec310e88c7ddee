import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the nearest folder upwards from the cwd whose package.json is irqkit's. */
export function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'irqkit') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('run the tests from inside the irqkit repository');
    dir = up;
  }
}

/** `../shared` beside the repository (CI clones main with shared/ next to it). */
export function sharedDir(): string {
  return process.env.IRQKIT_SHARED ?? resolve(repoRoot(), '..', 'shared');
}

export function corpusFile(name: string): string {
  return join(sharedDir(), 'corpus', 'interrupts', name);
}

export function readCorpus(name: string): string {
  return readFileSync(corpusFile(name), 'utf8');
}

export function seedFile(name: string): string {
  return join(sharedDir(), 'seeds', name);
}
