/**
 * Live `irqkit balance --samples N`: each IRQ's variance from the counts of the window's
 * sub-intervals. A fake procfs answers each read through a FIFO, so the counts are exact.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runOverReads } from '../helpers/fifo-procfs.ts';

const HEADER = '           CPU0       CPU1       CPU2\n';
const line = (irq: number, counts: number[], name: string): string =>
  `${String(irq).padStart(3)}: ${counts.map((c) => String(c).padStart(10)).join(' ')}   PCI-MSI ${irq}-edge      ${name}\n`;

/** Cumulative reads: IRQ 30 on CPU0 counts 100, 300, 100, 300 in the four parts; IRQ 31 on CPU1 50 each. */
function reads(parts: number[][]): string[] {
  let a = 1000;
  let b = 2000;
  const out = [HEADER + line(30, [a, 0, 0], 'eth0-rx-0') + line(31, [0, b, 0], 'nvme0q1')];
  for (const [da, db] of parts) {
    a += da as number;
    b += db as number;
    out.push(HEADER + line(30, [a, 0, 0], 'eth0-rx-0') + line(31, [0, b, 0], 'nvme0q1'));
  }
  return out;
}

const PARTS = [
  [100, 50],
  [300, 50],
  [100, 50],
  [300, 50],
];

interface NoiseJson {
  window: { samples: number };
  settings: { noise: string };
  cpus: Array<{ cpu: number; load: number; stddev: number }>;
  before: { cpus: Array<{ cpu: number; load: number; stddev: number }> };
  noise: { exact: boolean };
  classification: { sysfs: boolean; managed: { untestedReason: string | null; summary: string } };
}

async function balance(texts: string[], args: string[]): Promise<NoiseJson> {
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-noise-'));
  try {
    const r = await runOverReads(dir, texts, [
      'balance',
      '--procfs',
      dir,
      '--interval',
      '40ms',
      '--json',
      ...args,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as NoiseJson;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stddevOf = (j: NoiseJson, cpu: number): number | undefined => j.cpus.find((c) => c.cpu === cpu)?.stddev;

describe('live balance measures each IRQ’s noise over --samples sub-intervals', () => {
  it('takes the sub-intervals’ spread, scaled to the window, when it is wider than Poisson', async () => {
    const j = await balance(reads(PARTS), ['--samples', '4']);
    assert.equal(j.window.samples, 4);
    assert.equal(j.settings.noise, 'sampled');
    assert.equal(j.noise.exact, false);
    // IRQ 30: 4 parts of mean 200 and s² = 4·100²/3 → 4·s²; IRQ 31: steady, so its count, 200.
    assert.ok(Math.abs((stddevOf(j, 0) ?? 0) - Math.sqrt(160000 / 3)) < 1e-9, `CPU0 ± ${stddevOf(j, 0)}`);
    assert.ok(Math.abs((stddevOf(j, 1) ?? 0) - Math.sqrt(200)) < 1e-9, `CPU1 ± ${stddevOf(j, 1)}`);
    assert.equal(stddevOf(j, 2), 0);
    assert.deepEqual(
      j.before.cpus.map((c) => c.load),
      [800, 200, 0],
    );
  });

  it('with one sample, the Poisson floor alone: the variance is the count', async () => {
    const all = reads(PARTS);
    const j = await balance([all[0] as string, all[all.length - 1] as string], ['--samples', '1']);
    assert.equal(j.window.samples, 1);
    assert.ok(Math.abs((stddevOf(j, 0) ?? 0) - Math.sqrt(800)) < 1e-9);
    assert.ok(Math.abs((stddevOf(j, 1) ?? 0) - Math.sqrt(200)) < 1e-9);
  });

  it('--noise none plans the live window as exact', async () => {
    const j = await balance(reads(PARTS), ['--samples', '4', '--noise', 'none']);
    assert.equal(j.noise.exact, true);
    assert.deepEqual(
      j.cpus.map((c) => c.stddev),
      [0, 0, 0],
    );
  });

  it('a procfs with only interrupts (no irq/, no sysfs) is planned as a file would be, and says so', async () => {
    const j = await balance(reads(PARTS), ['--samples', '4']);
    assert.equal(j.classification.sysfs, false);
    assert.equal(j.classification.managed.untestedReason, 'no-proc-irq');
    assert.equal(
      j.classification.managed.summary,
      'not known: there is no /proc/irq to read; IRQs the kernel manages may be proposed',
    );
  });
});
