/**
 * Test doubles for `irqkit top`: daemon answers and frame samples built from per-CPU counts, and
 * a terminal whose keys, resizes, signals and timers the test drives, recording what was left
 * switched on (raw mode, listeners, timers) so a test can check the terminal was restored.
 */
import type { Distribution } from '../../src/api/schemas.ts';
import type { CliIo, TerminalIo, TerminalSignal } from '../../src/cli/io.ts';
import type { TopIrq, TopSample } from '../../src/cli/render/top-frame.ts';

export interface FakeIrq {
  irq: string;
  name: string;
  /** Interrupts in the window per CPU. */
  perCpu: number[];
}

/** A distribution answer over `seconds`, with totals computed as irqkitd computes them. */
export function distribution(cpus: number[], irqs: FakeIrq[], seconds = 1): Distribution {
  const totals = cpus.map((_, i) => irqs.reduce((a, r) => a + (r.perCpu[i] ?? 0), 0));
  const total = totals.reduce((a, b) => a + b, 0);
  return {
    topology: null,
    window: {
      start: '2026-01-01T00:00:00.000Z',
      end: new Date(Date.parse('2026-01-01T00:00:00.000Z') + seconds * 1000).toISOString(),
      seconds,
      complete: true,
      requestedSeconds: seconds,
    },
    cpus,
    irqs: irqs.map((r) => {
      const t = r.perCpu.reduce((a, b) => a + b, 0);
      return {
        irq: r.irq,
        name: r.name,
        chip: 'PCI-MSIX',
        perCpu: r.perCpu,
        total: t,
        ratePerSecond: t / seconds,
      };
    }),
    named: [],
    cpuTotals: cpus.map((cpu, i) => ({
      cpu,
      interrupts: totals[i] ?? 0,
      share: total > 0 ? (totals[i] ?? 0) / total : 0,
      ratePerSecond: (totals[i] ?? 0) / seconds,
    })),
    total,
    ratePerSecond: total / seconds,
  };
}

/** The simulated machine's shape: NIC queues all on CPU 0, one NVMe queue per CPU. */
export function skewedIrqs(cpuCount: number, nicQueues = 12): FakeIrq[] {
  const zeros = (): number[] => new Array<number>(cpuCount).fill(0);
  const irqs: FakeIrq[] = [];
  for (let q = 0; q < nicQueues; q++) {
    const perCpu = zeros();
    perCpu[0] = 1000 * (q + 1) + 7 * q;
    irqs.push({ irq: String(24 + q), name: `eth0-TxRx-${q}`, perCpu });
  }
  for (let c = 0; c < cpuCount; c++) {
    const perCpu = zeros();
    perCpu[c] = 750 + c;
    irqs.push({ irq: String(100 + c), name: `nvme0q${c + 1}`, perCpu });
  }
  irqs.push({ irq: '0', name: 'timer', perCpu: zeros() });
  return irqs;
}

/** A frame sample with rates equal to the counts (a one-second window). */
export function sampleOf(cpus: number[], irqs: FakeIrq[], allCpus = cpus.length): TopSample {
  const rows: TopIrq[] = irqs.map((r) => ({
    irq: r.irq,
    name: r.name,
    rate: r.perCpu.reduce((a, b) => a + b, 0),
    perCpu: r.perCpu,
  }));
  return {
    windowSeconds: 1,
    requestedSeconds: 1,
    complete: true,
    clock: '12:00:00',
    cpus,
    cpuRates: cpus.map((_, i) => irqs.reduce((a, r) => a + (r.perCpu[i] ?? 0), 0)),
    allCpus,
    irqs: rows,
  };
}

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

export class FakeTerminal implements TerminalIo {
  stdinIsTTY = true;
  columns = 100;
  rows = 30;
  raw = false;
  rawModeChanges: boolean[] = [];
  private input = new Set<(chunk: string) => void>();
  private resize = new Set<() => void>();
  private signal = new Set<(s: TerminalSignal) => void>();
  private exit = new Set<() => void>();
  private timers = new Map<number, () => void>();
  private nextTimer = 1;

  size(): { columns: number; rows: number } {
    return { columns: this.columns, rows: this.rows };
  }
  setRawMode(on: boolean): void {
    this.raw = on;
    this.rawModeChanges.push(on);
  }
  onInput(listener: (chunk: string) => void): () => void {
    this.input.add(listener);
    return () => this.input.delete(listener);
  }
  onResize(listener: () => void): () => void {
    this.resize.add(listener);
    return () => this.resize.delete(listener);
  }
  onSignal(listener: (s: TerminalSignal) => void): () => void {
    this.signal.add(listener);
    return () => this.signal.delete(listener);
  }
  onExit(listener: () => void): () => void {
    this.exit.add(listener);
    return () => this.exit.delete(listener);
  }
  setTimer(_ms: number, fn: () => void): () => void {
    const id = this.nextTimer++;
    this.timers.set(id, fn);
    return () => this.timers.delete(id);
  }

  type(chunk: string): void {
    for (const l of [...this.input]) l(chunk);
  }
  resizeTo(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    for (const l of [...this.resize]) l();
  }
  kill(s: TerminalSignal): void {
    for (const l of [...this.signal]) l(s);
  }
  processExit(): void {
    for (const l of [...this.exit]) l();
  }
  /** Fires every pending timer (the next refresh). */
  tick(): number {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fn of due) fn();
    return due.length;
  }
  /** What is still switched on; all zero/false once the view has restored the terminal. */
  leftOver(): { raw: boolean; input: number; resize: number; signal: number; exit: number; timers: number } {
    return {
      raw: this.raw,
      input: this.input.size,
      resize: this.resize.size,
      signal: this.signal.size,
      exit: this.exit.size,
      timers: this.timers.size,
    };
  }
}

export interface FakeIo extends CliIo {
  out: string[];
  err: string[];
  text(): string;
}

export function fakeIo(
  options: { terminal?: FakeTerminal; isTTY?: boolean; env?: Record<string, string> } = {},
): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  let clock = 0;
  return {
    out,
    err,
    text: () => out.join(''),
    stdout: (t) => {
      out.push(t);
    },
    stderr: (t) => {
      err.push(t);
    },
    readStdin: async () => '',
    readFile: () => {
      throw new Error('no files in this test');
    },
    env: options.env ?? {},
    isTTY: options.isTTY ?? options.terminal !== undefined,
    columns: options.terminal?.columns,
    now: () => (clock += 1),
    sleep: async () => {},
    ...(options.terminal ? { terminal: options.terminal } : {}),
  };
}

/** Lets promise callbacks (a stubbed request answering) run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** What a terminal would show of the last painted frame: the text after the last cursor-home. */
export function lastScreen(written: string): string[] {
  const at = written.lastIndexOf('\u001b[1;1H');
  const tail = at < 0 ? written : written.slice(at);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: splitting at cursor moves is the point
  const pieces = tail.split(/\u001b\[\d+;1H/).slice(1);
  // A frame shorter than the screen ends with a move below it and an erase: not a line.
  if (pieces.length > 0 && (pieces[pieces.length - 1] as string).startsWith('\u001b[J')) pieces.pop();
  return pieces.map((l) => l.replace(ANSI, ''));
}

export const stripAnsi = (s: string): string => s.replace(ANSI, '');
