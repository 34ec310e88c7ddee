/**
 * The bundled CLI reading `<procRoot>/interrupts` through FIFOs, so each of its reads gets the
 * next text of a list whatever the machine's load and however long it sleeps in between.
 *
 * Every read has its own FIFO. While the CLI's open of the path meets the test's open of FIFO i,
 * the test puts FIFO i+1 in the path's place, and only then answers with text i; the CLI's next
 * open can only find FIFO i+1. After the last text a regular file holding it takes the path, so a
 * read too many reads a quiet window instead of waiting forever.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { bundlePath, type CliRun } from './cli.ts';

/** Runs `irqkit ...args` while `<procRoot>/interrupts` answers its reads with `reads`, in order. */
export async function runOverReads(
  procRoot: string,
  reads: readonly string[],
  args: readonly string[],
): Promise<CliRun> {
  assert.ok(reads.length > 0, 'at least one read');
  const spare = mkdtempSync(join(procRoot, '.reads-'));
  const path = join(procRoot, 'interrupts');
  try {
    const fifos = reads.map((_, i) => {
      const fifo = join(spare, String(i));
      const mk = spawnSync('mkfifo', [fifo]);
      assert.equal(mk.status, 0, `mkfifo: ${mk.stderr}`);
      return fifo;
    });
    const last = join(spare, 'last');
    writeFileSync(last, reads[reads.length - 1] as string);
    await rename(fifos[0] as string, path);

    const child = spawn(process.execPath, [bundlePath(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < reads.length; i++) {
      // Opening a FIFO for writing waits for its reader: the CLI's read number i.
      const opening = open(path, 'w');
      const fifo = await Promise.race([opening, closed.then(() => null)]);
      if (fifo === null) {
        // Meet the pending open with a reader of our own, so that nothing is left waiting.
        closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
        await (await opening).close();
        return { code: await closed, stdout, stderr: `${stderr}(the CLI ended before read ${i + 1})\n` };
      }
      try {
        await rename(i + 1 < reads.length ? (fifos[i + 1] as string) : last, path);
        await fifo.writeFile(reads[i] as string);
      } finally {
        await fifo.close();
      }
    }
    return { code: await closed, stdout, stderr };
  } finally {
    rmSync(spare, { recursive: true, force: true });
  }
}
