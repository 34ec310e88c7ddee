// @ts-check
/*
 * The dashboard's script, inlined into the page irqkitd serves at GET / (see dashboard.ts).
 * It runs in the browser and uses the same API as the CLI, with relative URLs, so every request
 * goes through the daemon's Host check; the changes it makes (Apply and Undo: POST
 * /api/v1/affinity and /api/v1/restore; the autopilot's Pause: POST /api/v1/auto) send
 * Content-Type: application/json like any other client.
 *
 * Big machines (256+ CPUs × 2,000+ IRQs) are why the heat map is one canvas the size of its
 * viewport that draws only the visible cells, inside a scroller whose inner box has the size of
 * the whole map: the DOM stays a few hundred nodes whatever the machine. Legible names on them
 * are why each device shows its busiest IRQs and folds the rest into one summed row.
 */

/**
 * The API's own types (src/api/schemas.ts), so the page cannot drift from what irqkitd sends:
 * @typedef {import('../../api/schemas.ts').WindowInfo} WindowInfo
 * @typedef {import('../../api/schemas.ts').DistributionRow} DistRow
 * @typedef {import('../../api/schemas.ts').Distribution} Distribution
 * @typedef {import('../../api/schemas.ts').IrqDetails} IrqInfo
 * @typedef {import('../../api/schemas.ts').IrqList} IrqList
 * @typedef {import('../../api/schemas.ts').Health} Health
 * @typedef {import('../../api/schemas.ts').Plan} Plan
 * @typedef {import('../../api/schemas.ts').BatchResult} BatchResult
 * @typedef {import('../../api/pin-schemas.ts').PinsDoc} PinsDoc
 * @typedef {import('../../api/pin-schemas.ts').RestoreResult} RestoreResult
 * @typedef {import('../../api/auto-schemas.ts').AutoStatus} AutoStatus
 *
 * @typedef {{ kind: 'group', key: string, label: string, foldable: boolean, unfolded: boolean, y: number, h: number }} GroupItem
 * @typedef {{ kind: 'irq', row: DistRow, group: string, y: number, h: number }} IrqItem
 * @typedef {{ kind: 'fold', key: string, label: string, irqs: number, perCpu: number[], y: number, h: number }} FoldItem
 * @typedef {GroupItem | IrqItem | FoldItem} Item
 *
 * What the distribution's `topology` says about the CPUs, by CPU id:
 * @typedef {{ isolated: Set<number>, nohzFull: Set<number>, nodeOf: Map<number, number> }} Topology
 *
 * One IRQ an apply moved, as the batch's outcome told it:
 * @typedef {{ irq: string, name: string, cpu: number, previous: number[] }} Moved
 */

