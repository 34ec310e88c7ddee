/**
 * The red team's attacks on the state directory, each against the real kernel: files and symlinks
 * planted at temp names, a state.json owned by another user, a group- or world-writable directory,
 * a FIFO, a symlink to /dev/zero and one to a root-only file. Cases that need a second user chown
 * to `nobody` and so need root (CI runs as root); elsewhere they are skipped with the reason.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createStateStore,
  type DesiredState,
  emptyState,
  MAX_STATE_BYTES,
  nodeStateFs,
  STATE_FILE,
  type StateFs,
} from '../../src/daemon/state-store.ts';
import { hasStackTrace } from '../helpers/cli.ts';
import { type LogEntry, runDaemonToExit, startDaemon } from '../helpers/daemon-process.ts';
import { rejectsCode, throwsCode } from '../helpers/errors.ts';
import { after, before } from '../helpers/node-test-hooks.ts';

const NOBODY = 65534;
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const needsRoot = asRoot ? false : 'needs root to chown files to another user (CI runs as root)';
const SECRET = 'TOP-SECRET-4f1c9e';
const SIM = ['--simulate', '4cpu', '--interval', '100ms', '--listen', '127.0.0.1:0'];

function state(): DesiredState {
  const s = emptyState('boot-1');
  s.pins.set('24', { cpu: 1, name: 'eth0-TxRx-0', since: 'then' });
  return s;
}

describe('state directory and file: refused when another user could write them', () => {
  let root: string;
  let n = 0;
  const freshDir = (mode = 0o700): string => {
    const d = join(root, `d${n++}`);
    mkdirSync(d);
    chmodSync(d, mode);
    return d;
  };
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'irqkit-state-hard-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a group- or world-writable directory: load refuses (STATE_UNSAFE), save refuses (507), nothing written', async () => {
    for (const [mode, who] of [
      [0o770, /group-writable \(mode 0770\)/],
      [0o707, /world-writable \(mode 0707\)/],
      [0o1777, /group-writable/],
    ] as const) {
      const dir = freshDir(mode);
      const store = createStateStore({ dir });
      await rejectsCode(() => store.load(), 'IRQ_ERR_STATE_UNSAFE', who);
      throwsCode(() => store.save(state()), 'IRQ_ERR_STATE_WRITE', who);
      assert.deepEqual(readdirSync(dir), []);
    }
  });

  it('a directory owned by another user is refused', { skip: needsRoot }, async () => {
    const dir = freshDir();
    chownSync(dir, NOBODY, NOBODY);
    await rejectsCode(() => createStateStore({ dir }).load(), 'IRQ_ERR_STATE_UNSAFE', /owned by uid 65534/);
    throwsCode(() => createStateStore({ dir }).save(state()), 'IRQ_ERR_STATE_WRITE', /owned by uid 65534/);
  });

  it('a state.json owned by another user, mode 0666, is neither loaded nor replaced', {
    skip: needsRoot,
  }, async () => {
    const dir = freshDir();
    const file = join(dir, STATE_FILE);
    const planted = JSON.stringify({
      format: 'irqkit-state',
      version: 1,
      bootId: null,
      pins: { '24': { cpu: 7, name: 'x', since: 'x' } },
      originals: {},
    });
    writeFileSync(file, planted);
    chownSync(file, NOBODY, NOBODY);
    chmodSync(file, 0o666);
    const store = createStateStore({ dir });
    await rejectsCode(() => store.load(), 'IRQ_ERR_STATE_UNSAFE', /owned by uid 65534/);
    throwsCode(() => store.save(state()), 'IRQ_ERR_STATE_WRITE', /owned by uid 65534/);
    assert.equal(readFileSync(file, 'utf8'), planted);
  });

  it('a state.json of ours that others may write is refused too', async () => {
    const dir = freshDir();
    const file = join(dir, STATE_FILE);
    writeFileSync(file, '{}');
    chmodSync(file, 0o622);
    await rejectsCode(() => createStateStore({ dir }).load(), 'IRQ_ERR_STATE_UNSAFE', /group-writable/);
  });

  /** nodeStateFs that plants something at the temp name just before the daemon creates it. */
  const plantingFs = (plant: (path: string) => void): StateFs => ({
    ...nodeStateFs,
    openForWrite(path, mode) {
      plant(path);
      return nodeStateFs.openForWrite(path, mode);
    },
  });

  it('a file another user planted at the temp name is never written through (O_EXCL)', {
    skip: needsRoot,
  }, () => {
    const dir = freshDir();
    const store = createStateStore({ dir });
    store.save(state());
    const before = readFileSync(join(dir, STATE_FILE), 'utf8');
    let tmp = '';
    const fs = plantingFs((path) => {
      tmp = path;
      writeFileSync(path, 'theirs');
      chownSync(path, NOBODY, NOBODY);
      chmodSync(path, 0o666);
    });
    throwsCode(() => createStateStore({ dir, fs }).save(state()), 'IRQ_ERR_STATE_WRITE', /EEXIST/);
    assert.equal(readFileSync(tmp, 'utf8'), 'theirs', 'the planted file is untouched');
    assert.equal(statSync(tmp).uid, NOBODY);
    assert.equal(readFileSync(join(dir, STATE_FILE), 'utf8'), before, 'state.json is as it was');
    assert.equal(statSync(join(dir, STATE_FILE)).uid, 0);
  });

  it('a symlink planted at the temp name is not followed (O_NOFOLLOW | O_EXCL)', () => {
    const dir = freshDir();
    const target = join(root, `target-${n++}`);
    writeFileSync(target, 'victim');
    let tmp = '';
    const fs = plantingFs((path) => {
      tmp = path;
      symlinkSync(target, path);
    });
    throwsCode(() => createStateStore({ dir, fs }).save(state()), 'IRQ_ERR_STATE_WRITE');
    assert.equal(readFileSync(target, 'utf8'), 'victim');
    assert.ok(lstatSync(tmp).isSymbolicLink());
  });

  it('temp names are random and created 0600', () => {
    const dir = freshDir();
    const names: string[] = [];
    const modes: number[] = [];
    const fs: StateFs = {
      ...nodeStateFs,
      openForWrite(path, mode) {
        names.push(path);
        const fd = nodeStateFs.openForWrite(path, mode);
        modes.push(statSync(path).mode & 0o777);
        return fd;
      },
    };
    const store = createStateStore({ dir, fs });
    store.save(state());
    store.save(state());
    assert.equal(new Set(names).size, 2);
    for (const p of names) assert.match(p, /\/\.state\.json\.[0-9a-f]{32}\.tmp$/);
    assert.deepEqual(modes, [0o600, 0o600]);
  });

  it('a FIFO as state.json is refused at once, without waiting for a writer', async () => {
    const dir = freshDir();
    const file = join(dir, STATE_FILE);
    const r = spawnSync('mkfifo', [file]);
    assert.equal(r.status, 0, 'mkfifo');
    await rejectsCode(() => createStateStore({ dir }).load(), 'IRQ_ERR_STATE_UNSAFE', /not a regular file/);
    throwsCode(() => createStateStore({ dir }).save(state()), 'IRQ_ERR_STATE_WRITE', /not a regular file/);
  });

  it('a state file whose file system never answers fails the load at the deadline, not the daemon', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, STATE_FILE), JSON.stringify({}));
    // A hung NFS mount: the open never completes. It runs off the event loop, so the deadline fires.
    const hung: StateFs = { ...nodeStateFs, openForRead: () => new Promise<number>(() => {}) };
    await rejectsCode(
      () => createStateStore({ dir, fs: hung, readTimeoutMs: 50 }).load(),
      'IRQ_ERR_FILE_READ',
      /no answer within 0\.05 s/,
    );
  });

  it('a symlink to /dev/zero is refused before a byte is read', async () => {
    const dir = freshDir();
    symlinkSync('/dev/zero', join(dir, STATE_FILE));
    await rejectsCode(() => createStateStore({ dir }).load(), 'IRQ_ERR_STATE_UNSAFE', /symbolic link/);
  });

  it('a symlink to a root-only file is refused and its content appears nowhere', async () => {
    const dir = freshDir();
    const secret = join(root, `shadow-${n++}`);
    writeFileSync(secret, `${SECRET}:x:0:0\n`);
    chmodSync(secret, 0o600);
    symlinkSync(secret, join(dir, STATE_FILE));
    const e = await rejectsCode(
      () => createStateStore({ dir }).load(),
      'IRQ_ERR_STATE_UNSAFE',
      /symbolic link/,
    );
    assert.ok(!JSON.stringify({ m: e.message, d: e.details }).includes('TOP-SECRET'));
  });

  it('a file that is not JSON is reported without quoting it', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, STATE_FILE), `${SECRET} is not json`);
    const r = await createStateStore({ dir }).load({ moveAsideCorrupt: false });
    assert.match(r.problem?.message ?? '', /not valid JSON/);
    assert.ok(!(r.problem?.message ?? '').includes('TOP-SECRET'));
  });

  it(`a state.json over ${MAX_STATE_BYTES} bytes is refused`, async () => {
    const dir = freshDir();
    writeFileSync(join(dir, STATE_FILE), Buffer.alloc(MAX_STATE_BYTES + 1, 0x20));
    await rejectsCode(
      () => createStateStore({ dir }).load(),
      'IRQ_ERR_STATE_UNSAFE',
      /over the \d+-byte limit/,
    );
  });
});

