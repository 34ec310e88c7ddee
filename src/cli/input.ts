/** Where a command's /proc/interrupts text comes from: a file, stdin ('-'), or live procfs. */
import { IrqkitError } from '../core/errors.ts';
import { parseInterrupts } from '../core/parse-interrupts.ts';
import type { Snapshot } from '../core/snapshot.ts';
import { createProcFs } from '../io/procfs.ts';
import type { CliIo } from './io.ts';

export interface LoadedSnapshot {
  snapshot: Snapshot;
  /** What was read, for messages: a path, "stdin" or "<root>/interrupts". */
  source: string;
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

export function reportWarnings(io: CliIo, loaded: LoadedSnapshot): void {
  const { warnings } = loaded.snapshot;
  const shown = warnings.slice(0, 20);
  for (const w of shown) io.stderr(`warning: ${loaded.source}:${w.line}: ${w.message}\n`);
  if (warnings.length > shown.length) {
    io.stderr(`warning: ${warnings.length - shown.length} more lines were skipped\n`);
  }
}
