/**
 * The dashboard at GET / in a real browser (Debian's Chromium through playwright-core) against
 * the real bundled irqkitd on simulated machines of 8, 64 and 256 CPUs: what it draws, that its
 * numbers are the API's, that it stays legible (names at the default row height, quiet IRQs
 * folded, a legend, a linear/log switch, NUMA nodes and isolated CPUs on the axis), that Apply
 * asks first and writes only when confirmed, that Undo puts back exactly what the apply changed
 * (wide masks included), that a read-only daemon offers neither, and that 256 CPUs × 2,049 IRQs
 * stay fast. Every page must finish without a console error, an uncaught exception or a refused
 * request. Screenshots go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { PinsDoc } from '../../src/api/pin-schemas.ts';
import type { Distribution, WindowInfo } from '../../src/api/schemas.ts';
import { defaultSimSpec } from '../../src/sim/spec.ts';
import {
  artifactPath,
  browserSkip,
  launchChromium,
  type PageProblems,
  watchPage,
} from '../helpers/browser.ts';
import {
  afterSamples,
  type DaemonProcess,
  eventually,
  machineStepped,
  simArgs,
  startDaemon,
} from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { SIM_256CPU_2049IRQ } from '../helpers/sim-dashboard-256cpu.ts';

const skip = browserSkip();

/** window.irqkitDashboard.snapshot() */
interface Snapshot {
  seq: number;
  rows: number;
  shownRows: number;
  foldedIrqs: number;
  cols: number;
  groups: number;
  groupBands: Array<{ key: string; label: string; foldable: boolean; unfolded: boolean }>;
  folds: Array<{ key: string; irqs: number }>;
  labels: string[];
  window: string;
  windowInfo: WindowInfo | null;
  totalRate: number | null;
  cpuRates: Array<[number, number]>;
  readOnly: boolean;
  planMoves: Array<{ irq: string; cpu: number }> | null;
  plans: number;
  planning: boolean;
  confirming: boolean;
  undo: string[] | null;
  scale: string;
  legend: { max: number; ticks: number[] };
  axis: {
    nodes: Array<{ node: number; first: number; last: number }>;
    isolated: number[];
    nohzFull: number[];
  } | null;
  rowHeight: number;
  colWidth: number;
  mapWidth: number;
  viewWidth: number;
  drawMs: number;
}
/** What the page shows, read in one go so that one refresh cannot fall between two reads. */
interface Shown {
  snap: Snapshot;
  total: string;
  busiest: string;
  peak: string;
  spread: string;
  covered: string;
  canvasRows: string;
  canvasCols: string;
}

const SHOWN = `(() => {
  const t = (id) => document.getElementById(id).textContent;
  const c = document.getElementById('heatmap');
  return { snap: window.irqkitDashboard.snapshot(), total: t('total-rate'), busiest: t('busiest'),
    peak: t('peak'), spread: t('spread'), covered: t('covered'),
    canvasRows: c.dataset.rows, canvasCols: c.dataset.cols };
})()`;

const shown = (page: Page): Promise<Shown> => page.evaluate(SHOWN) as Promise<Shown>;
const snapshot = async (page: Page): Promise<Snapshot> => (await shown(page)).snap;
/**
 * Polls the page's snapshot from here: Playwright's waitForFunction with a string evaluates it
 * inside the page, which the dashboard's CSP (no 'unsafe-eval') rightly refuses.
 */
function until(
  page: Page,
  what: string,
  test: (s: Snapshot) => boolean,
  timeoutMs = 30_000,
): Promise<Snapshot> {
  return eventually(
    what,
    async () => {
      const s = await snapshot(page).catch(() => undefined);
      return s && test(s) ? s : undefined;
    },
    timeoutMs,
    50,
  );
}

/** Polls a text on the page until it matches. */
function untilText(page: Page, selector: string, re: RegExp, timeoutMs = 30_000): Promise<string> {
  return eventually(
    `${selector} to match ${re}`,
    async () => {
      const t = (await page.textContent(selector)) ?? '';
      return re.test(t) ? t : undefined;
    },
    timeoutMs,
    50,
  );
}

type Point = { x: number; y: number } | null;

/** A test hook of the page (window.irqkitDashboard), called with JSON arguments. */
function hook<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    `window.irqkitDashboard.${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`,
  ) as Promise<T>;
}

async function clickAt(page: Page, at: Point, what: string): Promise<void> {
  assert.ok(at, `${what} is on the map`);
  await page.mouse.click(at.x, at.y);
}

/** '1,234,567' / '14.45' → number */
const parseShown = (text: string): number => Number(text.replace(/,/g, ''));

