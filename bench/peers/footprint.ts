/**
 * Daemon footprint: irqkitd sampling every second on a simulated 1,152-CPU machine with ~2,000
 * IRQs, RSS and CPU% over a minute; irqbalance's peak RSS (measured in the testbed guest, the
 * only place it may run) as the reference.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimSpec } from '../../src/sim/spec.ts';
import { daemonNodeFlags } from '../paths.ts';
import { median, section, table } from '../report.ts';
import type { ParsingSummary } from './parsing.ts';
import {
  bytes,
  cpuSeconds,
  freePort,
  get,
  IRQKITD,
  irqkitdSamples,
  memory,
  REPO,
  sleep,
  startServer,
} from './proc.ts';
import type { TestbedSummary } from './testbed.ts';

/**
 * 1,152 CPUs on 2 nodes and 1,985 IRQs, modelled on the corpus machine (i40e NICs, lpfc HBAs,
 * smartpqi) plus an NVMe drive: 4 NICs × 288 queues, 2 HBAs × 320 vectors, 64 + 128 managed
 * queues and the timer. The compact form cannot say this (it has no device list; see below).
 */
export const FOOTPRINT_SPEC: SimSpec = {
  cpus: 1152,
  nodes: 2,
  seed: 1,
  uptime: 600,
  devices: [
    { name: 'timer', type: 'legacy', irq: 0, rate: 1 },
    { name: 'eth0', pci: '0000:3b:00.0', node: 0, queues: 288, rate: 400_000, skew: 'lognormal' },
    { name: 'eth1', pci: '0000:3b:00.1', node: 0, queues: 288, rate: 300_000, skew: 'lognormal' },
    { name: 'eth2', pci: '0000:af:00.0', node: 1, queues: 288, rate: 200_000, skew: 'lognormal' },
    { name: 'eth3', pci: '0000:af:00.1', node: 1, queues: 288, rate: 100_000, skew: 'lognormal' },
    { name: 'lpfc0', pci: '0000:5e:00.0', node: 0, queues: 320, rate: 150_000, queueName: 'lpfc:{i}' },
    { name: 'lpfc1', pci: '0000:d8:00.0', node: 1, queues: 320, rate: 150_000, queueName: 'lpfc:{i}' },
    {
      name: 'smartpqi',
      pci: '0000:18:00.0',
      node: 0,
      queues: 64,
      rate: 50_000,
      managed: true,
      queueName: 'smartpqi{i}',
    },
    { name: 'nvme0', pci: '0000:86:00.0', node: 1, queues: 128, rate: 80_000, managed: true },
  ],
};

/** Whether `--simulate 1152cpu,2node` starts; its first error line when it does not. */
async function compactSpecStarts(work: string): Promise<string> {
  const port = await freePort();
  try {
    const srv = await startServer(
      process.execPath,
      [IRQKITD, '--simulate', '1152cpu,2node', '--listen', `127.0.0.1:${port}`],
      `http://127.0.0.1:${port}`,
      '/healthz',
      join(work, 'compact.log'),
      120_000,
    );
    await srv.stop();
    return `starts (ready in ${(srv.startMs / 1000).toFixed(1)} s)`;
  } catch (e) {
    const msg = (e as Error).message.split('\n');
    return `does not start: ${msg.slice(1).find((l) => l.trim() !== '') ?? msg[0]}`;
  }
}