(() => {
  const WINDOWS = ['5s', '1m', '15m'];
  const REFRESH_MS = 1000;
  const INFO_REFRESH_MS = 30_000;
  const AUTO_REFRESH_MS = 2_000;
  // Geometry in CSS pixels: the label column, the per-CPU bars, the CPU numbers and the band
  // that marks NUMA nodes and isolated CPUs, all above the rows.
  const LABEL_W = 210;
  const BARS_H = 88;
  const AXIS_H = 16;
  const MARK_H = 16;
  const TOP = BARS_H + AXIS_H + MARK_H;
  const GROUP_H = 18;
  // Folded, a device shows its busiest IRQs and one row summing the rest: on a 64-CPU machine
  // with 161 IRQs that is ~30 rows, tall enough for names.
  const FOLD_KEEP = 8;
  const MAX_MOVES_SHOWN = 200;
  const MAX_MOVES_IN_DIALOG = 100;
  const ZERO = '#eef1f5';
  const ZERO_ISOLATED = '#e6dcef';
  const ISOLATED = '#7d3c98';
  const NOHZ = '#138d75';
  const NODE_LINE = '#6b7785';
  const FONT = '"Liberation Sans", "DejaVu Sans", system-ui, sans-serif';

  const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const one = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  /** @param {number} v */
  const fmtRate = (v) => (v === 0 ? '0' : v >= 100 ? int.format(v) : one.format(v));
  /** @param {number} v */
  const fmtCompact = (v) => {
    if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
    if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    return v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1);
  };
  /** @param {number} v */
  const fmtPct = (v) => `${(v * 100).toFixed(1)} %`;
  /** @param {number} n @param {string} what */
  const plural = (n, what) => `${int.format(n)} ${what}${n === 1 ? '' : 's'}`;

  /**
   * "0-3,8" → [0, 1, 2, 3, 8], as smp_affinity_list and the API print CPU sets; null for anything
   * else (a stride, garbage), which then never counts as equal to a set.
   * @param {string} text
   * @returns {number[] | null}
   */
  function parseCpuList(text) {
    const t = text.trim();
    if (t === '') return [];
    /** @type {number[]} */
    const out = [];
    for (const part of t.split(',')) {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
      if (!m) return null;
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (b < a) return null;
      for (let c = a; c <= b; c++) out.push(c);
    }
    return out;
  }

  /** [0, 1, 2, 3, 8] → "0-3,8" @param {readonly number[]} cpus */
  function fmtCpus(cpus) {
    const s = [...new Set(cpus)].sort((a, b) => a - b);
    /** @type {string[]} */
    const parts = [];
    for (let i = 0; i < s.length; ) {
      let j = i;
      while (j + 1 < s.length && (s[j + 1] ?? 0) === (s[j] ?? 0) + 1) j++;
      parts.push(j === i ? String(s[i]) : `${s[i]}-${s[j]}`);
      i = j + 1;
    }
    return parts.join(',');
  }

  /** @param {readonly number[] | null} a @param {readonly number[] | null} b */
  const sameCpus = (a, b) => a !== null && b !== null && fmtCpus(a) === fmtCpus(b);

  /**
   * @template {HTMLElement} T
   * @param {string} id
   * @returns {T}
   */
  function el(id) {
    const e = document.getElementById(id);
    if (!e) throw new Error(`the page has no #${id}`);
    return /** @type {T} */ (e);
  }

  const scroller = el('hm-scroll');
  const inner = el('hm-inner');
  const canvas = /** @type {HTMLCanvasElement} */ (el('heatmap'));
  const legendCanvas = /** @type {HTMLCanvasElement} */ (el('legend-scale'));
  const tooltip = el('tooltip');
  const heat = el('heat');
  const filterInput = /** @type {HTMLInputElement} */ (el('filter'));
  const sortSelect = /** @type {HTMLSelectElement} */ (el('sort'));
  const groupBox = /** @type {HTMLInputElement} */ (el('group'));
  const foldBox = /** @type {HTMLInputElement} */ (el('fold'));
  const densitySelect = /** @type {HTMLSelectElement} */ (el('density'));
  const scaleSelect = /** @type {HTMLSelectElement} */ (el('scale'));
  const numaSelect = /** @type {HTMLSelectElement} */ (el('numa'));
  const planBtn = /** @type {HTMLButtonElement} */ (el('plan-btn'));
  const applyBtn = /** @type {HTMLButtonElement} */ (el('apply-btn'));
  const undoBtn = /** @type {HTMLButtonElement} */ (el('undo-btn'));
  const dialog = /** @type {HTMLDialogElement} */ (el('apply-dialog'));
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { alpha: false }));
  const lctx = /** @type {CanvasRenderingContext2D} */ (legendCanvas.getContext('2d'));

  const state = {
    window: WINDOWS.includes(location.hash.slice(8)) ? location.hash.slice(8) : '5s',
    /** @type {Distribution | null} */
    dist: null,
    /** @type {Map<string, IrqInfo>} */
    info: new Map(),
    readOnly: false,
    /** @type {Plan | null} */
    plan: null,
    planning: false,
    replan: false,
    /** Plans received so far. */
    plans: 0,
    /** An apply or an undo is under way. */
    applying: false,
    /** The plan the open confirmation dialog shows: what Apply there sends. */
    /** @type {Plan | null} */
    confirming: null,
    /** What the last apply changed, for Undo; null when there is nothing to undo. */
    /** @type {Moved[] | null} */
    undo: null,
    /** @type {Topology | null} */
    topo: null,
    /** @type {AutoStatus | null} */
    auto: null,
    /** @type {Item[]} */
    items: [],
    /** Devices the user unfolded (group keys). */
    /** @type {Set<string>} */
    unfolded: new Set(),
    /** Each IRQ's and device's place in the last busiest-first order (steadyByRate). */
    /** @type {Map<string, number>} */
    rank: new Map(),
    irqRows: 0,
    shownRows: 0,
    foldedIrqs: 0,
    groups: 0,
    contentH: 0,
    cw: 8,
    rh: 12,
    maxCell: 0,
    seq: 0,
    drawMs: 0,
    fetchMs: 0,
    /** The IRQ names the last frame wrote beside their rows (tests read them). */
    /** @type {string[]} */
    labels: [],
  };

  // ---------------------------------------------------------------------------------------------
  // talking to the daemon

  /**
   * @param {string} path
   * @param {RequestInit} [init]
   * @returns {Promise<{ status: number, body: any }>}
   */
  async function api(path, init = {}) {
    const res = await fetch(path, {
      ...init,
      cache: 'no-store',
      headers: { Accept: 'application/json', ...init.headers },
    });
    const type = res.headers.get('content-type') ?? '';
    const body = /json/.test(type) ? await res.json() : await res.text();
    return { status: res.status, body };
  }

  /** @param {string} path @param {unknown} body */
  const post = (path, body) =>
    api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** @param {{ status: number, body: any }} r */
  function problemText(r) {
    const b = r.body;
    if (b && typeof b === 'object' && typeof b.detail === 'string') return `${b.detail} (${b.code})`;
    return `HTTP ${r.status}`;
  }

  /** @param {unknown} e */
  const errText = (e) => (e instanceof Error ? e.message : String(e));

  /** @param {string | null} message */
  function showError(message) {
    const e = el('error');
    e.hidden = message === null;
    e.textContent = message ?? '';
  }

  async function loadHealth() {
    const r = await api('/healthz');
    if (r.status !== 200) throw new Error(problemText(r));
    const health = /** @type {Health} */ (r.body);
    state.readOnly = health.readOnly === true;
    el('system').textContent = `${health.system} · v${health.version}`;
    applyBtn.hidden = state.readOnly;
    el('readonly-note').hidden = !state.readOnly;
  }

  /** IRQ details (device, affinity, managed) change rarely; the rates come from the distribution. */
  async function loadInfo() {
    try {
      const r = await api('/api/v1/irqs');
      if (r.status !== 200) return;
      state.info = new Map(/** @type {IrqList} */ (r.body).irqs.map((i) => [i.irq, i]));
      layout();
      draw();
    } catch {
      // The next refresh shows the daemon's absence; details are optional.
    }
  }

  async function refresh() {
    const started = performance.now();
    const asked = state.window;
    const r = await api(`/api/v1/distribution?window=${asked}&wait=false`);
    // A window switch while this was in flight: the answer is for a window no longer shown.
    if (asked !== state.window) return;
    if (r.status === 503) {
      el('status').textContent = 'waiting for the first samples…';
      return;
    }
    if (r.status !== 200) throw new Error(problemText(r));
    state.fetchMs = performance.now() - started;
    state.dist = /** @type {Distribution} */ (r.body);
    if (state.dist.topology) state.topo = topologyOf(state.dist.topology);
    state.seq++;
    renderSummary();
    layout();
    draw();
    const time = new Date().toLocaleTimeString('en-GB');
    el('status').textContent = `updated ${time} · ${Math.round(state.fetchMs)} ms`;
    showError(null);
  }

  async function tick() {
    const started = performance.now();
    try {
      await refresh();
    } catch (e) {
      showError(`Cannot read the distribution: ${errText(e)}; retrying.`);
    }
    setTimeout(tick, Math.max(0, REFRESH_MS - (performance.now() - started)));
  }

  // ---------------------------------------------------------------------------------------------
  // summary

  function renderSummary() {
    const d = state.dist;
    if (!d) return;
    const rates = d.cpuTotals.map((c) => c.ratePerSecond);
    const k = rates.length;
    let max = 0;
    let min = k > 0 ? Number.POSITIVE_INFINITY : 0;
    let busiest = -1;
    rates.forEach((v, i) => {
      if (v > max || busiest < 0) {
        max = v;
        busiest = i;
      }
      if (v < min) min = v;
    });
    const total = rates.reduce((a, b) => a + b, 0);
    const mean = k > 0 ? total / k : 0;
    // The same definitions as the planner's metrics (src/core/metrics.ts).
    const peak = mean > 0 ? max / mean : 1;
    const spread = mean > 0 ? (max - min) / mean : 0;
    el('total-rate').textContent = fmtRate(d.ratePerSecond);
    const b = d.cpuTotals[busiest];
    el('busiest').textContent = b ? `CPU ${b.cpu}: ${fmtRate(b.ratePerSecond)}/s (${fmtPct(b.share)})` : '–';
    el('peak').textContent = peak.toFixed(2);
    el('spread').textContent = spread.toFixed(2);
    const w = d.window;
    el('covered').textContent = w.complete
      ? `${w.seconds.toFixed(1)} s`
      : `${w.seconds.toFixed(1)} s of ${w.requestedSeconds} s (history still filling)`;
    el('shape').textContent = `${k} CPUs · ${d.irqs.length} IRQs`;
  }

  // ---------------------------------------------------------------------------------------------
  // rows: filter, sort, group by device, fold the quiet ones

  /** @param {DistRow} row */
  function groupKey(row) {
    const dev = state.info.get(row.irq)?.device;
    if (dev) return dev.name;
    // Until the details arrive, MSI chips name the PCI device ("PCI-MSIX-0000:3b:00.0").
    const m = row.chip ? /[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/i.exec(row.chip) : null;
    return m ? m[0] : '';
  }

  /**
   * "eth0-TxRx-0" … "eth0-TxRx-255" → "eth0"; "nvme0q1" … → "nvme0": the queues' common name.
   * @param {DistRow[]} rows
   */
  function commonName(rows) {
    let prefix = rows[0]?.name ?? '';
    for (const r of rows) while (!r.name.startsWith(prefix)) prefix = prefix.slice(0, -1);
    return prefix.replace(/(?:[-_.]?(?:txrx|tx|rx|queue|comp|fp|q))?(?:[-_.]\d*)?[-_.]*$/i, '');
  }

  /** @type {(a: DistRow, b: DistRow) => number} */
  const byIrq = (a, b) => Number(a.irq) - Number(b.irq);
  const collator = new Intl.Collator('en', { numeric: true });
  /** @param {DistRow[]} rows */
  const sumRate = (rows) => rows.reduce((a, r) => a + r.ratePerSecond, 0);

  /**
   * Busiest first, but steady: rates within 10 % of each other keep the order of the last layout,
   * so that a second's noise does not reshuffle the rows (or swap which ones are folded) under
   * the reader's eyes.
   * @template T
   * @param {(x: T) => number} rateOf @param {(x: T) => string} keyOf
   * @returns {(a: T, b: T) => number}
   */
  function steadyByRate(rateOf, keyOf) {
    return (a, b) => {
      const ra = rateOf(a);
      const rb = rateOf(b);
      if (Math.abs(ra - rb) <= 0.1 * Math.max(ra, rb)) {
        const pa = state.rank.get(keyOf(a)) ?? Number.POSITIVE_INFINITY;
        const pb = state.rank.get(keyOf(b)) ?? Number.POSITIVE_INFINITY;
        if (pa !== pb) return pa < pb ? -1 : 1;
      }
      return rb - ra || collator.compare(keyOf(a), keyOf(b));
    };
  }

  /** Rows shrink with their number; below 11 px the names move into the tooltip. */
  const autoRowHeight = (/** @type {number} */ n) => (n <= 48 ? 18 : n <= 160 ? 13 : n <= 400 ? 8 : 5);

  function layout() {
    const d = state.dist;
    if (!d) return;
    const sort = sortSelect.value;
    /** @type {(a: DistRow, b: DistRow) => number} */
    const steady = steadyByRate(
      (r) => r.ratePerSecond,
      (r) => `irq ${r.irq}`,
    );
    /** @type {(a: DistRow, b: DistRow) => number} */
    const cmp =
      sort === 'name'
        ? (a, b) => collator.compare(a.name, b.name) || byIrq(a, b)
        : sort === 'rate'
          ? steady
          : byIrq;
    /** @type {Map<string, DistRow[]>} */
    const groups = new Map();
    for (const row of d.irqs) {
      const key = groupKey(row);
      const list = groups.get(key);
      if (list) list.push(row);
      else groups.set(key, [row]);
    }
    /** @type {Map<string, string>} */
    const labels = new Map();
    for (const [key, rows] of groups) {
      const node = state.info.get(rows[0]?.irq ?? '')?.device?.numaNode;
      const name = key === '' ? 'no PCI device' : `${commonName(rows) || 'device'} · ${key}`;
      labels.set(key, node === null || node === undefined ? name : `${name} · node ${node}`);
    }
    const needle = filterInput.value.trim().toLowerCase();
    /** @param {DistRow} r */
    const keep = (r) =>
      needle === '' ||
      `${r.irq} ${r.name} ${r.chip ?? ''} ${labels.get(groupKey(r)) ?? ''}`.toLowerCase().includes(needle);
    const busiestFirst = [...d.irqs].sort(steady);
    /** @type {Map<string, number>} */
    const rank = new Map(busiestFirst.map((r, i) => [`irq ${r.irq}`, i]));
    const kept = (sort === 'rate' ? busiestFirst : [...d.irqs].sort(cmp)).filter(keep);
    const n = kept.length;
    const seconds = d.window.seconds || 1;

    // What is shown, before its geometry: a filter asks for its rows, so it shows them all.
    const folding = groupBox.checked && foldBox.checked && needle === '';
    /** @type {Array<{ key: string, label: string, rows: DistRow[], rest: DistRow[], foldable: boolean, unfolded: boolean }>} */
    const blocks = [];
    if (groupBox.checked) {
      /** @type {Map<string, DistRow[]>} */
      const shown = new Map();
      for (const r of kept) {
        const key = groupKey(r);
        const list = shown.get(key);
        if (list) list.push(r);
        else shown.set(key, [r]);
      }
      const order = [...shown.entries()];
      // Sorting by rate puts the busiest device first; otherwise groups follow their first row.
      if (sort === 'rate') {
        /** @type {Map<string, number>} */
        const sums = new Map(order.map(([key, rows]) => [key, sumRate(rows)]));
        order.sort(
          steadyByRate(
            ([key]) => sums.get(key) ?? 0,
            ([key]) => `group ${key}`,
          ),
        );
        for (const [i, [key]] of order.entries()) rank.set(`group ${key}`, i);
      }
      for (const [key, rows] of order) {
        // Folding one row would hide nothing worth a fold row.
        const foldable = folding && rows.length > FOLD_KEEP + 1;
        const unfolded = !foldable || state.unfolded.has(key);
        const busiest = unfolded ? null : new Set([...rows].sort(steady).slice(0, FOLD_KEEP));
        const label = `${foldable ? (unfolded ? '▾ ' : '▸ ') : ''}${labels.get(key)} · ${plural(rows.length, 'IRQ')} · ${fmtRate(sumRate(rows))}/s`;
        blocks.push({
          key,
          label,
          rows: busiest ? rows.filter((r) => busiest.has(r)) : rows,
          rest: busiest ? rows.filter((r) => !busiest.has(r)) : [],
          foldable,
          unfolded,
        });
      }
    } else {
      blocks.push({ key: '', label: '', rows: kept, rest: [], foldable: false, unfolded: true });
    }
    const shownRows = blocks.reduce((a, b) => a + b.rows.length, 0);
    state.rh = Number(densitySelect.value) || autoRowHeight(shownRows);
    const foldH = Math.max(state.rh, 13);

    /** @type {Item[]} */
    const items = [];
    let y = 0;
    let foldedIrqs = 0;
    for (const b of blocks) {
      if (groupBox.checked) {
        items.push({
          kind: 'group',
          key: b.key,
          label: b.label,
          foldable: b.foldable,
          unfolded: b.unfolded,
          y,
          h: GROUP_H,
        });
        y += GROUP_H;
      }
      for (const row of b.rows) {
        items.push({ kind: 'irq', row, group: b.key, y, h: state.rh });
        y += state.rh;
      }
      if (b.rest.length > 0) {
        /** @type {number[]} */
        const perCpu = new Array(d.cpus.length).fill(0);
        for (const r of b.rest)
          for (let c = 0; c < perCpu.length; c++) perCpu[c] = (perCpu[c] ?? 0) + (r.perCpu[c] ?? 0);
        const label = `+ ${plural(b.rest.length, 'quieter IRQ')} · ${fmtRate(sumRate(b.rest))}/s`;
        items.push({ kind: 'fold', key: b.key, label, irqs: b.rest.length, perCpu, y, h: foldH });
        y += foldH;
        foldedIrqs += b.rest.length;
      }
    }
    state.items = items;
    state.rank = rank;
    state.irqRows = n;
    state.shownRows = shownRows;
    state.foldedIrqs = foldedIrqs;
    state.groups = groupBox.checked ? blocks.length : 0;
    state.contentH = TOP + y;
    // The colour scale's top: the busiest cell of an IRQ (a folded row's sum may exceed it and
    // then shows as the top colour).
    let maxCell = 0;
    for (const r of kept) for (const v of r.perCpu) if (v > maxCell) maxCell = v;
    state.maxCell = maxCell / seconds;
    const folded = foldedIrqs > 0 ? ` · ${plural(foldedIrqs, 'quiet IRQ')} folded` : '';
    el('rows-note').textContent =
      (needle === ''
        ? `${n} IRQs × ${d.cpus.length} CPUs`
        : `${n} of ${d.irqs.length} IRQs × ${d.cpus.length} CPUs`) + folded;
    size();
  }

  /** Sizes the scroller, its inner box (the whole map) and the canvas (the scroller's viewport). */
  function size() {
    const d = state.dist;
    if (!d) return;
    const k = d.cpus.length;
    const avail = Math.max(100, scroller.clientWidth - LABEL_W);
    // The columns share the whole width (fractions of a pixel included), so 1,152 CPUs fit a
    // 1,400-pixel window; below one pixel a column the map scrolls sideways.
    state.cw = Math.max(1, avail / Math.max(1, k));
    const contentW = Math.min(LABEL_W + Math.ceil(state.cw * k), Math.max(scroller.clientWidth, LABEL_W + k));
    const height = Math.min(state.contentH + 2, Math.max(260, Math.round(window.innerHeight * 0.68)));
    scroller.style.height = `${height}px`;
    inner.style.width = `${contentW}px`;
    inner.style.height = `${state.contentH}px`;
    const w = Math.min(scroller.clientWidth, contentW);
    const h = Math.min(scroller.clientHeight, state.contentH);
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    canvas.dataset.rows = String(state.irqRows);
    canvas.dataset.cols = String(k);
    canvas.dataset.groups = String(state.groups);
  }

  // ---------------------------------------------------------------------------------------------
  // drawing

  // Light yellow → dark red (ColorBrewer YlOrRd): readable on white, and zero stays grey.
  const STOPS = [
    [255, 255, 178],
    [254, 217, 118],
    [253, 141, 60],
    [240, 59, 32],
    [189, 0, 38],
    [110, 0, 30],
  ];
  const LUT = Array.from({ length: 256 }, (_, i) => {
    const t = (i / 255) * (STOPS.length - 1);
    const j = Math.min(STOPS.length - 2, Math.floor(t));
    const f = t - j;
    const a = STOPS[j] ?? [0, 0, 0];
    const b = STOPS[j + 1] ?? [0, 0, 0];
    const c = [0, 1, 2].map((x) => Math.round((a[x] ?? 0) + ((b[x] ?? 0) - (a[x] ?? 0)) * f));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  });

  /**
   * Where a rate falls on the colour scale, 1-255 (0: no interrupts). Linear shows where the load
   * is; log keeps a 10/s queue visible beside a 100,000/s one, at the price of making 750/s look
   * nearly as hot as 19,000/s. Any interrupt at all gets at least the palest colour.
   */
  function shade(/** @type {number} */ rate) {
    const max = state.maxCell;
    if (!(rate > 0) || !(max > 0)) return 0;
    const t = scaleSelect.value === 'log' ? Math.log1p(rate) / Math.log1p(max) : rate / max;
    return Math.max(1, Math.min(255, Math.round(t * 255)));
  }

  const colour = (/** @type {number} */ rate) => LUT[shade(rate)] ?? ZERO;

  /** The rates the legend marks: 0, the middle and the top (linear), or the powers of ten (log). */
  function legendTicks() {
    const max = state.maxCell;
    if (!(max > 0)) return [0];
    if (scaleSelect.value !== 'log') return [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
    /** @type {number[]} */
    const ticks = [0];
    for (let p = 10; p < max * 0.8; p *= 10) ticks.push(p);
    ticks.push(max);
    return ticks;
  }

  /** The colour scale beside the controls: the palette, its ticks and what the top is. */
  function drawLegend() {
    const dpr = window.devicePixelRatio || 1;
    const W = 300;
    const H = 26;
    if (legendCanvas.width !== W * dpr) {
      legendCanvas.width = W * dpr;
      legendCanvas.height = H * dpr;
      legendCanvas.style.width = `${W}px`;
      legendCanvas.style.height = `${H}px`;
    }
    lctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    lctx.clearRect(0, 0, W, H);
    const x0 = 4;
    const bw = W - 30;
    const max = state.maxCell;
    // The bar is drawn through colour() itself, so it shows exactly what the cells get.
    for (let i = 0; i < bw; i++) {
      lctx.fillStyle = i === 0 ? ZERO : colour(max > 0 ? inverse(i / (bw - 1)) : 0);
      lctx.fillRect(x0 + i, 1, 1, 10);
    }
    lctx.font = `10px ${FONT}`;
    lctx.textBaseline = 'alphabetic';
    lctx.fillStyle = '#5f6b7a';
    let lastRight = Number.NEGATIVE_INFINITY;
    for (const v of legendTicks()) {
      const px = x0 + (max > 0 ? position(v) : 0) * (bw - 1);
      lctx.fillRect(Math.round(px), 11, 1, 3);
      const text = v === max && v > 0 ? `${fmtCompact(v)}/s` : fmtCompact(v);
      const tw = lctx.measureText(text).width;
      const left = Math.min(W - tw, Math.max(0, px - tw / 2));
      if (left <= lastRight + 3) continue;
      lctx.fillText(text, left, 24);
      lastRight = left + tw;
    }
  }

  /** Where a rate sits on the legend's bar, 0-1. */
  function position(/** @type {number} */ rate) {
    const max = state.maxCell;
    if (!(max > 0) || !(rate > 0)) return 0;
    return Math.min(1, scaleSelect.value === 'log' ? Math.log1p(rate) / Math.log1p(max) : rate / max);
  }

  /** The rate at a point of the legend's bar, 0-1 (position's inverse). */
  function inverse(/** @type {number} */ t) {
    const max = state.maxCell;
    return scaleSelect.value === 'log' ? Math.expm1(t * Math.log1p(max)) : t * max;
  }

  /** The first item at or below content offset `y` (items are in y order). */
  function itemAt(/** @type {number} */ y) {
    const items = state.items;
    let lo = 0;
    let hi = items.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((items[mid]?.y ?? 0) <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** @param {string} text @param {number} maxWidth */
  function fit(text, maxWidth) {
    if (ctx.measureText(text).width <= maxWidth) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(`${text.slice(0, mid)}…`).width <= maxWidth) lo = mid;
      else hi = mid - 1;
    }
    return `${text.slice(0, lo)}…`;
  }

  /** Predicted interrupts/s per CPU after the plan, by CPU id. */
  function planRates() {
    /** @type {Map<number, number>} */
    const out = new Map();
    const p = state.plan;
    if (!p) return out;
    const seconds = p.window.seconds || 1;
    for (const c of p.after.cpus) out.set(c.cpu, c.load / seconds);
    return out;
  }

  /**
   * The CPU axis's marks, by column: each NUMA node's run of columns, and the isolated and
   * nohz_full CPUs (from the distribution's topology).
   */
  function axisMarks() {
    const d = state.dist;
    const t = state.topo;
    /** @type {Array<{ node: number, first: number, last: number }>} */
    const nodes = [];
    /** @type {number[]} */
    const isolated = [];
    /** @type {number[]} */
    const nohzFull = [];
    if (!d || !t) return { nodes, isolated, nohzFull };
    d.cpus.forEach((cpu, c) => {
      const node = t.nodeOf.get(cpu);
      const last = nodes[nodes.length - 1];
      if (node !== undefined) {
        if (last && last.node === node && last.last === c - 1) last.last = c;
        else nodes.push({ node, first: c, last: c });
      }
      if (t.isolated.has(cpu)) isolated.push(cpu);
      if (t.nohzFull.has(cpu)) nohzFull.push(cpu);
    });
    return { nodes, isolated, nohzFull };
  }

  function draw() {
    const d = state.dist;
    if (!d) return;
    const started = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const W = canvas.width / dpr;
    const H = canvas.height / dpr;
    const sx = scroller.scrollLeft;
    const sy = scroller.scrollTop;
    const { cw, items } = state;
    const k = d.cpus.length;
    const seconds = d.window.seconds || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);
    const c0 = Math.max(0, Math.floor(sx / cw));
    const c1 = Math.min(k, Math.ceil((sx + W - LABEL_W) / cw));
    const gapX = cw >= 4 ? 1 : 0;
    // Columns start on whole pixels, so fractional widths leave no seams.
    const x = (/** @type {number} */ c) => Math.round(LABEL_W + c * cw - sx);
    const colW = (/** @type {number} */ c) => Math.max(1, x(c + 1) - x(c) - gapX);
    const topo = state.topo;
    const isolatedCol = d.cpus.map((cpu) => topo?.isolated.has(cpu) === true);
    const marks = axisMarks();
    /** @type {string[]} */
    const labels = [];

    // Cells, clipped to the area right of the labels and below the axis.
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W, TOP, W - LABEL_W, H - TOP);
    ctx.clip();
    const first = itemAt(Math.max(0, sy));
    for (let i = first; i < items.length; i++) {
      const it = items[i];
      if (!it) break;
      const y = TOP + it.y - sy;
      if (y > H) break;
      if (it.kind === 'group') continue;
      const gapY = it.h >= 5 ? 1 : 0;
      // A folded row's cells are inset, so a sum never passes for one IRQ.
      const inset = it.kind === 'fold' ? 3 : 0;
      ctx.fillStyle = it.kind === 'fold' ? '#f7f8fa' : ZERO;
      ctx.fillRect(x(c0), y, x(c1) - x(c0), it.h - gapY);
      const per = it.kind === 'fold' ? it.perCpu : it.row.perCpu;
      for (let c = c0; c < c1; c++) {
        const v = per[c] ?? 0;
        if (v === 0) {
          if (!isolatedCol[c]) continue;
          ctx.fillStyle = ZERO_ISOLATED;
        } else {
          ctx.fillStyle = colour(v / seconds);
        }
        ctx.fillRect(x(c), y + inset, colW(c), it.h - gapY - 2 * inset);
      }
    }
    ctx.restore();

    // Labels and group bands, fixed on the left while the cells scroll sideways.
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, TOP, W, H - TOP);
    ctx.clip();
    ctx.textBaseline = 'middle';
    for (let i = first; i < items.length; i++) {
      const it = items[i];
      if (!it) break;
      const y = TOP + it.y - sy;
      if (y > H) break;
      if (it.kind === 'group') {
        ctx.fillStyle = '#dfe5ee';
        ctx.fillRect(0, y, W, it.h);
        ctx.fillStyle = '#1d232b';
        ctx.font = `600 12px ${FONT}`;
        ctx.fillText(fit(it.label, W - 12), 6, y + it.h / 2 + 0.5);
      } else if (it.kind === 'fold') {
        ctx.font = `italic 11px ${FONT}`;
        ctx.fillStyle = '#2f62b3';
        ctx.fillText(fit(it.label, LABEL_W - 14), 6, y + it.h / 2);
      } else if (it.h >= 11) {
        ctx.font = `${it.h >= 16 ? 12 : 11}px ${FONT}`;
        const rate = fmtCompact(it.row.ratePerSecond);
        const rw = ctx.measureText(rate).width;
        ctx.fillStyle = '#5f6b7a';
        ctx.fillText(rate, LABEL_W - 8 - rw, y + it.h / 2);
        ctx.fillStyle = '#1d232b';
        ctx.fillText(fit(`${it.row.irq}  ${it.row.name}`, LABEL_W - 22 - rw), 6, y + it.h / 2);
        labels.push(it.row.name);
      }
    }
    ctx.restore();
    ctx.fillStyle = '#d5dbe3';
    ctx.fillRect(LABEL_W - 1, TOP, 1, H - TOP);

    // Per-CPU shares as bars above their columns, with the fair share and twice it marked.
    const total = d.cpuTotals.reduce((a, c) => a + c.ratePerSecond, 0);
    const shares = d.cpuTotals.map((c) => (total > 0 ? c.ratePerSecond / total : 0));
    const fair = k > 0 ? 1 / k : 0;
    const after = planRates();
    let top = Math.max(...shares, 2 * fair);
    for (const v of after.values()) top = Math.max(top, total > 0 ? v / total : 0);
    const barBase = BARS_H - 6;
    const barSpan = BARS_H - 18;
    /** @param {number} share */
    const barY = (share) => barBase - (top > 0 ? (share / top) * barSpan : 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W, 0, W - LABEL_W, TOP);
    ctx.clip();
    for (let c = c0; c < c1; c++) {
      const s = shares[c] ?? 0;
      ctx.fillStyle = s > 2 * fair ? '#c0392b' : '#4a78c2';
      const y = barY(s);
      ctx.fillRect(x(c), y, colW(c), barBase - y);
    }
    ctx.fillStyle = '#1d232b';
    for (let c = c0; c < c1; c++) {
      const v = after.get(d.cpus[c] ?? -1);
      if (v === undefined || total <= 0) continue;
      ctx.fillRect(x(c), Math.round(barY(v / total)) - 1, colW(c), 2);
    }
    ctx.fillStyle = '#2e7d32';
    ctx.fillRect(LABEL_W, Math.round(barY(fair)), W, 1);
    ctx.fillStyle = '#c0392b';
    for (let px = LABEL_W; px < W; px += 6) ctx.fillRect(px, Math.round(barY(2 * fair)), 3, 1);
    // CPU numbers, as many as fit.
    ctx.font = `11px ${FONT}`;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#5f6b7a';
    const labelW = ctx.measureText(String(d.cpus[k - 1] ?? 0)).width + 6;
    let step = 1;
    while (step * cw < labelW) step *= 2;
    for (let c = Math.floor(c0 / step) * step; c < c1; c += step) {
      const text = String(d.cpus[c] ?? c);
      const tw = ctx.measureText(text).width;
      ctx.fillText(text, Math.max(LABEL_W + 1, x(c) + (colW(c) - tw) / 2), BARS_H + AXIS_H / 2);
    }
    // The NUMA nodes as alternating bands with their names, and the isolated (purple) and
    // nohz_full (green) CPUs as strips under their columns.
    const band = BARS_H + AXIS_H;
    ctx.font = `10px ${FONT}`;
    for (const [i, n] of marks.nodes.entries()) {
      const left = x(n.first);
      const right = x(n.last + 1);
      if (right < LABEL_W || left > W) continue;
      ctx.fillStyle = i % 2 === 0 ? '#e3e9f2' : '#f1f4f8';
      ctx.fillRect(left, band, right - left, MARK_H - 1);
      const text = right - left > 70 ? `node ${n.node}` : right - left > 22 ? String(n.node) : '';
      const tw = ctx.measureText(text).width;
      // The name stays in sight while its node scrolls past.
      const tx = Math.min(Math.max(left, LABEL_W) + 4, right - tw - 4);
      ctx.fillStyle = '#3c4654';
      if (text && tx >= left) ctx.fillText(text, tx, band + 6);
    }
    for (let c = c0; c < c1; c++) {
      const cpu = d.cpus[c] ?? -1;
      if (topo?.isolated.has(cpu)) {
        ctx.fillStyle = ISOLATED;
        ctx.fillRect(x(c), TOP - 7, colW(c), 3);
      }
      if (topo?.nohzFull.has(cpu)) {
        ctx.fillStyle = NOHZ;
        ctx.fillRect(x(c), TOP - 4, colW(c), 3);
      }
    }
    ctx.restore();
    // Node boundaries, through the bars and the cells.
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W, 0, W - LABEL_W, H);
    ctx.clip();
    ctx.fillStyle = NODE_LINE;
    for (const n of marks.nodes.slice(1)) ctx.fillRect(x(n.first) - 1, 0, 1, H);
    ctx.restore();
    ctx.fillStyle = '#d5dbe3';
    ctx.fillRect(0, TOP - 1, W, 1);

    // The corner: what the bars and axes mean (the cells' colours: the legend above the map).
    ctx.fillStyle = '#1d232b';
    ctx.font = `600 12px ${FONT}`;
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('share of interrupts per CPU', 6, 14);
    ctx.font = `11px ${FONT}`;
    ctx.fillStyle = '#2e7d32';
    ctx.fillText(`— fair share ${fmtPct(fair)}`, 6, 29);
    ctx.fillStyle = '#c0392b';
    ctx.fillText(`- - 2× fair · top ${fmtPct(top)}`, 6, 43);
    if (after.size > 0) {
      ctx.fillStyle = '#1d232b';
      ctx.fillText('▬ after the plan (predicted)', 6, 57);
    }
    ctx.fillStyle = '#5f6b7a';
    ctx.textBaseline = 'middle';
    ctx.fillText('IRQ ↓   CPU →', 6, BARS_H + AXIS_H / 2);
    ctx.fillText('NUMA node', 6, band + MARK_H / 2);

    drawLegend();
    state.labels = labels;
    state.drawMs = performance.now() - started;
    canvas.dataset.seq = String(state.seq);
  }

  // ---------------------------------------------------------------------------------------------
  // hover and click

  /**
   * What is under a point of the canvas (CSS pixels from its top-left corner).
   * @param {number} px @param {number} py
   */
  function hit(px, py) {
    const d = state.dist;
    if (!d) return null;
    const col = Math.floor((px - LABEL_W + scroller.scrollLeft) / state.cw);
    const cpuIndex = px >= LABEL_W && col >= 0 && col < d.cpus.length ? col : -1;
    if (py < TOP) return cpuIndex < 0 ? null : { cpuIndex, item: null };
    const i = itemAt(py - TOP + scroller.scrollTop);
    const item = state.items[i];
    if (!item || py - TOP + scroller.scrollTop >= item.y + item.h) return null;
    return { cpuIndex, item };
  }

  /** @param {Item | null} item */
  const clickable = (item) =>
    item !== null && (item.kind === 'fold' || (item.kind === 'group' && item.foldable));

  /** @param {MouseEvent} ev */
  function onHover(ev) {
    const d = state.dist;
    const rect = canvas.getBoundingClientRect();
    const h = hit(ev.clientX - rect.left, ev.clientY - rect.top);
    canvas.style.cursor = h && clickable(h.item) ? 'pointer' : '';
    if (!d || !h) {
      tooltip.hidden = true;
      return;
    }
    const seconds = d.window.seconds || 1;
    /** @type {string[]} */
    const lines = [];
    if (!h.item) {
      const c = d.cpuTotals[h.cpuIndex];
      if (!c) return;
      lines.push(`CPU ${c.cpu}: ${fmtRate(c.ratePerSecond)} interrupts/s`);
      lines.push(`${fmtPct(c.share)} of all (fair share ${fmtPct(1 / d.cpus.length)})`);
      const after = planRates().get(c.cpu);
      if (after !== undefined) lines.push(`after the plan: ${fmtRate(after)}/s (predicted)`);
      const t = state.topo;
      const node = t?.nodeOf.get(c.cpu);
      const kinds = [
        node === undefined ? '' : `NUMA node ${node}`,
        t?.isolated.has(c.cpu) ? 'isolated' : '',
        t?.nohzFull.has(c.cpu) ? 'nohz_full' : '',
      ].filter(Boolean);
      if (kinds.length > 0) lines.push(kinds.join(' · '));
    } else if (h.item.kind === 'group') {
      lines.push(h.item.label);
      if (h.item.foldable)
        lines.push(h.item.unfolded ? 'click to fold its quieter IRQs' : 'click to show all');
    } else if (h.item.kind === 'fold') {
      lines.push(h.item.label);
      if (h.cpuIndex >= 0) {
        const v = (h.item.perCpu[h.cpuIndex] ?? 0) / seconds;
        lines.push(`CPU ${d.cpus[h.cpuIndex]}: ${fmtRate(v)} interrupts/s, together`);
      }
      lines.push('click to show them');
    } else {
      const row = h.item.row;
      const info = state.info.get(row.irq);
      lines.push(`IRQ ${row.irq} · ${row.name}`);
      if (h.cpuIndex >= 0) {
        const v = (row.perCpu[h.cpuIndex] ?? 0) / seconds;
        lines.push(`CPU ${d.cpus[h.cpuIndex]}: ${fmtRate(v)} interrupts/s`);
      }
      lines.push(`all CPUs: ${fmtRate(row.ratePerSecond)} interrupts/s`);
      if (info) {
        const flags = [info.managed ? 'kernel-managed' : '', info.banned ? 'banned' : ''].filter(Boolean);
        lines.push(
          `affinity ${info.affinity}${info.effectiveAffinity === null ? '' : ` · effective ${info.effectiveAffinity}`}${flags.length ? ` · ${flags.join(', ')}` : ''}`,
        );
      }
    }
    tooltip.textContent = lines.join('\n');
    tooltip.hidden = false;
    const box = heat.getBoundingClientRect();
    const left = Math.min(ev.clientX - box.left + 14, box.width - tooltip.offsetWidth - 4);
    tooltip.style.left = `${Math.max(0, left)}px`;
    tooltip.style.top = `${ev.clientY - box.top + 14}px`;
  }

  /** A click on a device's band folds or unfolds it; one on its folded row unfolds it. */
  function onClick(/** @type {MouseEvent} */ ev) {
    const rect = canvas.getBoundingClientRect();
    const item = hit(ev.clientX - rect.left, ev.clientY - rect.top)?.item ?? null;
    if (!item || !clickable(item) || item.kind === 'irq') return;
    if (item.kind === 'group' && item.unfolded) state.unfolded.delete(item.key);
    else state.unfolded.add(item.key);
    // The row under the pointer is another one now; the next move shows its tooltip.
    tooltip.hidden = true;
    layout();
    draw();
  }

  // ---------------------------------------------------------------------------------------------
  // planner

  /** @param {string} label @param {string} before @param {string} after */
  function metricRow(label, before, after) {
    const tr = document.createElement('tr');
    for (const text of [label, before, after]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }

  /** @param {HTMLTableSectionElement} body @param {string[]} cells */
  function appendRow(body, cells) {
    const tr = document.createElement('tr');
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
    return tr;
  }

  /** A plan's moves with their assignments, the busiest IRQ first. @param {Plan} p */
  function movesOf(p) {
    const byIrq = new Map(p.assignments.map((x) => [x.irq, x]));
    return p.moves
      .map((m) => ({ m, a: byIrq.get(m.irq) }))
      .sort((x, y) => (y.a?.load ?? 0) - (x.a?.load ?? 0));
  }

  /**
   * The busiest CPU and its load per second, ± its measuring noise when it has some.
   * @param {Array<{ cpu: number, load: number, stddev: number }>} cpus @param {number} seconds
   */
  function busiestOf(cpus, seconds) {
    const top = cpus.reduce((x, c) => (c.load > x.load ? c : x), { cpu: -1, load: 0, stddev: 0 });
    const rate = fmtRate(top.load / seconds);
    return { cpu: top.cpu, text: top.stddev > 0 ? `${rate} ± ${fmtRate(top.stddev / seconds)}` : rate };
  }

  function renderPlan() {
    const p = state.plan;
    const metrics = /** @type {HTMLTableSectionElement} */ (el('plan-metrics').querySelector('tbody'));
    const moves = /** @type {HTMLTableSectionElement} */ (el('plan-moves').querySelector('tbody'));
    metrics.replaceChildren();
    moves.replaceChildren();
    el('plan-metrics').hidden = !p;
    el('moves-box').hidden = !p || p.moves.length === 0;
    applyBtn.disabled = !p || p.moves.length === 0 || state.applying || state.readOnly;
    applyBtn.textContent = p && p.moves.length > 0 ? `Apply ${p.moves.length} moves` : 'Apply';
    undoBtn.hidden = state.readOnly || state.undo === null;
    undoBtn.disabled = state.applying;
    undoBtn.textContent = state.undo ? `Undo the last apply (${plural(state.undo.length, 'IRQ')})` : 'Undo';
    if (!p) return;
    const s = p.window.seconds || 1;
    const b = p.before.metrics;
    const a = p.after.metrics;
    /** @param {number} v */
    const perSec = (v) => fmtRate(v / s);
    metrics.append(
      metricRow(
        'busiest CPU (interrupts/s)',
        busiestOf(p.before.cpus, s).text,
        busiestOf(p.after.cpus, s).text,
      ),
      metricRow(
        `noise margin (${p.noise.confidence} std. errors)`,
        '',
        p.noise.exact ? 'exact' : perSec(p.noise.makespanMargin),
      ),
      metricRow('lower bound (interrupts/s)', perSec(b.lowerBound), perSec(a.lowerBound)),
      metricRow('peak-to-average', b.peakToAverage.toFixed(2), a.peakToAverage.toFixed(2)),
      metricRow('(max − min) / mean', b.spread.toFixed(2), a.spread.toFixed(2)),
      metricRow('moves', '', String(p.moves.length)),
    );
    const list = movesOf(p);
    for (const { m, a: asg } of list.slice(0, MAX_MOVES_SHOWN)) {
      const tr = appendRow(moves, [
        m.irq,
        asg?.name ?? '',
        asg?.current === null || asg?.current === undefined ? '?' : `CPU ${asg.current}`,
        `CPU ${m.cpu}`,
        perSec(asg?.load ?? 0),
        asg?.gain === undefined ? '–' : perSec(asg.gain),
      ]);
      tr.dataset.irq = m.irq;
      tr.dataset.cpu = String(m.cpu);
    }
    if (list.length > MAX_MOVES_SHOWN) {
      const td = /** @type {HTMLTableCellElement} */ (
        appendRow(moves, [`… and ${list.length - MAX_MOVES_SHOWN} more`]).firstChild
      );
      td.colSpan = 6;
    }
  }

  /** @param {import('../../api/schemas.ts').TopologyView} t @returns {Topology} */
  function topologyOf(t) {
    /** @type {Map<number, number>} */
    const nodeOf = new Map();
    for (const n of t.nodes) for (const c of parseCpuList(n.cpus) ?? []) nodeOf.set(c, n.node);
    return {
      isolated: new Set(parseCpuList(t.isolated) ?? []),
      nohzFull: new Set(parseCpuList(t.nohzFull) ?? []),
      nodeOf,
    };
  }

  async function computePlan() {
    if (state.applying) return;
    if (state.planning) {
      // Settings changed while planning: plan again with them once this one is done.
      state.replan = true;
      return;
    }
    state.planning = true;
    state.replan = false;
    planBtn.disabled = true;
    el('plan-status').textContent = 'planning…';
    try {
      const q = new URLSearchParams({ window: state.window, wait: 'false', numa: numaSelect.value });
      const r = await api(`/api/v1/plan?${q}`);
      if (r.status === 200) {
        const p = /** @type {Plan} */ (r.body);
        state.plan = p;
        state.plans++;
        const when = new Date().toLocaleTimeString('en-GB');
        const gist = p.nothingWorthMoving
          ? 'nothing worth moving (no move gains more than the noise margin)'
          : `${p.moves.length} moves`;
        el('plan-status').textContent = `${gist} · from ${p.window.seconds.toFixed(1)} s of rates · ${when}`;
      } else {
        state.plan = null;
        el('plan-status').textContent = `no plan: ${problemText(r)}`;
      }
    } catch (e) {
      state.plan = null;
      el('plan-status').textContent = `no plan: ${errText(e)}`;
    } finally {
      state.planning = false;
      planBtn.disabled = false;
      renderPlan();
      draw();
      if (state.replan) void computePlan();
    }
  }

  /**
   * Apply asks first: the moves and what they are predicted to do, in a dialog whose Cancel has
   * the focus. What it shows is what its Apply sends, even if the page plans again meanwhile.
   */
  function confirmApply() {
    const p = state.plan;
    if (!p || p.moves.length === 0 || state.readOnly || state.applying || dialog.open) return;
    state.confirming = p;
    const s = p.window.seconds || 1;
    const before = busiestOf(p.before.cpus, s);
    const after = busiestOf(p.after.cpus, s);
    const n = plural(p.moves.length, 'move');
    el('apply-title').textContent = `Apply ${n}?`;
    el('apply-effect').textContent =
      `Busiest CPU: CPU ${before.cpu} at ${before.text}/s now → CPU ${after.cpu} at ${after.text}/s after (predicted). ` +
      `Peak-to-average ${p.before.metrics.peakToAverage.toFixed(2)} → ${p.after.metrics.peakToAverage.toFixed(2)}; ${n}.`;
    const auto = state.auto;
    el('apply-note').textContent =
      `From ${s.toFixed(1)} s of measured rates. Each IRQ's smp_affinity_list is set to its new CPU, all or nothing; Undo puts back what this changes.` +
      (auto?.enabled && !auto.paused ? ' The autopilot is running and may move them again.' : '');
    const body = /** @type {HTMLTableSectionElement} */ (el('apply-list').querySelector('tbody'));
    body.replaceChildren();
    const list = movesOf(p);
    for (const { m, a } of list.slice(0, MAX_MOVES_IN_DIALOG)) {
      // A wide mask is worth seeing before it is narrowed to one CPU: Undo has to put it back.
      const mask = state.info.get(m.irq)?.affinity;
      const from = a?.current === null || a?.current === undefined ? '?' : `CPU ${a.current}`;
      appendRow(body, [
        m.irq,
        a?.name ?? '',
        mask !== undefined && mask !== String(a?.current) ? `${from} of ${mask}` : from,
        `CPU ${m.cpu}`,
        fmtRate((a?.load ?? 0) / s),
      ]).dataset.irq = m.irq;
    }
    if (list.length > MAX_MOVES_IN_DIALOG) {
      const td = /** @type {HTMLTableCellElement} */ (
        appendRow(body, [`… and ${list.length - MAX_MOVES_IN_DIALOG} more, all in the planner's table`])
          .firstChild
      );
      td.colSpan = 5;
    }
    el('apply-confirm').textContent = `Apply ${n}`;
    dialog.returnValue = '';
    dialog.showModal();
  }

  /**
   * Applies exactly the moves confirmed, as one all-or-nothing batch (POST /api/v1/affinity), so
   * what is applied is what the user saw, not a plan recomputed a moment later; keeps what each
   * IRQ had before, for Undo.
   * @param {Plan} p
   */
  async function applyPlan(p) {
    if (p.moves.length === 0 || state.readOnly || state.applying) return;
    state.applying = true;
    renderPlan();
    planBtn.disabled = true;
    const result = el('apply-result');
    result.hidden = false;
    result.className = '';
    result.textContent = `applying ${p.moves.length} moves…`;
    try {
      const r = await post('/api/v1/affinity', {
        assignments: p.moves.map((m) => ({ irq: m.irq, cpu: m.cpu })),
      });
      // 200 and 409 carry the batch's outcomes; anything else is a problem document.
      const outcomes =
        r.status === 200 || r.status === 409 ? /** @type {BatchResult} */ (r.body).outcomes : undefined;
      if (r.status === 200 && outcomes) {
        const names = new Map(p.assignments.map((a) => [a.irq, a.name]));
        state.undo = outcomes
          .filter((o) => o.ok)
          .map((o) => ({ irq: o.irq, name: names.get(o.irq) ?? '', cpu: o.cpu, previous: o.previous }));
        const pending = outcomes.filter((o) => o.pending).length;
        result.className = 'ok';
        result.textContent =
          `Applied ${outcomes.length} moves${pending > 0 ? ` (${pending} take effect at the IRQ's next interrupt)` : ''}. ` +
          'The window still holds rates from before the moves: compute a new plan once it has passed.';
      } else if (r.status === 409 && outcomes) {
        const failed = outcomes.filter((o) => o.error);
        result.className = 'failed';
        result.textContent = `Nothing was changed (the batch was rolled back): ${failed
          .map((o) => `IRQ ${o.irq} → CPU ${o.cpu}: ${o.error?.message}`)
          .join('; ')}`;
      } else {
        result.className = 'failed';
        result.textContent = `Not applied: ${problemText(r)}`;
      }
    } catch (e) {
      result.className = 'failed';
      result.textContent = `Not applied: ${errText(e)}`;
    } finally {
      state.applying = false;
      // The plan described the old placement; keeping it would invite applying it twice.
      state.plan = null;
      el('plan-status').textContent = '';
      planBtn.disabled = false;
      renderPlan();
      draw();
      void loadInfo();
    }
  }

  /**
   * How to put back exactly what an apply changed: each moved IRQ's smp_affinity_list as it was
   * before (the batch outcome's `previous`), whatever its width. Neither write of the API does
   * that alone:
   * - POST /api/v1/affinity sets ONE CPU per IRQ: exact only for a `previous` of one CPU;
   * - POST /api/v1/restore writes irqkitd's recorded original, any width, but that is the mask
   *   before irqkitd's FIRST change of the IRQ. It equals `previous` when this apply was that
   *   first change: the usual case of a wide mask, since irqkitd itself only ever writes single
   *   CPUs. It also unpins the IRQ and forgets the record (which this apply may have made).
   * So, per IRQ, with its affinity, irqkitd's originals and pins read just now:
   * 1. no longer on the apply's CPU (the autopilot, irqbalance or a person moved it since): left
   *    alone, since putting it back would undo that later change, not this apply;
   * 2. its original equals `previous` and it has no pin: restore (exact at any width, and
   *    irqkitd's records end as they were before the apply);
   * 3. `previous` is one CPU: the batch writes that CPU (a pin stays as it is);
   * 4. otherwise (a wide mask set outside irqkitd after its first change, or a pinned IRQ's):
   *    no API write can put it back; said so, with the command that does.
   * @param {readonly Moved[]} moves
   * @param {Map<string, number[] | null>} current smp_affinity_list now, by IRQ
   * @param {Map<string, number[] | null>} originals irqkitd's recorded originals, by IRQ
   * @param {Set<string>} pinned
   */
  function planUndo(moves, current, originals, pinned) {
    /** @type {Array<{ irq: string, cpu: number }>} */
    const writes = [];
    /** @type {string[]} */
    const restores = [];
    /** @type {string[]} */
    const left = [];
    for (const m of moves) {
      const who = `IRQ ${m.irq}${m.name ? ` (${m.name})` : ''}`;
      const now = current.get(m.irq);
      if (now === undefined) left.push(`${who} is gone: nothing to undo`);
      else if (!sameCpus(now, [m.cpu]))
        left.push(`${who} has moved since (now ${now === null ? '?' : fmtCpus(now)}): left as it is`);
      else if (sameCpus(originals.get(m.irq) ?? null, m.previous) && !pinned.has(m.irq)) restores.push(m.irq);
      else if (m.previous.length === 1) writes.push({ irq: m.irq, cpu: m.previous[0] ?? 0 });
      else {
        const was = fmtCpus(m.previous);
        left.push(
          `${who} stays on CPU ${m.cpu}: it had ${was} before, which irqkitd cannot set (it sets one CPU, or restores the mask from before its first change); to put it back: echo ${was} > /proc/irq/${m.irq}/smp_affinity_list`,
        );
      }
    }
    return { writes, restores, left };
  }

  /** Undo: the last apply's IRQs back where they were (planUndo says how), then what happened. */
  async function undoApply() {
    const moves = state.undo;
    if (!moves || state.readOnly || state.applying) return;
    state.applying = true;
    renderPlan();
    const result = el('apply-result');
    result.hidden = false;
    result.className = '';
    result.textContent = `undoing ${plural(moves.length, 'move')}…`;
    /** @type {string[]} */
    const done = [];
    /** @type {string[]} */
    const problems = [];
    /** IRQs a later Undo may still put back (a write that failed). */
    /** @type {Set<string>} */
    const retry = new Set();
    try {
      const [pinsR, irqsR] = await Promise.all([api('/api/v1/pins'), api('/api/v1/irqs')]);
      if (pinsR.status !== 200) throw new Error(problemText(pinsR));
      if (irqsR.status !== 200) throw new Error(problemText(irqsR));
      const pins = /** @type {PinsDoc} */ (pinsR.body);
      const irqs = /** @type {IrqList} */ (irqsR.body);
      const plan = planUndo(
        moves,
        new Map(irqs.irqs.map((i) => [i.irq, parseCpuList(i.affinity)])),
        new Map(pins.originals.map((o) => [o.irq, parseCpuList(o.affinity)])),
        new Set(pins.pins.map((p) => p.irq)),
      );
      problems.push(...plan.left);
      if (plan.writes.length > 0) {
        const r = await post('/api/v1/affinity', { assignments: plan.writes });
        if (r.status === 200) done.push(...plan.writes.map((w) => w.irq));
        else {
          for (const w of plan.writes) retry.add(w.irq);
          const outcomes = r.status === 409 ? /** @type {BatchResult} */ (r.body).outcomes : [];
          const why = outcomes.filter((o) => o.error).map((o) => `IRQ ${o.irq}: ${o.error?.message}`);
          problems.push(
            `${plural(plan.writes.length, 'IRQ')} not put back on their CPU: ${why.length > 0 ? why.join('; ') : problemText(r)}`,
          );
        }
      }
      if (plan.restores.length > 0) {
        const r = await post('/api/v1/restore', { irqs: plan.restores });
        if (r.status === 200 || r.status === 409) {
          for (const o of /** @type {RestoreResult} */ (r.body).outcomes) {
            if (o.ok) done.push(o.irq);
            else {
              retry.add(o.irq);
              problems.push(
                `IRQ ${o.irq} not restored to ${fmtCpus(o.original)}: ${o.error?.message ?? '?'}`,
              );
            }
          }
        } else {
          for (const irq of plan.restores) retry.add(irq);
          problems.push(`${plural(plan.restores.length, 'IRQ')} not restored: ${problemText(r)}`);
        }
      }
      state.undo = retry.size > 0 ? moves.filter((m) => retry.has(m.irq)) : null;
      result.className = problems.length === 0 ? 'ok' : done.length > 0 ? 'warn' : 'failed';
      result.textContent = [
        `Undone: ${plural(done.length, 'IRQ')} back as before the apply.`,
        ...problems,
      ].join('\n');
    } catch (e) {
      result.className = 'failed';
      result.textContent = `Not undone: ${errText(e)}`;
    } finally {
      state.applying = false;
      renderPlan();
      void loadInfo();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // autopilot

  const AUTO_ROUNDS_SHOWN = 8;
  const autoToggle = /** @type {HTMLButtonElement} */ (el('auto-toggle'));

  /** The autopilot's state and its last decisions, newest first. */
  function renderAuto() {
    const s = state.auto;
    const stateEl = el('auto-state');
    const reason = el('auto-reason');
    if (!s) {
      stateEl.textContent = '–';
      return;
    }
    stateEl.textContent = !s.enabled ? 'off' : s.paused ? `paused (${s.pausedBy ?? '?'})` : 'running';
    stateEl.className = !s.enabled ? 'muted' : s.paused ? 'warn' : 'ok';
    reason.hidden = s.reason === null;
    reason.textContent = s.reason ?? '';
    const t = s.settings;
    el('auto-settings').textContent = s.enabled
      ? `every ${t.everySeconds} s on the last ${t.windowSeconds} s · at most ${t.maxMoves} moves · cooldown ${t.cooldownSeconds} s · ${s.totals.moves} moves so far`
      : '';
    // Resuming cannot beat irqbalance, so the button is offered only when it can do something.
    autoToggle.hidden = !s.enabled || state.readOnly || s.pausedBy === 'irqbalance';
    autoToggle.textContent = s.paused ? 'Resume' : 'Pause';
    // An autopilot that never ran has no decisions to show: no empty table either.
    el('auto-rounds').hidden = s.rounds.length === 0;
    const body = /** @type {HTMLTableSectionElement} */ (el('auto-rounds').querySelector('tbody'));
    body.replaceChildren();
    for (const r of s.rounds.slice(-AUTO_ROUNDS_SHOWN).reverse()) {
      const tr = document.createElement('tr');
      tr.className = r.outcome;
      const busiest =
        r.busiestBefore === null
          ? '–'
          : r.moves.length > 0 && r.busiestAfter !== null
            ? `${fmtRate(r.busiestBefore)} → ${fmtRate(r.busiestAfter)}`
            : fmtRate(r.busiestBefore);
      const moves = r.moves.map((m) => `${m.irq}: ${m.from ?? '?'}→${m.to}${m.ok ? '' : ' ✗'}`).join(', ');
      const cells = [
        new Date(r.at).toLocaleTimeString(),
        r.kind === 'new-irqs' ? `${r.outcome} (new IRQs)` : r.outcome,
        busiest,
        moves || '–',
        r.reason,
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      body.append(tr);
    }
  }

  async function loadAuto() {
    try {
      const r = await api('/api/v1/auto');
      if (r.status !== 200) return;
      state.auto = /** @type {AutoStatus} */ (r.body);
      renderAuto();
    } catch {
      // The next refresh shows the daemon's absence.
    }
  }

  async function toggleAuto() {
    const s = state.auto;
    if (!s?.enabled || state.readOnly) return;
    autoToggle.disabled = true;
    try {
      const r = await api('/api/v1/auto', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ paused: !s.paused }),
      });
      if (r.status === 200) state.auto = /** @type {AutoStatus} */ (r.body);
      else showError(`Autopilot: ${problemText(r)}`);
    } finally {
      autoToggle.disabled = false;
      renderAuto();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // wiring

  const windowRadios = /** @type {NodeListOf<HTMLInputElement>} */ (
    document.querySelectorAll('input[name="window"]')
  );

  function selectWindow(/** @type {string} */ w) {
    state.window = w;
    for (const r of windowRadios) r.checked = r.value === w;
    history.replaceState(null, '', `#window=${w}`);
  }

  for (const r of windowRadios) {
    r.addEventListener('change', () => {
      if (!r.checked) return;
      selectWindow(r.value);
      state.dist = null;
      void refresh().catch(() => undefined);
      void computePlan();
    });
  }
  const relayout = () => {
    layout();
    draw();
  };
  filterInput.addEventListener('input', relayout);
  sortSelect.addEventListener('change', relayout);
  groupBox.addEventListener('change', relayout);
  foldBox.addEventListener('change', () => {
    state.unfolded.clear();
    relayout();
  });
  densitySelect.addEventListener('change', relayout);
  scaleSelect.addEventListener('change', draw);
  numaSelect.addEventListener('change', () => void computePlan());
  planBtn.addEventListener('click', () => void computePlan());
  applyBtn.addEventListener('click', confirmApply);
  undoBtn.addEventListener('click', () => void undoApply());
  el('apply-cancel').addEventListener('click', () => dialog.close('cancel'));
  el('apply-confirm').addEventListener('click', () => dialog.close('confirm'));
  // Escape closes it too, with returnValue left '': nothing is applied unless Apply was clicked.
  dialog.addEventListener('close', () => {
    const p = state.confirming;
    state.confirming = null;
    // The list goes with the dialog, so that the DOM stays small.
    /** @type {HTMLTableSectionElement} */ (el('apply-list').querySelector('tbody')).replaceChildren();
    if (dialog.returnValue === 'confirm' && p) void applyPlan(p);
  });
  let frame = 0;
  const redraw = () => {
    if (frame === 0)
      frame = requestAnimationFrame(() => {
        frame = 0;
        draw();
      });
  };
  scroller.addEventListener('scroll', redraw, { passive: true });
  window.addEventListener('resize', () => {
    size();
    redraw();
  });
  autoToggle.addEventListener('click', () => void toggleAuto());
  canvas.addEventListener('mousemove', onHover);
  canvas.addEventListener('click', onClick);
  canvas.addEventListener('mouseleave', () => {
    tooltip.hidden = true;
  });

  /** Scrolls a content box into view and returns its centre in viewport coordinates. */
  function reveal(/** @type {number} */ y, /** @type {number} */ h, /** @type {number} */ col) {
    const rect0 = canvas.getBoundingClientRect();
    scroller.scrollTop = Math.max(0, y - (rect0.height - TOP) / 2);
    if (col >= 0) scroller.scrollLeft = Math.max(0, col * state.cw - (rect0.width - LABEL_W) / 2);
    draw();
    const rect = canvas.getBoundingClientRect();
    return {
      x:
        col >= 0
          ? rect.left + LABEL_W + (col + 0.5) * state.cw - scroller.scrollLeft
          : rect.left + LABEL_W / 2,
      y: rect.top + TOP + y - scroller.scrollTop + h / 2,
    };
  }

  // For tests and the curious: what is drawn, and where a cell is on screen.
  /** @type {any} */ (window).irqkitDashboard = {
    snapshot() {
      const d = state.dist;
      return {
        seq: state.seq,
        rows: state.irqRows,
        shownRows: state.shownRows,
        foldedIrqs: state.foldedIrqs,
        cols: d ? d.cpus.length : 0,
        groups: state.groups,
        groupBands: state.items.flatMap((i) =>
          i.kind === 'group'
            ? [{ key: i.key, label: i.label, foldable: i.foldable, unfolded: i.unfolded }]
            : [],
        ),
        folds: state.items.flatMap((i) => (i.kind === 'fold' ? [{ key: i.key, irqs: i.irqs }] : [])),
        labels: state.labels,
        window: state.window,
        windowInfo: d ? d.window : null,
        totalRate: d ? d.ratePerSecond : null,
        cpuRates: d ? d.cpuTotals.map((c) => [c.cpu, c.ratePerSecond]) : [],
        readOnly: state.readOnly,
        planMoves: state.plan ? state.plan.moves : null,
        plans: state.plans,
        planning: state.planning,
        confirming: dialog.open,
        undo: state.undo ? state.undo.map((m) => m.irq) : null,
        auto: state.auto
          ? { enabled: state.auto.enabled, paused: state.auto.paused, rounds: state.auto.rounds.length }
          : null,
        scale: scaleSelect.value,
        legend: { max: state.maxCell, ticks: legendTicks() },
        axis: d ? axisMarks() : null,
        rowHeight: state.rh,
        colWidth: state.cw,
        mapWidth: inner.offsetWidth,
        viewWidth: scroller.clientWidth,
        drawMs: state.drawMs,
      };
    },
    /** Scrolls the cell into view and returns its centre in viewport coordinates. */
    cellCenter(/** @type {string} */ irq, /** @type {number} */ cpu) {
      const d = state.dist;
      const item = state.items.find((i) => i.kind === 'irq' && i.row.irq === irq);
      const col = d ? d.cpus.indexOf(cpu) : -1;
      if (!d || !item || col < 0) return null;
      return reveal(item.y, item.h, col);
    },
    /** The colour drawn at the centre of a cell, read back from the canvas: 'rgb(r,g,b)'. */
    cellColour(/** @type {string} */ irq, /** @type {number} */ cpu) {
      const at = this.cellCenter(irq, cpu);
      if (!at) return null;
      const rect = canvas.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      // Copied to a 1-pixel canvas made for reading, so the map's own stays on the GPU.
      const probe = document.createElement('canvas');
      probe.width = 1;
      probe.height = 1;
      const pctx = /** @type {CanvasRenderingContext2D} */ (
        probe.getContext('2d', { willReadFrequently: true })
      );
      pctx.drawImage(
        canvas,
        Math.floor((at.x - rect.left) * dpr),
        Math.floor((at.y - rect.top) * dpr),
        1,
        1,
        0,
        0,
        1,
        1,
      );
      const [r, g, b] = pctx.getImageData(0, 0, 1, 1).data;
      return `rgb(${r},${g},${b})`;
    },
    /** Scrolls a CPU's column into view; the centre of its mark under the CPU numbers. */
    axisCenter(/** @type {number} */ cpu) {
      const col = state.dist ? state.dist.cpus.indexOf(cpu) : -1;
      if (col < 0) return null;
      const at = reveal(0, 0, col);
      const rect = canvas.getBoundingClientRect();
      return { x: at.x, y: rect.top + BARS_H + AXIS_H + MARK_H / 2 };
    },
    /** Scrolls a device's band ('group') or its folded row ('fold') into view; its centre. */
    rowCenter(/** @type {'group' | 'fold'} */ kind, /** @type {string} */ key) {
      const item = state.items.find((i) => i.kind === kind && i.key === key);
      return item ? reveal(item.y, item.h, -1) : null;
    },
    /** The group key (device) an IRQ is shown under. */
    groupOf(/** @type {string} */ irq) {
      const row = state.dist?.irqs.find((r) => r.irq === irq);
      return row ? groupKey(row) : null;
    },
  };

  selectWindow(state.window);
  renderPlan();
  loadHealth()
    .catch((e) => showError(`Cannot reach irqkitd: ${errText(e)}`))
    .finally(() => {
      void tick();
      void loadInfo();
      setInterval(() => void loadInfo(), INFO_REFRESH_MS);
      void loadAuto();
      setInterval(() => void loadAuto(), AUTO_REFRESH_MS);
      void computePlan();
    });
})();
