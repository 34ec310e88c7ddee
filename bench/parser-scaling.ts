/**
 * `node --import tsx bench/parser-scaling.ts [--quick]`: is parseInterrupts linear on hostile
 * input? Times each pathological shape of test/helpers/text-mutations.ts at doubling sizes and
 * prints ns per byte and the time ratio of each doubling (about 2 when linear, 4 when quadratic),
 * then the 13 MB corpus file against mutated copies of it. Figures only; asserts nothing. The
 * fuzz tests bound input sizes instead of timing them; these are the figures behind those bounds.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { IrqkitError } from '../src/core/errors.ts';
import { parseInterrupts } from '../src/core/parse-interrupts.ts';
import { applyMutations, mutationsArb, PATHOLOGICAL_SHAPES } from '../test/helpers/text-mutations.ts';
import { CORPUS_1152 } from './paths.ts';
import { median, section, table } from './report.ts';

const quick = process.argv.includes('--quick');

/** Best of `runs` timings of lenient + strict parses of `text`, in ms (typed refusals count). */
function time(text: string, runs: number): number {
  const once = (): void => {
    for (const strict of [false, true]) {
      try {
        parseInterrupts(text, { strict });
      } catch (e) {
        if (!(e instanceof IrqkitError)) throw e;
      }
    }
  };
  once(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    once();
    times.push(performance.now() - t);
  }
  return Math.min(...times);
}

function main(): void {
  const out = (line: string): void => console.log(line);
  out(`irqkit parser scaling — Node ${process.version}${quick ? ' (quick)' : ''}`);
  out(section('Pathological shapes: lenient + strict parse, best of 3, at doubling sizes'));
  const sizes = quick ? [62_500, 125_000, 250_000] : [125_000, 250_000, 500_000, 1_000_000];
  const rows: string[][] = [];
  let worst = { what: '', ratio: 0 };
  for (const [what, make] of Object.entries(PATHOLOGICAL_SHAPES)) {
    const results = sizes.map((n) => {
      const text = make(n);
      return { bytes: text.length, ms: time(text, 3) };
    });
    const ratios: number[] = [];
    for (let i = 1; i < results.length; i++) {
      const a = results[i - 1] as { ms: number };
      const b = results[i] as { ms: number };
      ratios.push(b.ms / Math.max(a.ms, 0.01));
    }
    const last = results[results.length - 1] as { bytes: number; ms: number };
    const r = median(ratios);
    if (r > worst.ratio) worst = { what, ratio: r };
    rows.push([
      what,
      `${(last.bytes / 1e6).toFixed(1)} MB`,
      last.ms.toFixed(1),
      ((last.ms * 1e6) / last.bytes).toFixed(1),
      ratios.map((x) => x.toFixed(2)).join(' '),
    ]);
  }
  out(
    table(
      [
        { header: 'shape' },
        { header: 'largest', align: 'right' },
        { header: 'ms', align: 'right' },
        { header: 'ns/char', align: 'right' },
        { header: 'time ×, per size ×2', align: 'right' },
      ],
      rows,
    ),
  );
  out(
    `  highest median doubling ratio: ${worst.ratio.toFixed(2)} (${worst.what}); linear ≈ 2, quadratic ≈ 4`,
  );

  out(section('13 MB 1152-CPU corpus file, as is and mutated (lenient + strict, best of 2)'));
  const text = readFileSync(CORPUS_1152, 'utf8');
  const base = time(text, 2);
  const mutated = fc.sample(mutationsArb({ maxMutations: 4, maxRepeat: 1_000_000 }), {
    seed: 0x5eed13,
    numRuns: quick ? 4 : 12,
  });
  // ns per character only for inputs of a megabyte or more: a mutation that truncates the file
  // to a few bytes leaves nothing to time.
  const perByte: number[] = [];
  let tiny = 0;
  for (const m of mutated) {
    const t = applyMutations(text, m);
    if (t.length < 1e6) tiny++;
    else perByte.push((time(t, 2) * 1e6) / t.length);
  }
  const n = perByte.length;
  out(
    table(
      [{ header: 'input' }, { header: 'ns/char', align: 'right' }],
      [
        ['as is', ((base * 1e6) / text.length).toFixed(1)],
        [`${n} mutated copies ≥ 1 MB, median`, n > 0 ? median(perByte).toFixed(1) : '—'],
        [`${n} mutated copies ≥ 1 MB, max`, n > 0 ? Math.max(...perByte).toFixed(1) : '—'],
      ],
    ),
  );
  if (tiny > 0)
    out(`  (${tiny} mutated cop${tiny === 1 ? 'y was' : 'ies were'} cut below 1 MB and not timed)`);
}

main();