function near(actual: number, expected: number, rel: number, what: string, abs = 0): void {
  const tolerance = Math.max(abs, rel * Math.max(Math.abs(actual), Math.abs(expected)));
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance.toFixed(1)})`,
  );
}

async function distribution(d: DaemonProcess, window: string): Promise<Distribution> {
  const r = await d.request({ path: `/api/v1/distribution?window=${window}&wait=false` });
  assert.equal(r.status, 200, r.text);
  return r.json<Distribution>();
}

/** Resolves once the daemon has a first interval, so the page never meets an empty history. */
function hasHistory(d: DaemonProcess): Promise<true> {
  return eventually(
    'a first sampled interval',
    async () => (await d.request({ path: '/api/v1/cpus?window=1s&wait=false' })).status === 200 || undefined,
    undefined,
  );
}

/** Every IRQ's smp_affinity_list in the simulated procfs, by IRQ. */
async function affinities(d: DaemonProcess): Promise<Map<string, string>> {
  const irqs = (await distribution(d, '5s')).irqs.map((r) => r.irq);
  return new Map(irqs.map((irq) => [irq, d.irqFile(irq, 'smp_affinity_list')]));
}

/** irqkitd's records: its pins (IRQ → CPU) and the originals restore would put back. */
async function records(d: DaemonProcess): Promise<{ pins: string[]; originals: string[] }> {
  const r = await d.request({ path: '/api/v1/pins' });
  assert.equal(r.status, 200, r.text);
  const doc = r.json<PinsDoc>();
  return {
    pins: doc.pins.map((p) => `${p.irq}→${p.cpu}`),
    originals: doc.originals.map((o) => `${o.irq}:${o.affinity}`),
  };
}

async function putAffinity(d: DaemonProcess, irq: string, cpu: number, persist = false): Promise<void> {
  const r = await d.request({ method: 'PUT', path: `/api/v1/irqs/${irq}/affinity`, json: { cpu, persist } });
  assert.equal(r.status, 200, r.text);
}

/** "Green" of 'rgb(r,g,b)': YlOrRd loses green as it gets hotter, so lower is hotter. */
const green = (rgb: string | null): number =>
  Number(/^rgb\(\d+,(\d+),\d+\)$/.exec(rgb ?? '')?.[1] ?? Number.NaN);

let browser: Browser | undefined;
before(async () => {
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function open(
  d: DaemonProcess,
  viewport = { width: 1400, height: 900 },
): Promise<{ page: Page; problems: PageProblems }> {
  assert.ok(browser);
  const page = await browser.newPage({ viewport });
  const problems = watchPage(page);
  await page.goto(`${d.urls[0]}/`);
  await eventually(
    'the dashboard to draw',
    async () =>
      ((await page.evaluate('window.irqkitDashboard?.snapshot().seq ?? 0')) as number) >= 1 || undefined,
    undefined,
    50,
  );
  return { page, problems };
}

/** The plan the page shows once it has one (it computes one as it opens). */
async function planShown(page: Page): Promise<Array<{ irq: string; cpu: number }>> {
  return (await until(page, 'a plan', (s) => s.planMoves !== null)).planMoves ?? [];
}

/** Computes a plan afresh and waits for it. */
async function newPlan(page: Page): Promise<Array<{ irq: string; cpu: number }>> {
  const { plans } = await until(page, 'no plan under way', (s) => !s.planning);
  await page.click('#plan-btn');
  const s = await until(page, 'a new plan', (x) => x.plans > plans && !x.planning && x.planMoves !== null);
  return s.planMoves ?? [];
}

/** Apply → the dialog → Apply in it; resolves with the result line once the batch answered. */
async function applyConfirmed(page: Page, moves: number): Promise<string> {
  await page.click('#apply-btn');
  await until(page, 'the confirmation dialog', (s) => s.confirming);
  await page.click('#apply-confirm');
  return untilText(page, '#apply-result', new RegExp(`^Applied ${moves} moves`));
}

function noProblems(problems: PageProblems): void {
  assert.deepEqual(problems.list, [], 'the page had no console errors, exceptions or failed requests');
}

const posts = (problems: PageProblems, path: string): number =>
  problems.requests.filter((r) => r === `POST ${path}`).length;

describe('dashboard in Chromium: an 8-CPU machine', { skip }, () => {
  let d: DaemonProcess;
  let page: Page;
  let problems: PageProblems;
  before(async () => {
    if (skip) return;
    d = await startDaemon(simArgs('8cpu,2node'));
    await hasHistory(d);
    ({ page, problems } = await open(d));
  });
  after(async () => {
    await page?.close();
    await d?.stop();
  });

  it('draws one heat-map row per IRQ and one column per CPU across the whole width, grouped by device', async () => {
    const dist = await distribution(d, '5s');
    const s = await shown(page);
    assert.equal(s.snap.rows, dist.irqs.length);
    assert.equal(s.snap.rows, 21, 'timer + 8 eth0 + 8 nvme0 + 4 eth1 queues');
    assert.equal(s.snap.cols, 8);
    assert.equal(s.canvasRows, '21');
    assert.equal(s.canvasCols, '8');
    assert.equal(s.snap.groups, 4, 'eth0, nvme0, eth1 and the timer (no PCI device)');
    // A device of 8 queues has nothing worth folding: every row is there, with its name.
    assert.equal(s.snap.shownRows, 21);
    assert.equal(s.snap.foldedIrqs, 0);
    assert.ok(s.snap.rowHeight >= 13, `rows are ${s.snap.rowHeight} px`);
    assert.deepEqual([...s.snap.labels].sort(), dist.irqs.map((r) => r.name).sort(), 'every name is drawn');
    // The columns share the whole width beside the labels rather than stopping at a maximum.
    assert.equal(s.snap.mapWidth, s.snap.viewWidth);
    near(210 + 8 * s.snap.colWidth, s.snap.viewWidth, 0, 'labels + 8 columns', 1);
    assert.ok(s.snap.colWidth > 100, `columns are ${s.snap.colWidth} px wide`);
    // Filtering by name keeps only the matching rows, and their device.
    await page.fill('#filter', 'eth1');
    await until(page, '4 rows', (x) => x.rows === 4);
    assert.equal((await snapshot(page)).groups, 1);
    await page.fill('#filter', '');
    await page.selectOption('#sort', 'irq');
    await until(page, '21 rows', (x) => x.rows === 21);
    await page.selectOption('#sort', 'rate');
    // The canvas is the heat map: no DOM node per cell.
    assert.equal(await page.evaluate('document.querySelectorAll("#hm-scroll *").length'), 2);
  });

  it('shows the numbers of /api/v1/distribution for the same window', async () => {
    await until(page, '2 s of history', (x) => (x.windowInfo?.seconds ?? 0) >= 2);
    const s = await shown(page);
    const dist = await distribution(d, '5s');
    assert.equal(s.snap.window, '5s');
    assert.equal(s.snap.windowInfo?.requestedSeconds, 5);
    // What is printed is what the page holds…
    assert.equal(parseShown(s.total), Math.round(s.snap.totalRate ?? Number.NaN));
    // …and that is the API's answer a moment later (a moving window of noisy simulated rates).
    near(parseShown(s.total), dist.ratePerSecond, 0.1, 'interrupts/s');
    const api = new Map(dist.cpuTotals.map((c) => [c.cpu, c.ratePerSecond]));
    for (const [cpu, rate] of s.snap.cpuRates) near(rate, api.get(cpu) ?? Number.NaN, 0.1, `CPU ${cpu}`, 20);
    const rates = dist.cpuTotals.map((c) => c.ratePerSecond);
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    near(parseShown(s.peak), Math.max(...rates) / mean, 0.1, 'peak-to-average');
    near(parseShown(s.spread), (Math.max(...rates) - Math.min(...rates)) / mean, 0.1, '(max-min)/mean');
    assert.match(s.busiest, /^CPU 0: [\d,]+\/s \(\d+\.\d %\)$/);
    // One cell, through the tooltip: the busiest IRQ on CPU 0, where every movable IRQ starts.
    const top = [...dist.irqs].sort((a, b) => b.ratePerSecond - a.ratePerSecond)[0];
    assert.ok(top);
    const at = await hook<Point>(page, 'cellCenter', top.irq, 0);
    assert.ok(at, `IRQ ${top.irq} is on the map`);
    await page.mouse.move(at.x, at.y);
    const tip = await page.locator('#tooltip').innerText({ timeout: 30_000 });
    assert.match(tip, new RegExp(`^IRQ ${top.irq} · ${top.name}$`, 'm'));
    const cell = /^CPU 0: ([\d,.]+) interrupts\/s$/m.exec(tip);
    assert.ok(cell, tip);
    near(
      parseShown(cell[1] ?? ''),
      (top.perCpu[0] ?? 0) / dist.window.seconds,
      0.1,
      `IRQ ${top.irq} on CPU 0`,
    );
    await page.mouse.move(0, 0);
  });

  it('switches between the 5 s, 1 min and 15 min windows', async () => {
    await page.check('input[name="window"][value="1m"]');
    await until(page, 'a 1 min window', (x) => x.windowInfo?.requestedSeconds === 60);
    const s = await shown(page);
    assert.equal(s.snap.window, '1m');
    // The daemon is younger than a minute, and the page says so rather than pretending.
    assert.match(s.covered, /^\d+\.\d s of 60 s \(history still filling\)$/);
    assert.equal(await page.evaluate('location.hash'), '#window=1m');
    await page.check('input[name="window"][value="15m"]');
    await until(page, 'a 15 min window', (x) => x.windowInfo?.requestedSeconds === 900);
    await page.check('input[name="window"][value="5s"]');
    await until(page, 'a 5 s window', (x) => x.windowInfo?.requestedSeconds === 5);
    const before = (await snapshot(page)).seq;
    // It keeps refreshing (every second; how fast it keeps up is for a benchmark to say).
    await until(page, 'two refreshes', (x) => x.seq >= before + 2);
  });

  it('Apply asks first: Cancel and Escape write nothing, and the dialog lists the moves and their effect', async () => {
    const moves = await newPlan(page);
    assert.ok(moves.length > 0, 'every movable IRQ starts on CPU 0, so there is something to move');
    const rows = (await page.evaluate(
      '[...document.querySelectorAll("#plan-moves tbody tr")].map((tr) => [tr.dataset.irq, Number(tr.dataset.cpu)])',
    )) as Array<[string, number]>;
    assert.deepEqual(rows.sort(), moves.map((m) => [m.irq, m.cpu]).sort(), 'the moves table lists the plan');
    // Loads with their measuring noise, and the margin a move has to beat.
    const metrics = (await page.evaluate(
      '[...document.querySelectorAll("#plan-metrics tbody tr")].map((tr) => [...tr.cells].map((c) => c.textContent))',
    )) as string[][];
    const busiest = metrics.find((r) => r[0]?.startsWith('busiest CPU'));
    assert.match(busiest?.[1] ?? '', /^[\d,.]+ ± [\d,.]+$/, `busiest before: ${busiest}`);
    assert.match(busiest?.[2] ?? '', /^[\d,.]+ ± [\d,.]+$/, `busiest after: ${busiest}`);
    const margin = metrics.find((r) => r[0] === 'noise margin (2 std. errors)');
    assert.match(margin?.[2] ?? '', /^[\d,.]+$/, `margin: ${JSON.stringify(metrics)}`);
    assert.equal(await page.textContent('#apply-btn'), `Apply ${moves.length} moves`);
    const placed = await affinities(d);

    await page.click('#apply-btn');
    await until(page, 'the confirmation dialog', (s) => s.confirming);
    assert.equal(await page.isVisible('#apply-dialog'), true);
    assert.equal(await page.textContent('#apply-title'), `Apply ${moves.length} moves?`);
    assert.match(
      (await page.textContent('#apply-effect')) ?? '',
      /^Busiest CPU: CPU 0 at [\d,.]+ ± [\d,.]+\/s now → CPU \d+ at [\d,.]+ ± [\d,.]+\/s after \(predicted\)\. Peak-to-average [\d.]+ → [\d.]+; \d+ moves?\.$/,
    );
    const listed = (await page.evaluate(
      '[...document.querySelectorAll("#apply-list tbody tr")].map((tr) => tr.dataset.irq)',
    )) as string[];
    assert.deepEqual([...listed].sort(), moves.map((m) => m.irq).sort(), 'the dialog lists every move');
    // Nothing is focused that would apply on Enter: Cancel has the focus.
    assert.equal(await page.evaluate('document.activeElement?.id'), 'apply-cancel');
    await page.screenshot({ path: artifactPath('dashboard-8cpu-apply-dialog.png') });
    await page.click('#apply-cancel');
    await until(page, 'the dialog to close', (s) => !s.confirming);
    await page.click('#apply-btn');
    await until(page, 'the dialog again', (s) => s.confirming);
    await page.keyboard.press('Escape');
    await until(page, 'the dialog to close on Escape', (s) => !s.confirming);
    assert.equal(posts(problems, '/api/v1/affinity'), 0, 'nothing was sent');
    assert.deepEqual(await affinities(d), placed, 'nothing was written');
    assert.equal(await page.isVisible('#apply-result'), false);
    assert.equal(
      await page.evaluate('document.querySelectorAll("#apply-list tbody tr").length'),
      0,
      'the list leaves with the dialog',
    );
  });

  it('Apply, confirmed, moves the planned IRQs: the simulated procfs and then the heat map show it', async () => {
    const moves = (await snapshot(page)).planMoves ?? [];
    assert.ok(moves.length > 0);
    const peakBefore = parseShown((await shown(page)).peak);
    await page.screenshot({ path: artifactPath('dashboard-8cpu.png'), fullPage: true });

    await applyConfirmed(page, moves.length);
    assert.equal(posts(problems, '/api/v1/affinity'), 1, 'one batch through the API');
    for (const m of moves) assert.equal(d.irqFile(m.irq, 'smp_affinity_list'), String(m.cpu), `IRQ ${m.irq}`);
    // The plan described the old placement: it is gone until recomputed. Undo is offered.
    assert.equal(await page.isDisabled('#apply-btn'), true);
    assert.equal(await page.textContent('#undo-btn'), `Undo the last apply (${moves.length} IRQs)`);
    assert.deepEqual([...((await snapshot(page)).undo ?? [])].sort(), moves.map((m) => m.irq).sort());

    // Once the 5 s window lies after the moves, the page shows the balance the plan predicted:
    // the simulated kernel routes them at its next step, and a window that starts at a sample
    // after that step counts only the new placement.
    await machineStepped(d.procRoot);
    const rerouted = (await afterSamples(d, 1)).lastSampleAt as number;
    await until(page, 'a window after the moves', (x) => Date.parse(x.windowInfo?.start ?? '') >= rerouted);
    const peakAfter = parseShown((await shown(page)).peak);
    assert.ok(peakAfter < peakBefore / 2, `peak-to-average ${peakBefore} → ${peakAfter}`);
    await page.mouse.move(700, 420);
    await page.screenshot({ path: artifactPath('dashboard-8cpu-balanced.png'), fullPage: true });
  });

  it('Undo puts every moved IRQ back as it was and leaves irqkitd with no record of the apply', async () => {
    // Before the apply (the previous test) every movable IRQ was on CPU 0, and irqkitd had
    // changed nothing: no originals, no pins.
    const undo = (await snapshot(page)).undo ?? [];
    assert.ok(undo.length > 0);
    await page.click('#undo-btn');
    await untilText(
      page,
      '#apply-result',
      new RegExp(`^Undone: ${undo.length} IRQs back as before the apply\\.$`),
    );
    for (const irq of undo) assert.equal(d.irqFile(irq, 'smp_affinity_list'), '0', `IRQ ${irq}`);
    assert.deepEqual(await records(d), { pins: [], originals: [] });
    assert.equal(posts(problems, '/api/v1/restore'), 1);
    assert.equal((await snapshot(page)).undo, null);
    assert.equal(await page.isVisible('#undo-btn'), false, 'nothing left to undo');
    noProblems(problems);
  });
});

describe('dashboard in Chromium: a --read-only daemon', { skip }, () => {
  let d: DaemonProcess;
  before(async () => {
    if (skip) return;
    d = await startDaemon(simArgs('8cpu,2node', ['--read-only']));
    await hasHistory(d);
  });
  after(async () => {
    await d?.stop();
  });

  it('shows the plan as a preview and offers no Apply and no Undo', async () => {
    const { page, problems } = await open(d);
    const moves = await planShown(page);
    assert.ok(moves.length > 0);
    assert.equal((await snapshot(page)).readOnly, true);
    assert.equal(await page.isVisible('#apply-btn'), false, 'no Apply button');
    assert.equal(await page.isVisible('#undo-btn'), false, 'no Undo button');
    assert.equal(await page.isVisible('#readonly-note'), true);
    await untilText(page, '#auto-state', /^off$/);
    assert.equal(await page.isVisible('#auto-toggle'), false, 'no autopilot button');
    assert.equal(await page.locator('#plan-moves tbody tr').count(), moves.length);
    assert.equal((await snapshot(page)).confirming, false);
    assert.deepEqual(
      problems.requests.filter((r) => !r.startsWith('GET ')),
      [],
      'a read-only page only reads',
    );
    noProblems(problems);
    await page.close();
  });
});

/**
 * The machine: 64 CPUs on 4 nodes and 161 IRQs (the default simulated devices), with
 * CPUs 56-63 isolated (60-63 also nohz_full) and, as with irqaffinity=0-7, every movable IRQ
 * starting with the wide mask 0-7 (the kernel routes it to CPU 0).
 */
const SIM_64CPU = { ...defaultSimSpec(64, 4), isolated: '56-63', nohzFull: '60-63', irqaffinity: '0-7' };

describe('dashboard in Chromium: 64 CPUs × 161 IRQs', { skip }, () => {
  let d: DaemonProcess;
  let page: Page;
  let problems: PageProblems;
  before(async () => {
    if (skip) return;
    d = await startDaemon(simArgs(JSON.stringify(SIM_64CPU)));
    await hasHistory(d);
    ({ page, problems } = await open(d));
  });
  after(async () => {
    await page?.close();
    await d?.stop();
  });

  it('is readable at the default row height: devices busiest first, their busiest IRQs named, the rest folded', async () => {
    const s = await until(page, 'every group', (x) => x.rows === 161 && x.groups === 4);
    assert.equal(s.cols, 64);
    assert.ok(s.rowHeight >= 13, `rows are ${s.rowHeight} px, tall enough for names`);
    assert.ok(s.shownRows <= 40, `${s.shownRows} rows shown`);
    assert.equal(s.foldedIrqs, 161 - s.shownRows);
    const dist = await distribution(d, '5s');
    const device = (prefix: string) =>
      dist.irqs.filter((r) => r.name.startsWith(prefix)).sort((a, b) => b.ratePerSecond - a.ratePerSecond);
    const eth0 = device('eth0-');
    // Busiest device first: eth0 (320,000/s), eth1, nvme0, then the timer.
    assert.deepEqual(
      s.groupBands.map((g) => g.label.replace(/^[▸▾] /, '').split(' ')[0]),
      ['eth0', 'eth1', 'nvme0', 'no'],
    );
    assert.deepEqual(
      s.groupBands.map((g) => [g.foldable, g.unfolded]),
      [
        [true, false],
        [true, false],
        [true, false],
        [false, true],
      ],
    );
    assert.deepEqual(
      s.folds.map((f) => f.irqs),
      [56, 24, 56],
      'each device keeps its 8 busiest IRQs in sight',
    );
    // The two busiest eth0 queues (well apart in rate) are named on screen.
    for (const r of eth0.slice(0, 2)) assert.ok(s.labels.includes(r.name), `${r.name} in ${s.labels}`);
    assert.ok(s.labels.length >= 20, `${s.labels.length} names drawn`);
    await page.screenshot({ path: artifactPath('dashboard-64cpu.png'), fullPage: true });

    // A click on the folded row shows the device's every IRQ; a click on its band folds it again.
    const eth0Key = s.groupBands[0]?.key ?? '';
    await clickAt(page, await hook<Point>(page, 'rowCenter', 'fold', eth0Key), "eth0's folded row");
    const open64 = await until(page, 'eth0 unfolded', (x) => x.shownRows === s.shownRows + 56);
    assert.deepEqual(
      open64.folds.map((f) => f.key),
      s.folds.map((f) => f.key).filter((k) => k !== eth0Key),
    );
    assert.equal(open64.groupBands[0]?.unfolded, true);
    const quietest = eth0[eth0.length - 1];
    assert.ok(quietest);
    assert.ok(
      await hook<Point>(page, 'cellCenter', quietest.irq, 0),
      `the quietest eth0 queue, ${quietest.name}, is drawn`,
    );
    await page.screenshot({ path: artifactPath('dashboard-64cpu-eth0-unfolded.png') });
    await clickAt(page, await hook<Point>(page, 'rowCenter', 'group', eth0Key), "eth0's band");
    await until(page, 'eth0 folded again', (x) => x.shownRows === s.shownRows);
    await page.evaluate('document.getElementById("hm-scroll").scrollTop = 0');
  });

  it('has a colour legend, and the log scale draws a 770/s cell far hotter than the linear one', async () => {
    assert.equal(await page.isVisible('#legend'), true);
    assert.equal(await page.isVisible('#legend-scale'), true);
    const linear = await snapshot(page);
    assert.equal(linear.scale, 'linear');
    assert.ok(linear.legend.max > 10_000, `the scale tops at ${linear.legend.max}/s`);
    assert.deepEqual(
      linear.legend.ticks,
      [0, 0.25, 0.5, 0.75, 1].map((f) => f * linear.legend.max),
      'linear: 0, quarters and the top',
    );
    // An NVMe queue (~770/s, on its own CPU) and the busiest eth0 queue on CPU 0.
    const dist = await distribution(d, '5s');
    const nvme = dist.irqs.find((r) => r.name.startsWith('nvme0') && linear.labels.includes(r.name));
    const eth0 = dist.irqs
      .filter((r) => r.name.startsWith('eth0-'))
      .sort((a, b) => b.ratePerSecond - a.ratePerSecond)[0];
    assert.ok(nvme && eth0);
    const nvmeCpu = dist.cpus[nvme.perCpu.indexOf(Math.max(...nvme.perCpu))] ?? -1;
    const cells = async () => ({
      quiet: await hook<string | null>(page, 'cellColour', nvme.irq, nvmeCpu),
      busy: await hook<string | null>(page, 'cellColour', eth0.irq, 0),
    });
    const lin = await cells();
    await page.selectOption('#scale', 'log');
    const log = await until(page, 'the log scale', (x) => x.scale === 'log');
    const lg = await cells();
    assert.notEqual(lg.quiet, lin.quiet, 'the switch changes the colour drawn');
    // Linear: ~770 of ~48,000/s is the palest yellow; log puts it past the middle of the scale.
    assert.ok(green(lin.quiet) > 230, `linear ${lin.quiet}`);
    assert.ok(green(lg.quiet) < 150, `log ${lg.quiet}`);
    assert.ok(
      green(lin.busy) < 150 && green(lg.busy) < 150,
      `the busiest cell is hot on both: ${lin.busy}, ${lg.busy}`,
    );
    // Log ticks are the powers of ten below the top.
    assert.deepEqual(log.legend.ticks.slice(0, 5), [0, 10, 100, 1000, 10_000]);
    assert.equal(log.legend.ticks.at(-1), log.legend.max);
    await page.screenshot({ path: artifactPath('dashboard-64cpu-log.png') });
    await page.selectOption('#scale', 'linear');
  });

  it('marks the NUMA nodes and the isolated and nohz_full CPUs on the CPU axis', async () => {
    const s = await until(page, 'the topology of a plan', (x) => (x.axis?.nodes.length ?? 0) > 0);
    assert.deepEqual(s.axis?.nodes, [
      { node: 0, first: 0, last: 15 },
      { node: 1, first: 16, last: 31 },
      { node: 2, first: 32, last: 47 },
      { node: 3, first: 48, last: 63 },
    ]);
    assert.deepEqual(s.axis?.isolated, [56, 57, 58, 59, 60, 61, 62, 63]);
    assert.deepEqual(s.axis?.nohzFull, [60, 61, 62, 63]);
    // The tooltip of CPU 62's column says so too.
    await page.mouse.move(...(await axisPoint(page, 62)));
    const tip = await page.locator('#tooltip').innerText({ timeout: 30_000 });
    assert.match(tip, /^CPU 62: /);
    assert.match(tip, /^NUMA node 3 · isolated · nohz_full$/m);
    await page.mouse.move(0, 0);
  });

  it('Undo after Apply puts back every mask exactly: wide ones by restore, single CPUs by a write, pins kept', async () => {
    const moves = await newPlan(page);
    assert.ok(moves.length >= 10, `${moves.length} moves`);
    // Two of the IRQs to move were changed by irqkitd before, so its recorded original (0-7) is
    // not what they have now: A on one CPU, and C pinned there.
    const [a, c] = moves;
    assert.ok(a && c);
    const other = (m: { cpu: number }) => (m.cpu === 1 ? 2 : 1);
    await putAffinity(d, a.irq, other(a));
    await putAffinity(d, c.irq, other(c), true);
    const before = await affinities(d);
    const recordsBefore = await records(d);
    assert.equal(before.get(a.irq), String(other(a)));
    const wide = moves.filter((m) => before.get(m.irq) === '0-7');
    assert.equal(wide.length, moves.length - 2, 'the others have the wide boot-time mask');

    await page.click('#apply-btn');
    await until(page, 'the confirmation dialog', (s) => s.confirming);
    assert.equal(await page.locator('#apply-list tbody tr').count(), moves.length);
    await page.screenshot({ path: artifactPath('dashboard-64cpu-apply-dialog.png') });
    await page.click('#apply-confirm');
    await untilText(page, '#apply-result', new RegExp(`^Applied ${moves.length} moves`));
    for (const m of moves) assert.equal(d.irqFile(m.irq, 'smp_affinity_list'), String(m.cpu), `IRQ ${m.irq}`);

    await page.click('#undo-btn');
    await untilText(
      page,
      '#apply-result',
      new RegExp(`^Undone: ${moves.length} IRQs back as before the apply\\.$`),
    );
    assert.deepEqual(await affinities(d), before, "every IRQ's smp_affinity_list is as before the apply");
    // irqkitd's records too: C is still pinned, A and C keep their originals, and the records the
    // apply made for the wide ones went with their restore.
    assert.deepEqual(await records(d), recordsBefore);
    assert.deepEqual(recordsBefore.pins, [`${c.irq}→${other(c)}`]);
    assert.equal(posts(problems, '/api/v1/restore'), 1);
    assert.equal(posts(problems, '/api/v1/affinity'), 2, 'the apply, and the undo of A and C');
    await page.screenshot({ path: artifactPath('dashboard-64cpu-undone.png'), fullPage: true });
  });

  it('Undo leaves alone what changed since, and says how to put back a mask it cannot set', async () => {
    const moves = await newPlan(page);
    const [b, m2] = moves;
    assert.ok(b && m2);
    // B: irqkitd changed it once (original 0-7), then someone else gave it 0-3, which no API
    // write can set again.
    await putAffinity(d, b.irq, b.cpu === 1 ? 2 : 1);
    writeFileSync(join(d.procRoot, 'irq', b.irq, 'smp_affinity_list'), '0-3\n');
    const before = await affinities(d);
    assert.equal(before.get(b.irq), '0-3');
    await applyConfirmed(page, moves.length);
    // After the apply, someone moves the next one again.
    const elsewhere = m2.cpu === 3 ? 4 : 3;
    await putAffinity(d, m2.irq, elsewhere);

    await page.click('#undo-btn');
    const text = await untilText(page, '#apply-result', /^Undone: /);
    assert.match(text, new RegExp(`^Undone: ${moves.length - 2} IRQs back as before the apply\\.$`, 'm'));
    assert.match(
      text,
      new RegExp(
        `^IRQ ${b.irq} \\([^)]+\\) stays on CPU ${b.cpu}: it had 0-3 before, .*; to put it back: echo 0-3 > /proc/irq/${b.irq}/smp_affinity_list$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(`^IRQ ${m2.irq} \\([^)]+\\) has moved since \\(now ${elsewhere}\\): left as it is$`, 'm'),
    );
    const now = await affinities(d);
    assert.equal(now.get(b.irq), String(b.cpu));
    assert.equal(now.get(m2.irq), String(elsewhere));
    for (const [irq, list] of before) {
      if (irq !== b.irq && irq !== m2.irq) assert.equal(now.get(irq), list, `IRQ ${irq}`);
    }
    assert.equal((await snapshot(page)).undo, null, 'neither would go back on a second try');
    await page.screenshot({ path: artifactPath('dashboard-64cpu-undo-partial.png'), fullPage: true });
    noProblems(problems);
  });
});

