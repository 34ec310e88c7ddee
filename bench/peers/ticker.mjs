// A /proc/interrupts that moves: `node ticker.mjs SRC DIR INTERVAL_MS` writes DIR/interrupts from
// SRC every INTERVAL_MS, each numbered row's non-zero per-CPU counts raised by one per tick
// (modulo 2^32, as the kernel's counters), written to a temporary file and renamed, so a reader
// never sees half a file. Used by the parsing bench so that irqkitd's history and IRQ×CPU series
// see the counters that really tick on that machine. Stops on SIGTERM.
import fs from 'node:fs';
import path from 'node:path';

const [src, dir, every = '1000'] = process.argv.slice(2);
if (!src || !dir) {
  process.stderr.write('usage: node ticker.mjs SRC DIR [INTERVAL_MS]\n');
  process.exit(64);
}
const text = fs.readFileSync(src, 'utf8');
const lines = text.split('\n');
const ncpu = (lines[0] ?? '').trim().split(/\s+/).length;

// Per numbered row: the label, the counts (with each one's field width) and the rest of the line.
const rows = lines.map((line) => {
  const m = /^(\s*\d+:)((?:\s+\d+)*)(.*)$/.exec(line);
  if (!m) return { line };
  const cells = [...m[2].matchAll(/(\s+)(\d+)/g)].slice(0, ncpu);
  const used = cells.reduce((n, c) => n + c[0].length, 0);
  return {
    label: m[1],
    counts: cells.map((c) => Number(c[2])),
    widths: cells.map((c) => c[0].length),
    rest: m[2].slice(used) + m[3],
  };
});

let tick = 0;
const target = path.join(dir, 'interrupts');
const tmp = path.join(dir, '.interrupts.tmp');
const write = () => {
  tick++;
  const out = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!r.counts) {
      out[i] = r.line;
      continue;
    }
    let s = r.label;
    for (let c = 0; c < r.counts.length; c++) {
      const v = r.counts[c];
      const now = v === 0 ? 0 : (v + tick) % 4294967296;
      s += ` ${String(now).padStart(r.widths[c] - 1, ' ')}`;
    }
    out[i] = s + r.rest;
  }
  fs.writeFileSync(tmp, out.join('\n'));
  fs.renameSync(tmp, target);
};
write();
const timer = setInterval(write, Number(every));
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.exit(0);
});
