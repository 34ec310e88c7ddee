/**
 * `npm run bench:dashboard`: how fast the dashboard draws the 256-CPU × 2,049-IRQ simulated
 * machine in Chromium (Debian's, through playwright-core): the time from opening the page to the
 * first full map, and the page's own time per frame over several 1 s refreshes. Prints figures;
 * asserts nothing (test/daemon/dashboard-browser.test.ts checks what the page draws). The daemon
 * is the bundle, so run `npm run build` first (the npm script does).
 */
import type { Page } from 'playwright-core';
import { browserSkip, launchChromium } from '../test/helpers/browser.ts';
import { startDaemon } from '../test/helpers/daemon-process.ts';
import { SIM_256CPU_2049IRQ } from '../test/helpers/sim-dashboard-256cpu.ts';
import { median, ms, section, table } from './report.ts';

const FRAMES = 8;

interface Snapshot {
  seq: number;
  rows: number;
  drawMs: number;
}

const snapshot = (page: Page): Promise<Snapshot | null> =>
  page.evaluate('window.irqkitDashboard?.snapshot() ?? null') as Promise<Snapshot | null>;

/** Polls the page until `test` holds (no deadline: a bench waits as long as the page takes). */
async function until(page: Page, test: (s: Snapshot) => boolean): Promise<Snapshot> {
  for (;;) {
    const s = await snapshot(page).catch(() => null);
    if (s && test(s)) return s;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const skip = browserSkip();
  if (skip) {
    console.error(`bench:dashboard: ${skip}`);
    process.exit(69);
  }
  const d = await startDaemon(
    ['--simulate', JSON.stringify(SIM_256CPU_2049IRQ), '--listen', '127.0.0.1:0', '--retention', '2m'],
    { startTimeoutMs: 120_000 },
  );
  const browser = await launchChromium();
  try {
    // Balanced first, as in the test, so that the map shows a spread rather than one busy column.
    await d.request({
      method: 'POST',
      path: '/api/v1/plan/apply',
      json: { window: '5s' },
      timeoutMs: 60_000,
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const opened = performance.now();
    await page.goto(`${d.urls[0]}/`);
    const first = await until(page, (s) => s.rows === 2049);
    const firstMapMs = performance.now() - opened;
    const frames = [first.drawMs];
    let seq = first.seq;
    while (frames.length < FRAMES) {
      const s = await until(page, (x) => x.seq > seq);
      frames.push(s.drawMs);
      seq = s.seq;
    }
    console.log(section('Dashboard: 256 CPUs × 2,049 IRQs in Chromium'));
    console.log(
      table(
        [{ header: 'figure' }, { header: 'ms', align: 'right' }],
        [
          ['page opened → first full map', ms(firstMapMs)],
          [`one frame, median of ${FRAMES}`, ms(median(frames))],
          [`one frame, max of ${FRAMES}`, ms(Math.max(...frames))],
        ],
      ),
    );
    await page.close();
  } finally {
    await browser.close();
    await d.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:dashboard: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(70);
});