/** A point on the NUMA band under a CPU's column, in viewport coordinates. */
async function axisPoint(page: Page, cpu: number): Promise<[number, number]> {
  const at = await hook<{ x: number; y: number } | null>(page, 'axisCenter', cpu);
  assert.ok(at, `CPU ${cpu} is on the axis`);
  return [at.x, at.y];
}

describe('dashboard in Chromium: the autopilot panel', { skip }, () => {
  let d: DaemonProcess;
  before(async () => {
    if (skip) return;
    d = await startDaemon(simArgs('8cpu,2node', ['--auto', '--auto-every', '1s', '--auto-window', '1s']));
    await hasHistory(d);
  });
  after(async () => {
    await d?.stop();
  });

  it('shows the state and the last decisions, and pauses and resumes it', async () => {
    const { page, problems } = await open(d);
    await untilText(page, '#auto-state', /^running$/);
    await untilText(page, '#auto-settings', /every 1 s on the last 1 s · at most 32 moves · cooldown 2 s/);
    // The first round moves IRQs off CPU 0: a row with its moves, busiest CPU before → after.
    const rounds = await untilText(page, '#auto-rounds tbody', /applied/);
    assert.match(rounds, /\d+: 0→[1-7]/);
    assert.match(rounds, /[\d,]+ → [\d,]+/);
    await page.screenshot({ path: artifactPath('dashboard-autopilot.png'), fullPage: true });

    await page.click('#auto-toggle');
    await untilText(page, '#auto-state', /^paused \(operator\)$/);
    assert.equal(await page.textContent('#auto-toggle'), 'Resume');
    const paused = (await d.request({ path: '/api/v1/auto' })).json<{ paused: boolean }>();
    assert.equal(paused.paused, true);
    await page.click('#auto-toggle');
    await untilText(page, '#auto-state', /^running$/);
    assert.equal((await d.request({ path: '/api/v1/auto' })).json<{ paused: boolean }>().paused, false);
    noProblems(problems);
    await page.close();
  });
});

