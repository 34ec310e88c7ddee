/**
 * Parser and renderer for /proc/interrupts text (as show_interrupts() in kernel/irq/proc.c and
 * the architectures' arch_show_interrupts() print it). Pure: no I/O, works on a string.
 *
 * How a read is understood:
 *
 * 1. Lines are split on '\n' (on '\r' when the text has no '\n' at all); other CR characters
 *    are treated as blanks. Blank and whitespace-only lines are ignored everywhere.
 * 2. The first non-blank line made only of `CPUn` tokens is the header. CPU ids come from
 *    those names, never from column positions (offline CPUs leave gaps). Non-blank
 *    lines before it are reported as warnings. No header at all means the text is not
 *    /proc/interrupts (IRQ_ERR_NOT_INTERRUPTS). Lines right after the header that are also
 *    made only of `CPUn` tokens are a header wrapped by a mailer and are joined to it.
 * 3. A row starts with a label: the text before the first ':' (blanks trimmed), either an IRQ
 *    number (no leading zeros: the kernel prints `%d`) or a name such as `NMI`, `IPI0`, `Err`,
 *    `I/O`. After the ':' the kernel prints a blank or a digit (the arm64 `IPI0:2768808080`
 *    glue); anything else (`ACPI:Ged`) is not a label. At most N (= header CPUs)
 *    leading all-digit tokens are counts; the rest of the line is the tail.
 * 4. Line wrapping (corpus dump 36): a line without a label continues the row above when
 *    that row still lacks counts and has no tail yet and the line starts with a count;
 *    its counts fill the row up and the rest becomes the tail. Once a wrap has been seen (a
 *    wrapped header or a row continued this way), any further unlabelled line is appended to
 *    the tail of the row above (it is the rest of a wrapped name, e.g. `101000.rtc`).
 *    Otherwise an unlabelled line is a warning and is skipped.
 * 5. Numeric rows with fewer counts than CPUs that wrapping does not explain (a CPU went
 *    offline during the read, a truncated paste) produce a warning and are KEPT with the
 *    counts they have: `counts[k]` still belongs to `cpus[k]` for every k printed, and a
 *    consumer that needs a full row can check `counts.length`. Numeric rows with no counts at
 *    all are warned about and dropped. Named rows legitimately print fewer counts (`ERR:`,
 *    `MIS:`, `Err:` one; `FIQ:` none) and are kept silently.
 * 6. With `strict: true` every warning is thrown instead as IRQ_ERR_PARSE with its line number.
 */

import { IrqkitError } from './errors.ts';
import type { InterruptRow, ParseWarning, Snapshot } from './snapshot.ts';

export interface ParseOptions {
  /** Throw IRQ_ERR_PARSE on the first line that is not understood instead of warning. */
  strict?: boolean;
}

/** How much of an offending line a warning keeps. */
const WARNING_TEXT_MAX = 120;
/** A label is short; a ':' further right than this belongs to free text. */
const LABEL_MAX = 32;
/** The chip, hwirq and trigger are found within the first tokens of the tail. */
const TAIL_SCAN_TOKENS = 8;

const NUMERIC_LABEL = /^(?:0|[1-9][0-9]*)$/;
const NAMED_LABEL = /^[A-Za-z][A-Za-z0-9_./-]*$/;
const IPI_LABEL = /^IPI([0-9]+)$/;
/** At most 15 digits, so every id is a safe integer (kernels count CPUs in thousands). */
const HEADER_TOKEN = /^CPU([0-9]{1,15})$/;
const ALL_DIGITS = /^[0-9]+$/;
/** New x86 layout: `<chip> <hwirq>-<flow>` (`IO-APIC   2-edge`, `IR-PCI-MSI 524288-edge`). */
const HWIRQ_FLOW = /^([0-9]+)-(\S+)$/;
/** GENERIC_IRQ_SHOW_LEVEL layout: `<chip> [hwirq] Level|Edge[-flow]`. */
const TRIGGER = /^(Level|Edge)(?:-(\S+))?$/;
/**
 * Old x86 layout (2.6.2x to ~4.2): chip and flow handler name glued by '-' with no hwirq
 * (`IO-APIC-edge`, `IR-PCI-MSI-edge`, `DMAR_MSI-edge`, `local-APIC-edge`, `IO-APIC-level`,
 * `<NULL>-edge`, `PCI-MSI-<NULL>`). Only known handler names are split off, so chip names that
 * merely contain '-' (`PCI-MSI` on s390, `xen-percpu-ipi`… see below) stay whole.
 * Handler names set with irq_set_chip_and_handler_name() can themselves contain '-'
 * (`ioapic-edge`, used by Xen pirqs and Hyper-V), so those are tried first.
 */
