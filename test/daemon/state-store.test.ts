/**
 * The state file is written atomically: temp file, fsync, rename, directory fsync. A save that
 * fails at any step (a full disk, an I/O error) leaves the old file whole and no temp file; a
 * crash at any moment leaves the old file or the new one, never a torn one. The file system calls
 * are injected to make each step fail; a real 16 KiB tmpfs shows ENOSPC from the kernel too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createStateStore,
  type DesiredState,
  emptyState,
  nodeStateFs,
  parseState,
  STATE_FILE,
  type StateFs,
} from '../../src/daemon/state-store.ts';
import { throwsCode } from '../helpers/errors.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

function stateWith(pins: number, originals = 0, bootId: string | null = 'boot-1'): DesiredState {
  const s = emptyState(bootId);
  for (let i = 0; i < pins; i++)
    s.pins.set(String(24 + i), { cpu: i % 8, name: `eth0-TxRx-${i}`, since: 'then' });
  for (let i = 0; i < originals; i++)
    s.originals.set(String(24 + i), { affinity: [0, 1, 2, 3], name: `eth0-TxRx-${i}`, since: 'then' });
  return s;
}

const errno = (code: string): Error => Object.assign(new Error(`${code}: injected`), { code });

type Op = { op: keyof StateFs; args: unknown[] };

/** nodeStateFs that records every call and can throw at one of them. */
function recordingFs(failAt?: { op: keyof StateFs; nth?: number; error: Error }): StateFs & { ops: Op[] } {
  const ops: Op[] = [];
  const seen = new Map<string, number>();
  const wrap =
    <K extends keyof StateFs>(op: K) =>
    (...args: unknown[]): unknown => {
      ops.push({ op, args });
      const n = (seen.get(op) ?? 0) + 1;
      seen.set(op, n);
      if (failAt && failAt.op === op && (failAt.nth ?? 1) === n) throw failAt.error;
      return (nodeStateFs[op] as (...a: unknown[]) => unknown)(...args);
    };
  const fs = Object.fromEntries(
    Object.keys(nodeStateFs).map((k) => [k, wrap(k as keyof StateFs)]),
  ) as unknown as StateFs;
  return Object.assign(fs, { ops });
}

const listDir = (dir: string): string[] => readdirSync(dir).sort();

