// Bundles each entry point into one CommonJS file that runs on Node >= 16 with no node_modules.
import { chmodSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';

const entries = {
  irqkit: 'src/cli/bin.ts',
  irqkitd: 'src/daemon/bin.ts',
};

const quiet = process.argv.includes('--quiet');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
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
    define: { IRQKIT_VERSION: JSON.stringify(version) },
  });
  chmodSync(outfile, 0o755);
  if (!quiet) process.stderr.write(`built ${outfile}\n`);
}
