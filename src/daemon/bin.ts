/** The `irqkitd` executable: binds runDaemon() to the real process and its signals (TERM/INT stop, HUP reloads). */
import { runDaemon } from './main.ts';

const stopSignal = new Promise<string>((resolve) => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve(sig));
});

// SIGHUP reloads (--config, the state file). Handled from the start, so an early one cannot kill
// the daemon with the default action; before it listens there is nothing to reload.
let reload: (() => void) | undefined;
process.on('SIGHUP', () => reload?.());

runDaemon(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stopSignal,
  onReload: (fn) => {
    reload = fn;
  },
}).then(
  (code) => {
    process.exitCode = code;
    // Timers of a simulated machine or lingering sockets must not keep a stopped daemon alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`irqkitd: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  },
);
