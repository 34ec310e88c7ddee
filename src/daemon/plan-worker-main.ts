/** The plan worker's entry point: bundled on its own and started by plan-runner.ts. */
import { parentPort } from 'node:worker_threads';
import { type PlanPort, servePlans } from './plan-worker.ts';

if (parentPort) servePlans(parentPort as unknown as PlanPort);
