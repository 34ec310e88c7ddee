// CI's check that `npm test` left the host as it found it: `snapshot FILE` records every
// /proc/irq/N/smp_affinity_list and whether an irqkit package is installed; `check FILE` compares.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

function state() {
  const affinity = {};
  let irqs = [];
  try {
    irqs = readdirSync('/proc/irq').filter((d) => /^\d+$/.test(d));
  } catch {
    // not Linux: nothing to compare
  }
  for (const irq of irqs) {
    try {
      affinity[irq] = readFileSync(`/proc/irq/${irq}/smp_affinity_list`, 'utf8').trim();
    } catch {
      // an IRQ without the file (or gone meanwhile) is not ours to judge
    }
  }
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=$' + '{Status}', 'irqkit'], { encoding: 'utf8' });
  return { affinity, irqkitPackage: dpkg.status === 0 && dpkg.stdout.includes(' installed') };
}

const [command, file] = process.argv.slice(2);
if (command === 'snapshot' && file) {
  writeFileSync(file, JSON.stringify(state()));
} else if (command === 'check' && file) {
  const before = JSON.parse(readFileSync(file, 'utf8'));
  const now = state();
  const changed = Object.keys(before.affinity)
    .filter((irq) => irq in now.affinity && now.affinity[irq] !== before.affinity[irq])
    .map((irq) => `IRQ ${irq}: ${before.affinity[irq]} -> ${now.affinity[irq]}`);
  if (now.irqkitPackage && !before.irqkitPackage) changed.push('the irqkit package is installed');
  if (changed.length > 0) {
    process.stderr.write(`host-guard: the host changed:\n  ${changed.join('\n  ')}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(
      `host-guard: ${Object.keys(before.affinity).length} IRQ affinities and the package list as before\n`,
    );
  }
} else {
  process.stderr.write('usage: host-guard.mjs snapshot|check FILE\n');
  process.exitCode = 64;
}