const GLUED_FLOW =
  /^(.+?)-(ioapic-edge|ioapic-level|ioapic-fasteoi|edge|level|fasteoi|simple|percpu|percpu_devid|bad|<NULL>)$/;
/**
 * Xen event-channel chips (drivers/xen/events.c): chip `xen-pirq`, `xen-percpu`, `xen-dyn`
 * with handler names `ioapic-edge`/`ioapic-level`/`msi`, `ipi`/`virq`, `event`.
 */
const XEN_GLUED = /^(xen-pirq|xen-percpu|xen-dyn)-(\S+)$/;

interface Pending {
  label: string;
  numeric: boolean;
  counts: number[];
  tail: string;
  /** 1-based line number of the row's first physical line, and that line's text. */
  line: number;
  text: string;
}

interface TailFields {
  chip?: string;
  hwirq?: string;
  trigger?: string;
  flow?: string;
  actions: string[];
}

interface Token {
  start: number;
  end: number;
  text: string;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

function warningText(s: string): string {
  const t = s.trim();
  return t.length > WARNING_TEXT_MAX ? `${t.slice(0, WARNING_TEXT_MAX - 3)}...` : t;
}

function splitLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.indexOf('\n') === -1 && body.indexOf('\r') !== -1) return body.split('\r');
  return body.split('\n');
}

/** The CPU ids of a header line, or null when the line is not made only of `CPUn` tokens. */
function headerIds(line: string): number[] | null {
  const t = line.trim();
  if (t === '' || !t.startsWith('CPU')) return null;
  const ids: number[] = [];
  for (const tok of t.split(/\s+/)) {
    const m = HEADER_TOKEN.exec(tok);
    if (!m) return null;
    ids.push(Number(m[1]));
  }
  return ids;
}

/**
 * Where the label ends: the index of its ':' when `line` starts a row, else -1.
 * See the file comment (point 3) for what counts as a label.
 */
function labelEnd(line: string): number {
  const colon = line.indexOf(':');
  if (colon <= 0 || colon > LABEL_MAX) return -1;
  const label = line.slice(0, colon).trim();
  if (label === '') return -1;
  if (!NUMERIC_LABEL.test(label) && !NAMED_LABEL.test(label)) return -1;
  if (colon + 1 < line.length) {
    const c = line.charCodeAt(colon + 1);
    if (!isSpace(c) && !(c >= 48 && c <= 57)) return -1;
  }
  return colon;
}

/**
 * Reads up to `limit - counts.length` all-digit tokens from `s` starting at `pos` into
 * `counts` and returns where the tail starts (`s.length` when there is none). A token with a
 * non-digit suffix ends the counts, except that with `glued` the limit-th count may carry a
 * suffix (`1900GIC-0`): the digits are the count and the suffix starts the tail.
 * Single pass over the characters, no per-token regex, so 1152-column rows stay linear.
 */