describe('dashboard in Chromium: 256 CPUs × 2,049 IRQs', { skip }, () => {
  let d: DaemonProcess;
  before(async () => {
    if (skip) return;
    d = await startDaemon(
      ['--simulate', JSON.stringify(SIM_256CPU_2049IRQ), '--listen', '127.0.0.1:0', '--retention', '2m'],
      {
        startTimeoutMs: 60_000,
      },
    );
    await hasHistory(d);
    // Balance it first, so that the map shows a spread rather than one busy column.
    const r = await d.request({
      method: 'POST',
      path: '/api/v1/plan/apply',
      json: { window: '5s', wait: false },
      // A deadline against a hang: planning and writing 2,049 IRQs on a loaded machine took >10 s.
      timeoutMs: 120_000,
    });
    assert.equal(r.status, 200, r.text.slice(0, 500));
  });
  after(async () => {
    await d?.stop();
  });

  it('draws every row and column on one canvas, legibly, and keeps refreshing it', async () => {
    const { page, problems } = await open(d);
    const s = await until(page, 'all 2,049 rows', (x) => x.rows === 2049);
    assert.equal(s.cols, 256);
    assert.equal(s.groups, 9, 'six NICs, two NVMe drives and the timer');
    // How fast it draws is measured by `npm run bench:dashboard`, not asserted here.
    assert.ok(s.drawMs > 0, 'the page timed its frame');
    // Every CPU in the window's width, and each device's busiest IRQs by name, the rest folded.
    assert.ok(s.colWidth >= 4, `columns are ${s.colWidth} px wide`);
    assert.equal(s.mapWidth, s.viewWidth, 'no sideways scrolling');
    assert.equal(s.shownRows, 1 + 8 * 8, 'the timer and the 8 busiest of each 256-queue device');
    assert.equal(s.foldedIrqs, 2049 - s.shownRows);
    assert.ok(s.rowHeight >= 13, `rows are ${s.rowHeight} px, tall enough for names`);
    assert.ok(s.labels.length >= 30, `${s.labels.length} names drawn`);
    const marks = await until(page, 'the nodes on the axis', (x) => (x.axis?.nodes.length ?? 0) > 0);
    assert.deepEqual(marks.axis, {
      nodes: [
        { node: 0, first: 0, last: 127 },
        { node: 1, first: 128, last: 255 },
      ],
      isolated: [],
      nohzFull: [],
    });
    await page.screenshot({ path: artifactPath('dashboard-256cpu-2049irqs.png') });
    // 524,544 cells, and the DOM stays small: the map is one canvas.
    assert.equal(await page.evaluate('document.querySelectorAll("#hm-scroll *").length'), 2);
    await planShown(page);
    const nodes = (await page.evaluate('document.getElementsByTagName("*").length')) as number;
    assert.ok(nodes < 2_000, `${nodes} DOM nodes`);
    const seq = s.seq;
    await until(page, 'two refreshes', (x) => x.seq >= seq + 2);

    // The last row on the last CPU: its device unfolded, scrolled to, drawn and hovered.
    const lastIrq = String(Math.max(...(await distribution(d, '5s')).irqs.map((i) => Number(i.irq))));
    const device = await hook<string>(page, 'groupOf', lastIrq);
    const folded = await snapshot(page);
    if (folded.folds.some((f) => f.key === device)) {
      await clickAt(page, await hook<Point>(page, 'rowCenter', 'fold', device), `${device}'s folded row`);
      await until(page, `${device} unfolded`, (x) => x.shownRows === folded.shownRows + 248);
    }
    const at = await hook<Point>(page, 'cellCenter', lastIrq, 255);
    assert.ok(at);
    await page.mouse.move(at.x, at.y);
    assert.match(
      await page.locator('#tooltip').innerText({ timeout: 30_000 }),
      new RegExp(`^IRQ ${lastIrq} · `),
    );
    await page.mouse.move(0, 0);

    // Names become legible on demand: a filter and taller rows.
    await page.fill('#filter', 'eth3');
    await until(page, 'eth3 only', (x) => x.rows === 256);
    await page.selectOption('#density', '13');
    await until(page, '13 px rows', (x) => x.rowHeight === 13);
    await page.evaluate('document.getElementById("hm-scroll").scrollTop = 0');
    await page.screenshot({ path: artifactPath('dashboard-256cpu-eth3-rows.png') });
    await page.fill('#filter', '');
    await page.selectOption('#density', 'auto');
    await until(page, 'every row again', (x) => x.rows === 2049);
    noProblems(problems);
    await page.close();
  });
});
