/**
 * Balance quality on a real kernel: one boot of the QEMU testbed (8 vCPUs, irqaffinity=0), the
 * same unequal NIC traffic placed by irqkit, `irqbalance --oneshot` and round-robin, each from the
 * same start (bench/peers/guest.mjs does the work inside the guest; this file prepares the shared
 * folder, boots the guest and reports).
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { TESTBED_DIR } from '../paths.ts';
import { section, table } from '../report.ts';
import { IRQKIT, IRQKITD, REPO } from './proc.ts';

const RUN_GUEST = join(TESTBED_DIR, 'run-guest.sh');
const IRQBALANCE = '/usr/sbin/irqbalance';
/** Libraries the guest already has (it carries the host's, for node). */
const GUEST_HAS = /^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|libstdc\+\+|libgcc_s)/;

interface WindowIrq {
  irq: string;
  name: string;
  perCpu: number[];
}
interface Window {
  seconds: number;
  perIrq: WindowIrq[];
}
interface Assignment {
  irq: string;
  name: string;
  load: number;
  cpu: number;
  moved: boolean;
  fixed: boolean;
}
interface PlanJson {
  assignments: Assignment[];
  moves: Array<{ irq: string; cpu: number }>;
  pins?: Array<{ irq: string; cpu: number }>;
  after: { metrics: { peakToAverage: number; provenOptimal?: boolean } };
  method?: string;
}
interface Phase {
  name: string;
  restored: string[];
  actedMs: number;
  pre: Window;
  window: Window;
  changed: Array<{ irq: string; name: string; from: string; to: string }>;
  placement: Array<{ irq: string; affinity: string; effective: string | null }>;
  apply?: { plan?: PlanJson; result?: { ok: boolean }; error?: string };
  applyMs?: number;
  irqbalance?: {
    exit: number;
    wallMs: number;
    maxRssKb: number;
    userS: number;
    systemS: number;
    tail: string[];
  };
  roundRobin?: Array<{ irq: string; cpu: string; error?: string }>;
}
interface Profile {
  name: string;
  note: string;
  traffic: string[];
  irqkitdStartMs: number;
  irqkitd: { rssKb: number; hwmKb: number; cpuTicks: number; exit: number | string };
  phases: Phase[];
}
interface GuestResults {
  error?: string;
  cpus: number;
  kernel: string;
  measureMs: number;
  settleMs: number;
  planWindowS: number;
  nics: Array<{ irq: string; nic: string; name: string }>;
  queueIrqs: string[];
  managed: string[];
  profiles: Profile[];
  seconds: number;
}

/** What the footprint section quotes from this run. */
export interface TestbedSummary {
  irqbalanceMaxRssKb: number | null;
  irqkitdGuestRssKb: number;
  irqkitdGuestHwmKb: number;
}

export interface Figures {
  name: string;
  perCpu: number[];
  maxMean: number;
  busiest: number;
  allMaxMean: number;
  changed: number;
  nicMoved: number;
}

const maxMean = (v: readonly number[]): number => {
  const sum = v.reduce((a, b) => a + b, 0);
  return sum > 0 ? Math.max(...v) / (sum / v.length) : Number.NaN;
};

function perCpu(w: Window, irqs: ReadonlySet<string> | null, k: number): number[] {
  const t = new Array<number>(k).fill(0);
  for (const i of w.perIrq) {
    if (irqs && !irqs.has(i.irq)) continue;
    i.perCpu.forEach((v, c) => {
      t[c] = (t[c] as number) + v;
    });
  }
  return t;
}

/** The CPU that serviced most of each IRQ's interrupts in the window. */
function dominant(w: Window, irq: string): number | null {
  const row = w.perIrq.find((i) => i.irq === irq);
  if (!row || row.perCpu.every((v) => v === 0)) return null;
  return row.perCpu.indexOf(Math.max(...row.perCpu));
}

