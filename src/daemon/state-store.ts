/**
 * irqkitd's state file, `<state dir>/state.json`: the pins to keep and the affinities irqkitd
 * changed, as they were before (so that --restore-on-exit and `irqkit restore` work after a crash).
 *
 * Saved atomically: the document is written to a temporary file in the same directory, fsynced,
 * renamed over state.json, and the directory is fsynced. rename(2) within a directory replaces the
 * name in one step, so a reader, or a restart after a crash or power loss at any moment, finds
 * either the whole old file or the whole new one, never a mix; the fsync before the rename makes
 * sure the name never points at data still in the page cache (a zero-length file after a crash on
 * XFS or ext4 without auto_da_alloc); the directory fsync makes the rename itself durable before
 * the API answers. A failed save (ENOSPC, EROFS, EACCES …) removes the temporary file and leaves
 * state.json as it was.
 *
 * The file system calls are injectable, so tests can make any step fail (ENOSPC on write, EIO on
 * fsync) without a full disk.
 */
import {
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatCpuList, parseCpuList } from '../core/cpuset.ts';
import { IrqkitError } from '../core/errors.ts';

export const DEFAULT_STATE_DIR = '/var/lib/irqkit';
export const STATE_FILE = 'state.json';
const FORMAT = 'irqkit-state';
const VERSION = 1;
const TEMP = /^\.state\.json\.[0-9]+\.[0-9]+\.tmp$/;

