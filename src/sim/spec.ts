/**
 * What a simulated machine looks like: CPUs, NUMA nodes and interrupting devices. A spec comes
 * from JSON (a file, or inline), from a compact CLI string (`8cpu,2node`), or is the default.
 */
import { parseCpuList } from '../core/cpuset.ts';
import { IrqkitError } from '../core/errors.ts';
import { readTextFile } from '../io/procfs.ts';

/** How a device's rate is split over its queues: log-normal weights, equal, or given weights. */
export type SimSkew = 'lognormal' | 'uniform' | number[];

/**
 * - `msix`/`msi`: vectors listed in sysfs `msi_irqs/` (one IRQ per queue);
 * - `intx`: a PCI device on a legacy line (sysfs `irq`), one IRQ;
 * - `legacy`: an IO-APIC line with no PCI device (the timer on IRQ 0).
 */
export type SimIrqType = 'msix' | 'msi' | 'intx' | 'legacy';

export interface SimDeviceSpec {
  /** Handler name, or the prefix of the queues' handler names ("eth0" → "eth0-TxRx-3"). */
  name: string;
  /** PCI address ("0000:3b:00.0"); required unless `type` is "legacy". */
  pci?: string;
  /** Default: "msix" with a PCI address, else "legacy". */
  type?: SimIrqType;
  /** NUMA node of the device (default 0). */
  node?: number;
  /** Interrupt vectors (default 1); msi/msix only. */
  queues?: number;
  /** Interrupts per second, the whole device. */
  rate: number;
  /** Default "uniform". */
  skew?: SimSkew;
  /** Kernel-managed queues: spread affinity, smp_affinity files 0444 (msi/msix only). */
  managed?: boolean;
  /** First IRQ number (default: the next free one from 24, or from 0 for legacy lines). */
  irq?: number;
  /** Handler names: "{name}", "{i}" (queue from 0) and "{n}" (queue from 1) are replaced. */
  queueName?: string;
  /** Every CPU's counter starts here (e.g. 4294967000 to see a 32-bit wrap soon). */
  start?: number;
}

/**
 * A change of traffic while the machine runs: from `at` simulated seconds after its creation
 * (so after `uptime`), these devices raise `rates` interrupts per second; the others keep theirs.
 */
export interface SimScheduleEntry {
  at: number;
  /** Device name → interrupts per second, the whole device (split over its queues by `skew`). */
  rates: Record<string, number>;
}

/** A `/proc/interrupts` row with a name (LOC, NMI, …); `rate` is per online CPU per second. */
export interface SimNamedRowSpec {
  label: string;
  description: string;
  rate: number;
}

export interface SimSpec {
  cpus: number;
  /** NUMA nodes, each a contiguous block of CPUs (default 1). */
  nodes?: number;
  devices: SimDeviceSpec[];
  offline?: number[];
  isolated?: number[];
  nohzFull?: number[];
  /** Where movable IRQs start, like the `irqaffinity=` boot option (default [0]). */
  irqaffinity?: number[];
  /** PRNG seed (default 1). */
  seed?: number;
  /**
   * 0-0.5 (default 0.02): how bursty device traffic is, as the relative spread of a second's
   * rate; counts are Poisson around it (traffic.ts). Named rows (ticks) get this much jitter.
   * 0 is a noiseless machine: exactly rate × seconds everywhere.
   */
  noise?: number;
  /** Default: NMI (0/s) and LOC (250/s, a HZ=250 tick). */
  named?: SimNamedRowSpec[];
  /** Simulated seconds already run when the machine is created (default 0). */
  uptime?: number;
  /** /proc/sys/kernel/osrelease (default "6.12.0-irqkit-sim": the 0444-for-managed era). */
  kernel?: string;
  /** Rate changes by simulated time, `at` strictly increasing (default none). */
  schedule?: SimScheduleEntry[];
}

export interface ResolvedDevice {
  name: string;
  pci: string | null;
  type: SimIrqType;
  node: number;
  queues: number;
  rate: number;
  skew: SimSkew;
  managed: boolean;
  irq: number | null;
  queueName: string;
  start: number;
}

export interface ResolvedSimSpec {
  cpus: number;
  nodes: number;
  devices: ResolvedDevice[];
  offline: number[];
  isolated: number[];
  nohzFull: number[];
  irqaffinity: number[];
  seed: number;
  noise: number;
  named: SimNamedRowSpec[];
  uptime: number;
  kernel: string;
  schedule: SimScheduleEntry[];
}

