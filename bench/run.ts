/**
 * `npm run bench [-- --quick] [-- --only planner|frontier|parser|daemon] [-- --baseline REF]
 * [-- --fill N]`: planner quality/time against the baselines, the planner's frontier (large and
 * small instances, churn on noisy traffic), parser throughput, memory, and the daemon on the big
 * simulated machine next to the bundle of REF (daemon-compare.ts). Prints figures; asserts
 * nothing; exits 0 unless it crashes (or the command line is wrong).
 */
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { runDaemonCompare } from './daemon-compare.ts';
import { gcAvailable, heapUsed, measureInChild, peakRss, rss } from './memory.ts';
import { runParserBench } from './parser-throughput.ts';
import { CORPUS_1152 } from './paths.ts';
import { runFrontierBench } from './planner-frontier.ts';
import { largestCase, runPlannerBench } from './planner-quality.ts';
import { mb, ms, section, table } from './report.ts';

const USAGE =
  'usage: npm run bench [-- --quick] [-- --only planner|frontier|parser|daemon] [-- --baseline REF] [-- --fill N] [-- --phases fill,pace,wide,wrk]';

interface Options {
  quick: boolean;
  /** planner: the cases and the frontier; frontier: the frontier alone. */
  only: 'planner' | 'frontier' | 'parser' | 'daemon' | null;
  /** The daemon section's "today" column: a git ref (default: the merge-base with main). */
  baseline: string | null;
  /** Intervals the daemon section fills before reading RSS (900 = 15 min at 1 s). */
  fill: number;
  /** The daemon section's parts: fill, pace, wide (all by default). */
  phases: Set<'fill' | 'pace' | 'wide' | 'wrk'>;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = {
    quick: false,
    only: null,
    baseline: null,
    fill: 900,
    phases: new Set(['fill', 'pace', 'wide', 'wrk']),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--quick') opts.quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (v !== 'planner' && v !== 'frontier' && v !== 'parser' && v !== 'daemon')
        throw new Error(`--only takes planner, frontier, parser or daemon, not '${v ?? ''}'`);
      opts.only = v;
    } else if (a === '--baseline') {
      const v = argv[++i];
      if (v === undefined || v === '') throw new Error('--baseline takes a git ref');
      opts.baseline = v;
    } else if (a === '--phases') {
      const list = (argv[++i] ?? '').split(',');
      if (!list.every((p) => p === 'fill' || p === 'pace' || p === 'wide' || p === 'wrk'))
        throw new Error('--phases takes a comma-separated list of fill, pace, wide, wrk');
      opts.phases = new Set(list as Array<'fill' | 'pace' | 'wide' | 'wrk'>);
    } else if (a === '--fill') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 2) throw new Error('--fill takes a number of intervals (at least 2)');
      opts.fill = v;
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${a}'`);
  }
  return opts;
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${USAGE}`);
    process.exit(64);
  }
  const out = (line: string): void => console.log(line);
  const started = performance.now();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  out(
    `irqkit bench${opts.quick ? ' (quick)' : ''}${opts.only ? ` (only ${opts.only})` : ''} — Node ${process.version}, ` +
      `${platform()} ${release()} ${arch()}, ${cpus().length} × ${cpu.trim()}, ${mb(totalmem())} RAM` +
      `${gcAvailable ? '' : ' (no gc(): heap figures include garbage)'}`,
  );

  if (opts.only === null || opts.only === 'planner') runPlannerBench(opts.quick, out);
  if (opts.only === null || opts.only === 'planner' || opts.only === 'frontier')
    runFrontierBench(opts.quick, out);
  if (opts.only === null || opts.only === 'parser') runParserBench(opts.quick, out);

  const jobs: string[][] = [];
  const largest = largestCase(opts.quick);
  if ((opts.only === null || opts.only === 'planner') && largest)
    jobs.push(['planner', largest.family, String(largest.n), String(largest.k), String(largest.seed)]);
  if (opts.only === null || opts.only === 'parser') jobs.push(['parser', CORPUS_1152]);
  if (jobs.length > 0) memorySection(jobs, out);
  if (opts.only === null || opts.only === 'daemon') {
    const fill = opts.quick && opts.fill === 900 ? 300 : opts.fill;
    await runDaemonCompare(
      {
        baseline: opts.baseline,
        fill,
        paceSeconds: opts.quick ? 10 : 30,
        requests: opts.quick ? 3 : 5,
        phases: opts.phases,
      },
      out,
    );
  }
  out(`This process: peak RSS ${mb(peakRss())}, current RSS ${mb(rss())}, heap used ${mb(heapUsed())}`);
  out(`\nbench finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function memorySection(jobs: readonly string[][], out: (line: string) => void): void {
  out(section('Memory (each job alone in a fresh Node process)'));
  const rows: string[][] = [];
  for (const args of jobs) {
    const m = measureInChild(args);
    if (m instanceof Error) {
      out(`  ${args.join(' ')}: failed: ${m.message.split('\n')[0]}`);
      continue;
    }
    rows.push([
      m.job,
      ms(m.ms),
      mb(m.rssBefore),
      mb(m.peakRss),
      mb(m.peakRss - m.rssBefore),
      mb(m.heapBefore),
      mb(m.heapAfter),
      mb(m.heapRetained),
    ]);
  }
  out(
    table(
      [
        { header: 'job' },
        { header: 'ms', align: 'right' },
        { header: 'RSS before', align: 'right' },
        { header: 'peak RSS', align: 'right' },
        { header: 'peak − before', align: 'right' },
        { header: 'heap before', align: 'right' },
        { header: 'heap after', align: 'right' },
        { header: 'retained', align: 'right' },
      ],
      rows,
    ),
  );
  out(
    '  (before: input built/loaded, after GC; heap after: right after the call, garbage included;\n' +
      '   retained: heap still held with the result alive, after GC)',
  );
}

await main();
