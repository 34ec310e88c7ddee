/**
 * CPU sets as sorted, de-duplicated arrays of CPU ids, and the kernel's two text forms for them:
 *
 * - the **cpulist** (`0-3,8-11`): `smp_affinity_list`, `/sys/devices/system/cpu/online`, `%*pbl`;
 * - the **hex mask** (`ff,ffffffff`): `smp_affinity`, `default_smp_affinity`, `%*pb`.
 *
 * Parsing follows the kernel's own parsers (`bitmap_parselist()` and `bitmap_parse()` in
 * `lib/bitmap.c`), so a string irqkit accepts is a string the kernel accepts and vice versa, with
 * the differences listed on each function. Formatting reproduces the kernel's `%*pbl` and `%*pb`
 * output byte for byte.
 *
 * Every function that returns a set returns a fresh sorted, de-duplicated array. The set helpers
 * (`unionCpus`, …) expect sorted, de-duplicated input; pass anything else through `normalizeCpus`.
 */

import { IrqkitError } from './errors.ts';

/**
 * CPU ids must be below this. The kernel's largest configurable NR_CPUS is 8192 (x86 MAXSMP,
 * powerpc); the limit leaves room for growth while keeping `0-4294967295` from allocating
 * gigabytes.
 */
export const CPU_ID_LIMIT = 65536;

export interface CpuParseOptions {
  /**
   * The size of the machine's CPU mask (nr_cpu_ids: highest possible CPU + 1). When given, CPUs at
   * or above it are rejected with IRQ_ERR_UNKNOWN_CPU (the kernel's ERANGE/EOVERFLOW), and in a
   * cpulist the kernel's `N` (last CPU) and `all` keywords become usable.
   */
  nrCpus?: number;
}

const MAX_SHOWN = 60;

function shown(text: string): string {
  const oneLine = text.replace(/\n/g, '\\n');
  return JSON.stringify(oneLine.length > MAX_SHOWN ? `${oneLine.slice(0, MAX_SHOWN)}…` : oneLine);
}

function cpusetError(message: string, text: string): IrqkitError {
  return new IrqkitError('IRQ_ERR_CPUSET', message, { text });
}

function checkNrCpus(nrCpus: number | undefined): void {
  if (nrCpus === undefined) return;
  if (!Number.isInteger(nrCpus) || nrCpus < 0 || nrCpus > CPU_ID_LIMIT) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `invalid CPU count ${nrCpus}: expected an integer 0-${CPU_ID_LIMIT}`,
      {
        nrCpus,
      },
    );
  }
}

function unknownCpu(cpu: number, nrCpus: number, text?: string): IrqkitError {
  const where = text === undefined ? '' : ` in ${shown(text)}`;
  const range = nrCpus === 0 ? 'no CPUs' : nrCpus === 1 ? 'only CPU 0' : `CPUs 0-${nrCpus - 1}`;
  return new IrqkitError(
    'IRQ_ERR_UNKNOWN_CPU',
    `CPU ${cpu}${where} does not exist: the machine has ${range}`,
    {
      cpu,
      nrCpus,
      ...(text === undefined ? {} : { text }),
    },
  );
}