describe('state file: atomic save', () => {
  let root: string;
  let n = 0;
  const freshDir = (): string => join(root, `s${n++}`);
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'irqkit-state-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes a temp file, fsyncs it, renames it over state.json, then fsyncs the directory', () => {
    const dir = freshDir();
    const fs = recordingFs();
    const store = createStateStore({ dir, fs });
    const r = store.save(stateWith(2, 1));
    assert.equal(r.durable, true);
    const order = fs.ops.map((o) => o.op).filter((op) => op !== 'write');
    assert.deepEqual(order, [
      'mkdirp',
      'stat',
      'lstat',
      'openForWrite',
      'fsync',
      'close',
      'rename',
      'openDir',
      'fsync',
      'close',
    ]);
    const rename = fs.ops.find((o) => o.op === 'rename');
    assert.ok(rename);
    const [tmp, target] = rename.args as [string, string];
    assert.equal(target, join(dir, STATE_FILE));
    assert.match(tmp, /\/\.state\.json\.[0-9a-f]{32}\.tmp$/, 'a random temp name in the same directory');
    assert.deepEqual(listDir(dir), [STATE_FILE]);
    const back = parseState(readFileSync(target, 'utf8'));
    assert.deepEqual([...back.pins.keys()], ['24', '25']);
    assert.deepEqual(back.originals.get('24')?.affinity, [0, 1, 2, 3]);
    assert.equal(back.bootId, 'boot-1');
    const doc = JSON.parse(readFileSync(target, 'utf8')) as {
      format: string;
      originals: Record<string, unknown>;
    };
    assert.equal(doc.format, 'irqkit-state');
    assert.deepEqual(
      doc.originals['24'],
      { affinity: '0-3', name: 'eth0-TxRx-0', since: 'then' },
      'cpulists as the kernel prints them',
    );
  });

  it('a save that fails at any step leaves the old file whole and no temp file', () => {
    const failures: Array<{ op: keyof StateFs; error: Error; step: RegExp }> = [
      { op: 'mkdirp', error: errno('EROFS'), step: /create the directory: read-only file system/ },
      { op: 'openForWrite', error: errno('EACCES'), step: /create a temporary file: permission denied/ },
      { op: 'write', error: errno('ENOSPC'), step: /write: no space left on the device/ },
      { op: 'fsync', error: errno('EIO'), step: /fsync: EIO/ },
      { op: 'close', error: errno('EIO'), step: /close: EIO/ },
      { op: 'rename', error: errno('EXDEV'), step: /rename: EXDEV/ },
    ];
    for (const f of failures) {
      const dir = freshDir();
      createStateStore({ dir }).save(stateWith(1));
      const old = readFileSync(join(dir, STATE_FILE), 'utf8');
      const store = createStateStore({ dir, fs: recordingFs({ op: f.op, error: f.error }) });
      const err = throwsCode(() => store.save(stateWith(40, 40)), 'IRQ_ERR_STATE_WRITE', f.step);
      assert.match(err.message, /nothing was changed/);
      assert.equal(err.details?.errno, (f.error as NodeJS.ErrnoException).code, f.op);
      assert.equal(readFileSync(join(dir, STATE_FILE), 'utf8'), old, `${f.op}: the old file is untouched`);
      assert.deepEqual(listDir(dir), [STATE_FILE], `${f.op}: no temp file is left behind`);
    }
  });

  it('a disk that fills up during the write (a short write, then ENOSPC) fails cleanly too', () => {
    const dir = freshDir();
    createStateStore({ dir }).save(stateWith(1));
    const old = readFileSync(join(dir, STATE_FILE), 'utf8');
    let writes = 0;
    const fs: StateFs = {
      ...nodeStateFs,
      write: (fd, data, offset, length) => {
        writes++;
        if (writes === 1) return nodeStateFs.write(fd, data, offset, Math.min(length, 100));
        throw errno('ENOSPC');
      },
    };
    throwsCode(
      () => createStateStore({ dir, fs }).save(stateWith(50, 50)),
      'IRQ_ERR_STATE_WRITE',
      /no space/,
    );
    assert.equal(writes, 2, 'the short write was continued before failing');
    assert.equal(readFileSync(join(dir, STATE_FILE), 'utf8'), old);
    assert.deepEqual(listDir(dir), [STATE_FILE]);
  });

  it('a crash at any moment of a save leaves the old or the new file, never a torn one', async () => {
    // Record the real calls of one save, then replay every prefix of them on a copy of the old
    // directory, as if the process died right after that call (and also in the middle of each
    // write). Each time, what a restart loads must be exactly the old state or the new one.
    const oldState = stateWith(1, 1);
    const newState = stateWith(3, 30);
    const dir = freshDir();
    createStateStore({ dir }).save(oldState);
    const fs = recordingFs();
    createStateStore({ dir, fs }).save(newState);
    const ops = fs.ops;
    let checked = 0;
    for (let k = 0; k <= ops.length; k++) {
      for (const tornWrite of [false, true]) {
        if (tornWrite && ops[k]?.op !== 'write') continue;
        const copy = freshDir();
        createStateStore({ dir: copy }).save(oldState);
        const fds = new Map<number, number>();
        const remap = (p: unknown): string => String(p).replace(dir, copy);
        for (const [i, { op, args }] of ops.slice(0, tornWrite ? k + 1 : k).entries()) {
          if (op === 'openForWrite') fds.set(-1, openSync(remap(args[0]), 'w', 0o600));
          else if (op === 'write') {
            const [, data, offset, length] = args as [number, Uint8Array, number, number];
            const len = tornWrite && i === k ? Math.floor(length / 2) : length;
            writeSync(fds.get(-1) as number, data, offset, len);
          } else if (op === 'close' && fds.has(-1)) {
            closeSync(fds.get(-1) as number);
            fds.delete(-1);
          } else if (op === 'rename') renameSync(remap(args[0]), remap(args[1]));
          else if (op === 'mkdirp') mkdirSync(remap(args[0]), { recursive: true });
        }
        if (fds.has(-1)) closeSync(fds.get(-1) as number);
        // The restart.
        const loaded = await createStateStore({ dir: copy }).load();
        assert.equal(loaded.problem, undefined, `crash after call ${k}: ${loaded.problem?.message}`);
        const pins = loaded.state.pins.size;
        const originals = loaded.state.originals.size;
        assert.ok(
          (pins === 1 && originals === 1) || (pins === 3 && originals === 30),
          `crash after call ${k}${tornWrite ? ' (in mid-write)' : ''}: ${pins} pins, ${originals} originals`,
        );
        assert.deepEqual(listDir(copy), [STATE_FILE], 'the restart removed the temp file the crash left');
        checked++;
      }
    }
    assert.ok(checked >= 8, `${checked} crash points`);
  });

  it('a failed directory fsync after the rename is a warning: the new file is in place', () => {
    const dir = freshDir();
    const store = createStateStore({ dir, fs: recordingFs({ op: 'fsync', nth: 2, error: errno('EIO') }) });
    const r = store.save(stateWith(2));
    assert.equal(r.durable, false);
    assert.match(r.warning ?? '', /fsync of .* failed.*may not survive a power loss/);
    assert.equal(parseState(readFileSync(join(dir, STATE_FILE), 'utf8')).pins.size, 2);
  });
});

