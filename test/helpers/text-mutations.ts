/**
 * Random damage to /proc/interrupts text, for fuzzing the parser: byte flips, lost and repeated
 * lines, truncation, absurd numbers, stray Unicode (lone surrogates, bidi controls, NUL, CR) and
 * very long lines. Positions are drawn as plain naturals and taken modulo the text's size, so one
 * mutation list applies to any corpus file and shrinks towards the start of the file.
 */
import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'delete-lines'; at: number; count: number }
  | { kind: 'duplicate-lines'; at: number; count: number; times: number }
  | { kind: 'swap-lines'; a: number; b: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replace-number'; line: number; nth: number; digits: string }
  | { kind: 'long-line'; at: number; unit: string; repeat: number; ownLine: boolean }
  | { kind: 'header'; op: 'duplicate' | 'drop' | 'renumber' | 'add'; index: number; other: number };

/** Characters a kernel never prints but a damaged or hostile file may hold. */
const ODD_CHARS = [
  '\u0000', // NUL
  '\r',
  '\r\n',
  '\n',
  '\t',
  '\u000b', // vertical tab (a blank to the parser)
  '\u000c',
  '\u0085', // NEL
  '\u00a0', // no-break space: String.prototype.trim() removes it, the parser's own scan does not
  '\u2028',
  '\u2029',
  '\u200e', // LRM
  '\u200f', // RLM
  '\u202e', // RLO: makes "CPU0" display reversed
  '\u2066',
  '\ufeff', // BOM in the middle of the text
  '\ufffd',
  '\u0663', // ARABIC-INDIC DIGIT THREE: a digit to Unicode, not to the parser
  '\uff11', // FULLWIDTH DIGIT ONE
  ':',
  '-',
  ',',
  'CPU',
  'IPI',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Short runs of anything: any code point, lone surrogates, the odd characters above. */
export const strayText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      loneSurrogate,
      fc.constantFrom(...ODD_CHARS),
      fc.string({ unit: 'binary-ascii', maxLength: 8 }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** Numbers no kernel prints: beyond 2^32, 2^53, 2^64 and a double's range, signed, hex, exponents. */
export const absurdNumber: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '4294967296',
    '9007199254740992',
    '9007199254740993',
    '18446744073709551616',
    '-1',
    '-0',
    '+5',
    '0x10',
    '1e309',
    '1.5',
    '00000000000000000000000000000000001',
    'NaN',
    'Infinity',
  ),
  fc.integer({ min: 16, max: 400 }).map((n) => '9'.repeat(n)),
  fc.integer({ min: 1, max: 5000 }).map((n) => `1${'0'.repeat(n)}`),
);

/** Building blocks of pathological long lines: each one is something the parser scans for. */
export const LONG_LINE_UNITS = [
  '9',
  '9 ',
  ' ',
  ':',
  '1:',
  'CPU0 ',
  'CPU',
  '-',
  'x-',
  '1-edge ',
  'Level ',
  'IPI0:',
  ', ',
  '\t',
  '\r',
  '\u0000',
  'é',
  '\ud800',
] as const;

export function mutationArb(options: { maxRepeat: number }): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({
      kind: fc.constant('delete-lines' as const),
      at: fc.nat(),
      count: fc.integer({ min: 1, max: 20 }),
    }),
    fc.record({
      kind: fc.constant('duplicate-lines' as const),
      at: fc.nat(),
      count: fc.integer({ min: 1, max: 5 }),
      times: fc.integer({ min: 1, max: 50 }),
    }),
    fc.record({ kind: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: strayText }),
    fc.record({
      kind: fc.constant('replace-number' as const),
      line: fc.nat(),
      nth: fc.nat({ max: 2000 }),
      digits: absurdNumber,
    }),
    fc.record({
      kind: fc.constant('long-line' as const),
      at: fc.nat(),
      unit: fc.constantFrom(...LONG_LINE_UNITS),
      repeat: fc.integer({ min: 1, max: options.maxRepeat }),
      ownLine: fc.boolean(),
    }),
    // The header decides every column, so it gets edits of its own: a CPU named twice, a
    // column lost or gained, an id renumbered (up to beyond 4096).
    fc.record({
      kind: fc.constant('header' as const),
      op: fc.constantFrom('duplicate' as const, 'drop' as const, 'renumber' as const, 'add' as const),
      index: fc.nat(),
      other: fc.nat({ max: 5000 }),
    }),
  );
}

