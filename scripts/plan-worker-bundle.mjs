// The plan worker (src/daemon/plan-worker-main.ts) as one string of CommonJS code, for the
// bundles that embed the daemon: irqkitd.cjs and the Node 16 test bundles. The daemon starts it
// with `new Worker(code, { eval: true })` (src/daemon/plan-worker-source.ts).
import { build } from 'esbuild';

export async function planWorkerDefines() {
  const r = await build({
    entryPoints: ['src/daemon/plan-worker-main.ts'],
    bundle: true,
    platform: 'node',
    target: 'node16',
    format: 'cjs',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const code = r.outputFiles[0]?.text;
  if (!code) throw new Error('the plan worker bundle came out empty');
  return { IRQKIT_PLAN_WORKER: JSON.stringify(code), 'import.meta.url': 'undefined' };
}
