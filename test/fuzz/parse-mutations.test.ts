/**
 * The parser on damaged and hostile /proc/interrupts text: every corpus file, randomly mutated
 * (byte flips, lost and repeated lines, truncation, absurd numbers, stray Unicode, CR/NUL, very
 * long lines), in lenient and strict mode. It may only return a well-formed snapshot or throw an
 * IrqkitError with one of the parser's catalogued codes, and what it returns must not poison
 * the daemon's sampler pipeline (diff, sparse history, window sums) with NaN or Infinity.
 *
 * "Never hangs" is checked by size, not by time: inputs go up to several megabytes (the 13 MB
 * corpus file plus megabyte-long pathological lines), so a quadratic scan would take hours and
 * the generous per-test `timeout` fails it, while the linear parser takes well under a second
 * per input. bench/parser-scaling.ts prints the time-per-byte figures behind that claim.
 *
 * Seeds are fixed so CI is reproducible; a failure prints the seed and the shrunk mutation list.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES, IrqkitError } from '../../src/core/errors.ts';
import { DeltaHistory, sparseInterval } from '../../src/core/history.ts';
import { parseInterrupts, renderInterrupts } from '../../src/core/parse-interrupts.ts';
import { diffSnapshots } from '../../src/core/rates.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import { corpusNames, readCorpus } from '../helpers/paths.ts';
import {
  applyMutations,
  describeMutations,
  mutationsArb,
  PATHOLOGICAL_SHAPES,
} from '../helpers/text-mutations.ts';

const BIG = '21-x86-1152cpu-i40e-smartpqi-pcp.txt';
const files = corpusNames();
const small = files.filter((f) => f !== BIG);
const texts = new Map<string, string>();
const text = (name: string): string => {
  let t = texts.get(name);
  if (t === undefined) {
    t = readCorpus(name);
    texts.set(name, t);
  }
  return t;
};
/** Each file's own parse, the "previous sample" for the pipeline property. */
const parsed = new Map<string, Snapshot>();
const original = (name: string): Snapshot => {
  let s = parsed.get(name);
  if (s === undefined) {
    s = parseInterrupts(text(name));
    parsed.set(name, s);
  }
  return s;
};

/** The codes parseInterrupts documents; anything else (or a non-IrqkitError) is a bug. */
const PARSER_CODES = new Set(['IRQ_ERR_NOT_INTERRUPTS', 'IRQ_ERR_PARSE']);

type Outcome = { ok: true; snapshot: Snapshot } | { ok: false; code: string };

/** Parses and classifies; rethrows anything that is not a catalogued parser error. */
function parse(input: string, strict: boolean): Outcome {
  try {
    return { ok: true, snapshot: parseInterrupts(input, { strict }) };
  } catch (e) {
    if (!(e instanceof IrqkitError)) {
      throw new Error(`parseInterrupts threw a ${(e as Error)?.constructor?.name}: ${String(e)}`, {
        cause: e,
      });
    }
    assert.ok(e.code in ERROR_CODES, `uncatalogued code ${e.code}`);
    assert.ok(PARSER_CODES.has(e.code), `the parser threw ${e.code}: ${e.message}`);
    if (strict) assert.equal(e.code === 'IRQ_ERR_PARSE' || e.code === 'IRQ_ERR_NOT_INTERRUPTS', true);
    return { ok: false, code: e.code };
  }
}

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** What every consumer of a snapshot relies on. */
function checkSnapshot(s: Snapshot, input: string): void {
  assert.ok(Array.isArray(s.cpus) && s.cpus.length > 0, 'a snapshot has CPUs');
  for (const c of s.cpus) assert.ok(isCount(c), `CPU id ${c} is a non-negative safe integer`);
  // A line number is within the text (split the way the parser does, closely enough: + 1 slack
  // for a CR-only text).
  const maxLine = input.split('\n').length + input.split('\r').length;
  for (const r of s.rows) {
    assert.equal(typeof r.label, 'string');
    assert.ok(r.label.length > 0, 'a row has a label');
    assert.ok(r.counts.length <= s.cpus.length, `row ${r.label}: ${r.counts.length} counts > CPUs`);
    for (const c of r.counts) assert.ok(isCount(c), `row ${r.label}: count ${c} is a safe integer`);
    assert.ok(Number.isFinite(r.total) && r.total >= 0, `row ${r.label}: total ${r.total}`);
    assert.ok(Number.isInteger(r.occurrence) && r.occurrence >= 0);
    assert.ok(Number.isInteger(r.line) && r.line >= 1 && r.line <= maxLine, `row line ${r.line}`);
    if (r.numeric) assert.ok(Array.isArray(r.actions), `numeric row ${r.label} has actions`);
  }
  for (const w of s.warnings) {
    assert.ok(Number.isInteger(w.line) && w.line >= 1 && w.line <= maxLine, `warning line ${w.line}`);
    assert.ok(w.text.length <= 120, 'warning text is cut');
  }
}

