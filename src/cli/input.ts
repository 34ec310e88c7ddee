/** Where a command's /proc/interrupts text comes from: a file, stdin ('-'), or live procfs. */
import { IrqkitError } from '../core/errors.ts';
import { parseInterrupts } from '../core/parse-interrupts.ts';
import { deltaAsSnapshot, diffSnapshots } from '../core/rates.ts';
import { subIntervalCounts } from '../core/sampled-variance.ts';
import type { Snapshot } from '../core/snapshot.ts';
import { createProcFs } from '../io/procfs.ts';
import type { CliIo } from './io.ts';
import { count } from './render/format.ts';

export interface LoadedSnapshot {
  snapshot: Snapshot;
  /** What was read, for messages: a path, "stdin" or "<root>/interrupts". */
  source: string;
  /** For a live measurement: the window's length in seconds. */
  seconds?: number;
}

export async function loadSnapshot(
  io: CliIo,
  file: string | undefined,
  options: { strict: boolean; procRoot?: string | undefined },
): Promise<LoadedSnapshot> {
  let text: string;
  let source: string;
  if (file === '-') {
    text = await io.readStdin();
    source = 'stdin';
  } else if (file !== undefined) {
    text = io.readFile(file);
    source = file;
  } else {
    const fs = createProcFs(options.procRoot);
    source = `${fs.root}/interrupts`;
    text = fs.readInterrupts();
  }
  try {
    return { snapshot: parseInterrupts(text, { strict: options.strict }), source };
  } catch (e) {
    if (e instanceof IrqkitError) {
      throw new IrqkitError(e.code, `${source}: ${e.message}`, { ...e.details, source });
    }
    throw e;
  }
}

/** A live measurement: the window's counts, and how they were spread over its sub-intervals. */
export interface SampledSnapshot extends LoadedSnapshot {
  seconds: number;
  /** How many equal sub-intervals the window was read in. */
  samples: number;
  /** Each numbered IRQ's count in every sub-interval (core/sampled-variance.ts). */
  parts: Map<string, number[]>;
}

/**
 * Live rates: `samples` + 1 reads of <root>/interrupts spread evenly over `intervalMs`; the
 * window is the first read differenced with the last (32-bit wraps, resets, IRQs and CPUs that
 * come and go are handled by diffSnapshots), and each pair of neighbouring reads gives one
 * sub-interval's counts, from which each IRQ's variance is estimated.
 */
export async function sampleSnapshot(
  io: CliIo,
  options: { strict: boolean; procRoot?: string | undefined; intervalMs: number; samples?: number },
): Promise<SampledSnapshot> {
  const fs = createProcFs(options.procRoot);
  const source = `${fs.root}/interrupts`;
  const samples = options.samples ?? 1;
  const read = (): Snapshot => {
    // A read error names its path already; only the parser's need the source in front.
    const text = fs.readInterrupts();
    try {
      return parseInterrupts(text, { strict: options.strict });
    } catch (e) {
      if (e instanceof IrqkitError)
        throw new IrqkitError(e.code, `${source}: ${e.message}`, { ...e.details, source });
      throw e;
    }
  };
  const reads = [read()];
  const start = io.now();
  for (let i = 1; i <= samples; i++) {
    // Each read is due at its own time from the start, so a slow read does not stretch the window.
    await io.sleep(Math.max(0, start + (options.intervalMs * i) / samples - io.now()));
    reads.push(read());
  }
  const seconds = (io.now() - start) / 1000;
  const first = reads[0] as Snapshot;
  const last = reads[reads.length - 1] as Snapshot;
  const delta = diffSnapshots(first, last, { seconds });
  const parts = subIntervalCounts(reads.slice(1).map((s, i) => diffSnapshots(reads[i] as Snapshot, s)));
  return { snapshot: deltaAsSnapshot(last, delta), source, seconds, samples, parts };
}

export function reportWarnings(io: CliIo, loaded: LoadedSnapshot): void {
  const { warnings } = loaded.snapshot;
  const shown = warnings.slice(0, 20);
  for (const w of shown) io.stderr(`warning: ${loaded.source}:${w.line}: ${w.message}\n`);
  if (warnings.length > shown.length) {
    const more = warnings.length - shown.length;
    io.stderr(`warning: ${count(more, 'more line')} ${more === 1 ? 'was' : 'were'} skipped\n`);
  }
}