function scanCounts(s: string, pos: number, counts: number[], limit: number, glued: boolean): number {
  const len = s.length;
  let p = pos;
  while (counts.length < limit) {
    while (p < len && isSpace(s.charCodeAt(p))) p++;
    if (p >= len) return len;
    const start = p;
    let v = 0;
    while (p < len) {
      const c = s.charCodeAt(p);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      p++;
    }
    if (p === start) return start;
    // Up to 15 digits the running value is exact; longer numbers are converted as a whole.
    const value = p - start > 15 ? Number(s.slice(start, p)) : v;
    // No kernel prints a count a double cannot hold exactly (they are 32-bit); taking one as a
    // count would feed rounded values, or Infinity and then NaN deltas, to every consumer.
    if (!Number.isSafeInteger(value)) return start;
    if (p < len && !isSpace(s.charCodeAt(p))) {
      if (glued && counts.length === limit - 1) {
        counts.push(value);
        return p;
      }
      return start;
    }
    counts.push(value);
  }
  return p;
}

const NUMBER_LIKE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Why the token that stopped a row's counts is not a count, when it looks like a number: a
 * negative, fractional or huge value is a damaged or hand-made file, not a description.
 */
function notACount(tail: string): string | null {
  const tok = tail.split(/\s/, 1)[0] ?? '';
  if (!NUMBER_LIKE.test(tok)) return null;
  const shown = tok.length > 24 ? `${tok.slice(0, 24)}…` : tok;
  const v = Number(tok);
  const why =
    v < 0 || tok.startsWith('-')
      ? 'negative'
      : !Number.isInteger(v) || /[.e]/i.test(tok)
        ? 'not a whole number'
        : !Number.isSafeInteger(v)
          ? 'above 2^53, more than a count can hold exactly'
          : 'signed';
  return `"${shown}" is not a count (${why}; counts are whole numbers from 0 to 2^53 - 1)`;
}

/** The first `max` whitespace-separated tokens of `s` with their offsets. */
function tokens(s: string, max: number): Token[] {
  const out: Token[] = [];
  const len = s.length;
  let p = 0;
  while (out.length < max) {
    while (p < len && isSpace(s.charCodeAt(p))) p++;
    if (p >= len) break;
    const start = p;
    while (p < len && !isSpace(s.charCodeAt(p))) p++;
    out.push({ start, end: p, text: s.slice(start, p) });
  }
  return out;
}

/** Shared handlers are printed joined by ", " (show_interrupts() in kernel/irq/proc.c). */
function splitActions(s: string): string[] {
  const t = s.trim();
  if (t === '') return [];
  const out: string[] = [];
  for (const part of t.split(', ')) {
    const a = part.trim();
    if (a !== '') out.push(a);
  }
  return out;
}

/**
 * Splits the tail of a numeric row into chip, hwirq, trigger, flow and actions, by the
 * structure of the token that ends the chip, tried in this order:
 *
 * - `<chip> <hwirq>-<flow>`               new x86 (`IR-PCI-MSIX-0000:23:00.0   20-edge`)
 * - `<chip> [hwirq] Level|Edge[-flow]`    GENERIC_IRQ_SHOW_LEVEL arches; the chip may hold
 *                                          blanks (`SiFive PLIC 412 Level`); the flow may
 *                                          also follow as its own `-flow` token
 * - `<chip>-<flow>`                       old x86 glued form (`IO-APIC-edge`, `PCI-MSI-<NULL>`)
 * - `<chip> <hwirq>`                      x86 chips without a flow name (`rmi4    0`)
 * - `<chip>`                              s390, old ARM (`PCI-MSI  mlx5_…`, `ARMCTRL  mmc0`)
 *
 * Everything after the structure is the action list. Only the first few tokens are searched
 * for the structure, so words in action names further right are not mistaken for it.
 */
