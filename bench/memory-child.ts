/**
 * Runs one job in a fresh process and prints its memory figures as JSON, so that peak RSS belongs
 * to that job alone and not to whatever the bench did before:
 *   node --import tsx bench/memory-child.ts planner FAMILY N K SEED
 *   node --import tsx bench/memory-child.ts parser FILE
 */
import { readFileSync } from 'node:fs';
import { parseInterrupts } from '../src/core/parse-interrupts.ts';
import { plan } from '../src/core/planner/plan.ts';
import { buildInstance, type CaseSpec } from './cases.ts';
import { type ChildReading, collect, heapUsed, peakRss, rss } from './memory.ts';

function main(): void {
  const [kind, ...args] = process.argv.slice(2);
  let job: string;
  let run: () => unknown;
  if (kind === 'planner') {
    const [family, n, k, seed] = args;
    const spec = { family, n: Number(n), k: Number(k), seed: Number(seed) } as CaseSpec;
    const inst = buildInstance(spec);
    job = `plan() ${family} ${inst.items.length} IRQs / ${k} CPUs`;
    run = () => plan({ cpus: inst.cpus, items: inst.items });
  } else if (kind === 'parser') {
    const text = readFileSync(args[0] as string, 'utf8');
    job = `parseInterrupts() ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB`;
    run = () => parseInterrupts(text);
  } else throw new Error(`unknown job '${kind ?? ''}'`);
  collect();
  const rssBefore = rss();
  const heapBefore = heapUsed();
  const t = performance.now();
  const result = run();
  const ms = performance.now() - t;
  const heapAfter = heapUsed();
  const peak = peakRss();
  collect();
  const heapRetained = heapUsed() - heapBefore;
  const reading: ChildReading = { job, rssBefore, heapBefore, peakRss: peak, heapAfter, heapRetained, ms };
  process.stdout.write(`${JSON.stringify(reading)}\n`);
  if (result === undefined) process.exitCode = 1; // keeps `result` alive until the reading is taken
}

main();
