/**
 * `irqkit top`: a live view of interrupt rates in the manner of util-linux irqtop, fed by
 * irqkitd's distribution endpoint. Each refresh asks for the interrupts of the last window
 * (by default as long as the refresh delay), so every frame shows rates over fresh data.
 * With --procfs it reads /proc/interrupts itself and shows the rates between two reads.
 */

import type { Distribution } from '../../api/schemas.ts';
import { type CommandSpec, type OptionValues, stringOption } from '../../args/command-args.ts';
import { parsePositiveInt } from '../../args/values.ts';
import { formatCpuList, normalizeCpus, parseCpuList } from '../../core/cpuset.ts';
import { parseDuration } from '../../core/duration.ts';
import { IrqkitError, toIrqkitError } from '../../core/errors.ts';
import { DEFAULT_PROC_ROOT } from '../../io/procfs.ts';
import { clientFrom, DAEMON_OPTIONS } from '../daemon-options.ts';
import type { CliIo, TerminalIo, TerminalSignal } from '../io.ts';
import { procfsRates } from '../procfs-rates.ts';
import { pickStyle } from '../render/color.ts';
import { type IrqSortKey, SORT_WORDS, sortHelp, sortKeyOrUsage } from '../render/irq-sort.ts';
import {
  frame,
  limitRows,
  sortIrqs,
  sortName,
  type TopIrq,
  type TopSample,
  type TopState,
} from '../render/top-frame.ts';
import { LiveScreen } from '../terminal.ts';

export const topSpec: CommandSpec = {
  name: 'top',
  summary:
    'A live view of interrupt rates, refreshed in place like irqtop (irqkitd, or /proc with --procfs).\n' +
    'It shows the total rate and peak-to-average, per-CPU rates with bars, and the busiest IRQs\n' +
    'with a column per CPU (those that fit; the frame says what it leaves out). As in irqtop, the\n' +
    'named rows (LOC, RES, CAL, TLB, IPIs…) are in the table too; the CPU bars and the total count\n' +
    'the IRQs only.\n' +
    'Keys: q (or Ctrl-C) quits; t sorts by rate, i by IRQ number, n by name; c and C sort by the\n' +
    "next and previous CPU's column; a hides and shows the named rows.\n" +
    '--procfs reads /proc/interrupts (or DIR/interrupts) itself, for a machine without irqkitd:\n' +
    'each frame shows the rates between two reads a --delay apart.\n' +
    'Without a terminal (a pipe, a file) it prints one frame and exits.',
  usage: 'irqkit top [options]',
  maxPositionals: 0,
  options: {
    delay: { type: 'string', arg: 'DURATION', description: 'refresh every DURATION (default 1s)' },
    window: {
      type: 'string',
      arg: 'DURATION',
      description: "rates over the last DURATION of irqkitd's history (default: the delay)",
    },
    cpus: { type: 'string', arg: 'LIST', description: 'show only these CPUs (cpulist, e.g. 0-3,8)' },
    top: {
      type: 'string',
      arg: 'N',
      description: 'show at most N rows, the busiest, in --sort order (default: as many as fit)',
    },
    sort: { type: 'string', arg: 'KEY', description: sortHelp('top', 'rate') },
    'no-named': {
      type: 'boolean',
      description: 'start with the named rows (LOC, RES…) hidden; the a key shows them',
    },
    procfs: {
      type: 'string',
      arg: 'DIR',
      bareValue: DEFAULT_PROC_ROOT,
      description: 'without irqkitd: read DIR/interrupts (default /proc) itself, twice a --delay apart',
    },
    once: { type: 'boolean', description: 'print one frame and exit, even on a terminal' },
    ...DAEMON_OPTIONS,
  },
  examples: [
    'irqkit top                         # refresh every second',
    'irqkit top --delay 5s --cpus 0-3   # slower, only CPUs 0-3',
    'irqkit top --once --top 10         # the ten busiest rows, once',
    'irqkit top --procfs                # no irqkitd: read /proc/interrupts directly',
    'irqkit top --sort cpu:3 --no-named # the busiest IRQs on CPU 3 first',
    'irqkit top --json | jq .irqs[0]    # the busiest IRQ as JSON',
  ],
};

const DEFAULT_DELAY_MS = 1000;

export interface TopOptions {
  /** irqkitd's URL, or with --procfs the file read (`/proc/interrupts`). */
  url: string;
  delayMs: number;
  windowMs: number;
  cpus: number[] | undefined;
  limit: number | undefined;
  sort: IrqSortKey;
  once: boolean;
  json: boolean;
  noColor: boolean;
  /** Start with the named rows shown (absent: yes). */
  showNamed?: boolean;
  /** --procfs: the root whose `interrupts` is read, instead of asking irqkitd. */
  procfs?: string | undefined;
}