/** Copies the host's irqbalance and the libraries the guest lacks into DIR/irqbalance/. */
export function stageIrqbalance(dir: string): string | null {
  if (!existsSync(IRQBALANCE)) return `${IRQBALANCE} not installed (apt-get install -y irqbalance)`;
  const dest = join(dir, 'irqbalance');
  mkdirSync(join(dest, 'lib'), { recursive: true });
  copyFileSync(IRQBALANCE, join(dest, 'irqbalance'));
  const ldd = execFileSync('ldd', [IRQBALANCE], { encoding: 'utf8' });
  for (const m of ldd.matchAll(/=>\s+(\/\S+)/g)) {
    const lib = m[1] as string;
    if (!GUEST_HAS.test(basename(lib))) copyFileSync(lib, join(dest, 'lib', basename(lib)));
  }
  return null;
}

/**
 * Boots the testbed guest on `dir` (every movable IRQ on CPU 0) and runs `command` in it; resolves
 * with run-guest.sh's exit code, after printing the end of its stderr when that is not 0.
 */
export function runTestbedGuest(
  dir: string,
  o: { cpus: number; timeoutS: number; command: string },
  out: (line: string) => void,
): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(
      RUN_GUEST,
      [
        '--cpus',
        String(o.cpus),
        '--timeout',
        String(o.timeoutS),
        '--log',
        join(dir, 'serial.log'),
        dir,
        o.command,
      ],
      { env: { ...process.env, TESTBED_APPEND: 'irqaffinity=0' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      if (process.stderr.isTTY) process.stderr.write(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => {
      if (code !== 0) out(`  run-guest.sh exited ${code}:\n${stderr.slice(-1500)}`);
      resolve(code);
    });
  });
}

