import assert from 'node:assert/strict';
import { IrqkitError } from '../../src/core/errors.ts';

/** Asserts that `fn` throws a catalogued error with `code` (and a message matching `pattern`). */
export function throwsCode(fn: () => unknown, code: string, pattern?: RegExp): IrqkitError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof IrqkitError, `expected an IrqkitError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

/** As throwsCode, for a promise (or a function returning one) that must reject. */
export async function rejectsCode(
  work: Promise<unknown> | (() => Promise<unknown>),
  code: string,
  pattern?: RegExp,
): Promise<IrqkitError> {
  let caught: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (e) {
    caught = e;
  }
  return throwsCode(
    () => {
      if (caught !== undefined) throw caught;
    },
    code,
    pattern,
  );
}