/** Every flag is checked before the daemon (or /proc) is asked anything. */
export function topOptions(values: OptionValues, url: string): TopOptions {
  const delay = stringOption(values, 'delay');
  const window = stringOption(values, 'window');
  const cpus = stringOption(values, 'cpus');
  const top = stringOption(values, 'top');
  const sortText = stringOption(values, 'sort');
  const procfs = stringOption(values, 'procfs');
  if (procfs !== undefined) {
    const clash = ['url', 'timeout', 'window'].filter((f) => values[f] !== undefined);
    if (clash.length > 0) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `--procfs reads ${procfs}/interrupts itself, over the --delay between two reads; ${clash
          .map((f) => `--${f}`)
          .join(' and ')} ${clash.length === 1 ? 'is' : 'are'} for irqkitd`,
      );
    }
  }
  const sort: IrqSortKey = sortText === undefined ? { by: 'load' } : sortKeyOrUsage(SORT_WORDS.top, sortText);
  const delayMs = delay === undefined ? DEFAULT_DELAY_MS : parseDuration(delay, '--delay', 's');
  const cpuList = cpus === undefined ? undefined : normalizeCpus(parseCpuList(cpus));
  if (cpuList !== undefined && cpuList.length === 0)
    throw new IrqkitError('IRQ_ERR_USAGE', '--cpus names no CPU');
  if (sort.by === 'cpu' && cpuList !== undefined && !cpuList.includes(sort.cpu)) {
    throw new IrqkitError(
      'IRQ_ERR_USAGE',
      `--sort cpu:${sort.cpu}: CPU ${sort.cpu} is not in --cpus ${cpus}`,
    );
  }
  return {
    url,
    delayMs,
    // Whole milliseconds, as the daemon's duration syntax has no fractions of them.
    windowMs: Math.max(
      1,
      Math.round(window === undefined ? delayMs : parseDuration(window, '--window', 's')),
    ),
    cpus: cpuList,
    limit: top === undefined ? undefined : parsePositiveInt(top, '--top'),
    sort,
    once: values.once === true,
    json: values.json === true,
    noColor: values['no-color'] === true,
    showNamed: values['no-named'] !== true,
    procfs,
  };
}

/** How messages name where the samples come from. */
function sourceName(o: Pick<TopOptions, 'url' | 'procfs'>): string {
  return o.procfs === undefined ? `irqkitd at ${o.url}` : o.url;
}

/** One answer of the daemon, cut to the shown CPUs and turned into rates. */
export function sampleFrom(
  d: Distribution,
  o: Pick<TopOptions, 'cpus' | 'sort' | 'url'> & { procfs?: string | undefined },
): TopSample {
  const { cpus, sort } = o;
  const from = sourceName(o);
  if (sort.by === 'cpu' && !d.cpus.includes(sort.cpu)) {
    throw new IrqkitError(
      'IRQ_ERR_UNKNOWN_CPU',
      `--sort cpu:${sort.cpu}: ${from} has no CPU ${sort.cpu} (it has ${describe(d.cpus)})`,
      { cpu: sort.cpu },
    );
  }
  const index = (cpus ?? d.cpus).map((cpu) => {
    const i = d.cpus.indexOf(cpu);
    if (i < 0) {
      throw new IrqkitError(
        'IRQ_ERR_UNKNOWN_CPU',
        `--cpus: ${from} has no CPU ${cpu} (it has ${describe(d.cpus)})`,
        { cpu },
      );
    }
    return i;
  });
  const seconds = d.window.seconds;
  const rate = (n: number): number => (seconds > 0 ? n / seconds : 0);
  const shown = index.map((i) => d.cpus[i] as number);
  const row = (irq: string, name: string, perCpuCounts: readonly number[] | null, total: number): TopIrq => {
    if (perCpuCounts === null) return { irq, name, rate: rate(total), perCpu: [] };
    const perCpu = index.map((i) => rate(perCpuCounts[i] ?? 0));
    return { irq, name, rate: perCpu.reduce((a, b) => a + b, 0), perCpu };
  };
  return {
    windowSeconds: seconds,
    requestedSeconds: d.window.requestedSeconds,
    complete: d.window.complete,
    clock: clockOf(d.window.end),
    cpus: shown,
    cpuRates: index.map((i) => rate(d.cpuTotals[i]?.interrupts ?? 0)),
    allCpus: d.cpus.length,
    irqs: d.irqs.map((irq) => row(irq.irq, irq.name, irq.perCpu, irq.total)),
    named: d.named.map((n) => row(n.row, n.description, n.perCpu, n.total)),
  };
}

