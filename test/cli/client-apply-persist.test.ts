/**
 * `irqkit apply --persist` against a real irqkitd on a simulated machine: the plan's moves are
 * written and pinned, so `irqkit pins` (GET /api/v1/pins) and the state file list exactly them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PinsDoc } from '../../src/api/pin-schemas.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { cells, getJson, type Irqkit, irqkitAt, rowOf } from '../helpers/client-cli.ts';
import { type DaemonProcess, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { machineArgs, readStateFile, runningMachine } from '../helpers/sim-daemon.ts';

describe('irqkit apply --persist against a real irqkitd', { concurrency: 1 }, () => {
  let m: ReturnType<typeof runningMachine>;
  let d: DaemonProcess;
  let irqkit: Irqkit;
  before(async () => {
    // Every movable IRQ starts on CPU 0, so the plan has moves.
    m = runningMachine({ ...defaultSimSpec(8), noise: 0 });
    d = await startDaemon(machineArgs(m, m.stateDir));
    irqkit = irqkitAt(d);
  });
  after(async () => {
    await d?.stop();
    m?.cleanup();
  });

  it('--help describes --persist', () => {
    const r = irqkit(['apply', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s+--persist\s+pin the moved IRQs/m);
  });

  it('--dry-run --persist pins nothing', async () => {
    const r = irqkit(['apply', '--window', '1s', '--dry-run', '--persist']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /^pinned:/m);
    assert.deepEqual((await getJson<PinsDoc>(d, '/api/v1/pins')).pins, []);
  });

  it('applies the moves and pins exactly them: irqkit pins, GET /api/v1/pins and the state file agree', async () => {
    const r = irqkit(['apply', '--window', '1s', '--persist'], { COLUMNS: '120' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+ IRQs? set/m);
    assert.match(
      r.stdout,
      /^pinned: irqkitd applies (it|them) again at start-up and when (it comes|they come) back \(see 'irqkit pins'\)$/m,
    );
    // The outcome table: IRQ, CPU, BEFORE, AFFINITY, EFFECTIVE, RESULT.
    const outcome = r.stdout.slice(r.stdout.indexOf('\nOutcome\n'));
    const moved = outcome
      .split('\n')
      .map(cells)
      .filter((row) => /^\d+$/.test(row[0] ?? '') && /^set/.test(row[5] ?? ''))
      .map((row) => [row[0] as string, Number(row[1])] as const)
      .sort();
    assert.ok(moved.length > 0, `every movable IRQ starts on CPU 0, so something moves:\n${r.stdout}`);

    const pins = await getJson<PinsDoc>(d, '/api/v1/pins');
    assert.deepEqual(pins.pins.map((p) => [p.irq, p.cpu] as const).sort(), moved);
    const state = readStateFile(m.stateDir);
    assert.deepEqual(
      Object.entries(state?.pins ?? {})
        .map(([irq, p]) => [irq, p.cpu] as const)
        .sort(),
      moved,
    );
    const listed = irqkit(['pins']);
    assert.equal(listed.code, 0, listed.stderr);
    for (const [irq, cpu] of moved) {
      const row = cells(rowOf(listed.stdout, irq) ?? '');
      assert.equal(row[2], String(cpu), `pins row of IRQ ${irq}: ${row.join(' | ')}`);
    }
  });
});