function parseNumericTail(tail: string): TailFields {
  if (tail === '') return { actions: [] };
  const toks = tokens(tail, TAIL_SCAN_TOKENS);
  for (let k = 1; k < toks.length; k++) {
    const tok = toks[k] as Token;
    const hf = HWIRQ_FLOW.exec(tok.text);
    if (hf) {
      const prev = toks[k - 1] as Token;
      return {
        chip: tail.slice(0, prev.end),
        hwirq: hf[1] as string,
        flow: hf[2] as string,
        actions: splitActions(tail.slice(tok.end)),
      };
    }
    const tr = TRIGGER.exec(tok.text);
    if (tr) {
      const prev = toks[k - 1] as Token;
      const hasHwirq = k >= 2 && ALL_DIGITS.test(prev.text);
      const chipEnd = hasHwirq ? (toks[k - 2] as Token).end : prev.end;
      const out: TailFields = { chip: tail.slice(0, chipEnd), trigger: tr[1] as string, actions: [] };
      if (hasHwirq) out.hwirq = prev.text;
      let restFrom = tok.end;
      if (tr[2] !== undefined) {
        out.flow = tr[2];
      } else {
        const next = toks[k + 1];
        if (next && next.text.length > 1 && next.text.startsWith('-')) {
          out.flow = next.text.slice(1);
          restFrom = next.end;
        }
      }
      out.actions = splitActions(tail.slice(restFrom));
      return out;
    }
  }
  const first = toks[0] as Token;
  const glued = XEN_GLUED.exec(first.text) ?? GLUED_FLOW.exec(first.text);
  if (glued) {
    return {
      chip: glued[1] as string,
      flow: glued[2] as string,
      actions: splitActions(tail.slice(first.end)),
    };
  }
  const second = toks[1];
  if (second && ALL_DIGITS.test(second.text)) {
    return { chip: first.text, hwirq: second.text, actions: splitActions(tail.slice(second.end)) };
  }
  return { chip: first.text, actions: splitActions(tail.slice(first.end)) };
}