export const SIM_MAX_CPUS = 4096;
/** The most interrupts per second a device may raise (a spec's rates, setDeviceRate). */
export const SIM_MAX_RATE = 1e9;
const MAX_QUEUES = 1024;
const MAX_DEVICES = 1024;
const MAX_IRQS = 16384;
const MAX_SCHEDULE = 10000;
const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const DEVICE_NAME = /^[A-Za-z0-9_.:-]{1,40}$/;
const NAMED_LABEL = /^[A-Za-z][A-Za-z0-9_]{0,15}$/;

const DEFAULT_NAMED: SimNamedRowSpec[] = [
  { label: 'NMI', description: 'Non-maskable interrupts', rate: 0 },
  { label: 'LOC', description: 'Local timer interrupts', rate: 250 },
];

/**
 * The demo machine: by default 8 CPUs on 2 nodes; eth0 (node 0, one queue per CPU, log-normally
 * skewed), eth1 (last node, half as many queues, geometric skew), nvme0 (last node, managed
 * queues spread over all CPUs) and the IO-APIC timer. Every movable IRQ starts on CPU 0 (as with
 * `irqaffinity=0`), so the first look is badly balanced.
 */
export function defaultSimSpec(cpus = 8, nodes?: number): SimSpec {
  const n = nodes ?? (cpus >= 4 ? 2 : 1);
  const half = Math.max(1, Math.floor(cpus / 2));
  return {
    cpus,
    nodes: n,
    seed: 1,
    uptime: 600,
    devices: [
      { name: 'timer', type: 'legacy', irq: 0, rate: 1 },
      { name: 'eth0', pci: '0000:3b:00.0', node: 0, queues: cpus, rate: 5000 * cpus, skew: 'lognormal' },
      { name: 'nvme0', pci: '0000:5e:00.0', node: n - 1, queues: cpus, rate: 750 * cpus, managed: true },
      {
        name: 'eth1',
        pci: '0000:af:00.0',
        node: n - 1,
        queues: half,
        rate: 1500 * cpus,
        // Halving weights, floored at 2^-16 of the busiest queue: beyond ~50 queues plain powers
        // of two would pass the safe-integer range.
        skew: Array.from({ length: half }, (_, i) => 2 ** Math.max(0, 16 - i)),
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// validation

function specError(message: string, details?: Record<string, unknown>): IrqkitError {
  return new IrqkitError('IRQ_ERR_USAGE', `simulation spec: ${message}`, details);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(v: unknown, what: string, min: number, max: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw specError(`${what} must be an integer ${min}-${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function num(v: unknown, what: string, min: number, max: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw specError(`${what} must be a number ${min}-${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function cpuSet(v: unknown, what: string, cpus: number, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  const list = typeof v === 'string' ? parseCpuList(v) : v;
  if (!Array.isArray(list)) throw specError(`${what} must be a list of CPUs or a cpulist string`);
  const out = list.map((c, i) => int(c, `${what}[${i}]`, 0, cpus - 1));
  return [...new Set(out)].sort((a, b) => a - b);
}

const KNOWN_SPEC_KEYS = new Set([
  'cpus',
  'nodes',
  'devices',
  'offline',
  'isolated',
  'nohzFull',
  'irqaffinity',
  'seed',
  'noise',
  'named',
  'uptime',
  'kernel',
  'schedule',
]);
const KNOWN_SCHEDULE_KEYS = new Set(['at', 'rates']);
const KNOWN_DEVICE_KEYS = new Set([
  'name',
  'pci',
  'type',
  'node',
  'queues',
  'rate',
  'skew',
  'managed',
  'irq',
  'queueName',
  'start',
]);

function unknownKeys(o: Record<string, unknown>, known: Set<string>, where: string): void {
  for (const k of Object.keys(o)) {
    if (!known.has(k)) throw specError(`unknown field ${JSON.stringify(k)} in ${where}`);
  }
}

function resolveDevice(v: unknown, index: number, nodes: number): ResolvedDevice {
  const where = `devices[${index}]`;
  if (!isObject(v)) throw specError(`${where} must be an object`);
  unknownKeys(v, KNOWN_DEVICE_KEYS, where);
  if (typeof v.name !== 'string' || !DEVICE_NAME.test(v.name)) {
    throw specError(`${where}.name must be 1-40 characters of letters, digits, '_', '.', ':' or '-'`);
  }
  const name = v.name;
  const pci = v.pci ?? null;
  if (pci !== null && (typeof pci !== 'string' || !PCI_ADDRESS.test(pci))) {
    throw specError(`${where}.pci must look like "0000:3b:00.0", got ${JSON.stringify(pci)}`);
  }
  const type = v.type ?? (pci === null ? 'legacy' : 'msix');
  if (type !== 'msix' && type !== 'msi' && type !== 'intx' && type !== 'legacy') {
    throw specError(`${where}.type must be "msix", "msi", "intx" or "legacy"`);
  }
  if ((type === 'legacy') !== (pci === null)) {
    throw specError(
      `${where}: ${type === 'legacy' ? 'a legacy line has no pci address' : `${type} needs a pci address`}`,
    );
  }
  const queues = int(v.queues, `${where}.queues`, 1, MAX_QUEUES, 1);
  if (queues > 1 && (type === 'intx' || type === 'legacy')) {
    throw specError(`${where}: a ${type} device has one IRQ, not ${queues} queues`);
  }
  const managed = v.managed ?? false;
  if (typeof managed !== 'boolean') throw specError(`${where}.managed must be true or false`);
  if (managed && (type === 'intx' || type === 'legacy')) {
    throw specError(`${where}: only msi/msix queues can be kernel-managed`);
  }
  let skew: SimSkew = 'uniform';
  if (v.skew === 'lognormal' || v.skew === 'uniform') skew = v.skew;
  else if (Array.isArray(v.skew)) {
    if (v.skew.length !== queues)
      throw specError(`${where}.skew has ${v.skew.length} weights for ${queues} queues`);
    skew = v.skew.map((w, i) => num(w, `${where}.skew[${i}]`, 0, Number.MAX_SAFE_INTEGER));
    if (skew.every((w) => w === 0)) throw specError(`${where}.skew weights are all zero`);
  } else if (v.skew !== undefined) {
    throw specError(`${where}.skew must be "lognormal", "uniform" or a list of weights`);
  }
  const queueName =
    v.queueName ?? (queues === 1 ? '{name}' : name.startsWith('nvme') ? '{name}q{n}' : '{name}-TxRx-{i}');
  if (typeof queueName !== 'string' || queueName === '' || /[\s/]/.test(queueName)) {
    throw specError(`${where}.queueName must be a non-empty name without blanks or '/'`);
  }
  return {
    name,
    pci,
    type,
    node: int(v.node, `${where}.node`, 0, nodes - 1, 0),
    queues,
    rate: num(v.rate, `${where}.rate`, 0, SIM_MAX_RATE),
    skew,
    managed,
    irq: v.irq === undefined || v.irq === null ? null : int(v.irq, `${where}.irq`, 0, 65535),
    queueName,
    start: int(v.start, `${where}.start`, 0, 2 ** 32 - 1, 0),
  };
}

function resolveNamed(v: unknown): SimNamedRowSpec[] {
  if (v === undefined) return DEFAULT_NAMED.map((r) => ({ ...r }));
  if (!Array.isArray(v)) throw specError('named must be a list of {label, description, rate}');
  const labels = new Set<string>();
  return v.map((r, i) => {
    if (!isObject(r) || typeof r.label !== 'string' || !NAMED_LABEL.test(r.label)) {
      throw specError(`named[${i}].label must be a name such as "LOC"`);
    }
    if (labels.has(r.label)) throw specError(`named row ${r.label} appears twice`);
    labels.add(r.label);
    return {
      label: r.label,
      description: typeof r.description === 'string' ? r.description : '',
      rate: num(r.rate, `named[${i}].rate`, 0, 1e9),
    };
  });
}

/** "(devices: eth0, eth1, …)": what an error about an unknown device name offers instead. */
export function knownDevices(names: readonly string[]): string {
  if (names.length === 0) return '(no devices)';
  // A thousand names would bury the message; the first few show the naming.
  const more = names.length > 12 ? `, … ${names.length - 12} more` : '';
  return `(devices: ${names.slice(0, 12).join(', ')}${more})`;
}

function resolveSchedule(v: unknown, devices: readonly ResolvedDevice[]): SimScheduleEntry[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw specError('schedule must be a list of {at, rates}');
  if (v.length > MAX_SCHEDULE) throw specError(`schedule: at most ${MAX_SCHEDULE} entries`);
  const names = devices.map((d) => d.name);
  const known = new Set(names);
  let previous = -1;
  return v.map((e, i) => {
    const where = `schedule[${i}]`;
    if (!isObject(e)) throw specError(`${where} must be an object {at, rates}`);
    unknownKeys(e, KNOWN_SCHEDULE_KEYS, where);
    const at = num(e.at, `${where}.at`, 0, 1e9);
    // Strictly, so that no two entries claim the same moment and which one wins never depends
    // on list order.
    if (at <= previous) {
      throw specError(`${where}.at must be after schedule[${i - 1}].at (${previous}), got ${at}`);
    }
    previous = at;
    if (!isObject(e.rates)) throw specError(`${where}.rates must be an object of device name → rate`);
    const rates = Object.entries(e.rates).map(([name, rate]): [string, number] => {
      const path = DEVICE_NAME.test(name)
        ? `${where}.rates.${name}`
        : `${where}.rates[${JSON.stringify(name)}]`;
      if (!known.has(name)) throw specError(`${path}: no such device ${knownDevices(names)}`);
      return [name, num(rate, path, 0, SIM_MAX_RATE)];
    });
    // fromEntries defines keys as data, so a device called "__proto__" is a key like any other.
    return { at, rates: Object.fromEntries(rates) };
  });
}

/** Checks a spec (e.g. parsed JSON) and fills in every default; IRQ_ERR_USAGE when wrong. */
export function resolveSimSpec(value: unknown): ResolvedSimSpec {
  if (!isObject(value)) throw specError('must be an object');
  unknownKeys(value, KNOWN_SPEC_KEYS, 'the spec');
  const cpus = int(value.cpus, 'cpus', 1, SIM_MAX_CPUS);
  const nodes = int(value.nodes, 'nodes', 1, cpus, 1);
  const offline = cpuSet(value.offline, 'offline', cpus, []);
  if (offline.length === cpus) throw specError('at least one CPU must be online');
  if (!Array.isArray(value.devices)) throw specError('devices must be a list');
  if (value.devices.length > MAX_DEVICES) throw specError(`at most ${MAX_DEVICES} devices`);
  const devices = value.devices.map((d, i) => resolveDevice(d, i, nodes));
  const total = devices.reduce((n, d) => n + d.queues, 0);
  if (total > MAX_IRQS) throw specError(`${total} IRQs in all; at most ${MAX_IRQS}`);
  const names = new Set<string>();
  const pcis = new Set<string>();
  for (const d of devices) {
    if (names.has(d.name)) throw specError(`device name ${d.name} appears twice`);
    names.add(d.name);
    if (d.pci !== null) {
      if (pcis.has(d.pci)) throw specError(`pci address ${d.pci} appears twice`);
      pcis.add(d.pci);
    }
  }
  const kernel = value.kernel ?? '6.12.0-irqkit-sim';
  if (typeof kernel !== 'string' || !/^\d+\.\d+/.test(kernel))
    throw specError('kernel must look like "6.12.0"');
  return {
    cpus,
    nodes,
    devices,
    offline,
    isolated: cpuSet(value.isolated, 'isolated', cpus, []),
    nohzFull: cpuSet(value.nohzFull, 'nohzFull', cpus, []),
    irqaffinity: cpuSet(value.irqaffinity, 'irqaffinity', cpus, [0]),
    seed: int(value.seed, 'seed', 0, 2 ** 32 - 1, 1),
    noise: num(value.noise, 'noise', 0, 0.5, 0.02),
    named: resolveNamed(value.named),
    uptime: num(value.uptime, 'uptime', 0, 1e9, 0),
    kernel,
    schedule: resolveSchedule(value.schedule, devices),
  };
}

// ---------------------------------------------------------------------------------------------
// the compact CLI form

const LIST_KEYS: Record<string, 'offline' | 'isolated' | 'nohzFull' | 'irqaffinity'> = {
  offline: 'offline',
  isolated: 'isolated',
  nohz_full: 'nohzFull',
  irqaffinity: 'irqaffinity',
};
const COMPACT_TOKEN =
  /^(?:default|\d+cpus?|\d+nodes?|(?:seed|start|uptime)=\d+|noise=\d+(?:\.\d+)?|(?:offline|isolated|nohz_full|irqaffinity)=[\d-]*|[\d-]+)$/;

/** True when `text` is in the compact form (so not a file path). */
export function isCompactSimSpec(text: string): boolean {
  const tokens = text.trim().split(',');
  // A bare cpulist part only continues a list, so it cannot come first.
  return tokens.every((t) => COMPACT_TOKEN.test(t.trim())) && !/^[\d-]+$/.test(tokens[0]?.trim() ?? '');
}

/**
 * The default machine, adjusted by comma-separated tokens: `Ncpu`, `Nnode`, `seed=N` (of the
 * noise), `noise=X` (0: noiseless), `uptime=SECONDS`, `start=COUNT` (every device counter
 * starts there: wrap testing), and `offline=`, `isolated=`, `nohz_full=`, `irqaffinity=`
 * cpulists, whose further comma-separated parts continue the list: `16cpu,2node,isolated=2-3,6`.
 * "" and "default" are the default.
 */
export function parseCompactSimSpec(text: string): SimSpec {
  let cpus = 8;
  let nodes: number | undefined;
  const lists: Partial<Record<'offline' | 'isolated' | 'nohzFull' | 'irqaffinity', string[]>> = {};
  const scalars: { seed?: number; start?: number; uptime?: number; noise?: number } = {};
  let listKey: keyof typeof lists | null = null;
  for (const raw of text.split(',')) {
    const token = raw.trim();
    if (token === '' || token === 'default') continue;
    const cpuToken = /^(\d+)cpus?$/.exec(token);
    const nodeToken = /^(\d+)nodes?$/.exec(token);
    const scalar = /^(seed|start|uptime)=(\d+)$/.exec(token) ?? /^(noise)=(\d+(?:\.\d+)?)$/.exec(token);
    const list = /^(offline|isolated|nohz_full|irqaffinity)=(.*)$/.exec(token);
    if (cpuToken) {
      cpus = int(Number(cpuToken[1]), 'cpus', 1, SIM_MAX_CPUS);
      listKey = null;
    } else if (nodeToken) {
      nodes = Number(nodeToken[1]);
      listKey = null;
    } else if (scalar) {
      scalars[scalar[1] as 'seed' | 'start' | 'uptime' | 'noise'] = Number(scalar[2]);
      listKey = null;
    } else if (list) {
      listKey = LIST_KEYS[list[1] as string] ?? null;
      if (listKey !== null) lists[listKey] = [list[2] as string];
    } else if (/^[\d-]+$/.test(token) && listKey !== null) {
      lists[listKey]?.push(token);
    } else {
      throw specError(`cannot read ${JSON.stringify(token)} in ${JSON.stringify(text)}`);
    }
  }
  const spec = defaultSimSpec(cpus, nodes);
  for (const [key, parts] of Object.entries(lists) as [keyof typeof lists, string[]][]) {
    spec[key] = parseCpuList(parts.join(','));
  }
  if (scalars.seed !== undefined) spec.seed = scalars.seed;
  if (scalars.uptime !== undefined) spec.uptime = scalars.uptime;
  if (scalars.noise !== undefined) spec.noise = scalars.noise;
  if (scalars.start !== undefined) {
    const start = scalars.start;
    spec.devices = spec.devices.map((d) => ({ ...d, start }));
  }
  return spec;
}

/**
 * The `--simulate` argument: a compact string, inline JSON (`{…}`), or a JSON file path.
 */
export function loadSimSpec(arg: string): ResolvedSimSpec {
  const text = arg.trim();
  if (text.startsWith('{')) return resolveSimSpec(parseJson(text, 'inline JSON'));
  if (text === '' || isCompactSimSpec(text)) return resolveSimSpec(parseCompactSimSpec(text));
  let fileText: string;
  try {
    fileText = readTextFile(arg);
  } catch (e) {
    // A word that is no path (no "/", no ".json") was more likely a compact spec with a typo:
    // say what --simulate accepts rather than only that no such file exists.
    if (e instanceof IrqkitError && e.code === 'IRQ_ERR_FILE_NOT_FOUND' && !/[/]|\.json$/i.test(arg)) {
      throw new IrqkitError(
        'IRQ_ERR_USAGE',
        `--simulate ${JSON.stringify(arg)}: no such file, and not a compact spec; give nothing (the default machine), comma-separated tokens such as 16cpu,2node,isolated=2-3,seed=7,noise=0, inline JSON ({"cpus": 8, "devices": [...]}) or a JSON file`,
        { source: arg },
      );
    }
    throw e;
  }
  return resolveSimSpec(parseJson(fileText, arg));
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw specError(`${source} is not JSON: ${(e as Error).message}`, { source });
  }
}
