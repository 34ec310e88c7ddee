// Bundles each entry point into one CommonJS file that runs on Node >= 16 with no node_modules.
import { chmodSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { dashboardSources } from './dashboard-sources.mjs';
import { planWorkerDefines } from './plan-worker-bundle.mjs';

const entries = {
  irqkit: 'src/cli/bin.ts',
  irqkitd: 'src/daemon/bin.ts',
};

const quiet = process.argv.includes('--quiet');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
// The page irqkitd serves at GET /, inlined so the daemon stays one file (src/daemon/dashboard.ts).
const dashboard = JSON.stringify(await dashboardSources());
// The plan worker's code, inlined for the same reason; it runs with `new Worker(code, { eval: true })`.
const planWorker = await planWorkerDefines();
for (const [name, entry] of Object.entries(entries)) {
  const outfile = `dist/${name}.cjs`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node16',
    format: 'cjs',
    sourcemap: false,
    legalComments: 'none',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
    define: { IRQKIT_VERSION: JSON.stringify(version), IRQKIT_DASHBOARD: dashboard, ...planWorker },
  });
  chmodSync(outfile, 0o755);
  if (!quiet) process.stderr.write(`built ${outfile}\n`);
}