function describe(cpus: readonly number[]): string {
  return cpus.length === 0 ? 'none' : `CPU${cpus.length === 1 ? '' : 's'} ${formatCpuList(cpus)}`;
}

/** Local wall-clock time, as a person watching the screen reads it. */
function clockOf(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '';
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** `--json`: one sample, sorted and limited as the screen would be. */
export function topJson(d: Distribution, sample: TopSample, o: TopOptions): object {
  const total = sample.cpuRates.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...sample.cpuRates);
  const mean = sample.cpus.length > 0 ? total / sample.cpus.length : 0;
  const chips = new Map(d.irqs.map((i) => [i.irq, i.chip]));
  const rowJson = (r: TopIrq) => ({
    ratePerSecond: round3(r.rate),
    perCpuRate: r.perCpu.length === 0 ? null : r.perCpu.map(round3),
  });
  return {
    url: o.url,
    ...(o.procfs !== undefined ? { source: 'procfs' } : {}),
    window: d.window,
    sort: sortName(o.sort),
    ratePerSecond: round3(total),
    peakToAverage: mean > 0 ? round3(peak / mean) : null,
    busiestCpu: peak > 0 ? (sample.cpus[sample.cpuRates.indexOf(peak)] ?? null) : null,
    cpus: sample.cpus.map((cpu, i) => ({
      cpu,
      ratePerSecond: round3(sample.cpuRates[i] ?? 0),
      share: total > 0 ? round3((sample.cpuRates[i] ?? 0) / total) : 0,
    })),
    irqs: limitRows(sample.irqs, o.sort, sample.cpus, o.limit).map((r) => ({
      irq: r.irq,
      name: r.name,
      chip: chips.get(r.irq) ?? null,
      ...rowJson(r),
    })),
    irqCount: sample.irqs.length,
    named:
      o.showNamed === false
        ? []
        : sortIrqs(sample.named ?? [], o.sort, sample.cpus).map((r) => ({
            row: r.irq,
            description: r.name,
            ...rowJson(r),
          })),
  };
}

/**
 * Where the samples come from: irqkitd, /proc (--procfs) or a stub in tests of the live loop.
 * `wait` is how a source that must wait between two reads waits, so that quitting cancels it.
 */
export type SampleSource = (wait: (ms: number) => Promise<void>) => Promise<Distribution>;

export async function topCommand(io: CliIo, values: OptionValues, _positionals: string[]): Promise<number> {
  const root = stringOption(values, 'procfs');
  if (root !== undefined) {
    const direct = procfsRates(root, { now: () => io.now(), wallClock: () => new Date() });
    const o = topOptions(values, direct.source);
    // The first frame waits a whole --delay between its two reads.
    return runTop(io, o, (wait) => direct.next(() => wait(o.delayMs)));
  }
  const client = clientFrom(io, values);
  const o = topOptions(values, client.endpoint.url);
  // wait=true: right after the daemon starts, the first frame waits for a full window instead
  // of showing rates over a sliver of one; the request's timeout is stretched by that wait.
  const path = `/api/v1/distribution?window=${o.windowMs}ms&wait=true`;
  return runTop(io, o, () => client.get<Distribution>(path, o.windowMs));
}

const SIGNAL_EXIT: Readonly<Record<TerminalSignal, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export async function runTop(io: CliIo, o: TopOptions, source: SampleSource): Promise<number> {
  const terminal = io.terminal;
  const size = terminal?.size();
  if (o.json || o.once || !io.isTTY || terminal === undefined || size === undefined) {
    const d = await source((ms) => io.sleep(ms));
    const sample = sampleFrom(d, o);
    if (o.json) {
      io.stdout(`${JSON.stringify(topJson(d, sample, o), null, 2)}\n`);
      return 0;
    }
    const state: TopState = {
      url: o.url,
      sample,
      sort: o.sort,
      limit: o.limit,
      live: false,
      keys: false,
      message: undefined,
      style: pickStyle(io.env, io.isTTY, o.noColor),
      showNamed: o.showNamed !== false,
      direct: o.procfs !== undefined,
    };
    // A single frame is not cut to the screen's height: it scrolls like any other output.
    io.stdout(`${frame(state, size?.columns ?? io.columns ?? 120, Number.POSITIVE_INFINITY)}\n`);
    return 0;
  }
  return liveView(io, terminal, o, source);
}

