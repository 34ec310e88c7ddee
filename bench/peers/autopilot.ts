/**
 * The autopilot against irqbalance's daemon mode on a real kernel: the QEMU testbed (irqaffinity=0,
 * every movable IRQ on CPU 0 at the start), the two-phase traffic of the autopilot's system test
 * (45 s with eth0 busiest, then 45 s with the load moved to eth2 and eth3), run three times in one
 * boot from the same start state:
 *   irqkitd --auto --auto-every 5s --auto-window 5s   (nothing drives it)
 *   irqbalance --foreground                          (daemon mode, its default 10 s interval)
 *   none                                             (nothing moves: the start, for reference)
 * on 8 vCPUs, then on 4 (not with --quick). test/system/guest-autopilot.mjs does the work in the
 * guest: it samples /proc/interrupts and every IRQ's smp_affinity_list once a second, whoever
 * balances; test/helpers/autopilot-testbed.ts judges (busiest CPU against the planner's optimum
 * for the same interrupts, affinity changes seen).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  formatRun,
  type GuestResults,
  type GuestRun,
  type PhaseFigures,
  phaseFigures,
} from '../../test/helpers/autopilot-testbed.ts';
import { TESTBED_DIR } from '../paths.ts';
import { section, table } from '../report.ts';
import { IRQKIT, IRQKITD, REPO } from './proc.ts';
import { runTestbedGuest, stageIrqbalance } from './testbed.ts';

const RUN_GUEST = join(TESTBED_DIR, 'run-guest.sh');
const GUEST = join(REPO, 'test', 'system', 'guest-autopilot.mjs');
const BALANCERS = ['none', 'irqbalance', 'auto'] as const;
const LABEL: Record<string, string> = {
  auto: 'irqkitd --auto',
  irqbalance: 'irqbalance (daemon)',
  none: 'nothing (start)',
};
const LAST_S = 15;

function runGuest(dir: string, cpus: number, out: (line: string) => void): Promise<number | null> {
  return runTestbedGuest(
    dir,
    { cpus, timeoutS: 900, command: `node guest-autopilot.mjs --balancers ${BALANCERS.join(',')}` },
    out,
  );
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');
const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '—');
const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

interface Judged {
  run: GuestRun;
  phases: PhaseFigures[];
}

export interface AutopilotCompareSummary {
  cpus: number;
  /** Per balancer: mean busiest/best over every 5 s slice of both phases, and NIC affinity changes. */
  byBalancer: Map<string, { meanRatio: number; lastRatios: number[]; nicChanges: number; changes: number }>;
}

