// `npm run test:system`: the tests that change the host. It says what it will touch, then runs
// test/system/*.test.ts (or the files named on the command line). Each file restores or removes
// what it changed; each skips, saying why, where it cannot run (not root, no Debian tools).
import { spawnSync } from 'node:child_process';
import { systemTestFiles } from './test-files.mjs';

const files = process.argv.length > 2 ? process.argv.slice(2) : systemTestFiles();
const notice = `test:system changes this host, and puts back what it changed:
  - writes /proc/irq/N/smp_affinity_list of movable IRQs (an ACPI GED IRQ, the virtio balloon's)
    and restores each value; never virtio2's IRQs (live-kernel-affinity, irqkitd-live-kernel)
  - runs live \`irqkit balance --no-probe\` on this machine's /proc (reads only; live-balance-managed)
  - builds the irqkit .deb, installs it with dpkg, starts irqkitd on 127.0.0.1:9640 through
    /etc/init.d, then stops and purges it (deb-install)
  - installs qemu-system-x86, busybox-static, cpio and kmod with apt-get if missing, downloads
    Debian's kernel into $TESTBED_CACHE (default /tmp/irq-testbed, ~600 MB) and boots it in QEMU
    (testbed-balance; testbed-autopilot boots it twice more, 4 and 8 vCPUs, ~2 min each)
`;
process.stderr.write(`${notice}\n`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
});
process.exitCode = r.status ?? 1;