/** The daemon's sampler path on top of the parse: diff, sparse interval, history window. */
function checkPipeline(prev: Snapshot, curr: Snapshot): void {
  for (const [a, b] of [
    [prev, curr],
    [curr, prev],
  ] as const) {
    let delta: ReturnType<typeof diffSnapshots>;
    try {
      delta = diffSnapshots(a, b, { seconds: 1 });
    } catch (e) {
      // A typed refusal (a header naming a CPU twice) is the sampler's to record as an error
      // (sampler-hostile-reads.test.ts checks that it does); anything else is a bug.
      if (!(e instanceof IrqkitError) || !(e.code in ERROR_CODES)) throw e;
      continue;
    }
    for (const r of delta.rows) {
      assert.ok(Number.isFinite(r.total) && r.total >= 0, `delta ${r.key}: total ${r.total}`);
      for (const v of r.perCpu) assert.ok(Number.isFinite(v) && v >= 0, `delta ${r.key}: ${v}`);
    }
    for (const v of delta.cpuTotals) assert.ok(Number.isFinite(v) && v >= 0, `cpu total ${v}`);
    const history = new DeltaHistory(10_000);
    history.add(sparseInterval(0, 1000, delta), b);
    const w = history.window(1000, b);
    assert.ok(w, 'one interval makes a window');
    for (const r of w.snapshot.rows) {
      for (const v of r.counts) assert.ok(Number.isFinite(v) && v >= 0, `window ${r.label}: ${v}`);
    }
  }
}

/** One fuzz case: both modes, invariants, pipeline, renderer. Returns the lenient outcome. */
function fuzzCase(name: string, input: string): Outcome {
  const lenient = parse(input, false);
  const strict = parse(input, true);
  if (lenient.ok) {
    checkSnapshot(lenient.snapshot, input);
    checkPipeline(original(name), lenient.snapshot);
    // Strict mode fails exactly where lenient mode warns.
    if (lenient.snapshot.warnings.length === 0)
      assert.ok(strict.ok, 'strict refused a text without warnings');
    else
      assert.deepEqual(
        strict,
        { ok: false, code: 'IRQ_ERR_PARSE' },
        'strict accepted what lenient warned about',
      );
    renderInterrupts(lenient.snapshot);
  } else {
    assert.deepEqual(strict, lenient, 'strict and lenient refuse the same text alike');
  }
  return lenient;
}

/** Tallies for the test log (docs/robustness.md quotes them). */
function tally(): { cases: number; parsed: number; refused: Map<string, number>; warned: number } {
  return { cases: 0, parsed: 0, refused: new Map(), warned: 0 };
}
function count(t: ReturnType<typeof tally>, o: Outcome): void {
  t.cases++;
  if (o.ok) {
    t.parsed++;
    if (o.snapshot.warnings.length > 0) t.warned++;
  } else t.refused.set(o.code, (t.refused.get(o.code) ?? 0) + 1);
}
function report(what: string, t: ReturnType<typeof tally>): void {
  const refused = [...t.refused].map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
  console.log(
    `# ${what}: ${t.cases} cases, ${t.parsed} parsed (${t.warned} with warnings), refused: ${refused}`,
  );
}

describe('parseInterrupts on mutated corpus files', () => {
  it(`the ${small.length} small corpus files: only snapshots or catalogued parser errors, in both modes`, {
    timeout: 300_000,
  }, () => {
    const t = tally();
    fc.assert(
      fc.property(
        fc.constantFrom(...small),
        mutationsArb({ maxMutations: 8, maxRepeat: 20_000 }),
        (name, mutations) => {
          const input = applyMutations(text(name), mutations);
          try {
            count(t, fuzzCase(name, input));
          } catch (e) {
            throw new Error(`${name} with ${describeMutations(mutations)}: ${(e as Error).message}`, {
              cause: e,
            });
          }
        },
      ),
      { seed: 0x1a2b3c, numRuns: 5000, includeErrorInReport: true },
    );
    report('small corpus files', t);
  });

  it('the 13 MB 1152-CPU file: the same, with megabyte-long inserted lines', { timeout: 600_000 }, () => {
    const t = tally();
    fc.assert(
      fc.property(mutationsArb({ maxMutations: 4, maxRepeat: 1_000_000 }), (mutations) => {
        const input = applyMutations(text(BIG), mutations);
        try {
          count(t, fuzzCase(BIG, input));
        } catch (e) {
          throw new Error(`${BIG} with ${describeMutations(mutations)}: ${(e as Error).message}`, {
            cause: e,
          });
        }
      }),
      { seed: 0x5eed13, numRuns: 12, includeErrorInReport: true },
    );
    report('13 MB file', t);
  });
});

describe('parseInterrupts on pathological shapes of several megabytes', () => {
  for (const [what, make] of Object.entries(PATHOLOGICAL_SHAPES)) {
    it(`${what}: a snapshot or a catalogued error, at up to ~4 MB`, { timeout: 120_000 }, () => {
      for (const n of [1_000, 100_000, 500_000]) {
        const input = make(n);
        for (const strict of [false, true]) {
          const o = parse(input, strict);
          if (o.ok) checkSnapshot(o.snapshot, input);
        }
      }
    });
  }
});
