/**
 * The DNS-rebinding defence. A page on evil.example can resolve its own name to 127.0.0.1 and
 * then talk to the daemon as a same-origin site; what it cannot change is the Host header its
 * browser sends, so only the names the daemon listens under are answered.
 */
import type { IncomingMessage } from 'node:http';
import { IrqkitError } from '../../core/errors.ts';
import type { RequestTarget } from './request-target.ts';

/** `allowed` holds lower-case `host[:port]` values; '' admits requests without a Host. */
export function checkHost(req: IncomingMessage, target: RequestTarget, allowed: ReadonlySet<string>): void {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === 'host') count++;
  }
  // Node keeps only the first of several Host headers; a proxy in front might use another one.
  if (count > 1) throw new IrqkitError('IRQ_ERR_USAGE', 'more than one Host header');
  const host = (req.headers.host ?? '').trim().toLowerCase();
  // RFC 9112 says to prefer an absolute-form authority over Host; requiring both to be ours is
  // stricter and costs a legitimate client nothing.
  for (const h of target.authority === undefined ? [host] : [host, target.authority]) {
    if (!allowed.has(h)) {
      const shown = h.slice(0, 100);
      throw new IrqkitError('IRQ_ERR_HOST', `this daemon does not answer to host '${shown}'`, {
        host: shown,
      });
    }
  }
}
