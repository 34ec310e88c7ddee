/** The init script and maintainer scripts are POSIX sh that shellcheck accepts; the unit parses. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

const haveShellcheck = spawnSync('sh', ['-c', 'command -v shellcheck']).status === 0;
const scripts = [
  'packaging/init.d/irqkitd',
  'packaging/debian/postinst',
  'packaging/debian/prerm',
  'packaging/debian/postrm',
];

describe('init and maintainer scripts', () => {
  it('parse as POSIX sh', () => {
    for (const s of scripts) {
      const r = spawnSync('sh', ['-n', join(repoRoot(), s)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${s}: ${r.stderr}`);
    }
  });

  it('are shellcheck-clean', {
    skip: haveShellcheck ? false : 'shellcheck is not installed (apt-get install shellcheck; .ci/run does)',
  }, () => {
    const r = spawnSync('shellcheck', ['-s', 'sh', ...scripts], { cwd: repoRoot(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
  });

  it('has the LSB header and every action with LSB exit codes', () => {
    const text = readFileSync(join(repoRoot(), 'packaging/init.d/irqkitd'), 'utf8');
    assert.match(text, /### BEGIN INIT INFO[\s\S]*# Provides: +irqkitd[\s\S]*### END INIT INFO/);
    for (const action of ['start)', 'stop)', 'restart|force-reload)', 'status)'])
      assert.ok(text.includes(action), action);
    assert.match(text, /is not running"\n\s+exit 3/, 'status of a stopped daemon exits 3');
    assert.match(text, /\*\)\n\s+echo "Usage:[^\n]*\n\s+exit 3/, 'an unknown action exits 3');
    assert.match(text, /--pidfile "\$PIDFILE"/);
  });

  it('uses the same daemon options in all three init flavours, loopback by default', () => {
    const read = (p: string) => readFileSync(join(repoRoot(), p), 'utf8');
    const defaults = read('packaging/default/irqkitd');
    assert.match(defaults, /^IRQKITD_OPTS="--listen 127\.0\.0\.1:9640"$/m);
    assert.match(read('packaging/init.d/irqkitd'), /\$IRQKITD_OPTS/);
    assert.match(read('packaging/systemd/irqkitd.service'), /EnvironmentFile=-\/etc\/default\/irqkitd/);
    assert.match(read('packaging/systemd/irqkitd.service'), /ExecStart=.* \$IRQKITD_OPTS$/m);
    assert.match(read('packaging/systemd/irqkitd.service'), /ReadWritePaths=\/proc\/irq/);
    assert.match(read('packaging/upstart/irqkitd.conf'), /\$IRQKITD_OPTS/);
  });
});
