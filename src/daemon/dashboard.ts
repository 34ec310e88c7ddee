/**
 * The web dashboard irqkitd serves at GET /: one HTML document with its CSS and script inline,
 * so the daemon stays a single file with no assets to install or find at run time.
 *
 * The sources are dashboard/page.{html,css,js}. scripts/build.mjs inlines them into the bundle
 * (the IRQKIT_DASHBOARD define, the JS and CSS minified); unbundled runs (tsx, in development)
 * read them from the source tree instead.
 *
 * The Content-Security-Policy allows exactly that inline style and script, by hash, and requests
 * to this origin only: no other script can run in the page, and the page can talk to nothing but
 * this daemon. frame-ancestors 'none' stops another site from framing the Apply button
 * (clickjacking); the API's own defences (Host check, JSON content type, no CORS) stay as they are.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DashboardSources {
  html: string;
  css: string;
  js: string;
}

export interface DashboardPage {
  html: string;
  headers: Record<string, string>;
}

export const DASHBOARD_CONTENT_TYPE = 'text/html; charset=utf-8';

declare const IRQKIT_DASHBOARD: DashboardSources | undefined;

const CSS_SLOT = '/*IRQKIT_CSS*/';
const JS_SLOT = '/*IRQKIT_JS*/';

/** The page's sources: from the bundle, else from the source tree (run from the repository root). */
export function dashboardSources(): DashboardSources | null {
  if (typeof IRQKIT_DASHBOARD === 'object') return IRQKIT_DASHBOARD;
  const dir = join('src', 'daemon', 'dashboard');
  try {
    const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
    return { html: read('page.html'), css: read('page.css'), js: read('page.js') };
  } catch {
    return null;
  }
}

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Puts the CSS and script into the HTML and derives the CSP from exactly what was inlined.
 * Throws on sources that would break out of their element: a startup bug, not a runtime one.
 */
export function assembleDashboard(src: DashboardSources): DashboardPage {
  if (/<\/style/i.test(src.css)) throw new Error('dashboard CSS must not contain </style');
  if (/<\/script|<!--/i.test(src.js)) throw new Error('dashboard script must not contain </script or <!--');
  const [beforeCss, afterCss, ...moreCss] = src.html.split(CSS_SLOT);
  if (beforeCss === undefined || afterCss === undefined || moreCss.length > 0) {
    throw new Error(`dashboard HTML must hold ${CSS_SLOT} once`);
  }
  const [beforeJs, afterJs, ...moreJs] = afterCss.split(JS_SLOT);
  if (beforeJs === undefined || afterJs === undefined || moreJs.length > 0) {
    throw new Error(`dashboard HTML must hold ${JS_SLOT} once, after ${CSS_SLOT}`);
  }
  // split/join, not replace(): `$&` and friends in the sources must stay as they are.
  const html = beforeCss + src.css + beforeJs + src.js + afterJs;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(src.js)}`,
    `style-src ${sha256(src.css)}`,
    "connect-src 'self'",
    // The favicon is an empty data: URL, so the browser never asks for /favicon.ico.
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html,
    headers: {
      'Content-Security-Policy': csp,
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    },
  };
}

const MISSING: DashboardPage = {
  html: '<!doctype html><title>irqkitd</title><p>This irqkitd was started from sources without the dashboard files; run it from the repository root, or build it (npm run build).</p>',
  headers: { 'Content-Security-Policy': "default-src 'none'", 'X-Frame-Options': 'DENY' },
};

let cached: DashboardPage | undefined;

/** The page and its headers, assembled once. */
export function dashboardPage(): DashboardPage {
  if (cached === undefined) {
    const src = dashboardSources();
    cached = src === null ? MISSING : assembleDashboard(src);
  }
  return cached;
}
