/**
 * The shipped bundles must run on Node 16.20.2 (the newest Node that Ubuntu 14.04/16.04 can load)
 * with no node_modules. This runs them on the real Node 16 binary pinned in tools/node16.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bundlePath, NODE16 } from '../helpers/cli.ts';
import { corpusFile, seedFile } from '../helpers/paths.ts';

const missing = existsSync(NODE16)
  ? false
  : `Node 16 is not installed: run 'npm ci --prefix tools/node16' (.ci/run does)`;

describe('bundles on Node 16.20.2', { skip: missing }, () => {
  // A copy outside the repository proves nothing is resolved from node_modules at run time.
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-node16-'));
  const bundle = join(dir, 'irqkit.cjs');
  cpSync(bundlePath(), bundle);
  const run = (args: string[]) =>
    spawnSync(NODE16, [bundle, ...args], {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: '/usr/bin:/bin' },
      maxBuffer: 256 * 1024 * 1024,
    });

  it('is really Node 16', () => {
    const r = spawnSync(NODE16, ['--version'], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), 'v16.20.2');
  });

  it('balances the seed file and proves the optimum', () => {
    const r = run(['balance', seedFile('interrupts-per-day.txt'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      metrics: { provenOptimal: boolean; makespan: number };
      cpus: unknown[];
    };
    assert.equal(j.metrics.provenOptimal, true);
    assert.equal(j.metrics.makespan, 27477484064);
    assert.equal(j.cpus.length, 2);
  });

  it('shows the 1152-CPU corpus file', () => {
    const r = run(['show', corpusFile('21-x86-1152cpu-i40e-smartpqi-pcp.txt'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { cpus: number[] }).cpus.length, 1152);
  });

  it('reports errors with the catalogue exit code', () => {
    const r = run(['balance', join(dir, 'missing.txt')]);
    assert.equal(r.status, 66);
    assert.match(r.stderr, /no such file/);
  });

  it('cleans up', () => {
    rmSync(dir, { recursive: true, force: true });
  });
});
