/**
 * Parser throughput: parseInterrupts() on the 13 MB 1152-CPU corpus file (a few runs), a 174 KB
 * 40-CPU file, and the 4.7 KB seed file (many iterations per sample). Input is read once as a
 * string, so the figures are parse time only (no I/O, no UTF-8 decoding).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseInterrupts } from '../src/core/parse-interrupts.ts';
import type { Snapshot } from '../src/core/snapshot.ts';
import { collect, heapUsed } from './memory.ts';
import { CORPUS_40, CORPUS_1152, SEED_FILE } from './paths.ts';
import { mb, median, ms, section, table } from './report.ts';

export interface ParserResult {
  file: string;
  bytes: number;
  cpus: number;
  rows: number;
  warnings: number;
  samples: number;
  /** Parses per sample (small files are parsed many times per timed sample). */
  perSample: number;
  bestMs: number;
  medianMs: number;
  /** Heap still held by one parsed snapshot, after a full GC. */
  retained: number;
}

function measure(path: string, samples: number, perSample: number): ParserResult {
  const text = readFileSync(path, 'utf8');
  const bytes = Buffer.byteLength(text, 'utf8');
  let snap: Snapshot = parseInterrupts(text); // warm-up
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t = performance.now();
    for (let i = 0; i < perSample; i++) snap = parseInterrupts(text);
    times.push((performance.now() - t) / perSample);
  }
  collect();
  const before = heapUsed();
  let kept: Snapshot | null = parseInterrupts(text);
  collect();
  const retained = heapUsed() - before;
  const result: ParserResult = {
    file: basename(path),
    bytes,
    cpus: kept.cpus.length,
    rows: kept.rows.length,
    warnings: snap.warnings.length,
    samples,
    perSample,
    bestMs: Math.min(...times),
    medianMs: median(times),
    retained,
  };
  kept = null;
  return result;
}

export function runParserBench(quick: boolean, out: (line: string) => void): ParserResult[] {
  out(section('Parser throughput: parseInterrupts(text)'));
  const results = [
    measure(CORPUS_1152, quick ? 3 : 5, 1),
    measure(CORPUS_40, quick ? 3 : 5, quick ? 10 : 40),
    measure(SEED_FILE, 5, quick ? 500 : 4000),
  ];
  const mbps = (bytes: number, t: number): string => (bytes / 1e6 / (t / 1000)).toFixed(1);
  out(
    table(
      [
        { header: 'file' },
        { header: 'size', align: 'right' },
        { header: 'CPUs', align: 'right' },
        { header: 'rows', align: 'right' },
        { header: 'warn', align: 'right' },
        { header: 'runs', align: 'right' },
        { header: 'best ms', align: 'right' },
        { header: 'median ms', align: 'right' },
        { header: 'best MB/s', align: 'right' },
        { header: 'median MB/s', align: 'right' },
        { header: 'heap held', align: 'right' },
        { header: 'heap/input', align: 'right' },
      ],
      results.map((r) => [
        r.file.length > 40 ? `${r.file.slice(0, 39)}…` : r.file,
        r.bytes >= 1e6 ? mb(r.bytes) : `${(r.bytes / 1e3).toFixed(1)} kB`,
        String(r.cpus),
        String(r.rows),
        String(r.warnings),
        r.perSample > 1 ? `${r.samples}×${r.perSample}` : String(r.samples),
        ms(r.bestMs),
        ms(r.medianMs),
        mbps(r.bytes, r.bestMs),
        mbps(r.bytes, r.medianMs),
        r.retained >= 1e6 ? mb(r.retained) : `${(r.retained / 1e3).toFixed(1)} kB`,
        `${(r.retained / r.bytes).toFixed(2)}×`,
      ]),
    ),
  );
  out(
    '  (small files: each run is the mean of the runs×N parses; heap held = one snapshot kept alive, after GC)',
  );
  return results;
}
