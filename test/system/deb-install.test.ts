/**
 * The .deb on this Debian machine: build, lintian, install, start through /etc/init.d, query,
 * status, stop, remove. It installs into the real system, so it needs root and always purges.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CpuSummary, Health } from '../../src/api/schemas.ts';
import { after } from '../helpers/node-test-hooks.ts';
import { repoRoot } from '../helpers/paths.ts';

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = [
  ...['dpkg-deb', 'lintian', 'systemd-analyze', 'start-stop-daemon', 'strip'].filter((c) => !have(c)),
];
const skip = !root
  ? 'installing a .deb needs root'
  : missing.length > 0
    ? `needs ${missing.join(', ')} (apt-get install lintian systemd binutils; .ci/run does)`
    : false;

const PORT = 9640;
const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });

function daemonPids(): string[] {
  const r = sh(
    "pgrep -f '^/usr/lib/irqkit/node --max-semi-space-size=2 .*/usr/lib/irqkit/irqkitd.cjs' || true",
  );
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

async function get(path: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: PORT, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForHealth(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      if ((await get('/healthz')).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `irqkitd did not answer on port ${PORT}; log: ${readFileSync('/var/log/irqkitd.log', 'utf8').slice(-2000)}`,
  );
}

describe('the .deb package', { skip }, () => {
  const cwd = repoRoot();
  let deb = '';
  after(() => {
    sh('/etc/init.d/irqkitd stop >/dev/null 2>&1; dpkg --purge irqkit >/dev/null 2>&1');
  });

  it('builds with dpkg-deb, with a gzip control member that 14.04 can read', () => {
    deb =
      execFileSync(process.execPath, ['scripts/package-deb.mjs'], { cwd, encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop() ?? '';
    assert.match(deb, /dist\/irqkit_\d+\.\d+\.\d+_amd64\.deb$/);
    const members = execFileSync('ar', ['t', deb], { cwd, encoding: 'utf8' }).split('\n');
    assert.deepEqual(members.slice(0, 3), ['debian-binary', 'control.tar.gz', 'data.tar.xz']);
    const contents = execFileSync('dpkg-deb', ['-c', deb], { cwd, encoding: 'utf8' });
    for (const path of [
      './usr/lib/irqkit/node',
      './usr/lib/irqkit/irqkit.cjs',
      './usr/lib/irqkit/irqkitd.cjs',
      './usr/bin/irqkit',
      './usr/sbin/irqkitd',
      './etc/init.d/irqkitd',
      './etc/default/irqkitd',
      './etc/init/irqkitd.conf',
      './lib/systemd/system/irqkitd.service',
      './usr/share/man/man1/irqkit.1.gz',
      './usr/share/man/man8/irqkitd.8.gz',
    ]) {
      assert.match(contents, new RegExp(` ${path.replace(/\./g, '\\.')}\\n`), `${path} missing`);
    }
    assert.match(contents, /root\/root/);
    const conffiles = execFileSync('dpkg-deb', ['-I', deb, 'conffiles'], { cwd, encoding: 'utf8' });
    assert.match(conffiles, /\/etc\/default\/irqkitd/);
  });

  it('passes lintian with no errors and no warnings (overrides are documented in the package)', () => {
    const r = spawnSync('lintian', ['--tag-display-limit', '0', `${cwd}/${deb}`], { encoding: 'utf8' });
    const tags = r.stdout.split('\n').filter((l) => /^[EW]: /.test(l));
    assert.deepEqual(tags, []);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('installs, starts through /etc/init.d, and answers /healthz and /api/v1/cpus', async () => {
    assert.deepEqual(daemonPids(), [], 'no irqkitd from an earlier run');
    const inst = sh(`dpkg -i '${cwd}/${deb}' 2>&1`);
    assert.equal(inst.status, 0, inst.stdout);
    const start = sh('/etc/init.d/irqkitd start 2>&1');
    assert.equal(start.status, 0, start.stdout);
    await waitForHealth();
    const health = JSON.parse((await get('/healthz')).body) as Health;
    assert.equal(health.status, 'ok');
    assert.equal(health.system, '/proc and /sys');
    const pkgVersion = (JSON.parse(readFileSync(`${cwd}/package.json`, 'utf8')) as { version: string })
      .version;
    assert.equal(health.version, pkgVersion);
    const cpus = await get('/api/v1/cpus?window=1s');
    assert.equal(cpus.status, 200, cpus.body);
    assert.ok((JSON.parse(cpus.body) as CpuSummary).cpus.length >= 1);
    const cli = sh('irqkit --version');
    assert.equal(cli.stdout.trim(), `irqkit ${pkgVersion}`);
    const balance = sh('irqkit balance /usr/share/doc/irqkit/README.md.gz 2>&1; echo rc=$?');
    assert.match(balance.stdout, /rc=65/, 'a file that is not /proc/interrupts is a data error');
  });

  it('reports status 0 while running, and systemd-analyze verifies the unit', () => {
    const status = sh('/etc/init.d/irqkitd status');
    assert.equal(status.status, 0, status.stdout);
    assert.match(status.stdout, /running/);
    const verify = sh('systemd-analyze verify /lib/systemd/system/irqkitd.service 2>&1');
    assert.equal(verify.status, 0, verify.stdout);
  });

  it('stops: the process is gone, the pidfile removed, and status says 3 (not running)', () => {
    const pids = daemonPids();
    assert.equal(pids.length, 1);
    const stop = sh('/etc/init.d/irqkitd stop 2>&1');
    assert.equal(stop.status, 0, stop.stdout);
    assert.deepEqual(daemonPids(), []);
    assert.equal(existsSync('/run/irqkitd.pid'), false);
    assert.equal(sh('/etc/init.d/irqkitd status').status, 3);
  });

  it('is removed by dpkg -r with nothing left running, even if it was started again', () => {
    assert.equal(sh('/etc/init.d/irqkitd start').status, 0);
    assert.equal(daemonPids().length, 1);
    const rm = sh('dpkg -r irqkit 2>&1');
    assert.equal(rm.status, 0, rm.stdout);
    assert.deepEqual(daemonPids(), []);
    assert.equal(existsSync('/usr/lib/irqkit/node'), false);
  });
});
