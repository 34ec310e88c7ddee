/**
 * The dashboard page as served, without a browser: GET / in the route table and the OpenAPI
 * document, the CSP hashes matching exactly what is inlined, nothing loaded from elsewhere, the
 * page script type-checked against the DOM, and the real bundled daemon serving its inlined
 * (minified) copy through the usual Host check. dashboard-browser.test.ts runs it in Chromium.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  assembleDashboard,
  DASHBOARD_CONTENT_TYPE,
  type DashboardSources,
  dashboardSources,
} from '../../src/daemon/dashboard.ts';
import { buildOpenApi } from '../../src/daemon/http/openapi.ts';
import { isMutating } from '../../src/daemon/http/route.ts';
import { buildRoutes } from '../../src/daemon/routes.ts';
import type { IrqService } from '../../src/daemon/service.ts';
import { bundlePath } from '../helpers/cli.ts';
import { type DaemonProcess, simArgs, startDaemon } from '../helpers/daemon-process.ts';
import { after, before } from '../helpers/node-test-hooks.ts';
import { repoRoot } from '../helpers/paths.ts';

function routes() {
  return buildRoutes({
    service: {} as IrqService,
    version: 'test',
    readOnly: false,
    startedAt: 0,
    now: () => 0,
    metricsBody: () => [],
    planner: () => {
      throw new Error('this route table is only listed, never served');
    },
    eventLoop: () => {
      throw new Error('this route table is only listed, never served');
    },
    openapi: () => {
      throw new Error('this route table is only listed, never served');
    },
    retentionMs: 60_000,
  });
}

function sources(): DashboardSources {
  const src = dashboardSources();
  assert.ok(src, 'the dashboard sources are in src/daemon/dashboard/ (tests run from the repository)');
  return src;
}

/** The one inline <style> and <script> of a page, and its CSP's hashes. */
function inlined(
  html: string,
  csp: string,
): { style: string; script: string; styleSrc: string; scriptSrc: string } {
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
  assert.equal(styles.length, 1, 'one inline <style>');
  assert.equal(scripts.length, 1, 'one inline <script>');
  assert.equal((html.match(/<script/g) ?? []).length, 1, 'no other <script> element');
  assert.equal((html.match(/<style/g) ?? []).length, 1, 'no other <style> element');
  const directive = (name: string): string => {
    const d = csp.split(';').map((s) => s.trim());
    const hit = d.find((s) => s.startsWith(`${name} `));
    assert.ok(hit, `CSP has ${name}`);
    return hit.slice(name.length + 1);
  };
  return {
    style: styles[0]?.[1] ?? '',
    script: scripts[0]?.[1] ?? '',
    styleSrc: directive('style-src'),
    scriptSrc: directive('script-src'),
  };
}

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