/** Sorts and de-duplicates in place when needed; returns the same array. */
function sortUnique(cpus: number[]): number[] {
  let sorted = true;
  for (let i = 1; i < cpus.length; i++) {
    if ((cpus[i] as number) <= (cpus[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return cpus;
  cpus.sort((a, b) => a - b);
  let w = 0;
  for (let r = 0; r < cpus.length; r++) {
    const v = cpus[r] as number;
    if (w === 0 || v !== cpus[w - 1]) cpus[w++] = v;
  }
  cpus.length = w;
  return cpus;
}

function isCpuId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < CPU_ID_LIMIT;
}

/**
 * Validates CPU ids and returns them sorted and de-duplicated (a new array).
 * Throws IRQ_ERR_CPUSET for anything that is not an integer in [0, CPU_ID_LIMIT).
 */
export function normalizeCpus(cpus: Iterable<number>): number[] {
  const out: number[] = [];
  for (const c of cpus) {
    if (!isCpuId(c)) {
      throw new IrqkitError(
        'IRQ_ERR_CPUSET',
        `invalid CPU id ${String(c)}: expected an integer 0-${CPU_ID_LIMIT - 1}`,
        {
          cpu: c,
        },
      );
    }
    out.push(c);
  }
  return sortUnique(out);
}

/** Like normalizeCpus, but returns the input itself when it is already a valid sorted set. */
function asSet(cpus: readonly number[]): readonly number[] {
  let prev = -1;
  for (const c of cpus) {
    if (!isCpuId(c) || c <= prev) return normalizeCpus(cpus);
    prev = c;
  }
  return cpus;
}

// ---------------------------------------------------------------------------------------------
// cpulist

const LIST_SEPARATOR = /[\s,]+/;
const DECIMAL = /^[0-9]+$/;

interface ListNumberContext {
  text: string;
  region: string;
  nrCpus: number | undefined;
}

function listNumber(token: string, ctx: ListNumberContext): number {
  if (token === 'N') {
    if (ctx.nrCpus === undefined) {
      throw cpusetError(
        `invalid CPU list ${shown(ctx.text)}: 'N' (the last CPU) needs the machine's CPU count`,
        ctx.text,
      );
    }
    if (ctx.nrCpus === 0) throw unknownCpu(0, 0, ctx.text);
    return ctx.nrCpus - 1;
  }
  if (!DECIMAL.test(token)) {
    const what =
      token === ''
        ? 'a missing number'
        : token.startsWith('-')
          ? 'a negative number'
          : `unexpected ${shown(token)}`;
    throw cpusetError(`invalid CPU list ${shown(ctx.text)}: ${what} in ${shown(ctx.region)}`, ctx.text);
  }
  const n = Number(token);
  if (n >= CPU_ID_LIMIT) {
    throw cpusetError(
      `invalid CPU list ${shown(ctx.text)}: CPU ${token} is beyond irqkit's limit of ${CPU_ID_LIMIT - 1}`,
      ctx.text,
    );
  }
  return n;
}

const REGION = /^(?:(all)|([^-:/]*)(?:-([^:/]*))?)(?::([^/]*)\/(.*))?$/i;

/**
 * Parses the kernel's cpulist syntax (`bitmap_parselist()`), as found in `smp_affinity_list` and
 * `/sys/devices/system/cpu/online` and as written to them:
 *
 * - regions separated by commas and/or blanks (the kernel treats any run of either as one
 *   separator, so `0-3, 8`, `0 2` and a trailing newline are fine; empty regions are skipped);
 * - a region is `n`, `a-b` (a ≤ b), or `a-b:used/group` — from each `group` CPUs starting at `a`,
 *   the first `used` (`0-15:2/4` → 0,1,4,5,8,9,12,13; `used` ≤ `group`, `group` > 0);
 * - `N` stands for the last CPU and `all` for `0-N` (case-insensitive, may take `:used/group`);
 *   both need `options.nrCpus`.
 *
 * The empty string (or only blanks) is the empty set. Reversed ranges, negative numbers, a
 * pattern on a single number and any other character are IRQ_ERR_CPUSET; a CPU at or above
 * `options.nrCpus` is IRQ_ERR_UNKNOWN_CPU. Numbers at or above CPU_ID_LIMIT are rejected (the
 * kernel would say ERANGE for them on any real machine).
 */
export function parseCpuList(text: string, options: CpuParseOptions = {}): number[] {
  const { nrCpus } = options;
  checkNrCpus(nrCpus);
  const out: number[] = [];
  for (const region of text.split(LIST_SEPARATOR)) {
    if (region === '') continue;
    const m = REGION.exec(region);
    if (m === null) throw cpusetError(`invalid CPU list ${shown(text)}: cannot read ${shown(region)}`, text);
    const [, all, first, last, used, group] = m;
    const ctx: ListNumberContext = { text, region, nrCpus };
    let start: number;
    let end: number;
    if (all !== undefined) {
      if (nrCpus === undefined) {
        throw cpusetError(`invalid CPU list ${shown(text)}: 'all' needs the machine's CPU count`, text);
      }
      if (nrCpus === 0) throw unknownCpu(0, 0, text);
      start = 0;
      end = nrCpus - 1;
    } else {
      if (first === '' && region.startsWith('-')) {
        throw cpusetError(`invalid CPU list ${shown(text)}: negative number in ${shown(region)}`, text);
      }
      start = listNumber(first ?? '', ctx);
      end = last === undefined ? start : listNumber(last, ctx);
      if (last === undefined && used !== undefined) {
        throw cpusetError(
          `invalid CPU list ${shown(text)}: ${shown(region)} has a ':used/group' pattern without a range`,
          text,
        );
      }
    }
    if (start > end) {
      throw cpusetError(`invalid CPU list ${shown(text)}: reversed range ${shown(region)}`, text);
    }
    let take = end - start + 1;
    let stride = take;
    if (used !== undefined && group !== undefined) {
      take = listNumber(used, ctx);
      stride = listNumber(group, ctx);
      if (stride === 0 || take > stride) {
        throw cpusetError(
          `invalid CPU list ${shown(text)}: in ${shown(region)} the pattern needs 0 ≤ used ≤ group and group > 0`,
          text,
        );
      }
    }
    if (nrCpus !== undefined && end >= nrCpus) {
      // The kernel rejects the whole region (ERANGE) even if a pattern would skip the last CPU.
      throw unknownCpu(end, nrCpus, text);
    }
    for (let base = start; base <= end; base += stride) {
      const stop = Math.min(end, base + take - 1);
      for (let c = base; c <= stop; c++) out.push(c);
    }
  }
  return sortUnique(out);
}

/**
 * Formats a set the way the kernel's `%*pbl` does (`smp_affinity_list`): runs of two or more
 * consecutive CPUs as `a-b`, others as single numbers, joined by commas, no blanks; [] → ''.
 * Input need not be sorted; invalid ids are IRQ_ERR_CPUSET.
 */
export function formatCpuList(cpus: readonly number[]): string {
  const set = asSet(cpus);
  const parts: string[] = [];
  let i = 0;
  while (i < set.length) {
    const lo = set[i] as number;
    let hi = lo;
    while (i + 1 < set.length && set[i + 1] === hi + 1) {
      hi++;
      i++;
    }
    parts.push(hi > lo ? `${lo}-${hi}` : String(lo));
    i++;
  }
  return parts.join(',');
}

// ---------------------------------------------------------------------------------------------
// hex mask

const MASK_SEPARATOR = /[\s,]+/;
const HEX_GROUP = /^[0-9a-fA-F]+$/;

/**
 * Parses a hex CPU mask as the kernel's `bitmap_parse()` does (`smp_affinity`,
 * `default_smp_affinity`, `cpumask_parse_user()`): hex digits in 32-bit groups, most significant
 * group first, separated by commas (`ff,ffffffff`, `00000001`, `0`).
 *
 * - A group is 1–8 hex digits, either case; a shorter group is zero-extended (`1,0` is CPU 32).
 *   A group with more than 8 digits is IRQ_ERR_CPUSET even if its value would fit, exactly like
 *   the kernel's EOVERFLOW: `ffffffffff` must be written `ff,ffffffff`.
 * - Like the kernel, any run of commas and blanks separates groups, leading/trailing separators
 *   are ignored, and '' is the empty mask.
 * - Beyond the kernel: one `0x`/`0X` prefix before the first group is accepted.
 * - With `options.nrCpus`, a set bit at or above it is IRQ_ERR_UNKNOWN_CPU (kernel: EOVERFLOW).
 *   Zero groups beyond it are accepted (the kernel would also reject those).
 *
 * Linear in the text length, no BigInt: 1152-CPU masks (36 groups) cost 36 `parseInt`s.
 */
export function parseCpuMask(text: string, options: CpuParseOptions = {}): number[] {
  const { nrCpus } = options;
  checkNrCpus(nrCpus);
  let body = text.replace(/^\s+/, '');
  if (body.startsWith('0x') || body.startsWith('0X')) {
    body = body.slice(2);
    if (!/^[0-9a-fA-F]/.test(body))
      throw cpusetError(`invalid CPU mask ${shown(text)}: no hex digits after '0x'`, text);
  }
  const groups = body.split(MASK_SEPARATOR).filter((g) => g !== '');
  if (groups.length > CPU_ID_LIMIT / 32) {
    throw cpusetError(
      `invalid CPU mask ${shown(text)}: ${groups.length} groups is beyond irqkit's limit of ${CPU_ID_LIMIT} CPUs`,
      text,
    );
  }
  const out: number[] = [];
  for (let g = 0; g < groups.length; g++) {
    // groups[last] holds CPUs 0-31.
    const group = groups[groups.length - 1 - g] as string;
    if (!HEX_GROUP.test(group)) {
      const bad = /[^0-9a-fA-F]/.exec(group)?.[0] ?? group;
      throw cpusetError(`invalid CPU mask ${shown(text)}: ${shown(bad)} is not a hex digit`, text);
    }
    if (group.length > 8) {
      throw cpusetError(
        `invalid CPU mask ${shown(text)}: group ${shown(group)} has ${group.length} hex digits; each comma-separated group holds at most 8 (32 CPUs)`,
        text,
      );
    }
    let bits = Number.parseInt(group, 16);
    const base = g * 32;
    while (bits !== 0) {
      // Lowest set bit first, so `out` comes out sorted.
      out.push(base + 31 - Math.clz32(bits & -bits));
      bits = (bits & (bits - 1)) >>> 0;
    }
  }
  if (nrCpus !== undefined && out.length > 0) {
    const top = out[out.length - 1] as number;
    if (top >= nrCpus) throw unknownCpu(top, nrCpus, text);
  }
  return out;
}

/**
 * Formats a set exactly as the kernel's `%*pb` prints `smp_affinity` (`bitmap_string()` in
 * `lib/vsprintf.c`, field width = `nrCpus`, i.e. nr_cpu_ids):
 *
 * - 32-bit groups, most significant first, joined by ',' (no `0x`, lower-case hex);
 * - every group but the first is 8 digits, zero-padded; the first (most significant) group has
 *   `ceil(b / 4)` digits, zero-padded, where `b = nrCpus % 32` or 32 when that is 0. So:
 *   nrCpus 2 → `3` (this 2-CPU machine: `default_smp_affinity` is `3`), 4 → `f`, 8 → `ff`, 5 → `1f`,
 *   32 → `ffffffff`, 40 → `ff,ffffffff`, 64 → `ffffffff,ffffffff`, and 8 with only CPU 0 → `01`;
 * - nrCpus 0 prints nothing ('').
 *
 * `nrCpus` defaults to the highest CPU + 1, and to 1 for the empty set (→ `0`). A CPU at or above
 * an explicit `nrCpus` is IRQ_ERR_UNKNOWN_CPU.
 */
export function formatCpuMask(cpus: readonly number[], nrCpus?: number): string {
  checkNrCpus(nrCpus);
  const set = asSet(cpus);
  const top = set.length > 0 ? (set[set.length - 1] as number) : -1;
  const width = nrCpus ?? Math.max(1, top + 1);
  if (top >= width) throw unknownCpu(top, width);
  if (width === 0) return '';
  const nGroups = Math.ceil(width / 32);
  const words = new Uint32Array(nGroups);
  for (const c of set) {
    const i = c >>> 5;
    words[i] = (words[i] as number) | (1 << (c & 31));
  }
  const firstBits = width % 32 === 0 ? 32 : width % 32;
  const parts: string[] = new Array(nGroups);
  for (let g = nGroups - 1; g >= 0; g--) {
    const digits = g === nGroups - 1 ? Math.ceil(firstBits / 4) : 8;
    parts[nGroups - 1 - g] = (words[g] as number).toString(16).padStart(digits, '0');
  }
  return parts.join(',');
}

// ---------------------------------------------------------------------------------------------
// set helpers (inputs sorted and de-duplicated)

export function cpuSetsEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `cpu` is in the sorted set (binary search). */
export function hasCpu(set: readonly number[], cpu: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = set[mid] as number;
    if (v === cpu) return true;
    if (v < cpu) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * One pass over two sorted sets, keeping elements of only `a`, only `b`, or both, as asked:
 * union and intersection are the same merge with different keeps.
 */
function mergeSorted(
  a: readonly number[],
  b: readonly number[],
  keep: { onlyA: boolean; onlyB: boolean; both: boolean },
): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x < y) {
      if (keep.onlyA) out.push(x);
      i++;
    } else if (y < x) {
      if (keep.onlyB) out.push(y);
      j++;
    } else {
      if (keep.both) out.push(x);
      i++;
      j++;
    }
  }
  if (keep.onlyA) while (i < a.length) out.push(a[i++] as number);
  if (keep.onlyB) while (j < b.length) out.push(b[j++] as number);
  return out;
}

/** CPUs in either set. */
export function unionCpus(a: readonly number[], b: readonly number[]): number[] {
  return mergeSorted(a, b, { onlyA: true, onlyB: true, both: true });
}

/** CPUs in both sets. */
export function intersectCpus(a: readonly number[], b: readonly number[]): number[] {
  return mergeSorted(a, b, { onlyA: false, onlyB: false, both: true });
}

/** CPUs in `a` but not in `b`. */
export function differenceCpus(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && (b[j] as number) < x) j++;
    if (j >= b.length || b[j] !== x) out.push(x);
  }
  return out;
}

/** True when every CPU of `a` is in `b`. */
export function isSubsetCpus(a: readonly number[], b: readonly number[]): boolean {
  return differenceCpus(a, b).length === 0;
}
