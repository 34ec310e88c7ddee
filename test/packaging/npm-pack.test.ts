/**
 * `npm pack` gives a tarball whose bins are the bundles with no runtime dependencies; installed
 * globally from it into a temp prefix, both commands run on Node 16 and on Node 20.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE16 } from '../helpers/cli.ts';
import { after } from '../helpers/node-test-hooks.ts';
import { repoRoot, seedFile } from '../helpers/paths.ts';

const skip = existsSync(NODE16)
  ? false
  : "Node 16 is not installed: run 'npm ci --prefix tools/node16' (npm test does)";

describe('the npm package', { skip }, () => {
  const cwd = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-pack-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let tarball = '';

  it('packs only the bundles, the README and package.json, with no dependencies', () => {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd, encoding: 'utf8' });
    const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.ok(info);
    tarball = join(dir, info.filename);
    assert.deepEqual(info.files.map((f) => f.path).sort(), [
      'README.md',
      'dist/irqkit.cjs',
      'dist/irqkitd.cjs',
      'package.json',
    ]);
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
    assert.deepEqual(pkg.bin, { irqkit: 'dist/irqkit.cjs', irqkitd: 'dist/irqkitd.cjs' });
  });

  for (const [label, node] of [
    ['Node 16', NODE16],
    ['Node 20', process.execPath],
  ] as const) {
    it(`installs globally into a temp prefix and both commands run on ${label}`, () => {
      const prefix = join(dir, label.replace(' ', ''));
      // npm itself runs on the dev node; the installed bins run on whichever node is first in PATH.
      execFileSync(
        'npm',
        ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--offline', tarball],
        {
          encoding: 'utf8',
        },
      );
      const env = { PATH: `${dirname(node)}:${join(prefix, 'bin')}:/usr/bin:/bin` };
      const version = spawnSync('sh', ['-c', 'node --version'], { env, encoding: 'utf8' }).stdout.trim();
      assert.equal(version.split('.')[0], label === 'Node 16' ? 'v16' : 'v20');
      const irqkit = spawnSync(
        join(prefix, 'bin', 'irqkit'),
        ['balance', seedFile('interrupts-per-day.txt'), '--json'],
        {
          env,
          encoding: 'utf8',
        },
      );
      assert.equal(irqkit.status, 0, irqkit.stderr);
      assert.equal(
        (JSON.parse(irqkit.stdout) as { metrics: { provenOptimal: boolean } }).metrics.provenOptimal,
        true,
      );
      const daemon = spawnSync(join(prefix, 'bin', 'irqkitd'), ['--version'], { env, encoding: 'utf8' });
      assert.equal(daemon.status, 0, daemon.stderr);
      assert.match(daemon.stdout, /^irqkitd \d+\.\d+\.\d+/);
    });
  }
});
