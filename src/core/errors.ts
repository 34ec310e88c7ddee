/**
 * The one catalogue of irqkit errors (modelled on undici's and fastify's).
 *
 * Callers branch on `code`, never on message text. Each code is mapped exactly once to an HTTP
 * status (for irqkitd) and once to a process exit code (for the CLI), here and nowhere else.
 */

/** Exit codes follow sysexits.h where one fits, so scripts can tell usage from data from I/O. */
export const EXIT = {
  ok: 0,
  /** Ran, but some part of the request failed (e.g. one IRQ of a batch). */
  partial: 1,
  /** The daemon could not be reached. */
  unreachable: 2,
  usage: 64,
  dataError: 65,
  noInput: 66,
  unavailable: 69,
  software: 70,
  ioError: 74,
  tempFail: 75,
  /** The daemon refused a request that a client of the same version never sends (version skew, bug). */
  protocol: 76,
  noPermission: 77,
} as const;

interface CodeSpec {
  readonly status: number;
  readonly exit: number;
}

export const ERROR_CODES = {
  /** Command line or request parameters are malformed. */
  IRQ_ERR_USAGE: { status: 400, exit: EXIT.usage },
  /** An input file does not exist or cannot be opened. */
  IRQ_ERR_FILE_NOT_FOUND: { status: 404, exit: EXIT.noInput },
  /** An input file or stream could not be read. */
  IRQ_ERR_FILE_READ: { status: 500, exit: EXIT.ioError },
  /** The text is not /proc/interrupts (no CPU header, nothing recognisable). */
  IRQ_ERR_NOT_INTERRUPTS: { status: 422, exit: EXIT.dataError },
  /** A line could not be understood and strict parsing was asked for. */
  IRQ_ERR_PARSE: { status: 422, exit: EXIT.dataError },
  /** A cpulist or hex mask is malformed. */
  IRQ_ERR_CPUSET: { status: 400, exit: EXIT.usage },
  /** A CPU was named that the input or machine does not have. */
  IRQ_ERR_UNKNOWN_CPU: { status: 400, exit: EXIT.usage },
  /** An IRQ was named that does not exist. */
  IRQ_ERR_UNKNOWN_IRQ: { status: 404, exit: EXIT.dataError },
  /** Nothing left to plan or show (no IRQs, no CPUs after filtering). */
  IRQ_ERR_EMPTY: { status: 422, exit: EXIT.dataError },
  /** Constraints admit no assignment (an IRQ with no allowed CPU). */
  IRQ_ERR_INFEASIBLE: { status: 422, exit: EXIT.dataError },
  /** The kernel manages this IRQ's affinity; user space cannot set it (EIO/EPERM). */
  IRQ_ERR_MANAGED: { status: 409, exit: EXIT.partial },
  /** The target CPU is offline or beyond the kernel's mask (EINVAL/ERANGE/EOVERFLOW). */
  IRQ_ERR_CPU_OFFLINE: { status: 409, exit: EXIT.partial },
  /** No interrupt vector is free on the target CPU (ENOSPC). */
  IRQ_ERR_NO_VECTOR: { status: 409, exit: EXIT.partial },
  /** A write of a batch that was never tried because another write of the batch failed first. */
  IRQ_ERR_NOT_ATTEMPTED: { status: 409, exit: EXIT.partial },
  /** A write of a batch that succeeded and was then undone because a later write failed. */
  IRQ_ERR_ROLLED_BACK: { status: 409, exit: EXIT.partial },
  /** Not allowed to write (EACCES: not root). */
  IRQ_ERR_PERMISSION: { status: 403, exit: EXIT.noPermission },
  /** Anything that should not happen. */
  IRQ_ERR_INTERNAL: { status: 500, exit: EXIT.software },
  /**
   * The client could not reach irqkitd (refused, no socket, timeout). Exit 2, as curl-like tools
   * and the issue tracker's operators expect for "the service is not there".
   */
  IRQ_ERR_UNREACHABLE: { status: 502, exit: EXIT.unreachable },
  /** irqkitd answered with something that is not its API (another service on that port?). */
  IRQ_ERR_BAD_RESPONSE: { status: 502, exit: EXIT.protocol },
  /** No such API endpoint. A client of the same version never asks for one, hence `protocol`. */
  IRQ_ERR_NOT_FOUND: { status: 404, exit: EXIT.protocol },
  /** The endpoint exists but not with this method (the response carries `Allow`). */
  IRQ_ERR_METHOD: { status: 405, exit: EXIT.protocol },
  /**
   * The Host header (or absolute-form authority) is not a name this daemon listens under: a
   * DNS-rebinding page or a misdirected client. 421 Misdirected Request says exactly that and keeps
   * 403 meaning "you may not do this" (IRQ_ERR_READ_ONLY, IRQ_ERR_PERMISSION).
   */
  IRQ_ERR_HOST: { status: 421, exit: EXIT.protocol },
  /**
   * A browser request from another site: `Sec-Fetch-Site: cross-site` or `same-site`, or an
   * `Origin` that is not this daemon's own. Refused on every route, reads included, so no web page
   * can make the daemon work (a plan, a large answer) or read anything from it.
   */
  IRQ_ERR_CROSS_SITE: { status: 403, exit: EXIT.protocol },
  /** An `Expect` header other than `100-continue`: 417 Expectation Failed. */
  IRQ_ERR_EXPECTATION: { status: 417, exit: EXIT.protocol },
  /**
   * The state directory or file is not safe to trust (owned by another user, group- or
   * world-writable, a symbolic link, not a regular file, too large): irqkitd refuses to start, or to
   * change anything, rather than apply pins another user could have written.
   */
  IRQ_ERR_STATE_UNSAFE: { status: 500, exit: EXIT.noPermission },
  /** A mutating request without `Content-Type: application/json` (also the cross-site form defence). */
  IRQ_ERR_MEDIA_TYPE: { status: 415, exit: EXIT.protocol },
  /** The request body is over the daemon's size cap. */
  IRQ_ERR_BODY_TOO_LARGE: { status: 413, exit: EXIT.dataError },
  /** The daemon runs with --read-only and refuses every change. */
  IRQ_ERR_READ_ONLY: { status: 403, exit: EXIT.noPermission },
  /** Not possible yet (not enough history sampled, shutting down); retrying later may succeed. */
  IRQ_ERR_UNAVAILABLE: { status: 503, exit: EXIT.tempFail },
  /**
   * irqkitd computes one plan at a time and one is running; retry after `retryAfterSeconds`
   * (the Retry-After header says the same). 429 rather than a queue, which a loop could fill.
   */
  IRQ_ERR_BUSY: { status: 429, exit: EXIT.tempFail },
  /**
   * irqkitd could not save its state file (pins, original affinities): disk full, read-only or
   * not writable. The change that needed it was not made, or was undone. 507 Insufficient Storage.
   */
  IRQ_ERR_STATE_WRITE: { status: 507, exit: EXIT.ioError },
  /** `unpin` named an IRQ that has no pin. */
  IRQ_ERR_NOT_PINNED: { status: 404, exit: EXIT.dataError },
  /** `restore` named an IRQ whose affinity irqkitd never changed, so there is nothing to put back. */
  IRQ_ERR_NOT_CHANGED: { status: 404, exit: EXIT.dataError },
  /** The autopilot was asked to pause or resume, but irqkitd runs without --auto. */
  IRQ_ERR_AUTO_OFF: { status: 409, exit: EXIT.unavailable },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class IrqkitError extends Error {
  readonly code: ErrorCode;
  /** Structured facts for JSON error bodies (line numbers, the offending value, …). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IrqkitError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isIrqkitError(e: unknown): e is IrqkitError {
  return e instanceof IrqkitError;
}

/** Wraps anything thrown into a catalogued error, so no stack trace ever reaches a user. */
export function toIrqkitError(e: unknown): IrqkitError {
  if (e instanceof IrqkitError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new IrqkitError('IRQ_ERR_INTERNAL', `internal error: ${message}`, undefined, { cause: e });
}