describe('state file: loading', () => {
  let root: string;
  let n = 0;
  const freshDir = (): string => {
    const d = join(root, `l${n++}`);
    mkdirSync(d);
    return d;
  };
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'irqkit-state-load-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('no directory or no file is an empty state', async () => {
    const r = await createStateStore({ dir: join(root, 'nowhere') }).load();
    assert.equal(r.problem, undefined);
    assert.equal(r.state.pins.size, 0);
  });

  it('a corrupt file is moved aside for a person to read, not overwritten', async () => {
    const bad = [
      '{"format":"irqkit-state"',
      '[]',
      '{"format":"other"}',
      '{"format":"irqkit-state","version":2}',
    ];
    for (const text of bad) {
      const dir = freshDir();
      writeFileSync(join(dir, STATE_FILE), text);
      const r = await createStateStore({ dir, now: () => new Date('2025-01-02T03:04:05Z') }).load({
        moveAsideCorrupt: true,
      });
      assert.equal(r.state.pins.size, 0);
      assert.match(r.problem?.message ?? '', /unusable/);
      assert.equal(r.problem?.movedTo, join(dir, `${STATE_FILE}.corrupt-2025-01-02T03-04-05-000Z`));
      assert.equal(readFileSync(r.problem?.movedTo as string, 'utf8'), text);
      assert.deepEqual(listDir(dir), [`${STATE_FILE}.corrupt-2025-01-02T03-04-05-000Z`]);
    }
  });

  it('rejects malformed entries with a message naming them', () => {
    const doc = (pins: unknown, originals: unknown = {}) =>
      JSON.stringify({ format: 'irqkit-state', version: 1, bootId: null, pins, originals });
    assert.throws(() => parseState(doc({ '41': { cpu: -1 } })), /pins\.41\.cpu/);
    assert.throws(() => parseState(doc({ '../x': { cpu: 1 } })), /a key of pins is not an IRQ number/);
    assert.throws(() => parseState(doc({}, { '41': { affinity: 'x' } })), /originals\.41\.affinity/);
    assert.equal(parseState(doc({ '41': { cpu: 3 } })).pins.get('41')?.cpu, 3);
  });

  it('removes temp files a crash left behind, and keeps everything else', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, '.state.json.123.0.tmp'), '{"half');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await createStateStore({ dir }).load();
    assert.deepEqual(listDir(dir), ['notes.txt']);
  });
});

/** A real 16 KiB tmpfs: only root in a mount namespace that allows it. */
function mountTinyTmpfs(): { dir: string; unmount(): void } | string {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k,mode=0700', 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(r.stderr || r.error?.message || 'mount failed').trim()})`;
  }
  return {
    dir,
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('state file on a real full disk (16 KiB tmpfs)', () => {
  const mounted = mountTinyTmpfs();
  const skip = typeof mounted === 'string' ? `${mounted}: the injected-ENOSPC tests above cover it` : false;
  after(() => {
    if (typeof mounted !== 'string') mounted.unmount();
  });

  it('ENOSPC from the kernel: IRQ_ERR_STATE_WRITE, the old file intact, no temp file left', {
    skip,
  }, async () => {
    if (typeof mounted === 'string') return;
    const dir = join(mounted.dir, 'irqkit');
    const store = createStateStore({ dir });
    store.save(stateWith(2, 2));
    const old = readFileSync(join(dir, STATE_FILE), 'utf8');
    // ~60 KiB of JSON cannot fit in 16 KiB.
    const err = throwsCode(() => store.save(stateWith(300, 300)), 'IRQ_ERR_STATE_WRITE', /no space left/);
    assert.equal(err.details?.errno, 'ENOSPC');
    assert.equal(readFileSync(join(dir, STATE_FILE), 'utf8'), old);
    assert.deepEqual(listDir(dir), [STATE_FILE]);
    // Space is back once the state is small again.
    store.save(stateWith(3));
    assert.equal((await createStateStore({ dir }).load()).state.pins.size, 3);
  });
});
