/**
 * The CLI knows the daemon only through the API contract: it may read src/api's types, with
 * `import type` (erased, so no TypeBox or schema code lands in irqkit), and never imports
 * src/daemon. Biome's noRestrictedImports (biome.json) refuses src/daemon but cannot tell a type
 * import from a value import, so this reads the import statements of src/cli itself.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

const root = repoRoot();
const api = join(root, 'src', 'api') + sep;
const daemon = join(root, 'src', 'daemon') + sep;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface ModuleReference {
  file: string;
  /** The statement up to its module specifier, e.g. "import type { Plan } from". */
  statement: string;
  target: string;
}

/** Static imports and re-exports (also across lines), side-effect imports and dynamic import(). */
const REFERENCE =
  /(?:^|[;\n])\s*((?:import|export)\b[^;'"`]*?\bfrom\s*)['"]([^'"]+)['"]|(?:^|[;\n])\s*(import\s*)['"]([^'"]+)['"]|\b(import\s*\(\s*)['"]([^'"]+)['"]/g;

function references(file: string): ModuleReference[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(REFERENCE)].map((m) => {
    const statement = (m[1] ?? m[3] ?? m[5] ?? '').replace(/\s+/g, ' ').trim();
    const spec = m[2] ?? m[4] ?? m[6] ?? '';
    const target = spec.startsWith('.') ? resolve(dirname(file), spec) : spec;
    return { file: relative(root, file), statement, target };
  });
}

const cliFiles = tsFiles(join(root, 'src', 'cli'));
const all = cliFiles.flatMap(references);

describe('the CLI uses the API contract, not the daemon', () => {
  it('finds the CLI sources and their imports', () => {
    assert.ok(cliFiles.length > 10, `src/cli has ${cliFiles.length} .ts files`);
    assert.ok(
      all.some((r) => r.target.startsWith(api)),
      'some CLI file reads the API types (else this test checks nothing)',
    );
    for (const r of all) {
      if (r.target.startsWith(root)) assert.ok(existsSync(r.target), `${r.file}: ${r.target} exists`);
    }
  });

  it('imports src/api with `import type` only', () => {
    const valueImports = all
      .filter((r) => r.target.startsWith(api))
      .filter((r) => !/^(import|export) type\b/.test(r.statement))
      .map((r) => `${r.file}: ${r.statement} '${relative(root, r.target)}'`);
    assert.deepEqual(valueImports, []);
  });

  it('never imports src/daemon', () => {
    const daemonImports = all
      .filter((r) => r.target.startsWith(daemon))
      .map((r) => `${r.file}: ${r.statement} '${relative(root, r.target)}'`);
    assert.deepEqual(daemonImports, []);
  });
});