function checkPage(html: string, csp: string): void {
  const p = inlined(html, csp);
  // Exactly the inlined text is allowed: no 'unsafe-inline', no 'unsafe-eval', nothing else.
  assert.equal(p.scriptSrc, sha256(p.script));
  assert.equal(p.styleSrc, sha256(p.style));
  for (const d of ["default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
    assert.ok(csp.includes(d), `CSP has ${d}`);
  }
  assert.doesNotMatch(csp, /unsafe|\*|https?:/);
  // Nothing from elsewhere: no URL but the data: favicon, no CSS imports or url().
  assert.doesNotMatch(html, /https?:\/\//);
  assert.deepEqual(html.match(/\b(?:src|href)\s*=\s*"[^"]*"/g), ['href="data:,"']);
  assert.doesNotMatch(p.style, /@import|url\(/);
  // Every request of the script is a relative path on this daemon's API.
  const paths = [...p.script.matchAll(/['"`](\/[a-z][^'"`$?]*)/g)].map((m) => m[1]);
  for (const path of paths) assert.match(path ?? '', /^\/(api\/v1\/|healthz$)/, `script fetches ${path}`);
}

describe('the dashboard page', () => {
  it('is GET / in the route table: non-mutating, text/html, in the OpenAPI document', () => {
    const table = routes();
    const route = table.find((r) => r.path === '/');
    assert.ok(route);
    assert.equal(route.method, 'GET');
    assert.equal(isMutating(route), false);
    assert.deepEqual(route.produces, [DASHBOARD_CONTENT_TYPE]);
    const doc = buildOpenApi(table, { title: 'irqkitd', version: 'test' });
    const op = doc.paths['/']?.get as {
      operationId: string;
      responses: Record<string, { content?: object }>;
    };
    assert.equal(op.operationId, 'getDashboard');
    assert.deepEqual(Object.keys(op.responses['200']?.content ?? {}), [DASHBOARD_CONTENT_TYPE]);
  });

  it('allows, by hash, exactly the style and script it inlines, and loads nothing from elsewhere', () => {
    const page = assembleDashboard(sources());
    checkPage(page.html, page.headers['Content-Security-Policy'] ?? '');
    assert.equal(page.headers['X-Frame-Options'], 'DENY');
  });

  it('refuses sources that would break out of their element, and keeps $ patterns literal', () => {
    const src = sources();
    assert.throws(() => assembleDashboard({ ...src, js: 'a("</script>")' }), /<\/script/);
    assert.throws(() => assembleDashboard({ ...src, css: 'a{}</style>' }), /<\/style/);
    assert.throws(() => assembleDashboard({ ...src, html: '<p>no slots</p>' }), /must hold/);
    const page = assembleDashboard({ ...src, js: "x.replace(/a/, '$&$1')" });
    assert.ok(page.html.includes("x.replace(/a/, '$&$1')"));
  });

  it("asks before it writes with its own <dialog>, never the browser's confirm, alert or prompt", () => {
    const src = sources();
    // A browser's own prompt cannot be styled, lists nothing and blocks the page (and its tests).
    assert.doesNotMatch(src.js, /(?<![\w$.])(?:window\.)?(?:confirm|alert|prompt)\s*\(/);
    assert.match(
      src.html,
      /<dialog id="apply-dialog"[^>]*>[\s\S]*id="apply-cancel"[\s\S]*id="apply-confirm"[\s\S]*<\/dialog>/,
    );
    assert.match(src.html, /<button type="button" id="undo-btn" hidden>/);
  });

  it('has a script that type-checks against the DOM (src/daemon/dashboard/tsconfig.json)', () => {
    const tsc = join(repoRoot(), 'node_modules', '.bin', 'tsc');
    assert.ok(existsSync(tsc), `${tsc} is missing: npm ci`);
    const r = spawnSync(tsc, ['-p', join(repoRoot(), 'src', 'daemon', 'dashboard', 'tsconfig.json')], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  describe('served by the bundled daemon', () => {
    let d: DaemonProcess;
    before(async () => {
      d = await startDaemon(simArgs('4cpu'));
    });
    after(async () => {
      await d?.stop();
    });

    it('answers GET / with the page inlined in the bundle, its CSP and no CORS', async () => {
      const r = await d.request({ path: '/' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], DASHBOARD_CONTENT_TYPE);
      const csp = String(r.headers['content-security-policy']);
      checkPage(r.text, csp);
      assert.equal(r.headers['x-frame-options'], 'DENY');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.deepEqual(
        Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
        [],
      );
      assert.match(r.text, /<canvas id="heatmap"/);
      // The bundle's copy (minified at build), not the source tree's: the daemon is one file.
      const script = inlined(r.text, csp).script;
      assert.notEqual(script, sources().js);
      assert.ok(readFileSync(bundlePath('irqkitd'), 'utf8').includes('irqkitDashboard'));
    });

    it('goes through the same checks as the API: Host, methods, HEAD', async () => {
      const rebound = await d.request({ path: '/', host: 'evil.example' });
      assert.equal(rebound.status, 421);
      assert.equal(rebound.json().code, 'IRQ_ERR_HOST');
      const post = await d.request({ method: 'POST', path: '/', json: {} });
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
      const head = await d.request({ method: 'HEAD', path: '/' });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
    });
  });
});
