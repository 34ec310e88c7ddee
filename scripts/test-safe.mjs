// The two runs of the host-safe tier: bundled on Node 16.20.2, then on the development Node.
// Both always run, so a failure on one runtime never hides the other's result.
import { spawnSync } from 'node:child_process';

const runs = [
  ['Node 16', 'scripts/test-node16.mjs'],
  ['Node 20', 'scripts/test-unit.mjs'],
];
const failed = [];
for (const [label, script] of runs) {
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(label);
}
if (failed.length > 0) process.stderr.write(`npm test: the ${failed.join(' and the ')} run failed\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
