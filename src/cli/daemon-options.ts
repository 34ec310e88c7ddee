/** The options every daemon-backed command shares, and the client they configure. */

import { type OptionSpec, type OptionValues, stringOption } from '../args/command-args.ts';
import { parseDuration } from '../core/duration.ts';
import { DaemonClient, DEFAULT_URL, parseDaemonUrl } from './client.ts';
import type { CliIo } from './io.ts';

export const DAEMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: {
    type: 'string',
    arg: 'URL',
    description: `irqkitd to talk to: http://HOST:PORT or unix:/path (default $IRQKIT_URL, else ${DEFAULT_URL})`,
  },
  timeout: {
    type: 'string',
    arg: 'DURATION',
    description: 'give up on the daemon after this long (default 10s)',
  },
};

export function clientFrom(io: CliIo, values: OptionValues): DaemonClient {
  const flag = stringOption(values, 'url');
  const env = io.env.IRQKIT_URL;
  const url = flag ?? env ?? DEFAULT_URL;
  const timeout = stringOption(values, 'timeout');
  return new DaemonClient({
    endpoint: parseDaemonUrl(url, flag === undefined && env !== undefined ? '$IRQKIT_URL' : '--url'),
    timeoutMs: timeout === undefined ? 10_000 : parseDuration(timeout, '--timeout', 's'),
  });
}