export function mutationsArb(options: { maxMutations: number; maxRepeat: number }): fc.Arbitrary<Mutation[]> {
  return fc.array(mutationArb(options), { minLength: 1, maxLength: options.maxMutations });
}

/** Where a line starts, for line-level edits that should not need a full split of a 13 MB text. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineSpan(text: string, starts: readonly number[], index: number): [number, number] {
  const start = starts[index] ?? text.length;
  const next = starts[index + 1];
  return [start, next === undefined ? text.length : next];
}

function applyOne(text: string, m: Mutation): string {
  if (text.length === 0) return m.kind === 'insert' ? m.text : text;
  switch (m.kind) {
    case 'flip': {
      // Byte-level, as a damaged file would be, then decoded the way the daemon reads it (UTF-8,
      // invalid sequences become U+FFFD).
      const buf = Buffer.from(text, 'utf8');
      const at = m.at % buf.length;
      buf[at] = (buf[at] as number) ^ (1 << m.bit);
      return buf.toString('utf8');
    }
    case 'delete-lines': {
      const starts = lineStarts(text);
      const first = m.at % starts.length;
      const [from] = lineSpan(text, starts, first);
      const [, to] = lineSpan(text, starts, Math.min(starts.length - 1, first + m.count - 1));
      return text.slice(0, from) + text.slice(to);
    }
    case 'duplicate-lines': {
      const starts = lineStarts(text);
      const first = m.at % starts.length;
      const [from] = lineSpan(text, starts, first);
      const [, to] = lineSpan(text, starts, Math.min(starts.length - 1, first + m.count - 1));
      let block = text.slice(from, to);
      if (!block.endsWith('\n')) block += '\n';
      return (
        text.slice(0, to) + (to === text.length && !text.endsWith('\n') ? '\n' : '') + block.repeat(m.times)
      );
    }
    case 'swap-lines': {
      const lines = text.split('\n');
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      const la = lines[a] as string;
      lines[a] = lines[b] as string;
      lines[b] = la;
      return lines.join('\n');
    }
    case 'truncate':
      return text.slice(0, m.at % text.length);
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'replace-number': {
      const starts = lineStarts(text);
      const [from, to] = lineSpan(text, starts, m.line % starts.length);
      const line = text.slice(from, to);
      const runs = [...line.matchAll(/[0-9]+/g)];
      if (runs.length === 0) return text;
      const run = runs[m.nth % runs.length] as RegExpMatchArray;
      const at = from + (run.index ?? 0);
      return text.slice(0, at) + m.digits + text.slice(at + run[0].length);
    }
    case 'header':
      return editHeader(text, m);
    case 'long-line': {
      const body = m.unit.repeat(m.repeat);
      if (m.ownLine) {
        const starts = lineStarts(text);
        const at = starts[m.at % starts.length] as number;
        return `${text.slice(0, at)}${body}\n${text.slice(at)}`;
      }
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + body + text.slice(at);
    }
  }
}

/** The first line with a `CPUn` token is taken for the header (a mutation may have moved it). */
function editHeader(text: string, m: Extract<Mutation, { kind: 'header' }>): string {
  const found = /CPU[0-9]+/.exec(text);
  if (!found) return text;
  const from = text.lastIndexOf('\n', found.index) + 1;
  const nl = text.indexOf('\n', found.index);
  const to = nl === -1 ? text.length : nl;
  const line = text.slice(from, to);
  const tokens = [...line.matchAll(/CPU[0-9]+/g)];
  const tok = tokens[m.index % tokens.length] as RegExpMatchArray;
  const at = tok.index ?? 0;
  const end = at + tok[0].length;
  let edited: string;
  switch (m.op) {
    case 'duplicate':
      edited = line.slice(0, at) + (tokens[m.other % tokens.length] as RegExpMatchArray)[0] + line.slice(end);
      break;
    case 'drop':
      edited = line.slice(0, at) + line.slice(end);
      break;
    case 'renumber':
      edited = `${line.slice(0, at)}CPU${m.other}${line.slice(end)}`;
      break;
    case 'add':
      edited = `${line} CPU${m.other}`;
      break;
  }
  return text.slice(0, from) + edited + text.slice(to);
}