describe('irqkitd with an unsafe state directory', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'irqkitd-state-hard-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('refuses to start (exit 77) with one line that says why', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const r = await runDaemonToExit([...SIM, '--state-dir', dir]);
    assert.equal(r.code, 77, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('irqkitd: '));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, /state directory .* is group-writable \(mode 0777\)/);
    assert.ok(!hasStackTrace(r.stderr));
  });

  it('refuses to start on a FIFO as state.json instead of hanging', async () => {
    const dir = join(root, 'fifo');
    mkdirSync(dir, { mode: 0o700 });
    assert.equal(spawnSync('mkfifo', [join(dir, STATE_FILE)]).status, 0);
    const r = await runDaemonToExit([...SIM, '--state-dir', dir]);
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /not a regular file/);
  });

  it('SIGHUP with a FIFO or a symlink to a secret in place: the reload fails, the daemon keeps answering, no content leaks', async () => {
    const dir = join(root, 'hup');
    mkdirSync(dir, { mode: 0o700 });
    const secret = join(root, 'secret');
    writeFileSync(secret, SECRET);
    const d = await startDaemon([...SIM, '--state-dir', dir]);
    try {
      const reloads = (): LogEntry[] => d.logs().filter((e) => e.msg === 'configuration reloaded');
      const reloadWith = async (prepare: () => void): Promise<LogEntry> => {
        const seen = reloads().length;
        prepare();
        d.child.kill('SIGHUP');
        for (;;) {
          const line = reloads()[seen];
          if (line) return line;
          await new Promise((resolve) => d.child.stderr?.once('data', resolve));
        }
      };
      const fifo = await reloadWith(() => {
        assert.equal(spawnSync('mkfifo', [join(dir, STATE_FILE)]).status, 0);
      });
      assert.match(String(fifo.stateError), /not a regular file/);
      assert.equal((await d.request({ path: '/healthz' })).status, 200);
      const link = await reloadWith(() => {
        rmSync(join(dir, STATE_FILE));
        symlinkSync(secret, join(dir, STATE_FILE));
      });
      assert.match(String(link.stateError), /symbolic link/);
      const health = await d.request({ path: '/healthz' });
      assert.equal(health.status, 200);
      assert.ok(!health.text.includes('TOP-SECRET'));
      assert.ok(!d.stderr().includes('TOP-SECRET'));
    } finally {
      assert.equal((await d.stop()).code, 0);
    }
  });

  it('a state.json that is not JSON: /healthz loadProblem names the problem, never the content', async () => {
    const dir = join(root, 'garbage');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, STATE_FILE), `${SECRET} garbage`, { mode: 0o600 });
    const d = await startDaemon([...SIM, '--state-dir', dir]);
    try {
      const health = await d.request({ path: '/healthz' });
      assert.match(health.text, /not valid JSON/);
      assert.ok(!health.text.includes('TOP-SECRET'));
      assert.ok(!d.stderr().includes('TOP-SECRET'));
    } finally {
      assert.equal((await d.stop()).code, 0);
    }
  });
});
