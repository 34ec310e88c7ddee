import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../helpers/cli.ts';
import { corpusFile, readCorpus } from '../helpers/paths.ts';

interface ShowJson {
  source: string;
  cpus: number[];
  rows: Array<{
    label: string;
    numeric: boolean;
    counts: number[];
    chip?: string;
    actions?: string[];
    description?: string;
  }>;
}

describe('irqkit show', () => {
  it('reads the live /proc/interrupts by default', () => {
    const r = runCli(['show', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as ShowJson;
    assert.equal(j.source, '/proc/interrupts');
    assert.ok(j.cpus.includes(0));
    assert.ok(j.rows.some((row) => row.numeric));
    assert.ok(j.rows.some((row) => row.label === 'LOC' || row.label.startsWith('IPI')));
  });

  it('keeps CPU ids from the header when a CPU is offline (no CPU6 column in fixture 19)', () => {
    const r = runCli(['show', corpusFile('19-x86-7cpu-offline-cpu6-sysstat-derived.txt'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as ShowJson;
    assert.deepEqual(j.cpus, [0, 1, 2, 3, 4, 5, 7]);
    const text = runCli(['show', corpusFile('19-x86-7cpu-offline-cpu6-sysstat-derived.txt')]).stdout;
    assert.match(text, /7 CPUs \(0-5,7\)/);
    assert.doesNotMatch(text.split('\n')[2] ?? '', /CPU6/);
  });

  it('prints per-CPU columns, chip, hwirq, trigger and handler names of a GIC machine', () => {
    const r = runCli(['show', corpusFile('26-arm64-4cpu-gicv2-rpi4-brcmstb-msi-openwrt.txt')], {
      env: { COLUMNS: '200' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s*IRQ\s+CPU0\s+CPU1\s+CPU2\s+CPU3\s+TOTAL\s+CHIP/m);
    assert.match(
      r.stdout,
      /^\s*39\s+30,845,207\s+0\s+0\s+0\s+30,845,207\s+BRCM STB PCIe MSI\s+524288\s+Edge\s+xhci_hcd$/m,
    );
    assert.match(r.stdout, /^\s*25\s.*mmc1, mmc0$/m);
  });

  it('switches to total / top CPU / share on a 1152-CPU machine', () => {
    const r = runCli(['show', corpusFile('21-x86-1152cpu-i40e-smartpqi-pcp.txt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1152 CPUs \(0-1151\)/);
    assert.match(r.stdout, /^\s*IRQ\s+TOTAL\s+TOP CPU\s+SHARE\s+CHIP/m);
  });

  it('reads <DIR>/interrupts with --procfs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'irqkit-procfs-'));
    try {
      writeFileSync(join(dir, 'interrupts'), readCorpus('09-x86-4cpu-kvm-virtio-procfs.txt'));
      const r = runCli(['show', '--procfs', dir, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as ShowJson;
      assert.equal(j.source, `${dir}/interrupts`);
      assert.equal(j.cpus.length, 4);
      mkdirSync(join(dir, 'empty'));
      const missing = runCli(['show', '--procfs', join(dir, 'empty')]);
      assert.equal(missing.code, 66);
      assert.match(missing.stderr, /empty\/interrupts: no such file/);
      assert.equal(hasStackTrace(missing.stderr), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns with a line number in lenient mode and fails in --strict mode', () => {
    const text = `${readCorpus('01-x86-4cpu-old-combined-chiptype-node_exporter.txt')}this is not a row\n`;
    const lenient = runCli(['show', '-', '--json'], { input: text });
    assert.equal(lenient.code, 0);
    assert.match(lenient.stderr, /^warning: stdin:\d+: /m);
    const strict = runCli(['show', '-', '--strict'], { input: text });
    assert.equal(strict.code, 65);
    assert.match(strict.stderr, /line \d+/);
    assert.equal(hasStackTrace(strict.stderr), false);
  });
});
