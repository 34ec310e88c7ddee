/**
 * `before`/`after` exist at runtime from Node 16.18 (the pinned 16.20.2 has them), but the pinned
 * @types/node 16 does not declare them; this re-exports them typed instead of widening the shim.
 */
import * as nodeTest from 'node:test';

type Hook = (fn: () => unknown) => void;

export const { before, after } = nodeTest as unknown as { before: Hook; after: Hook };
