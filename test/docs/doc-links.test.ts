/**
 * Every relative link in the README, CONTRIBUTING and docs/ resolves: the file exists, and an
 * anchor names a heading of that file (GitHub's slugs). Links inside code are not links.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

const root = repoRoot();
const FILES = [
  'README.md',
  'CONTRIBUTING.md',
  'bench/README.md',
  'testbed/README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text without fenced code blocks and inline code. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of markdown.replace(/^```[\s\S]*?^```/gm, '').split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const slug = (m[1] as string)
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

describe('documentation links', () => {
  for (const file of FILES) {
    it(`${file}: every relative link and anchor resolves`, () => {
      const text = readFileSync(join(root, file), 'utf8');
      const broken: string[] = [];
      for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1] as string;
        if (/^(https?:|mailto:)/.test(target)) continue;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const resolved = path === '' ? join(root, file) : join(root, dirname(file), path);
        if (!existsSync(resolved)) {
          broken.push(`${target}: no file ${relative(root, resolved)}`);
          continue;
        }
        if (
          anchor !== undefined &&
          resolved.endsWith('.md') &&
          !anchors(readFileSync(resolved, 'utf8')).has(anchor)
        ) {
          broken.push(`${target}: no heading #${anchor} in ${relative(root, resolved)}`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }

  it('the README is the front door: under 250 lines', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n').length;
    assert.ok(lines < 250, `README.md has ${lines} lines`);
  });

  it("the README states the Node version package.json's engines requires", () => {
    const engines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node as string;
    const version = /^>=\s*([\d.]+)$/.exec(engines)?.[1];
    assert.ok(version, engines);
    assert.match(
      readFileSync(join(root, 'README.md'), 'utf8'),
      new RegExp(`Node ≥ ${version.replace(/\./g, '\\.')}\\b`),
    );
  });
});