/** Parses the text of one /proc/interrupts read (see the file comment for the rules). */
export function parseInterrupts(text: string, options?: ParseOptions): Snapshot {
  const strict = options?.strict === true;
  const lines = splitLines(text);
  const warnings: ParseWarning[] = [];
  const warn = (line: number, message: string, lineText: string): void => {
    const t = warningText(lineText);
    if (strict) throw new IrqkitError('IRQ_ERR_PARSE', `line ${line}: ${message}`, { line, text: t });
    warnings.push({ line, message, text: t });
  };
  const clean = (i: number): string => {
    const l = lines[i] ?? '';
    return l.indexOf('\r') === -1 ? l : l.replace(/\r/g, ' ');
  };

  // --- header ---
  let cpus: number[] | null = null;
  /** Indexes of the non-blank lines before the header. */
  const before: number[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const l = clean(i);
    if (isBlank(l)) continue;
    cpus = headerIds(l);
    if (cpus) break;
    before.push(i);
  }
  if (!cpus) {
    const first = before[0];
    const what = first === undefined ? 'the input is empty' : 'no CPU header line was found';
    throw new IrqkitError(
      'IRQ_ERR_NOT_INTERRUPTS',
      `not /proc/interrupts text: ${what} (expected a first line like "CPU0       CPU1")`,
      first === undefined ? undefined : { line: first + 1, text: warningText(clean(first)) },
    );
  }
  for (const b of before) warn(b + 1, 'text before the CPU header line', clean(b));
  const headerLine = i + 1;
  const headerText = clean(i);
  i++;
  let wrapped = false;
  for (; i < lines.length; i++) {
    const l = clean(i);
    if (isBlank(l)) continue;
    const more = headerIds(l);
    if (!more) break;
    // Not push(...more): spreading a line of ~125k tokens overflows the call stack.
    for (const id of more) cpus.push(id);
    wrapped = true;
  }
  const seen = new Set<number>();
  for (const id of cpus) {
    if (seen.has(id)) warn(headerLine, `CPU${id} appears twice in the header`, headerText);
    seen.add(id);
  }
  const n = cpus.length;

  // --- rows ---
  const rows: InterruptRow[] = [];
  const occurrences = new Map<string, number>();
  let pending: Pending | null = null;

  /** Numeric rows seen so far: a second row for the same IRQ is reported, not dropped silently. */
  const firstLine = new Map<string, number>();
  const finish = (p: Pending): void => {
    const tail = p.tail.trim();
    const bad = p.numeric && p.counts.length < n ? notACount(tail) : null;
    if (p.numeric && p.counts.length === 0) {
      // Under --strict the parse stops here, so the message must not promise a skipped row.
      const what = bad ? `IRQ ${p.label}: ${bad}` : `IRQ ${p.label} has no per-CPU counts`;
      warn(p.line, strict ? what : `${what}; row skipped`, p.text);
      return;
    }
    if (bad) {
      warn(
        p.line,
        `IRQ ${p.label}: value ${p.counts.length + 1} of ${n}: ${bad}; the ${p.counts.length} before it are kept and the rest is read as its description`,
        p.text,
      );
    } else if (p.numeric && p.counts.length < n) {
      warn(p.line, `IRQ ${p.label} has ${p.counts.length} counts but the header has ${n} CPUs`, p.text);
    }
    if (p.numeric) {
      const first = firstLine.get(p.label);
      if (first === undefined) firstLine.set(p.label, p.line);
      else
        warn(
          p.line,
          `IRQ ${p.label} appears again (first on line ${first}); only its first row is used`,
          p.text,
        );
    }
    if (p.counts.length === n && n > 0 && ALL_DIGITS.test(tail.split(/\s/, 1)[0] ?? '')) {
      warn(
        p.line,
        `row ${p.label} has more counts than the header has CPUs; extra values kept in the tail`,
        p.text,
      );
    }
    let total = 0;
    for (const c of p.counts) total += c;
    const occurrence = occurrences.get(p.label) ?? 0;
    occurrences.set(p.label, occurrence + 1);
    const row: InterruptRow = {
      label: p.label,
      numeric: p.numeric,
      occurrence,
      counts: p.counts,
      total,
      tail,
      line: p.line,
    };
    if (p.numeric) {
      const f = parseNumericTail(tail);
      if (f.chip !== undefined) row.chip = f.chip;
      if (f.hwirq !== undefined) row.hwirq = f.hwirq;
      if (f.trigger !== undefined) row.trigger = f.trigger;
      if (f.flow !== undefined) row.flow = f.flow;
      row.actions = f.actions;
    } else {
      row.description = tail;
    }
    rows.push(row);
  };

  for (; i < lines.length; i++) {
    const l = clean(i);
    if (isBlank(l)) continue;
    const colon = labelEnd(l);
    if (colon >= 0) {
      if (pending) finish(pending);
      const label = l.slice(0, colon).trim();
      const numeric = NUMERIC_LABEL.test(label);
      const counts: number[] = [];
      const tailStart = scanCounts(l, colon + 1, counts, n, numeric);
      pending = { label, numeric, counts, tail: l.slice(tailStart).trim(), line: i + 1, text: l };
      continue;
    }
    // A line without a label: a continuation of a wrapped row, or noise.
    if (pending && pending.counts.length < n && pending.tail === '') {
      const first = l.trimStart().charCodeAt(0);
      if (first >= 48 && first <= 57) {
        const tailStart = scanCounts(l, 0, pending.counts, n, pending.numeric);
        pending.tail = l.slice(tailStart).trim();
        wrapped = true;
        continue;
      }
    }
    if (headerIds(l)) {
      warn(i + 1, 'repeated CPU header line ignored', l);
      continue;
    }
    if (pending && wrapped) {
      const t = l.trim();
      pending.tail = pending.tail === '' ? t : `${pending.tail} ${t}`;
      continue;
    }
    warn(i + 1, 'line not understood (no "label:" at its start)', l);
    if (pending) {
      finish(pending);
      pending = null;
    }
  }
  if (pending) finish(pending);

  return { cpus, rows, warnings };
}

