/**
 * The sampler's fast path for /proc/interrupts: from one read to the next only the counts
 * change, so a read whose every line has the same label, the same number of counts and the
 * same tail bytes as a read already parsed by `parseInterrupts` is parsed by scanning bytes for
 * the counts alone, reusing that read's rows (chip, hwirq, actions, …). Anything else (an IRQ
 * that came or went, a CPU going offline, a renamed handler, a cut read, a blank line, CR, a
 * BOM, a count of more than 15 digits) makes `parse` return null and the caller parses the text
 * in full, which also makes the next template. Both give the same Snapshot (see the tests).
 *
 * Works on bytes (Uint8Array) so that the caller can read into a reused buffer and decode the
 * text only when someone asks for it.
 */
import { type InterruptRow, rowKey, type Snapshot } from './snapshot.ts';

const NL = 10;
const SPACE = 32;
const TAB = 9;
const COLON = 58;

interface TemplateRow {
  row: InterruptRow;
  /** Bytes of the line up to and including the label's ':'. */
  head: Uint8Array;
  /** The tail as printed (first to last non-blank byte after the counts). */
  tail: Uint8Array;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** True when bytes[from..to) equal `want`. */
function same(bytes: Uint8Array, from: number, to: number, want: Uint8Array): boolean {
  if (to - from !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (bytes[from + i] !== want[i]) return false;
  return true;
}

/** Bytes other than printable ones, blanks and '\n' send a read to the full parser. */
function plainBytes(bytes: Uint8Array, length: number): boolean {
  if (length > 0 && bytes[0] === 0xef) return false; // a BOM
  for (let i = 0; i < length; i++) {
    const c = bytes[i] as number;
    if (c < SPACE && c !== NL && c !== TAB) return false;
  }
  return true;
}

/** One line's counts: exactly `want` all-digit tokens after `from`, then blanks; the end of the counts or -1. */
function scanCounts(bytes: Uint8Array, from: number, to: number, counts: number[], want: number): number {
  let p = from;
  for (let k = 0; k < want; k++) {
    while (p < to && isBlank(bytes[p] as number)) p++;
    const start = p;
    let v = 0;
    while (p < to) {
      const c = bytes[p] as number;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      p++;
    }
    // Empty, longer than a double holds exactly without care, or glued to something else.
    if (p === start || p - start > 15 || (p < to && !isBlank(bytes[p] as number))) return -1;
    counts[k] = v;
  }
  return p;
}

export class InterruptsTemplate {
  private readonly header: Uint8Array;
  private readonly rows: TemplateRow[];
  private readonly cpus: number[];
  private readonly endsWithNewline: boolean;
  /**
   * The snapshot the template was made from: its rows say what every read laid out like it
   * holds (labels, handlers, how many counts), whatever the counts are now.
   */
  readonly shape: Snapshot;
  /** Row r's counts are at [offsets[r], offsets[r+1]) of a `parseCounts` array. */
  readonly offsets: Uint32Array;
  /** Each row's key (`rowKey`), by row. */
  readonly keys: readonly string[];

  private constructor(
    header: Uint8Array,
    rows: TemplateRow[],
    cpus: number[],
    endsWithNewline: boolean,
    shape: Snapshot,
  ) {
    this.header = header;
    this.rows = rows;
    this.cpus = cpus;
    this.endsWithNewline = endsWithNewline;
    this.shape = shape;
    this.offsets = new Uint32Array(rows.length + 1);
    for (let r = 0; r < rows.length; r++)
      this.offsets[r + 1] = (this.offsets[r] as number) + (rows[r] as TemplateRow).row.counts.length;
    this.keys = rows.map((t) => rowKey(t.row));
  }

  /** How many counts a read holds: the length of a `parseCounts` array. */
  get size(): number {
    return this.offsets[this.rows.length] as number;
  }

  /**
   * The template of a read that `parseInterrupts` turned into `snapshot`, or null when the read
   * is not laid out simply enough (one header line, one line per row, no blank line, no
   * warning) for the fast path to be sure it would read it the same way.
   */
  static from(bytes: Uint8Array, length: number, snapshot: Snapshot): InterruptsTemplate | null {
    // The kernel ends its text with a newline; the fast scan relies on it to stop every line.
    if (snapshot.warnings.length > 0 || length === 0 || bytes[length - 1] !== NL) return null;
    if (!plainBytes(bytes, length)) return null;
    const endsWithNewline = true;
    const lines: Array<[number, number]> = [];
    let start = 0;
    for (let i = 0; i < length; i++) {
      if (bytes[i] === NL) {
        lines.push([start, i]);
        start = i + 1;
      }
    }
    if (start < length) lines.push([start, length]);
    if (lines.length !== snapshot.rows.length + 1) return null;
    const [h0, h1] = lines[0] as [number, number];
    const decoder = new TextDecoder();
    const rows: TemplateRow[] = [];
    const counts: number[] = [];
    for (let r = 0; r < snapshot.rows.length; r++) {
      const row = snapshot.rows[r] as InterruptRow;
      const [from, to] = lines[r + 1] as [number, number];
      if (row.line !== r + 2) return null;
      let colon = from;
      while (colon < to && bytes[colon] !== COLON) colon++;
      if (colon === to) return null;
      if (decoder.decode(bytes.subarray(from, colon)).trim() !== row.label) return null;
      counts.length = 0;
      const end = scanCounts(bytes, colon + 1, to, counts, row.counts.length);
      if (end < 0 || counts.some((v, k) => v !== row.counts[k])) return null;
      let t0 = end;
      while (t0 < to && isBlank(bytes[t0] as number)) t0++;
      let t1 = to;
      while (t1 > t0 && isBlank(bytes[t1 - 1] as number)) t1--;
      const tail = bytes.slice(t0, t1);
      if (decoder.decode(tail) !== row.tail) return null;
      rows.push({ row, head: bytes.slice(from, colon + 1), tail });
    }
    return new InterruptsTemplate(bytes.slice(h0, h1), rows, [...snapshot.cpus], endsWithNewline, snapshot);
  }

  /** The snapshot of `bytes[0..length)` when it is laid out as the template's read, else null. */
  parse(bytes: Uint8Array, length: number): Snapshot | null {
    const counts = this.parseCounts(bytes, length);
    return counts === null ? null : this.snapshot(counts);
  }

  /**
   * The counts of `bytes[0..length)`, every row's one after the other (`offsets`), when it is
   * laid out as the template's read, else null. One typed array and no object per row: the
   * sampler diffs it against the previous read's and builds a Snapshot only when asked.
   */
  parseCounts(bytes: Uint8Array, length: number): Float64Array | null {
    if (length === 0 || bytes[length - 1] !== NL || !this.endsWithNewline) return null;
    const header = this.header;
    if (length < header.length || !same(bytes, 0, header.length, header)) return null;
    let p = header.length;
    if (p < length && bytes[p] !== NL) return null;
    p++;
    const template = this.rows;
    const out = new Float64Array(this.size);
    let o = 0;
    for (let r = 0; r < template.length; r++) {
      const t = template[r] as TemplateRow;
      const head = t.head;
      if (p + head.length > length || !same(bytes, p, p + head.length, head)) return null;
      p += head.length;
      // The counts: exactly as many all-digit tokens as the template's row has, each ended by a
      // blank, the end of the line or the end of the text.
      const width = t.row.counts.length;
      // bytes[length - 1] is '\n' (checked above), so these loops stop there at the latest.
      for (let k = 0; k < width; k++) {
        let c = bytes[p] as number;
        while (c === SPACE || c === TAB) c = bytes[++p] as number;
        const start = p;
        let v = 0;
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          c = bytes[++p] as number;
        }
        if (p === start || p - start > 15) return null;
        if (c !== SPACE && c !== TAB && c !== NL) return null;
        out[o++] = v;
      }
      while (p < length && (bytes[p] === SPACE || bytes[p] === TAB)) p++;
      const tail = t.tail;
      if (tail.length > 0) {
        if (p + tail.length > length || !same(bytes, p, p + tail.length, tail)) return null;
        p += tail.length;
        while (p < length && (bytes[p] === SPACE || bytes[p] === TAB)) p++;
      }
      if (p < length && bytes[p] !== NL) return null;
      p++;
    }
    // Nothing may follow the last row (the final newline was checked above).
    if (p < length) return null;
    return out;
  }

  /** The Snapshot of counts that `parseCounts` returned. */
  snapshot(counts: Float64Array): Snapshot {
    const rows: InterruptRow[] = [];
    const offsets = this.offsets;
    for (let r = 0; r < this.rows.length; r++) {
      const from = offsets[r] as number;
      const to = offsets[r + 1] as number;
      const row = new Array<number>(to - from);
      let total = 0;
      for (let i = from; i < to; i++) {
        const v = counts[i] as number;
        row[i - from] = v;
        total += v;
      }
      rows.push({ ...(this.rows[r] as TemplateRow).row, counts: row, total });
    }
    return { cpus: [...this.cpus], rows, warnings: [] };
  }
}
