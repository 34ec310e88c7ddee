/** docs/cli.md's exit-code table lists every code of the catalogue, under the exit code it maps to. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODES, EXIT } from '../../src/core/errors.ts';
import { repoRoot } from '../helpers/paths.ts';

describe('the exit-code table', () => {
  const text = readFileSync(join(repoRoot(), 'docs', 'cli.md'), 'utf8');
  const section = text.slice(text.indexOf('# Exit codes'));
  const rows = new Map<number, string[]>();
  for (const m of section.matchAll(/^\| (\d+) \| [^|]+\|([^|\n]*)\|$/gm)) {
    rows.set(
      Number(m[1]),
      [...(m[2] as string).matchAll(/`(IRQ_ERR_[A-Z_]+)`/g)].map((x) => x[1] as string),
    );
  }

  it('has a row for every exit code irqkit uses', () => {
    for (const code of Object.values(EXIT)) assert.ok(rows.has(code), `no row for exit ${code}`);
  });

  it('names every error code under the exit code the catalogue maps it to', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.ok(rows.get(spec.exit)?.includes(code), `${code} (exit ${spec.exit}) is not in its row`);
    }
    const listed = [...rows.values()].flat();
    assert.deepEqual(
      listed.filter((c) => !(c in ERROR_CODES)),
      [],
      'no code that the catalogue does not have',
    );
  });
});
