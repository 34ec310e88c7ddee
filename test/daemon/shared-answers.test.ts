/**
 * Window answers are computed once per (newest sample, window) and shared: N clients asking
 * between two samples cost one computation. Counted in /metrics; the sampler runs on a manual
 * clock, so "between two samples" is exact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CpuSummary, Distribution, IrqList } from '../../src/api/schemas.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { type SteppedDaemon, steppedDaemon } from '../helpers/sim-daemon.ts';

function counter(metrics: string, name: string, answer: string): number {
  const m = new RegExp(`^${name}\\{answer="${answer}"\\} (\\d+)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : 0;
}

describe('shared window answers', () => {
  let d: SteppedDaemon;
  before(async () => {
    d = await steppedDaemon(defaultSimSpec(8));
    d.run(5);
  });
  after(async () => {
    await d?.close();
  });

  const metrics = async (): Promise<string> => (await d.request({ path: '/metrics' })).text;

  it('eight concurrent /distribution requests of one window cost one computation, and get the same answer', async () => {
    const before = await metrics();
    const computed0 = counter(before, 'irqkit_answers_computed_total', 'distribution');
    const shared0 = counter(before, 'irqkit_answers_shared_total', 'distribution');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => d.request({ path: '/api/v1/distribution?window=3s' })),
    );
    for (const a of answers) assert.equal(a.status, 200, a.text);
    const first = answers[0]?.json<Distribution>();
    for (const a of answers) assert.deepEqual(a.json<Distribution>(), first);
    const m = await metrics();
    assert.equal(counter(m, 'irqkit_answers_computed_total', 'distribution'), computed0 + 1);
    assert.equal(counter(m, 'irqkit_answers_shared_total', 'distribution'), shared0 + 7);
  });

  it('/cpus of the same window shares it too; a new sample or another window computes afresh', async () => {
    const c0 = counter(await metrics(), 'irqkit_answers_computed_total', 'distribution');
    const cpus = await d.request({ path: '/api/v1/cpus?window=3s' });
    assert.equal(cpus.status, 200);
    assert.equal(counter(await metrics(), 'irqkit_answers_computed_total', 'distribution'), c0);
    const other = await d.request({ path: '/api/v1/distribution?window=2s' });
    assert.equal(other.status, 200);
    assert.equal(counter(await metrics(), 'irqkit_answers_computed_total', 'distribution'), c0 + 1);
    d.run(1);
    const next = await d.request({ path: '/api/v1/cpus?window=3s' });
    assert.equal(next.status, 200);
    assert.equal(counter(await metrics(), 'irqkit_answers_computed_total', 'distribution'), c0 + 2);
    // The new sample is in the new answer: its window ends one second later.
    const end = (r: typeof cpus): number => Date.parse(r.json<CpuSummary>().window.end);
    assert.equal(end(next) - end(cpus), 1000);
  });

  it('/irqs is read once per sample and shared between requests', async () => {
    const m0 = await metrics();
    const rates0 = counter(m0, 'irqkit_answers_computed_total', 'irq-rates');
    const irqs0 = counter(m0, 'irqkit_answers_computed_total', 'irqs');
    const r = await Promise.all([1, 2, 3].map(() => d.request({ path: '/api/v1/irqs' })));
    for (const a of r) assert.equal(a.status, 200);
    for (const a of r) assert.equal(a.text, r[0]?.text);
    const m1 = await metrics();
    assert.equal(counter(m1, 'irqkit_answers_computed_total', 'irq-rates'), rates0 + 1);
    assert.equal(counter(m1, 'irqkit_answers_computed_total', 'irqs'), irqs0 + 1);
    assert.equal(
      counter(m1, 'irqkit_answers_shared_total', 'irqs') - counter(m0, 'irqkit_answers_shared_total', 'irqs'),
      2,
    );
  });

  it('an affinity set through the API shows in /irqs at once, within the same sample', async () => {
    const list = async (): Promise<IrqList['irqs']> =>
      (await d.request({ path: '/api/v1/irqs' })).json<IrqList>().irqs;
    const before = await list();
    const movable = before.find((i) => i.managed === false && i.affinity !== '1');
    assert.ok(movable, 'the simulated machine has a movable IRQ');
    const set = await d.request({
      method: 'PUT',
      path: `/api/v1/irqs/${movable.irq}/affinity`,
      body: JSON.stringify({ cpu: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(set.status, 200, set.text);
    const after = await list();
    assert.equal(after.find((i) => i.irq === movable.irq)?.affinity, '1');
    // And no sample came in between: the write alone made the answer stale.
    const again = await list();
    assert.deepEqual(again, after);
  });
});