/** Ten blanks: `BLANKS.slice(v.length) + v` right-aligns a count like `%10u`. */
const BLANKS = '          ';

/** The kernel's label width: 3, plus one per power of ten up to nr_irqs (`prec` in show_interrupts()). */
function labelPrecision(rows: readonly InterruptRow[]): number {
  let maxIrq = 0;
  for (const r of rows) {
    if (!r.numeric) continue;
    const v = Number(r.label);
    if (v > maxIrq) maxIrq = v;
  }
  // nr_irqs is not in the text; the largest IRQ number + 1 is the best lower bound.
  const nrIrqs = maxIrq + 1;
  let prec = 3;
  for (let j = 1000; prec < 10 && j <= nrIrqs; ++prec) j *= 10;
  return prec;
}

/** The tail of a numeric row in the kernel's layout, from its parsed fields. */
function renderNumericTail(row: InterruptRow, prec: number): string {
  const actions = row.actions ?? [];
  if (row.chip === undefined) {
    if (actions.length > 0) return `  ${actions.join(', ')}`;
    return row.tail === '' ? '' : ` ${row.tail}`;
  }
  let s = ` ${row.chip.padStart(8)}`;
  if (row.hwirq !== undefined) s += ` ${row.hwirq.padStart(prec)}`;
  if (row.trigger !== undefined) s += ` ${row.trigger.padEnd(8)}`;
  if (row.flow !== undefined) s += `-${row.flow.padEnd(8)}`;
  if (actions.length > 0) s += `  ${actions.join(', ')}`;
  return s;
}

/**
 * Prints a snapshot in the kernel's layout: header of `CPUn` tokens padded to 11 columns after
 * prec+8 blanks, `%*d:` / `%*s:` labels, a `%10u ` count grid, then chip/hwirq/trigger/flow and
 * actions (numeric rows) or the description (named rows). `parseInterrupts` reads it back to
 * the same cpus, labels, counts and names. Used by `irqkit show --raw` and round-trip tests.
 *
 * nr_irqs is not in the text, so prec comes from the highest IRQ number: dumps whose kernel
 * had a larger nr_irqs (prec 4 with IRQs < 1000) come out one column narrower. Numeric rows are
 * printed from their parsed fields (x86 layout, byte-identical for prec-3 x86 dumps); `IPIn`
 * rows use the arm64 label code; named rows carry no trailing blanks.
 */
export function renderInterrupts(snapshot: Snapshot): string {
  const prec = labelPrecision(snapshot.rows);
  const out: string[] = [];
  let header = ' '.repeat(prec + 8);
  for (const c of snapshot.cpus) header += `CPU${String(c).padEnd(8)}`;
  out.push(header);
  for (const row of snapshot.rows) {
    const ipi = row.numeric ? null : IPI_LABEL.exec(row.label);
    // arm64/RISC-V print `"%*s%u:%s", prec - 1, "IPI", i, prec >= 4 ? " " : ""`, so with prec 3
    // a 10-digit count glues to the label (`IPI0:2768808080`); everything else `"%*d: "`.
    const label = ipi
      ? `${'IPI'.padStart(prec - 1)}${ipi[1]}:${prec >= 4 ? ' ' : ''}`
      : `${row.label.padStart(prec)}: `;
    const parts: string[] = [label];
    for (const c of row.counts) {
      const v = String(c);
      parts.push(v.length < 10 ? `${BLANKS.slice(v.length)}${v} ` : `${v} `);
    }
    if (row.numeric) {
      parts.push(renderNumericTail(row, prec));
    } else {
      const d = row.description ?? row.tail;
      // arm32 `FIQ:` prints its owner with no counts after 14 blanks; IPI rows use 6 blanks.
      if (d !== '') parts.push(row.counts.length === 0 ? `             ${d}` : ipi ? `      ${d}` : `  ${d}`);
    }
    out.push(row.numeric ? parts.join('') : parts.join('').trimEnd());
  }
  return `${out.join('\n')}\n`;
}
