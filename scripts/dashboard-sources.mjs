// The dashboard page's sources for the IRQKIT_DASHBOARD define (src/daemon/dashboard.ts): the
// HTML as written, the script and the CSS minified (which also syntax-checks the script).
import { readFileSync } from 'node:fs';
import { transform } from 'esbuild';

const dir = 'src/daemon/dashboard';

export async function dashboardSources() {
  const read = (name) => readFileSync(`${dir}/${name}`, 'utf8');
  // Browsers from 2021 on: the page uses ?., ??, and numeric separators, nothing newer.
  const js = await transform(read('page.js'), {
    loader: 'js',
    minify: true,
    target: 'es2020',
    legalComments: 'none',
  });
  const css = await transform(read('page.css'), { loader: 'css', minify: true, target: 'chrome90' });
  return { html: read('page.html'), css: css.code.trim(), js: js.code.trim() };
}
