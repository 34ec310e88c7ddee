// `npm run test:unit`: the host-safe tier on the development Node (20), through tsx.
import { spawnSync } from 'node:child_process';
import { safeTestFiles } from './test-files.mjs';

const files = process.argv.length > 2 ? process.argv.slice(2) : safeTestFiles();
// Most files wait on samples and processes: three at a time (Node's default on 2 cores is one).
// No test depends on an idle machine.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', ...files], {
  stdio: 'inherit',
});
process.exitCode = r.status ?? 1;
