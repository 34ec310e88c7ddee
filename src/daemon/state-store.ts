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
 *
 * The daemon runs as root and applies the pins it reads, so whoever can write the state file can
 * place root's IRQs. The directory and the file must therefore belong to the daemon's user and be
 * writable by nobody else, or irqkitd refuses to start (IRQ_ERR_STATE_UNSAFE) and to save (507).
 * Temp files get a random name and O_EXCL | O_NOFOLLOW, so a file or symlink planted at the name
 * is never written through; state.json is opened with O_NOFOLLOW | O_NONBLOCK (a FIFO cannot hold
 * the open) and read only when fstat says it is a regular file of at most MAX_STATE_BYTES, so a
 * symlink to /dev/zero or a FIFO is refused before a byte is read. The open and the reads run off
 * the event loop, under a deadline (`readTimeoutMs`): a file on a hung network file system fails
 * the load instead of holding start-up or a running daemon. Error messages never quote the file's
 * content: it may be a secret that a symlink pointed at.
 */
import { randomBytes } from 'node:crypto';
import {
  close as closeCallback,
  closeSync,
  constants,
  fstat as fstatCallback,
  fsyncSync,
  lstatSync,
  mkdirSync,
  open as openCallback,
  openSync,
  read as readCallback,
  readdirSync,
  renameSync,
  type Stats,
  statSync,
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
/** Today's random temp names, and the pid.counter ones of earlier versions. */
const TEMP = /^\.state\.json\.([0-9]+\.[0-9]+|[0-9a-f]{32})\.tmp$/;
/** Far above any real state (2,000 pins are ~200 KiB), far below what could hurt memory. */
export const MAX_STATE_BYTES = 4 * 1024 * 1024;
/** How long reading state.json may take before the load fails (a local disk needs milliseconds). */
export const STATE_READ_TIMEOUT_MS = 10_000;

/** What the store needs to know about a file or directory. */
export interface FileFacts {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  uid: number;
  mode: number;
  size: number;
}

const facts = (st: Stats): FileFacts => ({
  kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other',
  uid: st.uid,
  mode: st.mode & 0o7777,
  size: st.size,
});

/** The synchronous file system calls a save needs; `nodeStateFs` is the real one. */
export interface StateFs {
  mkdirp(path: string, mode: number): void;
  /** Creates a new file for writing; fails (EEXIST, ELOOP) when anything is at the name already. */
  openForWrite(path: string, mode: number): number;
  /** Opens a directory, for fsync. */
  openDir(path: string): number;
  write(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsync(fd: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** stat(2) of a path (symlinks followed), null when it does not exist. */
  stat(path: string): FileFacts | null;
  /** lstat(2): a symlink is reported as one; null when nothing is there. */
  lstat(path: string): FileFacts | null;
  /**
   * Opens for reading without following a final symlink (ELOOP) or waiting for a FIFO's writer;
   * this and the two below run off the event loop (libuv's thread pool).
   */
  openForRead(path: string): Promise<number>;
  fstat(fd: number): Promise<FileFacts>;
  read(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Closes a descriptor of openForRead. */
  closeRead(fd: number): Promise<void>;
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
    openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode),
  openDir: (path) => openSync(path, constants.O_RDONLY | constants.O_DIRECTORY),
  write: (fd, data, offset, length) => writeSync(fd, data, offset, length),
  fsync: (fd) => fsyncSync(fd),
  close: (fd) => closeSync(fd),
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
  stat(path) {
    try {
      return facts(statSync(path));
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  },
  lstat(path) {
    try {
      return facts(lstatSync(path));
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  },
  openForRead: (path) =>
    new Promise((resolve, reject) =>
      openCallback(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK, (e, fd) =>
        e ? reject(e) : resolve(fd),
      ),
    ),
  fstat: (fd) =>
    new Promise((resolve, reject) => fstatCallback(fd, (e, st) => (e ? reject(e) : resolve(facts(st))))),
  read: (fd, buf, offset, length, position) =>
    new Promise((resolve, reject) =>
      readCallback(fd, buf, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))),
    ),
  closeRead: (fd) => new Promise((resolve) => closeCallback(fd, () => resolve())),
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
  } catch {
    // JSON.parse quotes the text it choked on; the file may be a secret a symlink pointed at.
    throw new Error('not valid JSON');
  }
  if (!isObject(doc) || doc.format !== FORMAT) throw new Error(`not an ${FORMAT} document`);
  if (doc.version !== VERSION) throw new Error(`its version is not ${VERSION}`);
  if (doc.bootId !== null && typeof doc.bootId !== 'string') throw new Error('bootId must be a string');
  if (!isObject(doc.pins) || !isObject(doc.originals)) throw new Error('pins and originals must be objects');
  const state = emptyState(doc.bootId);
  for (const [irq, p] of Object.entries(doc.pins)) {
    if (!IRQ.test(irq)) throw new Error('a key of pins is not an IRQ number');
    if (!isObject(p)) throw new Error(`pins.${irq} is malformed`);
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
    if (!IRQ.test(irq)) throw new Error('a key of originals is not an IRQ number');
    if (!isObject(o) || typeof o.affinity !== 'string') throw new Error(`originals.${irq} is malformed`);
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
  /**
   * Reads the file (no file: empty state) and removes temporary files a crash left behind.
   * IRQ_ERR_FILE_READ when the read takes longer than the store's `readTimeoutMs`.
   */
  load(options?: { moveAsideCorrupt?: boolean }): Promise<LoadResult>;
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
  /** The user that must own the directory and file; the process's effective uid when absent. */
  uid?: number;
  /** STATE_READ_TIMEOUT_MS by default. */
  readTimeoutMs?: number;
}

/** Why `f` (the state dir or file) is not safe to trust, or null. */
function unsafeBecause(f: FileFacts, uid: number): string | null {
  if (f.uid !== uid) return `is owned by uid ${f.uid}, not by irqkitd's user (uid ${uid})`;
  if ((f.mode & 0o022) !== 0) {
    const who = (f.mode & 0o020) !== 0 ? 'group' : 'world';
    return `is ${who}-writable (mode ${f.mode.toString(8).padStart(4, '0')}): another user could write pins`;
  }
  return null;
}

export function createStateStore(options: StateStoreOptions): StateStore {
  const fs = options.fs ?? nodeStateFs;
  const now = options.now ?? (() => new Date());
  const readTimeoutMs = options.readTimeoutMs ?? STATE_READ_TIMEOUT_MS;
  const dir = options.dir;
  if (dir === null) {
    return { file: null, load: async () => ({ state: emptyState() }), save: () => ({ durable: false }) };
  }
  const file = join(dir, STATE_FILE);
  const uid = options.uid ?? (typeof process.geteuid === 'function' ? process.geteuid() : 0);
  const unsafe = (message: string, path: string): IrqkitError =>
    new IrqkitError('IRQ_ERR_STATE_UNSAFE', `${message}; irqkitd will not trust it`, { path });

  /** Throws IRQ_ERR_STATE_UNSAFE when the directory exists and is not safe; false when it is missing. */
  const checkDir = (): boolean => {
    let f: FileFacts | null;
    try {
      f = fs.stat(dir);
    } catch (e) {
      throw new IrqkitError('IRQ_ERR_FILE_READ', `cannot read ${dir}: ${(e as Error).message}`, {
        path: dir,
      });
    }
    if (f === null) return false;
    if (f.kind !== 'dir') throw unsafe(`the state directory ${dir} is not a directory`, dir);
    const why = unsafeBecause(f, uid);
    if (why !== null) throw unsafe(`the state directory ${dir} ${why}`, dir);
    return true;
  };

  /** state.json's text, null when there is none; IRQ_ERR_STATE_UNSAFE for anything but a safe regular file. */
  const readStateFile = async (): Promise<string | null> => {
    let fd: number;
    try {
      fd = await fs.openForRead(file);
    } catch (e) {
      if (isMissing(e)) return null;
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
        throw unsafe(`${file} is a symbolic link`, file);
      }
      throw new IrqkitError('IRQ_ERR_FILE_READ', `cannot read ${file}: ${(e as Error).message}`, {
        path: file,
      });
    }
    try {
      const f = await fs.fstat(fd);
      if (f.kind !== 'file') throw unsafe(`${file} is not a regular file`, file);
      const why = unsafeBecause(f, uid);
      if (why !== null) throw unsafe(`${file} ${why}`, file);
      if (f.size > MAX_STATE_BYTES) {
        throw unsafe(`${file} is ${f.size} bytes, over the ${MAX_STATE_BYTES}-byte limit`, file);
      }
      // One byte more than fstat said, to notice a file that grows while it is read.
      const buf = Buffer.alloc(f.size + 1);
      let got = 0;
      for (;;) {
        const n = await fs.read(fd, buf, got, buf.length - got, got);
        if (n <= 0) break;
        got += n;
        if (got > MAX_STATE_BYTES) throw unsafe(`${file} grew over the ${MAX_STATE_BYTES}-byte limit`, file);
        if (got === buf.length) break;
      }
      if (got > f.size) throw unsafe(`${file} changed while it was read`, file);
      return buf.subarray(0, got).toString('utf8');
    } catch (e) {
      if (e instanceof IrqkitError) throw e;
      throw new IrqkitError('IRQ_ERR_FILE_READ', `cannot read ${file}: ${(e as Error).message}`, {
        path: file,
      });
    } finally {
      // Also after a deadline gave up on this read: the descriptor is closed when it finishes.
      await fs.closeRead(fd).catch(() => undefined);
    }
  };

  /** readStateFile, given up (IRQ_ERR_FILE_READ) when it takes longer than readTimeoutMs. */
  const readWithDeadline = (): Promise<string | null> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new IrqkitError(
            'IRQ_ERR_FILE_READ',
            `cannot read ${file}: no answer within ${readTimeoutMs / 1000} s (a hung file system?)`,
            { path: file },
          ),
        );
      }, readTimeoutMs);
      // Not unref'd: at start-up nothing else may hold the event loop open while this waits.
      readStateFile().then(
        (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });

  const saveError = (step: string, e: unknown): IrqkitError => {
    if (e instanceof IrqkitError) {
      return new IrqkitError('IRQ_ERR_STATE_WRITE', `cannot save: ${e.message}; nothing was changed`, {
        path: file,
        unsafe: e.code === 'IRQ_ERR_STATE_UNSAFE',
      });
    }
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
    async load(loadOptions = {}) {
      if (!checkDir()) return { state: emptyState() };
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
      const text = await readWithDeadline();
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
      /** Re-checked before every save: a change made after start-up is refused just the same. */
      const refuseUnsafe = (): void => {
        checkDir();
        const f = fs.lstat(file);
        if (f === null) return;
        if (f.kind === 'symlink') throw unsafe(`${file} is a symbolic link`, file);
        if (f.kind !== 'file') throw unsafe(`${file} is not a regular file`, file);
        const why = unsafeBecause(f, uid);
        if (why !== null) throw unsafe(`${file} ${why}`, file);
      };
      const data = Buffer.from(serialiseState(state, now().toISOString()));
      // Unguessable, so nobody can plant a file or symlink at the name ahead of time.
      const tmp = join(dir, `.${STATE_FILE}.${randomBytes(16).toString('hex')}.tmp`);
      let step = 'create the directory';
      let fd: number | null = null;
      let created = false;
      try {
        fs.mkdirp(dir, 0o700);
        step = 'check the directory and file';
        refuseUnsafe();
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
