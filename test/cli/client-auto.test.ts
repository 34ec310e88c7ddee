/**
 * `irqkit auto` against a real `irqkitd --auto` on a simulated machine the test drives (it can
 * start an "irqbalance"), and the daemon's refusals of bad autopilot settings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AutoStatus } from '../../src/api/auto-schemas.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { assertOneLineError, type Irqkit, irqkitAt } from '../helpers/client-cli.ts';
import {
  type DaemonProcess,
  eventually,
  runDaemonToExit,
  simArgs,
  startDaemon,
} from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { machineArgs, runningMachine } from '../helpers/sim-daemon.ts';

describe('irqkit auto against irqkitd --auto', { concurrency: 1 }, () => {
  let m: ReturnType<typeof runningMachine>;
  let d: DaemonProcess;
  let irqkit: Irqkit;
  const status = (): AutoStatus => {
    const r = irqkit(['auto', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as AutoStatus;
  };
  before(async () => {
    m = runningMachine(defaultSimSpec(8));
    d = await startDaemon(
      machineArgs(m, m.stateDir, [
        '--auto',
        '--auto-every',
        '1s',
        '--auto-window',
        '1s',
        '--auto-max-moves',
        '4',
      ]),
    );
    irqkit = irqkitAt(d);
  });
  after(async () => {
    await d?.stop();
    m?.cleanup();
  });

  it('status says it runs, with its settings', () => {
    const r = irqkit(['auto']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^autopilot: running$/m);
    assert.match(
      r.stdout,
      /every 1 s on the last 1 s; at most 4 moves a round; cooldown 2 s; CPUs all but isolated/,
    );
  });

  it('log shows each round and each move, CPU 0 to another', async () => {
    await eventually('a round that moved IRQs', () =>
      status().rounds.some((r) => r.outcome === 'applied') ? true : undefined,
    );
    const r = irqkit(['auto', 'log']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^\S+ round applied busiest \d+\/s → \d+\/s \(best \d+\/s, ±[\d.]+\/s\): moved [1-4] IRQs?/m,
    );
    assert.match(r.stdout, /^ {2}IRQ \d+ \(eth[01]-\S+\) CPU 0 → [1-7], \d+\/s$/m);
    const one = irqkit(['auto', 'log', '--last', '1']);
    assert.equal(one.stdout.split('\n').filter((l) => /^\S+ (round|new IRQs) /.test(l)).length, 1);
  });

  it('pause and resume', () => {
    const p = irqkit(['auto', 'pause']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^autopilot: paused \(operator\) — paused by an operator/m);
    const r = irqkit(['auto', 'resume']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^autopilot: running$/m);
  });

  it('resume while irqbalance runs exits 75 and says why', async () => {
    m.setProcess(4242, 'irqbalance');
    await eventually('the autopilot to see irqbalance', () =>
      status().pausedBy === 'irqbalance' ? true : undefined,
    );
    const r = irqkit(['auto', 'resume']);
    assert.equal(r.code, 75);
    assert.match(r.stderr, /^irqkit auto: still paused: irqbalance is running \(pid 4242\)/);
    m.setProcess(4242, null);
  });

  it('bad actions and options are usage errors', () => {
    assertOneLineError(
      irqkit(['auto', 'bogus']),
      64,
      /unknown action 'bogus': use status, log, pause or resume/,
    );
    assertOneLineError(irqkit(['auto', 'status', '--last', '3']), 64, /--last goes with log/);
    assertOneLineError(irqkit(['auto', 'log', '--last', '0']), 64, /--last takes a number of rounds/);
  });
});

describe('irqkit auto against irqkitd without --auto', () => {
  let d: DaemonProcess;
  before(async () => {
    d = await startDaemon(simArgs());
  });
  after(async () => {
    await d?.stop();
  });

  it('status says it is off and how to turn it on; pause exits 69', () => {
    const irqkit = irqkitAt(d);
    const s = irqkit(['auto']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^autopilot: off — not enabled: start irqkitd with --auto/m);
    assertOneLineError(
      irqkit(['auto', 'pause']),
      69,
      /not enabled: start irqkitd with --auto.*\(IRQ_ERR_AUTO_OFF\)/,
    );
  });
});

describe('irqkitd refuses autopilot settings that cannot work', () => {
  const refused = async (args: string[], pattern: RegExp): Promise<void> => {
    const r = await runDaemonToExit(simArgs('8cpu', args));
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, pattern);
  };
  it('--auto with --read-only', () =>
    refused(['--auto', '--read-only'], /--auto writes affinities; it cannot run with --read-only/));
  it('a window longer than the history', () =>
    refused(['--auto', '--auto-window', '1h'], /auto window must fit in the --retention history/));
  it('a bad period, move cap or NUMA policy', async () => {
    await refused(['--auto', '--auto-every', 'soon'], /auto every/);
    await refused(['--auto', '--auto-max-moves', '0'], /auto max moves must be a whole number from 1/);
    await refused(['--auto', '--auto-max-moves', 'many'], /--auto-max-moves takes a whole number/);
    await refused(['--auto', '--auto-numa', 'local'], /auto numa must be strict, prefer or ignore/);
  });
});
