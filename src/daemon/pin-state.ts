/**
 * The desired state in memory (pins and original affinities) and the one way to change it:
 * `commit` changes it and saves it, or puts it back as it was and throws. A change the API
 * answers for is therefore on disk or not made at all; `tidy` is for changes that only tidy up,
 * which may stay in memory when the save fails.
 *
 * A state file that could not be read at start-up is never overwritten: every save is refused
 * until SIGHUP reads it again.
 */
import { IrqkitError, toIrqkitError } from '../core/errors.ts';
import { readBootId } from './boot-id.ts';
import {
  type DesiredState,
  emptyState,
  type OriginalRecord,
  type PinRecord,
  type StateStore,
} from './state-store.ts';

/** IRQ numbers in numeric order. */
export const byIrq = (a: string, b: string): number => Number(a) - Number(b);

export interface PinStateOptions {
  store: StateStore;
  /** procfs root, for boot_id. */
  procRoot: string;
  /** A read-only daemon never moves a corrupt file aside and never refuses saves for it. */
  readOnly: boolean;
  log(entry: Record<string, unknown>): void;
  now: () => number;
}

export interface SaveHealth {
  file: string | null;
  pins: number;
  originals: number;
  lastSaveError: { message: string; at: string } | null;
  loadProblem: string | null;
}

export class PinState {
  private readonly o: PinStateOptions;
  private state: DesiredState = emptyState();
  /** Set when the state file could not be read: saving would overwrite what it holds. */
  private unreadable: string | null = null;
  private loadProblem: string | null = null;
  private lastSaveError: SaveHealth['lastSaveError'] = null;
  saveFailures = 0;

  constructor(options: PinStateOptions) {
    this.o = options;
  }

  get pins(): ReadonlyMap<string, PinRecord> {
    return this.state.pins;
  }

  get originals(): ReadonlyMap<string, OriginalRecord> {
    return this.state.originals;
  }

  get file(): string | null {
    return this.o.store.file;
  }

  /**
   * Start-up: loads the state file. A bad file is logged and set aside; only an unsafe directory
   * or file (IRQ_ERR_STATE_UNSAFE: another user could write it) throws, so the daemon stops.
   */
  async load(): Promise<void> {
    const bootId = readBootId(this.o.procRoot);
    let state: DesiredState;
    try {
      const r = await this.o.store.load({ moveAsideCorrupt: !this.o.readOnly });
      state = r.state;
      if (r.problem) {
        this.loadProblem = r.problem.message;
        if (r.problem.movedTo === null && !this.o.readOnly) this.unreadable = r.problem.message;
        this.o.log({
          level: 'error',
          msg: 'state file unusable; starting without pins',
          error: r.problem.message,
          movedTo: r.problem.movedTo,
        });
      }
    } catch (e) {
      const err = toIrqkitError(e);
      // Pins another user could have written are never applied: the daemon does not start.
      if (err.code === 'IRQ_ERR_STATE_UNSAFE') throw err;
      this.unreadable = err.message;
      this.loadProblem = err.message;
      this.o.log({
        level: 'error',
        msg: 'cannot read the state file; changes are refused',
        error: err.message,
      });
      state = emptyState(bootId);
    }
    if (state.bootId !== null && bootId !== null && state.bootId !== bootId && state.originals.size > 0) {
      // Originals describe the boot they were read in; this boot starts from the kernel's defaults.
      this.o.log({
        level: 'info',
        msg: 'new boot: forgetting the original affinities of the previous one',
        originals: state.originals.size,
      });
      state.originals.clear();
    }
    state.bootId = bootId ?? state.bootId;
    this.state = state;
    if (state.pins.size > 0 || state.originals.size > 0) {
      this.o.log({
        level: 'info',
        msg: 'state loaded',
        file: this.o.store.file,
        pins: state.pins.size,
        originals: state.originals.size,
      });
    }
  }

  /** SIGHUP: reads the state file again; throws (keeping the state in memory) when it cannot. */
  async reload(): Promise<{ pins: number; originals: number }> {
    const r = await this.o.store.load({ moveAsideCorrupt: false });
    if (r.problem) throw new IrqkitError('IRQ_ERR_FILE_READ', r.problem.message);
    const bootId = this.state.bootId;
    this.state = { ...r.state, bootId: bootId ?? r.state.bootId };
    this.unreadable = null;
    this.loadProblem = null;
    return { pins: this.state.pins.size, originals: this.state.originals.size };
  }

  /**
   * Makes `change` and saves the result. When the save fails, the state is put back as it was
   * and the save's error (IRQ_ERR_STATE_WRITE) is thrown.
   */
  commit(change: (state: DesiredState) => void): void {
    const before = { pins: new Map(this.state.pins), originals: new Map(this.state.originals) };
    change(this.state);
    try {
      this.save();
    } catch (e) {
      this.state.pins = before.pins;
      this.state.originals = before.originals;
      throw e;
    }
  }

  /** Makes `change` and saves it if it can: for records that only tidy up and may stay on disk. */
  tidy(why: string, change: (state: DesiredState) => void): void {
    change(this.state);
    try {
      this.save();
    } catch {
      this.o.log({ level: 'warn', msg: 'state file not tidied', why });
    }
  }

  private save(): void {
    if (this.unreadable !== null) {
      throw new IrqkitError(
        'IRQ_ERR_STATE_WRITE',
        `the state file could not be read at start-up (${this.unreadable}); irqkitd will not overwrite it. Fix it and send SIGHUP`,
        { path: this.o.store.file },
      );
    }
    try {
      const r = this.o.store.save(this.state);
      if (r.warning) this.o.log({ level: 'warn', msg: 'state saved, not durably', warning: r.warning });
      this.lastSaveError = null;
    } catch (e) {
      const err = toIrqkitError(e);
      this.saveFailures++;
      this.lastSaveError = { message: err.message, at: new Date(this.o.now()).toISOString() };
      this.o.log({ level: 'error', msg: 'state not saved', code: err.code, error: err.message });
      throw err;
    }
  }

  /** Lines for clients: a state file that cannot be written. */
  warnings(): string[] {
    const out: string[] = [];
    if (this.unreadable !== null) out.push(`state file unreadable: ${this.unreadable}; changes are refused`);
    if (this.lastSaveError !== null) out.push(`the last state save failed: ${this.lastSaveError.message}`);
    return out;
  }

  health(): SaveHealth {
    return {
      file: this.o.store.file,
      pins: this.state.pins.size,
      originals: this.state.originals.size,
      lastSaveError: this.lastSaveError,
      loadProblem: this.loadProblem,
    };
  }
}
