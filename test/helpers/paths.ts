/**
 * Where the repository and its fixtures are. Everything a test reads lives in test/fixtures/:
 * the /proc/interrupts corpus (test/fixtures/corpus, its MANIFEST.md says where each dump comes
 * from) and the original task's seed files (test/fixtures/seeds). Dumps over 100 kB are stored
 * gzipped; readers here see plain text either way.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

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

export function fixturesDir(): string {
  return join(repoRoot(), 'test', 'fixtures');
}

function corpusDir(): string {
  return join(fixturesDir(), 'corpus');
}

/** The corpus dumps by their plain names (`21-…-pcp.txt`, whether or not stored gzipped), sorted. */
export function corpusNames(): string[] {
  return readdirSync(corpusDir())
    .filter((f) => /\.txt(\.gz)?$/.test(f))
    .map((f) => f.replace(/\.gz$/, ''))
    .sort();
}

/** A fixture's text, read through gunzip when only `name.gz` is stored. */
function readFixture(dir: string, name: string): string {
  const plain = join(dir, name);
  if (existsSync(plain)) return readFileSync(plain, 'utf8');
  const gz = `${plain}.gz`;
  if (existsSync(gz)) return gunzipSync(readFileSync(gz)).toString('utf8');
  throw new Error(`no fixture ${plain} (or ${gz})`);
}

let unpacked: string | undefined;

/**
 * A plain-text path to a fixture, for tests that hand a FILE to a command. A gzipped dump is
 * unpacked once per process into a temporary folder that goes when the process exits.
 */
function fixturePath(dir: string, name: string): string {
  const plain = join(dir, name);
  if (existsSync(plain)) return plain;
  if (unpacked === undefined) {
    const tmp = mkdtempSync(join(tmpdir(), 'irqkit-fixtures-'));
    unpacked = tmp;
    process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  }
  const out = join(unpacked, name);
  if (!existsSync(out)) writeFileSync(out, readFixture(dir, name));
  return out;
}

/** A corpus dump's path as plain text (unpacked to a temporary file when stored gzipped). */
export function corpusFile(name: string): string {
  return fixturePath(corpusDir(), name);
}

export function readCorpus(name: string): string {
  return readFixture(corpusDir(), name);
}

export function seedFile(name: string): string {
  return fixturePath(join(fixturesDir(), 'seeds'), name);
}

/** The QEMU testbed (testbed/ in the repository; see its README). */
export function testbedDir(): string {
  return join(repoRoot(), 'testbed');
}

/** The testbed's guest runner, and why a test must skip it here (false: it can run). */
export function testbedRunner(): { runGuest: string; skip: string | false } {
  const runGuest = join(testbedDir(), 'run-guest.sh');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const skip = !existsSync(runGuest)
    ? `no testbed at ${runGuest}`
    : !root
      ? 'the testbed installs QEMU and builds its guest as root'
      : false;
  return { runGuest, skip };
}