export function applyMutations(text: string, mutations: readonly Mutation[]): string {
  let out = text;
  for (const m of mutations) out = applyOne(out, m);
  return out;
}

/** A mutation list for a failure message: long inserted text is abbreviated. */
export function describeMutations(mutations: readonly Mutation[]): string {
  return JSON.stringify(mutations, (_k, v: unknown) =>
    typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v,
  );
}

/**
 * Text made to hit each of the parser's scans at its worst, `n` units long: a parser that is
 * quadratic anywhere takes hours on these at a few megabytes (test/fuzz/parse-mutations.test.ts),
 * and bench/parser-scaling.ts times them at doubling sizes.
 */
export const PATHOLOGICAL_SHAPES: Record<string, (n: number) => string> = {
  'one numeric row of n counts (header of 8 CPUs)': (n) =>
    `CPU0 CPU1 CPU2 CPU3 CPU4 CPU5 CPU6 CPU7\n0:${' 1'.repeat(n)}\n`,
  'a header of n CPUs and one row': (n) =>
    `${Array.from({ length: n }, (_, i) => `CPU${i}`).join(' ')}\n0:${' 7'.repeat(n)} IO-APIC 2-edge timer\n`,
  'a header wrapped over n lines': (n) =>
    `CPU0\n${Array.from({ length: n }, (_, i) => `CPU${i + 1}`).join('\n')}\n0: 1\n`,
  'a wrapped header line of n CPUs': (n) =>
    `CPU0 CPU1\n${Array.from({ length: n }, (_, i) => `CPU${i + 2}`).join(' ')}\n0: 1 2\n`,
  'n repeated CPU0 tokens in the header': (n) => `${'CPU0 '.repeat(n)}\n0: 1\n`,
  'n unlabelled lines after a wrapped row': (n) =>
    `CPU0 CPU1\n0: 1\n2 IO-APIC\n${'x-y z\n'.repeat(n)}1: 3 4 x\n`,
  'a line of n colons': (n) => `CPU0 CPU1\n${':'.repeat(n)}\n`,
  'a tail of n dashes (glued-flow regex)': (n) => `CPU0 CPU1\n0: 1 2 ${'x-'.repeat(n)}edge\n`,
  'a tail of n hwirq-flow look-alikes': (n) => `CPU0 CPU1\n0: 1 2 chip ${'1-'.repeat(n)}edge a, b\n`,
  'n actions': (n) => `CPU0 CPU1\n0: 1 2 IO-APIC 2-edge ${'a, '.repeat(n)}b\n`,
  'a count of n digits': (n) => `CPU0 CPU1\n0: ${'9'.repeat(n)} 2 IO-APIC 2-edge t\n`,
  'n rows with labels but no counts': (n) => `CPU0 CPU1\n${'7: x\n'.repeat(n)}`,
  'n CR characters and no LF': (n) => `CPU0 CPU1${'\r0: 1 2 x'.repeat(n)}`,
  'n NUL characters in a row': (n) => `CPU0 CPU1\n0: 1 2 ${'\u0000'.repeat(n)}\n`,
  'n blank lines': (n) => `CPU0 CPU1\n${' \t \n'.repeat(n)}0: 1 2\n`,
  'n lines before the header': (n) => `${'junk\n'.repeat(n)}CPU0\n0: 1\n`,
  'no header in n lines': (n) => 'not interrupts\n'.repeat(n),
  'n long-line units of every kind': (n) =>
    `CPU0 CPU1\n${LONG_LINE_UNITS.map((u) => u.repeat(Math.ceil(n / LONG_LINE_UNITS.length))).join('\n')}\n`,
};