export async function runFootprintBench(
  quick: boolean,
  out: (line: string) => void,
  testbed: TestbedSummary | null,
  parsing: ParsingSummary | null,
): Promise<void> {
  const irqCount = FOOTPRINT_SPEC.devices.reduce((n, d) => n + (d.queues ?? 1), 0);
  out(
    section(
      `Daemon footprint: irqkitd --simulate, ${FOOTPRINT_SPEC.cpus} CPUs, ${irqCount} IRQs, sampling every 1 s`,
    ),
  );
  const work = mkdtempSync(join(tmpdir(), 'irqkit-peers-fp-'));
  const specFile = join(work, 'spec.json');
  writeFileSync(specFile, JSON.stringify(FOOTPRINT_SPEC));
  const warmS = quick ? 5 : 10;
  const seconds = quick ? 15 : 60;
  try {
    out(`  compact spec "--simulate 1152cpu,2node": ${await compactSpecStarts(work)}`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const srv = await startServer(
      process.execPath,
      [
        ...daemonNodeFlags(REPO),
        IRQKITD,
        '--simulate',
        specFile,
        '--interval',
        '1s',
        '--listen',
        `127.0.0.1:${port}`,
      ],
      url,
      '/healthz',
      join(work, 'irqkitd.log'),
      120_000,
    );
    let simDir: string | null = null;
    try {
      const health = JSON.parse((await get(`${url}/healthz`)).body) as { system?: string };
      simDir = /simulated machine in (\S+)/.exec(health.system ?? '')?.[1] ?? null;
      await sleep(warmS * 1000);
      const c0 = cpuSeconds(srv.pid);
      const n0 = await irqkitdSamples(url);
      const t0 = performance.now();
      const rss: number[] = [];
      while (performance.now() - t0 < seconds * 1000) {
        rss.push(memory(srv.pid).rss);
        await sleep(1000);
      }
      const c1 = cpuSeconds(srv.pid);
      const n1 = await irqkitdSamples(url);
      const wall = (performance.now() - t0) / 1000;
      const mem = memory(srv.pid);
      const listed = (JSON.parse((await get(`${url}/api/v1/irqs`)).body) as { irqs: unknown[] }).irqs.length;
      const file = simDir ? join(simDir, 'proc', 'interrupts') : null;
      const fileSize = file && existsSync(file) ? statSync(file).size : null;
      const cpu = c1 - c0;
      const rows: string[][] = [
        [
          `irqkitd --simulate (${FOOTPRINT_SPEC.cpus} CPUs, ${listed} IRQs)`,
          `${bytes(Math.min(...rss))} / ${bytes(median(rss))} / ${bytes(Math.max(...rss))}`,
          `${bytes(rss[0] ?? 0)} → ${bytes(rss[rss.length - 1] ?? 0)}`,
          bytes(mem.hwm),
          `${((cpu / wall) * 100).toFixed(1)}%`,
          `${((cpu / (n1 - n0)) * 1000).toFixed(0)} ms`,
          `${((n1 - n0) / wall).toFixed(2)}/s`,
          `${wall.toFixed(0)} s after ${warmS} s, started in ${(srv.startMs / 1000).toFixed(1)} s`,
        ],
      ];
      if (parsing)
        rows.push([
          'irqkitd on the 1,152-CPU corpus file (parsing section)',
          bytes(parsing.irqkitdRss),
          '—',
          bytes(parsing.irqkitdHwm),
          `${(parsing.irqkitdCpuPerSample * 100).toFixed(1)}%`,
          `${(parsing.irqkitdCpuPerSample * 1000).toFixed(0)} ms`,
          '1/s',
          'static file, fake procfs',
        ]);
      if (testbed) {
        rows.push([
          'irqkitd in the testbed guest (8 vCPUs, ~50 IRQs)',
          bytes(testbed.irqkitdGuestRssKb * 1024),
          '—',
          bytes(testbed.irqkitdGuestHwmKb * 1024),
          '—',
          '—',
          '2/s',
          'real kernel, TCG',
        ]);
        if (testbed.irqbalanceMaxRssKb !== null)
          rows.push([
            'irqbalance 1.9.2 --oneshot in the testbed guest (reference)',
            '—',
            '—',
            bytes(testbed.irqbalanceMaxRssKb * 1024),
            '—',
            '—',
            '1 per 10 s',
            'peak RSS by busybox time -v',
          ]);
      }
      out(
        table(
          [
            { header: 'process' },
            { header: 'RSS min / median / max', align: 'right' },
            { header: 'RSS first → last', align: 'right' },
            { header: 'peak RSS', align: 'right' },
            { header: 'CPU', align: 'right' },
            { header: 'CPU/sample', align: 'right' },
            { header: 'samples', align: 'right' },
            { header: 'over' },
          ],
          rows,
        ),
      );
      out(
        `  --simulate runs the simulated kernel inside irqkitd: each tick it renders the machine's\n` +
          `  /proc/interrupts (${fileSize === null ? '?' : bytes(fileSize)}) and checks ${listed} affinity files, and the sampler then reads\n` +
          '  and parses that file, so the CPU figure is an upper bound for irqkitd on such a real machine.\n' +
          '  irqbalance cannot run on a simulated machine (it reads the real /proc and /sys and writes\n' +
          '  /proc/irq), and must not run on this host: its figure is from the 8-vCPU guest.',
      );
      if (!testbed)
        out('  (irqbalance reference: run with the testbed part, as root: --only testbed,footprint)');
    } finally {
      await srv.stop();
    }
  } catch (e) {
    out(`  FAILED: ${(e as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
