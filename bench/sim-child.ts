/**
 * The big simulated machine (load-machine.ts) in a process of its own, so that neither the
 * bench nor the daemons pay for rewriting its files: prints `{"procRoot":…,"sysRoot":…}` on one
 * line once the tree exists, then advances every `tickMs` until SIGTERM.
 *
 * `node --import tsx bench/sim-child.ts DIR TICK_MS`
 */
import { createSimulatedMachine } from '../src/sim/machine.ts';
import { bigMachineSpec } from './load-machine.ts';

const [dir, tick] = process.argv.slice(2);
if (dir === undefined || tick === undefined) {
  console.error('usage: sim-child.ts DIR TICK_MS');
  process.exit(64);
}
const machine = createSimulatedMachine(bigMachineSpec(), dir);
const stop = (): void => {
  machine.dispose();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
machine.start(Number(tick));
console.log(JSON.stringify({ procRoot: machine.procRoot, sysRoot: machine.sysRoot }));
// The machine's timer is unref'd; this keeps the process alive until it is told to stop.
setInterval(() => {}, 1 << 30);