function report(r: GuestResults, wall: number, out: (line: string) => void): AutopilotCompareSummary {
  out(
    `\n${r.cpus} vCPUs (TCG), kernel ${r.kernel}, irqaffinity=0; one boot, ${wall.toFixed(0)} s in all. ` +
      `NIC IRQs: ${r.nics
        .filter((n) => !/config|^eth\d$/.test(n.name))
        .map((n) => `${n.irq} ${n.name}`)
        .join(', ')}; ` +
      `refused by the kernel (managed queues and the like, kept where they ran): ${r.unmovable.map((u) => u.irq).join(',')}.`,
  );
  for (const [i, p] of r.phases.entries()) {
    out(
      `  phase ${p.name} (${r.phaseSeconds} s from ${i * r.phaseSeconds} s): ${p.note}; tb-traffic ${p.traffic.join(' ')}`,
    );
  }
  const judged: Judged[] = r.runs
    .filter((run) => run.samples !== undefined && run.samples.length > 0)
    .map((run) => ({ run, phases: r.phases.map((_, i) => phaseFigures(r, run, i, 5, LAST_S)) }));
  for (const run of r.runs) if (run.error) out(`  ${LABEL[run.balancer] ?? run.balancer}: ${run.error}`);

  const rows: string[][] = [];
  for (const [pi, p] of r.phases.entries()) {
    for (const j of judged) {
      const ph = j.phases[pi];
      if (!ph) continue;
      const ratios = ph.slices.map((s) => s.ratio);
      rows.push([
        p.name,
        LABEL[j.run.balancer] ?? j.run.balancer,
        f3(mean(ratios)),
        f3(Math.max(...ratios)),
        f3(ph.last.ratio),
        `${f0(ph.last.busiest)} / ${f0(ph.last.best)}`,
        String(ph.changes.filter((c) => c.nic).length),
        String(ph.changes.length),
        j.run.balancer === 'auto' ? String(ph.rounds.filter((x) => x.outcome === 'applied').length) : '',
      ]);
    }
  }
  out(
    `\nBusiest CPU / best possible (all numeric IRQs; 1.000 = the best any placement could do with the same interrupts),\n` +
      `per 5 s slice of each phase and over its last ${LAST_S} s; affinity changes seen by the guest's 1 s sampling:`,
  );
  out(
    table(
      [
        { header: 'phase' },
        { header: 'balancer' },
        { header: 'mean per 5 s', align: 'right' },
        { header: 'worst 5 s', align: 'right' },
        { header: `last ${LAST_S} s`, align: 'right' },
        { header: `last ${LAST_S} s busiest / best (irq/s)`, align: 'right' },
        { header: 'NIC IRQ changes', align: 'right' },
        { header: 'all IRQ changes', align: 'right' },
        { header: 'applied rounds', align: 'right' },
      ],
      rows,
    ),
  );

  out('\nbusiest/best per 5 s slice, in order (phase A | phase B):');
  out(
    table(
      [{ header: 'balancer' }, { header: 'phase A' }, { header: 'phase B' }],
      judged.map((j) => [
        LABEL[j.run.balancer] ?? j.run.balancer,
        ...j.phases.map((ph) => ph.slices.map((s) => s.ratio.toFixed(2)).join(' ')),
      ]),
    ),
  );

  const byBalancer: AutopilotCompareSummary['byBalancer'] = new Map();
  for (const j of judged) {
    byBalancer.set(j.run.balancer, {
      meanRatio: mean(j.phases.flatMap((ph) => ph.slices.map((s) => s.ratio))),
      lastRatios: j.phases.map((ph) => ph.last.ratio),
      nicChanges: j.phases.reduce((s, ph) => s + ph.changes.filter((c) => c.nic).length, 0),
      changes: j.phases.reduce((s, ph) => s + ph.changes.length, 0),
    });
  }

  const auto = judged.find((j) => j.run.balancer === 'auto');
  if (auto) {
    out(`\nirqkitd --auto (exit ${auto.run.exit}, totals ${JSON.stringify(auto.run.auto?.totals)}):`);
    out(formatRun(r, auto.run, auto.phases));
  }
  const ib = judged.find((j) => j.run.balancer === 'irqbalance');
  if (ib) {
    out(`\nirqbalance --foreground: exit ${ib.run.exit} on SIGTERM; every NIC affinity change it made:`);
    for (const ph of ib.phases) {
      const nic = ph.changes.filter((c) => c.nic);
      out(
        `  phase ${ph.name}: ${nic.length === 0 ? 'none' : nic.map((c) => `+${c.at}s ${c.irq} ${c.name} ${c.from}→${c.to}`).join(', ')}`,
      );
    }
    const tail = (ib.run.log ?? []).filter((l) => l.trim() !== '').slice(-5);
    if (tail.length > 0) out(`  its output (last lines): ${tail.join(' | ')}`);
  }

  const a = byBalancer.get('auto');
  const b = byBalancer.get('irqbalance');
  if (a && b) {
    const better = a.meanRatio <= b.meanRatio + 5e-4;
    const lastBetter = a.lastRatios.every((x, i) => x <= (b.lastRatios[i] ?? Number.NaN) + 5e-4);
    const third = a.nicChanges * 3 <= b.nicChanges;
    out(
      `\nGoal (${r.cpus} vCPUs): balance at least as good as irqbalance's, with at most a third of its moves`,
    );
    out(
      `  mean busiest/best over both phases   irqkitd ${f3(a.meanRatio)} vs irqbalance ${f3(b.meanRatio)}: ${better ? 'met' : 'NOT met'}`,
    );
    out(
      `  last ${LAST_S} s of each phase            irqkitd ${a.lastRatios.map(f3).join(', ')} vs irqbalance ${b.lastRatios.map(f3).join(', ')}: ${lastBetter ? 'met' : 'NOT met'}`,
    );
    out(
      `  NIC affinity changes (both phases)   irqkitd ${a.nicChanges} vs irqbalance ${b.nicChanges}: ${third ? 'met' : 'NOT met'} (at most ${Math.floor(b.nicChanges / 3)})`,
    );
  }
  return { cpus: r.cpus, byBalancer };
}

export async function runAutopilotBench(
  quick: boolean,
  out: (line: string) => void,
): Promise<AutopilotCompareSummary[]> {
  out(
    section(
      'The autopilot vs irqbalance in daemon mode, on load that moves (QEMU testbed, two phases of 45 s)',
    ),
  );
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    out('  skipped: the testbed needs root (it installs QEMU and builds its guest on first use)');
    return [];
  }
  if (!existsSync(RUN_GUEST)) {
    out(`  skipped: no testbed at ${RUN_GUEST}`);
    return [];
  }
  const summaries: AutopilotCompareSummary[] = [];
  for (const cpus of quick ? [8] : [8, 4]) {
    const dir = mkdtempSync(join(tmpdir(), `irqkit-peers-auto-${cpus}-`));
    try {
      for (const f of [IRQKIT, IRQKITD, GUEST]) copyFileSync(f, join(dir, basename(f)));
      const noIrqbalance = stageIrqbalance(dir);
      if (noIrqbalance) out(`  irqbalance: ${noIrqbalance}; that balancer is left out`);
      const started = performance.now();
      const code = await runGuest(dir, cpus, out);
      const wall = (performance.now() - started) / 1000;
      const resultsFile = join(dir, 'results.json');
      if (!existsSync(resultsFile)) {
        out(`  ${cpus} vCPUs: no results from the guest (run-guest.sh exit ${code}); serial log tail:`);
        const log = join(dir, 'serial.log');
        if (existsSync(log)) out(readFileSync(log, 'utf8').slice(-2000));
        continue;
      }
      const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as GuestResults;
      if (r.error) out(`  the guest script failed: ${r.error.split('\n').slice(0, 4).join('\n  ')}`);
      summaries.push(report(r, wall, out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return summaries;
}