function runGuest(dir: string, quick: boolean, out: (line: string) => void): Promise<number | null> {
  return runTestbedGuest(
    dir,
    { cpus: 8, timeoutS: 480, command: `node guest.mjs${quick ? ' --quick' : ''}` },
    out,
  );
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');
const share = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');

export async function runTestbedBench(
  quick: boolean,
  out: (line: string) => void,
): Promise<TestbedSummary | null> {
  out(section('Balance quality in the QEMU testbed: irqkit vs irqbalance --oneshot vs round-robin'));
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    out('  skipped: the testbed needs root (it installs QEMU and builds its guest on first use)');
    return null;
  }
  if (!existsSync(RUN_GUEST)) {
    out(`  skipped: no testbed at ${RUN_GUEST}`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'irqkit-peers-tb-'));
  try {
    for (const f of [IRQKIT, IRQKITD, join(REPO, 'bench', 'peers', 'guest.mjs')])
      copyFileSync(f, join(dir, basename(f)));
    const noIrqbalance = stageIrqbalance(dir);
    if (noIrqbalance) out(`  irqbalance: ${noIrqbalance}; that method is left out`);
    const started = performance.now();
    const code = await runGuest(dir, quick, out);
    const wall = (performance.now() - started) / 1000;
    const resultsFile = join(dir, 'peers-results.json');
    if (!existsSync(resultsFile)) {
      out(`  no results from the guest (run-guest.sh exit ${code}); serial log tail:`);
      const log = join(dir, 'serial.log');
      if (existsSync(log)) out(readFileSync(log, 'utf8').slice(-2000));
      return null;
    }
    const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as GuestResults;
    if (r.error) out(`  the guest script failed: ${r.error.split('\n').slice(0, 4).join('\n  ')}`);
    return report(r, wall, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ProfileOutcome {
  name: string;
  /** NIC max/mean measured and on common rates, per method. */
  byMethod: Map<string, { measured: number; common: number }>;
  predicted: number;
}

function report(r: GuestResults, wall: number, out: (line: string) => void): TestbedSummary {
  out(
    `One boot: ${r.cpus} vCPUs (TCG), kernel ${r.kernel}, irqaffinity=0; ${wall.toFixed(0)} s in all ` +
      `(${r.seconds.toFixed(0)} s in the guest script).\n` +
      `NIC IRQs: ${r.nics.map((n) => `${n.irq} ${n.name}`).join(', ')}.\n` +
      `Each method starts from every movable IRQ on CPU 0, under the traffic; after it acts, ` +
      `${r.settleMs / 1000} s for the moves to happen, then ${r.measureMs / 1000} s measured from /proc/interrupts.`,
  );
  const outcomes = r.profiles.map((p) => reportProfile(r, p, out));
  if (outcomes.length > 1) {
    out(section('Testbed summary: NIC max/mean per profile (measured / on common rates; 1.000 is perfect)'));
    const methods = [...new Set(outcomes.flatMap((o) => [...o.byMethod.keys()]))];
    out(
      table(
        [
          { header: 'profile' },
          ...methods.flatMap((m) =>
            m === 'irqkit'
              ? [
                  { header: 'irqkit predicted', align: 'right' as const },
                  { header: m, align: 'right' as const },
                ]
              : [{ header: m, align: 'right' as const }],
          ),
        ],
        outcomes.map((o) => [
          o.name,
          ...methods.flatMap((m) => {
            const v = o.byMethod.get(m);
            const cell = v ? `${f3(v.measured)} / ${f3(v.common)}` : '—';
            return m === 'irqkit' ? [f3(o.predicted), cell] : [cell];
          }),
        ]),
      ),
    );
  }
  const rss = r.profiles.flatMap((p) => {
    const kb = p.phases.find((x) => x.name === 'irqbalance')?.irqbalance?.maxRssKb;
    return kb === undefined ? [] : [kb];
  });
  const first = r.profiles[0];
  return {
    irqbalanceMaxRssKb: rss.length > 0 ? Math.max(...rss) : null,
    irqkitdGuestRssKb: first?.irqkitd.rssKb ?? Number.NaN,
    irqkitdGuestHwmKb: first?.irqkitd.hwmKb ?? Number.NaN,
  };
}

function reportProfile(r: GuestResults, prof: Profile, out: (line: string) => void): ProfileOutcome {
  const k = r.cpus;
  const nicSet = new Set(r.nics.map((n) => n.irq));
  const nameOf = new Map(r.nics.map((n) => [n.irq, n.name]));
  out(
    `\n--- Profile ${prof.name}: ${prof.note}; tb-traffic NIC:ping interval (s): ${prof.traffic.join(' ')}`,
  );
  const unbalanced = prof.phases.find((p) => p.name === 'unbalanced');
  // Rates of each NIC IRQ in the unbalanced window: a common load vector on which every method's
  // placement is also evaluated, free of the traffic's wobble from one window to the next.
  const commonRate = new Map<string, number>();
  if (unbalanced)
    for (const i of unbalanced.window.perIrq)
      if (nicSet.has(i.irq))
        commonRate.set(
          i.irq,
          i.perCpu.reduce((a, b) => a + b, 0),
        );
  const onCommon = (p: Phase): number => {
    const t = new Array<number>(k).fill(0);
    for (const [irq, load] of commonRate) {
      const c = dominant(p.window, irq) ?? 0;
      t[c] = (t[c] as number) + load;
    }
    return maxMean(t);
  };

  const figures: Figures[] = [];
  const byMethod = new Map<string, { measured: number; common: number }>();
  const rows: string[][] = [];
  for (const p of prof.phases) {
    const nic = perCpu(p.window, nicSet, k);
    const all = perCpu(p.window, null, k);
    const total = nic.reduce((a, b) => a + b, 0);
    const busiest = nic.indexOf(Math.max(...nic));
    const f: Figures = {
      name: p.name,
      perCpu: nic.map((v) => v / total),
      maxMean: maxMean(nic),
      busiest,
      allMaxMean: maxMean(all),
      changed: p.changed.length,
      nicMoved: p.changed.filter((c) => nicSet.has(c.irq)).length,
    };
    figures.push(f);
    const common = onCommon(p);
    byMethod.set(p.name, { measured: f.maxMean, common });
    const pre = perCpu(p.pre, nicSet, k);
    const preSum = pre.reduce((a, b) => a + b, 0);
    rows.push([
      p.name,
      f3(f.maxMean),
      `CPU${busiest} ${share(f.perCpu[busiest] ?? Number.NaN)}`,
      f3(common),
      f3(f.allMaxMean),
      String(f.changed),
      String(f.nicMoved),
      `${(p.actedMs / 1000).toFixed(1)} s`,
      share((pre[0] ?? 0) / preSum),
      String(Math.round(total / p.window.seconds)),
    ]);
  }
  out('Per method (NIC interrupts unless said otherwise; max/mean over all CPUs, 1.000 is perfect):');
  out(
    table(
      [
        { header: 'method' },
        { header: 'NIC max/mean', align: 'right' },
        { header: 'busiest CPU', align: 'right' },
        { header: 'on common rates', align: 'right' },
        { header: 'all IRQs max/mean', align: 'right' },
        { header: 'IRQs changed', align: 'right' },
        { header: 'NIC IRQs moved', align: 'right' },
        { header: 'acted in', align: 'right' },
        { header: 'CPU0 at start', align: 'right' },
        { header: 'NIC irq/s', align: 'right' },
      ],
      rows,
    ),
  );
  out(
    '  on common rates: the placement (each IRQ on the CPU that served most of it) evaluated on the\n' +
      "  unbalanced window's per-IRQ rates, so that traffic wobble between windows drops out.\n" +
      '  IRQs changed: smp_affinity_list differs from the start state afterwards (any IRQ, not only NICs).\n' +
      "  CPU0 at start: CPU 0's share of NIC interrupts under the traffic before the method acted.",
  );

  // irqkit's prediction.
  const irqkitPhase = prof.phases.find((p) => p.name === 'irqkit');
  const plan = irqkitPhase?.apply?.plan;
  let predictedShares: number[] | null = null;
  let predicted = Number.NaN;
  if (plan) {
    const pred = new Array<number>(k).fill(0);
    for (const a of plan.assignments) if (nicSet.has(a.irq)) pred[a.cpu] = (pred[a.cpu] as number) + a.load;
    const sum = pred.reduce((x, y) => x + y, 0);
    predictedShares = pred.map((v) => v / sum);
    predicted = maxMean(pred);
    out(
      `irqkit plan (on the ${r.planWindowS} s before apply): ${plan.moves.length} moves` +
        `${plan.pins?.length ? ` + ${plan.pins.length} masks narrowed` : ''}, method ${plan.method ?? '?'}, ` +
        `predicted NIC max/mean ${f3(predicted)}, predicted all-IRQ max/mean ${f3(plan.after.metrics.peakToAverage)}` +
        `${plan.after.metrics.provenOptimal ? ' (proven optimal)' : ''}; plan + apply took ${((irqkitPhase?.applyMs ?? 0) / 1000).toFixed(1)} s.`,
    );
  } else if (irqkitPhase?.apply?.error) {
    out(`irqkit apply failed: ${irqkitPhase.apply.error}`);
  }

  out('\nPer-CPU share of NIC interrupts in each measured window:');
  const cols = [
    { header: 'CPU' },
    ...prof.phases.flatMap((p) =>
      p.name === 'irqkit' && predictedShares
        ? [
            { header: 'irqkit predicted', align: 'right' as const },
            { header: p.name, align: 'right' as const },
          ]
        : [{ header: p.name, align: 'right' as const }],
    ),
  ];
  const cpuRows: string[][] = [];
  for (let c = 0; c < k; c++) {
    cpuRows.push([
      `CPU${c}`,
      ...figures.flatMap((f) =>
        f.name === 'irqkit' && predictedShares
          ? [share(predictedShares[c] ?? 0), share(f.perCpu[c] ?? 0)]
          : [share(f.perCpu[c] ?? 0)],
      ),
    ]);
  }
  out(table(cols, cpuRows));

  out('\nWhere each NIC IRQ ran after each method (the CPU that served most of it in the window):');
  const methods = prof.phases.filter((p) => p.name !== 'unbalanced');
  const placeRows = r.nics
    .filter(
      (n) => (commonRate.get(n.irq) ?? 0) > 0 || methods.some((p) => dominant(p.window, n.irq) !== null),
    )
    .map((n) => {
      const rate = unbalanced ? (commonRate.get(n.irq) ?? 0) / unbalanced.window.seconds : Number.NaN;
      return [
        n.irq,
        nameOf.get(n.irq) ?? '',
        n.nic,
        Number.isFinite(rate) ? rate.toFixed(0) : '—',
        ...methods.map((p) => {
          const d = dominant(p.window, n.irq);
          const aff = p.placement.find((x) => x.irq === n.irq)?.affinity ?? '?';
          return d === null ? `— (${aff})` : aff === String(d) ? `CPU${d}` : `CPU${d} (${aff})`;
        }),
      ];
    });
  out(
    table(
      [
        { header: 'IRQ', align: 'right' },
        { header: 'name' },
        { header: 'NIC' },
        { header: 'irq/s', align: 'right' },
        ...methods.map((p) => ({ header: p.name })),
      ],
      placeRows,
    ),
  );
  out(
    '  (in brackets: smp_affinity_list when it is not that one CPU; — = no interrupts in the window;\n' +
      '   the config and link vectors, idle here, are left out)',
  );

  const ib = prof.phases.find((p) => p.name === 'irqbalance');
  if (ib?.irqbalance) {
    const b = ib.irqbalance;
    const others = ib.changed.filter((c) => !nicSet.has(c.irq));
    out(
      `irqbalance --oneshot: exit ${b.exit}, ${(b.wallMs / 1000).toFixed(1)} s wall (it samples, sleeps its 10 s ` +
        `interval, samples again, places), CPU ${(b.userS + b.systemS).toFixed(2)} s, peak RSS ${(b.maxRssKb / 1024).toFixed(1)} MiB ` +
        `(busybox time -v). Besides NIC IRQs it rewrote ${others.length}: ${others
          .map((c) => `${c.irq} ${c.name} ${c.from}→${c.to}`)
          .join(', ')}.`,
    );
  }
  out(
    `irqkitd in the guest (sampling every 500 ms, from start to after apply): RSS ${(prof.irqkitd.rssKb / 1024).toFixed(1)} MiB, ` +
      `peak ${(prof.irqkitd.hwmKb / 1024).toFixed(1)} MiB, CPU ${(prof.irqkitd.cpuTicks / 100).toFixed(1)} s, started in ` +
      `${(prof.irqkitdStartMs / 1000).toFixed(1)} s, exit ${prof.irqkitd.exit}.`,
  );

  // Targets.
  const fig = (n: string): Figures | undefined => figures.find((f) => f.name === n);
  const irqkitFig = fig('irqkit');
  out(`\nTargets (profile ${prof.name})`);
  if (irqkitFig && Number.isFinite(predicted)) {
    const dev = (irqkitFig.maxMean - predicted) / predicted;
    out(
      `  measured vs predicted max/mean (NIC)   ${f3(irqkitFig.maxMean)} vs ${f3(predicted)} ` +
        `(${(dev * 100).toFixed(1)}%): ${Math.abs(dev) <= 0.1 ? 'met (within 10%)' : 'NOT met (over 10%)'}`,
    );
  }
  const ik = byMethod.get('irqkit');
  for (const peer of ['irqbalance', 'round-robin']) {
    const p = byMethod.get(peer);
    if (!ik || !p) continue;
    const verdict = (a: number, b: number): string =>
      a < b - 5e-4 ? 'better' : a > b + 5e-4 ? 'WORSE' : 'tie';
    out(
      `  irqkit vs ${peer.padEnd(12)}               measured ${f3(ik.measured)} vs ${f3(p.measured)}: ${verdict(ik.measured, p.measured)}; ` +
        `on common rates ${f3(ik.common)} vs ${f3(p.common)}: ${verdict(ik.common, p.common)}`,
    );
  }
  return { name: prof.name, byMethod, predicted };
}