/** The synchronous file system calls a save needs; `nodeStateFs` is the real one. */
export interface StateFs {
  mkdirp(path: string, mode: number): void;
  /** Creates or truncates a file for writing. */
  openForWrite(path: string, mode: number): number;
  /** Opens a directory, for fsync. */
  openDir(path: string): number;
  write(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsync(fd: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** The file's text, null when it does not exist. */
  readFile(path: string): string | null;
  /** Entry names, [] when the directory does not exist. */
  readdir(path: string): string[];
}

/** No such file; ENOTDIR too: a path through a regular file cannot hold a state file to protect. */
const isMissing = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export const nodeStateFs: StateFs = {
  mkdirp: (path, mode) => {
    mkdirSync(path, { recursive: true, mode });
  },
  openForWrite: (path, mode) =>
    openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode),
  openDir: (path) => openSync(path, constants.O_RDONLY | constants.O_DIRECTORY),
  write: (fd, data, offset, length) => writeSync(fd, data, offset, length),
  fsync: (fd) => fsyncSync(fd),
  close: (fd) => closeSync(fd),
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
  readFile(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  },
  readdir(path) {
    try {
      return readdirSync(path);
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  },
};

export interface PinRecord {
  cpu: number;
  /** Handler names when pinned ("eth0-TxRx-0"): a reused IRQ number with other handlers is not re-pinned. */
  name: string;
  /** ISO time of the request that pinned it. */
  since: string;
}

export interface OriginalRecord {
  /** smp_affinity_list before irqkitd first changed it. */
  affinity: number[];
  name: string;
  since: string;
}

export interface DesiredState {
  /** /proc/sys/kernel/random/boot_id when saved: originals describe that boot only. */
  bootId: string | null;
  pins: Map<string, PinRecord>;
  originals: Map<string, OriginalRecord>;
}

export const emptyState = (bootId: string | null = null): DesiredState => ({
  bootId,
  pins: new Map(),
  originals: new Map(),
});

/** The document on disk: plain JSON a person can read, with cpulists as the kernel prints them. */
export function serialiseState(state: DesiredState, savedAt: string): string {
  const byIrq = <T>(m: Map<string, T>): [string, T][] => [...m].sort((a, b) => Number(a[0]) - Number(b[0]));
  const doc = {
    format: FORMAT,
    version: VERSION,
    savedAt,
    bootId: state.bootId,
    pins: Object.fromEntries(byIrq(state.pins).map(([irq, p]) => [irq, { ...p }])),
    originals: Object.fromEntries(
      byIrq(state.originals).map(([irq, o]) => [
        irq,
        { affinity: formatCpuList(o.affinity), name: o.name, since: o.since },
      ]),
    ),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const IRQ = /^[0-9]{1,7}$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a state document; throws a message naming the first problem. */
export function parseState(text: string): DesiredState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc) || doc.format !== FORMAT) throw new Error(`not an ${FORMAT} document`);
  if (doc.version !== VERSION) throw new Error(`version ${String(doc.version)} is not ${VERSION}`);
  if (doc.bootId !== null && typeof doc.bootId !== 'string') throw new Error('bootId must be a string');
  if (!isObject(doc.pins) || !isObject(doc.originals)) throw new Error('pins and originals must be objects');
  const state = emptyState(doc.bootId);
  for (const [irq, p] of Object.entries(doc.pins)) {
    if (!IRQ.test(irq) || !isObject(p)) throw new Error(`pins.${irq} is malformed`);
    const cpu = p.cpu;
    if (typeof cpu !== 'number' || !Number.isInteger(cpu) || cpu < 0 || cpu > 65_535)
      throw new Error(`pins.${irq}.cpu must be a CPU number`);
    state.pins.set(irq, {
      cpu,
      name: typeof p.name === 'string' ? p.name : '',
      since: typeof p.since === 'string' ? p.since : '',
    });
  }
  for (const [irq, o] of Object.entries(doc.originals)) {
    if (!IRQ.test(irq) || !isObject(o) || typeof o.affinity !== 'string')
      throw new Error(`originals.${irq} is malformed`);
    let affinity: number[];
    try {
      affinity = parseCpuList(o.affinity);
    } catch {
      throw new Error(`originals.${irq}.affinity is not a cpulist`);
    }
    if (affinity.length === 0) throw new Error(`originals.${irq}.affinity is empty`);
    state.originals.set(irq, {
      affinity,
      name: typeof o.name === 'string' ? o.name : '',
      since: typeof o.since === 'string' ? o.since : '',
    });
  }
  return state;
}

export interface LoadResult {
  state: DesiredState;
  /** Set when the file could not be used: it was moved aside to `movedTo` (or could not be). */
  problem?: { message: string; movedTo: string | null };
}

export interface StateStore {
  /** state.json's path, null when state is kept in memory only. */
  readonly file: string | null;
  /** Reads the file (no file: empty state) and removes temporary files a crash left behind. */
  load(options?: { moveAsideCorrupt?: boolean }): LoadResult;
  /** Writes the whole state atomically; IRQ_ERR_STATE_WRITE when it cannot (the file is unchanged then). */
  save(state: DesiredState): SaveResult;
}

export interface SaveResult {
  /** False when the directory fsync failed: the new file is in place but may not survive a power loss. */
  durable: boolean;
  warning?: string;
}

export interface StateStoreOptions {
  /** null: nothing is written (tests, and a daemon started without a state directory). */
  dir: string | null;
  fs?: StateFs;
  now?: () => Date;
}

export function createStateStore(options: StateStoreOptions): StateStore {
  const fs = options.fs ?? nodeStateFs;
  const now = options.now ?? (() => new Date());
  const dir = options.dir;
  if (dir === null) {
    return { file: null, load: () => ({ state: emptyState() }), save: () => ({ durable: false }) };
  }
  const file = join(dir, STATE_FILE);
  let counter = 0;

  const saveError = (step: string, e: unknown): IrqkitError => {
    const errno = (e as NodeJS.ErrnoException).code;
    const why =
      errno === 'ENOSPC' || errno === 'EDQUOT'
        ? 'no space left on the device'
        : errno === 'EROFS'
          ? 'read-only file system'
          : errno === 'EACCES' || errno === 'EPERM'
            ? 'permission denied'
            : (e as Error).message;
    return new IrqkitError(
      'IRQ_ERR_STATE_WRITE',
      `cannot save ${file} (${step}: ${why}); nothing was changed`,
      { path: file, ...(errno ? { errno } : {}) },
      { cause: e },
    );
  };

  return {
    file,
    load(loadOptions = {}) {
      let names: string[];
      try {
        names = fs.readdir(dir);
      } catch (e) {
        throw new IrqkitError('IRQ_ERR_FILE_READ', `cannot read ${dir}: ${(e as Error).message}`, {
          path: dir,
        });
      }
      for (const name of names) {
        if (!TEMP.test(name)) continue;
        try {
          fs.unlink(join(dir, name));
        } catch {
          // another process's, or already gone: harmless either way
        }
      }
      let text: string | null;
      try {
        text = fs.readFile(file);
      } catch (e) {
        throw new IrqkitError('IRQ_ERR_FILE_READ', `cannot read ${file}: ${(e as Error).message}`, {
          path: file,
        });
      }
      if (text === null) return { state: emptyState() };
      try {
        return { state: parseState(text) };
      } catch (e) {
        const message = `${file} is unusable: ${(e as Error).message}`;
        if (loadOptions.moveAsideCorrupt !== true)
          return { state: emptyState(), problem: { message, movedTo: null } };
        // Keep it for a person to look at rather than overwrite it with the next save.
        const aside = `${file}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
        try {
          fs.rename(file, aside);
          return { state: emptyState(), problem: { message, movedTo: aside } };
        } catch {
          return { state: emptyState(), problem: { message, movedTo: null } };
        }
      }
    },
    save(state) {
      const data = Buffer.from(serialiseState(state, now().toISOString()));
      const tmp = join(dir, `.${STATE_FILE}.${process.pid}.${counter++}.tmp`);
      let step = 'create the directory';
      let fd: number | null = null;
      let created = false;
      try {
        fs.mkdirp(dir, 0o700);
        step = 'create a temporary file';
        fd = fs.openForWrite(tmp, 0o600);
        created = true;
        step = 'write';
        for (let off = 0; off < data.length; ) {
          const n = fs.write(fd, data, off, data.length - off);
          // A write that makes no progress would loop for ever; the kernel reports ENOSPC next time.
          if (n <= 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
          off += n;
        }
        step = 'fsync';
        fs.fsync(fd);
        step = 'close';
        const closing = fd;
        fd = null;
        fs.close(closing);
        step = 'rename';
        fs.rename(tmp, file);
        created = false;
      } catch (e) {
        if (fd !== null) {
          try {
            fs.close(fd);
          } catch {
            // the save has failed already
          }
        }
        if (created) {
          try {
            fs.unlink(tmp);
          } catch {
            // leave it to the next load's clean-up
          }
        }
        throw saveError(step, e);
      }
      // The new file is in place for every reader; the directory fsync makes that survive a power
      // loss. Failing it cannot undo what the rename did, so it is a warning, not a failed save.
      let dfd: number | null = null;
      try {
        dfd = fs.openDir(dir);
        fs.fsync(dfd);
        return { durable: true };
      } catch (e) {
        return {
          durable: false,
          warning: `${file} was replaced, but fsync of ${dir} failed (${(e as Error).message}): the change may not survive a power loss`,
        };
      } finally {
        if (dfd !== null) {
          try {
            fs.close(dfd);
          } catch {
            // nothing left to do with it
          }
        }
      }
    },
  };
}
