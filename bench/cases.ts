/** The planner bench's instances: seed files, the 1152-CPU corpus file, and generated families. */
import { readFileSync } from 'node:fs';
import { parseInterrupts } from '../src/core/parse-interrupts.ts';
import type { PlanItem } from '../src/core/planner/plan.ts';
import { dominantCpu } from '../src/core/snapshot-plan.ts';
import { type Family, generate, itemsFromLoads } from './generators.ts';
import { CORPUS_1152, SEED_FILE, SEED_VARIANT } from './paths.ts';

export interface CaseSpec {
  family: Family | 'seed' | 'seed-variant' | 'corpus-1152';
  /** IRQs (for files: filled in from the file). */
  n: number;
  k: number;
  /** PRNG seed for generated families (0 for files). */
  seed: number;
  /** Part of the --quick subset. */
  quick?: boolean;
}

export interface Instance {
  spec: CaseSpec;
  cpus: number[];
  items: PlanItem[];
}

/** FNV-1a over the case's family/n/k: a stable seed per case, printed so a case can be rebuilt. */
export function seedFor(family: string, n: number, k: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${family}/${n}/${k}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

const gen = (family: Family, n: number, k: number, quick = false): CaseSpec => ({
  family,
  n,
  k,
  seed: seedFor(family, n, k),
  ...(quick ? { quick } : {}),
});

export function plannerCases(): CaseSpec[] {
  const files: CaseSpec[] = [];
  for (const family of ['seed', 'seed-variant'] as const) {
    for (const k of [2, 4, 8, 16]) {
      files.push({
        family,
        n: 0,
        k,
        seed: 0,
        ...(family === 'seed' && (k === 2 || k === 8) ? { quick: true } : {}),
      });
    }
  }
  return [
    ...files,
    gen('nic-rss', 16, 4),
    gen('nic-rss', 64, 8),
    gen('nic-rss', 128, 2),
    gen('nic-rss', 256, 16, true),
    gen('nic-rss', 256, 64),
    gen('nic-rss', 1024, 128),
    gen('nic-rss', 4096, 1152, true),
    gen('nic-rss', 8192, 512),
    gen('nic-rss', 20000, 64),
    gen('nic-rss', 20000, 1152),
    gen('elephants', 24, 3),
    gen('elephants', 64, 8, true),
    gen('elephants', 500, 16),
    gen('elephants', 2000, 2),
    gen('elephants', 1000, 64),
    gen('elephants', 4096, 1152),
    gen('lumpy', 2000, 2, true),
    gen('lumpy', 2500, 16),
    gen('lumpy', 3000, 64),
    gen('lumpy', 2048, 256),
    gen('lumpy', 3000, 1152),
    gen('near-uniform', 2000, 2),
    gen('near-uniform', 256, 16),
    gen('near-uniform', 250, 16, true),
    gen('near-uniform', 1001, 8),
    gen('near-uniform', 4096, 1152),
    gen('near-uniform', 20000, 1152),
    { family: 'corpus-1152', n: 0, k: 1152, seed: 0 },
  ];
}

const textCache = new Map<string, string>();
function readCached(path: string): string {
  let t = textCache.get(path);
  if (t === undefined) {
    t = readFileSync(path, 'utf8');
    textCache.set(path, t);
  }
  return t;
}

/**
 * Items from a /proc/interrupts-style file: one per numbered IRQ (first occurrence), load = row
 * total, current = the CPU that serviced most of it. With `k` CPUs 0..k-1 planned; a current CPU
 * outside them is simply unknown to the planner.
 */
function itemsFromFile(path: string): PlanItem[] {
  const snap = parseInterrupts(readCached(path));
  const items: PlanItem[] = [];
  for (const row of snap.rows) {
    if (!row.numeric || row.occurrence !== 0) continue;
    const current = dominantCpu(row, snap.cpus);
    items.push(
      current === undefined
        ? { id: row.label, load: row.total }
        : { id: row.label, load: row.total, current },
    );
  }
  return items;
}

export function buildInstance(spec: CaseSpec): Instance {
  const cpus = Array.from({ length: spec.k }, (_, i) => i);
  let items: PlanItem[];
  switch (spec.family) {
    case 'seed':
      items = itemsFromFile(SEED_FILE);
      break;
    case 'seed-variant':
      items = itemsFromFile(SEED_VARIANT);
      break;
    case 'corpus-1152':
      items = itemsFromFile(CORPUS_1152);
      break;
    default:
      items = itemsFromLoads(generate(spec.family, spec.n, spec.k, spec.seed), spec.k);
  }
  return { spec: { ...spec, n: items.length }, cpus, items };
}
