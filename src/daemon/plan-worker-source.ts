/**
 * How the plan worker is started. The shipped bundles carry the worker as a string of code
 * (scripts/plan-worker-bundle.mjs builds src/daemon/plan-worker-main.ts on its own and defines
 * IRQKIT_PLAN_WORKER), so each stays one file with no runtime node_modules and the worker does
 * not depend on where the bundle lies or which entry point embedded the daemon. From the
 * sources (tests under tsx), the worker loads tsx and then the TypeScript entry.
 */
declare const IRQKIT_PLAN_WORKER: string | undefined;

export function planWorkerCode(): string {
  if (typeof IRQKIT_PLAN_WORKER === 'string') return IRQKIT_PLAN_WORKER;
  // Only from the sources: the build defines import.meta.url away with the branch above.
  // tsx resolves from the working directory, the repository's root when tests run.
  const entry = new URL('./plan-worker-main.ts', import.meta.url).href;
  return `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
}
