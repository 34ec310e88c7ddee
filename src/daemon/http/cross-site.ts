/**
 * The cross-site defence for every route, reads included. The Host check stops DNS rebinding and
 * the JSON content-type rule stops forms, but a page elsewhere can still make a browser send a
 * GET (`<img src=…/api/v1/plan>`) and so make the daemon work. Browsers mark such requests: they
 * send `Sec-Fetch-Site` (Chrome 76+, Firefox 90+, Safari 16.4+) and, for most non-GET requests
 * and for cross-origin fetches, `Origin`. Clients that are not browsers (curl, the CLI,
 * Prometheus) send neither and are unaffected.
 */
import type { IncomingMessage } from 'node:http';
import { IrqkitError } from '../../core/errors.ts';

/** 'none' is a navigation the user typed or bookmarked; 'same-origin' is the dashboard itself. */
const ALLOWED_FETCH_SITES = new Set(['same-origin', 'none']);

/** Throws IRQ_ERR_CROSS_SITE; `host` is the (already checked) Host header value. */
export function checkCrossSite(req: IncomingMessage, host: string): void {
  const raw = req.headers['sec-fetch-site'];
  const site = Array.isArray(raw) ? raw.join(',') : raw;
  if (site !== undefined && !ALLOWED_FETCH_SITES.has(site.trim().toLowerCase())) {
    throw new IrqkitError(
      'IRQ_ERR_CROSS_SITE',
      `cross-site requests are refused (Sec-Fetch-Site: ${site.slice(0, 40)})`,
    );
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  // The daemon speaks plain HTTP only, so its own origin is http:// plus the Host it was reached at.
  if (host === '' || origin.trim().toLowerCase() !== `http://${host.trim().toLowerCase()}`) {
    throw new IrqkitError('IRQ_ERR_CROSS_SITE', 'requests from another origin are refused', {
      origin: origin.slice(0, 100),
    });
  }
}
