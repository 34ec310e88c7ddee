/**
 * `npm run bench:peers [-- --quick] [-- --only testbed|autopilot|planner|parsing|footprint[,…]]`:
 * irqkit against what people use today, on the same machine, the same input and in the same run:
 *  - testbed    balance quality on a real 8-vCPU kernel (QEMU): irqkit, irqbalance --oneshot,
 *               round-robin (needs root; skipped with a message otherwise)
 *  - autopilot  irqkitd --auto vs irqbalance's daemon mode vs nothing, on traffic that moves
 *               halfway through, on 8 and 4 vCPUs (8 only with --quick; needs root)
 *  - planner    irqkit vs round-robin / LPT / KK and the exact optimum
 *  - parsing    irqkitd's sampling and /metrics vs prometheus-node-exporter on the 1,152-CPU file
 *  - footprint  irqkitd's RSS and CPU% on a simulated 1,152-CPU, ~2,000-IRQ machine
 * Prints figures and asserts nothing: exit 0 unless the bench itself crashes (64: bad command line).
 * The npm script builds dist/ first; the bundles are what is measured (the guest has no npm).
 */
import { existsSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { mb } from '../report.ts';
import { runAutopilotBench } from './autopilot.ts';
import { runFootprintBench } from './footprint.ts';
import { type ParsingSummary, runParsingBench } from './parsing.ts';
import { runPlannerPeers } from './planner.ts';
import { IRQKITD } from './proc.ts';
import { runTestbedBench, type TestbedSummary } from './testbed.ts';

const PARTS = ['testbed', 'autopilot', 'planner', 'parsing', 'footprint'] as const;
type Part = (typeof PARTS)[number];
const USAGE = `usage: npm run bench:peers [-- --quick] [-- --only ${PARTS.join('|')}[,…]]`;

function parseArgs(argv: readonly string[]): { quick: boolean; parts: Set<Part> } {
  let quick = false;
  let parts: Set<Part> | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--quick') quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      parts ??= new Set();
      for (const p of (v ?? '').split(',')) {
        if (!(PARTS as readonly string[]).includes(p))
          throw new Error(`--only takes ${PARTS.join(', ')} (comma-separated), not '${p}'`);
        parts.add(p as Part);
      }
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'`);
  }
  return { quick, parts: parts ?? new Set(PARTS) };
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench:peers: ${(e as Error).message}\n${USAGE}`);
    process.exit(64);
  }
  const out = (line: string): void => console.log(line);
  const started = performance.now();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  out(
    `irqkit bench:peers${opts.quick ? ' (quick)' : ''} (${[...opts.parts].join(', ')}) — Node ${process.version}, ` +
      `${platform()} ${release()} ${arch()}, ${cpus().length} × ${cpu.trim()}, ${mb(totalmem())} RAM, ${new Date().toISOString()}`,
  );
  const needsBundles =
    opts.parts.has('testbed') ||
    opts.parts.has('autopilot') ||
    opts.parts.has('parsing') ||
    opts.parts.has('footprint');
  if (needsBundles && !existsSync(IRQKITD)) {
    console.error('bench:peers: no dist/irqkitd.cjs: run `npm run build` first (npm run bench:peers does)');
    process.exit(1);
  }
  let testbed: TestbedSummary | null = null;
  let parsing: ParsingSummary | null = null;
  if (opts.parts.has('testbed')) testbed = await runTestbedBench(opts.quick, out);
  if (opts.parts.has('autopilot')) await runAutopilotBench(opts.quick, out);
  if (opts.parts.has('planner')) runPlannerPeers(opts.quick, out);
  if (opts.parts.has('parsing')) parsing = await runParsingBench(opts.quick, out);
  if (opts.parts.has('footprint')) await runFootprintBench(opts.quick, out, testbed, parsing);
  out(`\nbench:peers finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
