/**
 * Real Chromium for the dashboard tests: Debian's /usr/bin/chromium (IRQKIT_CHROMIUM names
 * another) driven by playwright-core, which never downloads a browser of its own here.
 *
 * playwright-core is loaded with a computed specifier, so the Node 16 run (which bundles every
 * test with esbuild) neither bundles it nor needs it: it skips these tests, since playwright
 * needs Node 20.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from './paths.ts';

export const CHROMIUM = process.env.IRQKIT_CHROMIUM || '/usr/bin/chromium';

/** Headless, no sandbox (root in a container), and nothing that phones home or updates itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const PLAYWRIGHT = 'playwright-core';

/** Why the browser tests cannot run here, or false when they can. */
export function browserSkip(): string | false {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20)
    return `playwright-core needs Node >= 20 (this is ${process.version}); the Node 20 run covers it`;
  if (!existsSync(CHROMIUM))
    return `${CHROMIUM} is missing (apt-get install -y chromium); skipping the browser tests`;
  try {
    createRequire(join(repoRoot(), 'package.json')).resolve(PLAYWRIGHT);
  } catch {
    return `${PLAYWRIGHT} is not installed (npm ci installs it); skipping the browser tests`;
  }
  return false;
}

/**
 * A fresh browser. Playwright gives every launch a new temporary profile (--user-data-dir) and
 * removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  const specifier = PLAYWRIGHT;
  const pw = (await import(specifier)) as typeof import('playwright-core');
  return pw.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Everything a page did wrong: console errors, uncaught exceptions, failed or refused requests. */
export interface PageProblems {
  list: string[];
  /** Every request the page made, as 'METHOD path'. */
  requests: string[];
}

export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { list: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      problems.list.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.list.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation away or a closed page aborts requests in flight; that is not the page's fault.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') {
      problems.list.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
    }
  });
  page.on('request', (r) => problems.requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.list.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return problems;
}

/** test-artifacts/ (gitignored), created on demand. */
export function artifactPath(name: string): string {
  const dir = join(repoRoot(), 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