type LiveEvent =
  | { kind: 'key'; key: string }
  | { kind: 'resize' }
  | { kind: 'signal'; signal: TerminalSignal }
  | { kind: 'sample'; sample: TopSample }
  | { kind: 'error'; error: unknown }
  | { kind: 'tick' };

/**
 * The refresh loop. Keys, resizes, signals, samples and timer ticks all arrive as events on
 * one queue, handled one at a time, so a key pressed while a request is in flight is acted on
 * at once and there is exactly one place that decides to stop (and restores the terminal).
 */
async function liveView(
  io: CliIo,
  terminal: TerminalIo,
  o: TopOptions,
  source: SampleSource,
): Promise<number> {
  const screen = new LiveScreen((t) => io.stdout(t), terminal);
  const state: TopState = {
    url: o.url,
    sample: undefined,
    sort: o.sort,
    limit: o.limit,
    live: true,
    keys: terminal.stdinIsTTY,
    message: undefined,
    style: pickStyle(io.env, true, o.noColor),
    showNamed: o.showNamed !== false,
    direct: o.procfs !== undefined,
  };
  const queue: LiveEvent[] = [];
  let wake: (() => void) | undefined;
  const push = (e: LiveEvent): void => {
    queue.push(e);
    const w = wake;
    wake = undefined;
    w?.();
  };
  let stopped = false;
  let cancelTimer: (() => void) | undefined;
  let cancelWait: (() => void) | undefined;
  // A source's wait between two reads is a terminal timer, so that quitting does not wait for it.
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      cancelWait = terminal.setTimer(ms, resolve);
    });

  const fetchSample = (): void => {
    const started = io.now();
    source(wait)
      .then((d) => sampleFrom(d, o))
      .then(
        (sample) => push({ kind: 'sample', sample }),
        (error: unknown) => push({ kind: 'error', error }),
      )
      .finally(() => {
        // The next request starts a delay after this one started, so the refresh keeps its
        // pace however long the daemon takes to answer.
        if (!stopped) {
          const wait = Math.max(0, started + o.delayMs - io.now());
          cancelTimer = terminal.setTimer(wait, () => push({ kind: 'tick' }));
        }
      });
  };

  const redraw = (): void => {
    const { columns, rows } = terminal.size() ?? { columns: io.columns ?? 80, rows: 24 };
    screen.draw(frame(state, columns, rows), columns, rows);
  };

  const cycleCpu = (step: 1 | -1): void => {
    const cpus = state.sample?.cpus ?? o.cpus;
    if (!cpus || cpus.length === 0) return;
    const at = state.sort.by === 'cpu' ? cpus.indexOf(state.sort.cpu) : -1;
    const next = at < 0 ? (step === 1 ? 0 : cpus.length - 1) : (at + step + cpus.length) % cpus.length;
    state.sort = { by: 'cpu', cpu: cpus[next] as number };
  };

  screen.start({
    key: (key) => push({ kind: 'key', key }),
    resize: () => push({ kind: 'resize' }),
    signal: (signal) => push({ kind: 'signal', signal }),
  });
  try {
    redraw();
    fetchSample();
    for (;;) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const e = queue.shift();
      if (e === undefined) continue;
      switch (e.kind) {
        case 'signal':
          return SIGNAL_EXIT[e.signal];
        case 'key':
          if (e.key === 'q' || e.key === 'Q' || e.key === 'quit') return 0;
          if (e.key === 't' || e.key === 'T' || e.key === 'r' || e.key === 'R') state.sort = { by: 'load' };
          else if (e.key === 'i' || e.key === 'I') state.sort = { by: 'irq' };
          else if (e.key === 'n' || e.key === 'N') state.sort = { by: 'name' };
          else if (e.key === 'c') cycleCpu(1);
          else if (e.key === 'C') cycleCpu(-1);
          else if (e.key === 'a' || e.key === 'A') state.showNamed = state.showNamed === false;
          else continue;
          redraw();
          break;
        case 'resize':
          redraw();
          break;
        case 'sample':
          state.sample = e.sample;
          state.message = undefined;
          redraw();
          break;
        case 'error': {
          // Before the first frame there is nothing to show: fail with the error's one line.
          // Later, a daemon restart should not end the view: keep the last frame and retry.
          if (state.sample === undefined) throw e.error;
          const err = toIrqkitError(e.error);
          state.message = `${err.message}; retrying every ${o.delayMs / 1000} s`;
          redraw();
          break;
        }
        case 'tick':
          fetchSample();
          break;
      }
    }
  } finally {
    stopped = true;
    cancelTimer?.();
    cancelWait?.();
    screen.restore();
  }
}
