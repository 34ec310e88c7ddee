/**
 * RFC 7807 problem documents for catalogued errors. `type` is a URN rather than a URL so that it
 * stays stable without anyone having to host pages at it, and clients branch on `code` anyway.
 */
import { STATUS_CODES } from 'node:http';
import type { Problem } from '../../api/problem.ts';
import type { ErrorCode, IrqkitError } from '../../core/errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'code']);

export function problemType(code: ErrorCode): string {
  return `urn:irqkit:error:${code}`;
}

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

export function toProblem(err: IrqkitError): Problem {
  const status = err.httpStatus;
  const problem: Problem = {
    type: problemType(err.code),
    title: statusTitle(status),
    status,
    detail: err.message,
    code: err.code,
  };
  // Details are flattened as RFC 7807 extension members; they never override the standard ones.
  for (const [k, v] of Object.entries(err.details ?? {})) if (!RESERVED.has(k)) problem[k] = v;
  return problem;
}

/** The serialised problem; details that cannot be serialised (BigInt, cycles) are dropped. */
export function problemBody(err: IrqkitError): string {
  const problem = toProblem(err);
  try {
    return JSON.stringify(problem);
  } catch {
    const { type, title, status, detail, code } = problem;
    return JSON.stringify({ type, title, status, detail, code });
  }
}
