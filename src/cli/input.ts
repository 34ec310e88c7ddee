/** Where a command's /proc/interrupts text comes from: a file, stdin ('-'), or live procfs. */
import { IrqkitError } from '../core/errors.ts';
import { parseInterrupts } from '../core/parse-interrupts.ts';
import { deltaAsSnapshot, diffSnapshots } from '../core/rates.ts';
import type { Snapshot } from '../core/snapshot.ts';
import { createProcFs } from '../io/procfs.ts';
import type { CliIo } from './io.ts';

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

/**
 * Live rates: two reads of <root>/interrupts `intervalMs` apart, differenced (32-bit wraps,
 * resets, IRQs and CPUs that come and go are handled by diffSnapshots). The result is a
 * snapshot whose counts are the interrupts of the window.
 */
export async function sampleSnapshot(
  io: CliIo,
  options: { strict: boolean; procRoot?: string | undefined; intervalMs: number },
): Promise<LoadedSnapshot> {
  const fs = createProcFs(options.procRoot);
  const source = `${fs.root}/interrupts`;
  const read = (): Snapshot => {
    try {
      return parseInterrupts(fs.readInterrupts(), { strict: options.strict });
    } catch (e) {
      if (e instanceof IrqkitError)
        throw new IrqkitError(e.code, `${source}: ${e.message}`, { ...e.details, source });
      throw e;
    }
  };
  const first = read();
  const start = io.now();
  await io.sleep(options.intervalMs);
  const second = read();
  const seconds = (io.now() - start) / 1000;
  const delta = diffSnapshots(first, second, { seconds });
  return { snapshot: deltaAsSnapshot(second, delta), source, seconds };
}

export function reportWarnings(io: CliIo, loaded: LoadedSnapshot): void {
  const { warnings } = loaded.snapshot;
  const shown = warnings.slice(0, 20);
  for (const w of shown) io.stderr(`warning: ${loaded.source}:${w.line}: ${w.message}\n`);
  if (warnings.length > shown.length) {
    io.stderr(`warning: ${warnings.length - shown.length} more lines were skipped\n`);
  }
}
