// The test tiers. `npm test` runs the host-safe tier: it changes nothing outside the repository
// and its temporary folders (no /proc/irq writes, no package installs, no fixed ports, no VMs),
// root or not. test/system holds the rest and runs in `npm run test:system`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Folders under test/ that hold no test files of their own. */
const NOT_TESTS = new Set(['helpers', 'fixtures']);
export const SYSTEM_DIR = 'system';

function filesIn(dir) {
  return readdirSync(join('test', dir))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join('test', dir, f));
}

/** The test files of the host-safe tier, optionally without some folders. */
export function safeTestFiles(exclude = []) {
  return readdirSync('test', { withFileTypes: true })
    .filter(
      (d) => d.isDirectory() && !NOT_TESTS.has(d.name) && d.name !== SYSTEM_DIR && !exclude.includes(d.name),
    )
    .map((d) => d.name)
    .sort()
    .flatMap(filesIn);
}

export function systemTestFiles() {
  return filesIn(SYSTEM_DIR);
}
