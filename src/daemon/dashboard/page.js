// @ts-check
/*
 * The dashboard's script, inlined into the page irqkitd serves at GET / (see dashboard.ts).
 * It runs in the browser and uses the same API as the CLI, with relative URLs, so every request
 * goes through the daemon's Host check; the one change it makes, POST /api/v1/affinity, sends
 * Content-Type: application/json like any other client.
 *
 * Big machines (256+ CPUs × 2,000+ IRQs) are why the heat map is one canvas the size of its
 * viewport that draws only the visible cells, inside a scroller whose inner box has the size of
 * the whole map: the DOM stays a few hundred nodes whatever the machine.
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
 * @typedef {import('../../api/auto-schemas.ts').AutoStatus} AutoStatus
 *
 * @typedef {{ kind: 'group', key: string, label: string, y: number, h: number }} GroupItem
 * @typedef {{ kind: 'irq', row: DistRow, group: string, y: number, h: number }} IrqItem
 */

(() => {
  const WINDOWS = ['5s', '1m', '15m'];
  const REFRESH_MS = 1000;
  const INFO_REFRESH_MS = 30_000;
  const AUTO_REFRESH_MS = 2_000;
  // Geometry in CSS pixels: the label column, the per-CPU bars and the CPU axis above the rows.
  const LABEL_W = 210;
  const BARS_H = 96;
  const AXIS_H = 18;
  const TOP = BARS_H + AXIS_H;
  const GROUP_H = 18;
  const MAX_MOVES_SHOWN = 200;
  const ZERO = '#eef1f5';
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
  const tooltip = el('tooltip');
  const heat = el('heat');
  const filterInput = /** @type {HTMLInputElement} */ (el('filter'));
  const sortSelect = /** @type {HTMLSelectElement} */ (el('sort'));
  const groupBox = /** @type {HTMLInputElement} */ (el('group'));
  const densitySelect = /** @type {HTMLSelectElement} */ (el('density'));
  const numaSelect = /** @type {HTMLSelectElement} */ (el('numa'));
  const planBtn = /** @type {HTMLButtonElement} */ (el('plan-btn'));
  const applyBtn = /** @type {HTMLButtonElement} */ (el('apply-btn'));
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { alpha: false }));

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
    applying: false,
    /** @type {AutoStatus | null} */
    auto: null,
    /** @type {(GroupItem | IrqItem)[]} */
    items: [],
    irqRows: 0,
    groups: 0,
    contentH: 0,
    cw: 8,
    rh: 12,
    maxCell: 0,
    seq: 0,
    drawMs: 0,
    fetchMs: 0,
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

  /** @param {{ status: number, body: any }} r */
  function problemText(r) {
    const b = r.body;
    if (b && typeof b === 'object' && typeof b.detail === 'string') return `${b.detail} (${b.code})`;
    return `HTTP ${r.status}`;
  }

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
      showError(`Cannot read the distribution: ${e instanceof Error ? e.message : String(e)}; retrying.`);
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
  // rows: filter, sort, group by device

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

  function layout() {
    const d = state.dist;
    if (!d) return;
    const sort = sortSelect.value;
    /** @type {(a: DistRow, b: DistRow) => number} */
    const cmp =
      sort === 'name'
        ? (a, b) => collator.compare(a.name, b.name) || byIrq(a, b)
        : sort === 'rate'
          ? (a, b) => b.ratePerSecond - a.ratePerSecond || byIrq(a, b)
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
    const kept = d.irqs.filter(keep).sort(cmp);
    const n = kept.length;
    // Rows shrink with their number; below 11 px the names move into the tooltip.
    state.rh = Number(densitySelect.value) || (n <= 40 ? 18 : n <= 120 ? 13 : n <= 400 ? 8 : 5);
    /** @type {(GroupItem | IrqItem)[]} */
    const items = [];
    let y = 0;
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
        /** @param {DistRow[]} rows */
        const sum = (rows) => rows.reduce((a, r) => a + r.ratePerSecond, 0);
        order.sort((a, b) => sum(b[1]) - sum(a[1]));
      }
      for (const [key, rows] of order) {
        const total = rows.reduce((a, r) => a + r.ratePerSecond, 0);
        const label = `${labels.get(key)} · ${rows.length} IRQ${rows.length === 1 ? '' : 's'} · ${fmtRate(total)}/s`;
        items.push({ kind: 'group', key, label, y, h: GROUP_H });
        y += GROUP_H;
        for (const row of rows) {
          items.push({ kind: 'irq', row, group: key, y, h: state.rh });
          y += state.rh;
        }
      }
      state.groups = order.length;
    } else {
      for (const row of kept) {
        items.push({ kind: 'irq', row, group: groupKey(row), y, h: state.rh });
        y += state.rh;
      }
      state.groups = 0;
    }
    state.items = items;
    state.irqRows = n;
    state.contentH = TOP + y;
    const seconds = d.window.seconds || 1;
    let maxCell = 0;
    for (const r of kept) for (const v of r.perCpu) if (v > maxCell) maxCell = v;
    state.maxCell = maxCell / seconds;
    el('rows-note').textContent =
      needle === ''
        ? `${n} IRQs × ${d.cpus.length} CPUs`
        : `${n} of ${d.irqs.length} IRQs × ${d.cpus.length} CPUs`;
    size();
  }

  /** Sizes the scroller, its inner box (the whole map) and the canvas (the scroller's viewport). */
  function size() {
    const d = state.dist;
    if (!d) return;
    const k = d.cpus.length;
    const avail = Math.max(100, scroller.clientWidth - LABEL_W);
    // Wide enough to see, narrow enough to fit: beyond ~avail/2 CPUs the map scrolls sideways.
    state.cw = Math.max(2, Math.min(56, Math.floor(avail / Math.max(1, k))));
    const contentW = LABEL_W + state.cw * k;
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

  /** Log scale: a 10/s queue stays visible beside a 100,000/s one. */
  function colour(/** @type {number} */ rate) {
    const max = state.maxCell;
    if (!(rate > 0) || !(max > 0)) return ZERO;
    const t = Math.log1p(rate) / Math.log1p(max);
    return LUT[Math.max(1, Math.min(255, Math.round(t * 255)))] ?? ZERO;
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
    const x = (/** @type {number} */ c) => LABEL_W + c * cw - sx;

    // Cells, clipped to the area right of the labels and below the bars.
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
      ctx.fillStyle = ZERO;
      ctx.fillRect(x(c0), y, (c1 - c0) * cw, it.h - gapY);
      const per = it.row.perCpu;
      for (let c = c0; c < c1; c++) {
        const v = per[c] ?? 0;
        if (v === 0) continue;
        ctx.fillStyle = colour(v / seconds);
        ctx.fillRect(x(c), y, cw - gapX, it.h - gapY);
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
      } else if (it.h >= 11) {
        ctx.font = `${it.h >= 16 ? 12 : 11}px ${FONT}`;
        const rate = fmtCompact(it.row.ratePerSecond);
        const rw = ctx.measureText(rate).width;
        ctx.fillStyle = '#5f6b7a';
        ctx.fillText(rate, LABEL_W - 8 - rw, y + it.h / 2);
        ctx.fillStyle = '#1d232b';
        ctx.fillText(fit(`${it.row.irq}  ${it.row.name}`, LABEL_W - 22 - rw), 6, y + it.h / 2);
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
      ctx.fillRect(x(c), y, Math.max(1, cw - gapX), barBase - y);
    }
    ctx.fillStyle = '#1d232b';
    for (let c = c0; c < c1; c++) {
      const v = after.get(d.cpus[c] ?? -1);
      if (v === undefined || total <= 0) continue;
      ctx.fillRect(x(c), Math.round(barY(v / total)) - 1, Math.max(1, cw - gapX), 2);
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
      ctx.fillText(text, x(c) + (cw - tw) / 2, BARS_H + AXIS_H / 2);
    }
    ctx.restore();
    ctx.fillStyle = '#d5dbe3';
    ctx.fillRect(0, TOP - 1, W, 1);

    // The corner: what the bars and colours mean.
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
    const gx = 6;
    const gw = LABEL_W - 70;
    for (let i = 0; i < gw; i++) {
      ctx.fillStyle = LUT[Math.round((i / (gw - 1)) * 255)] ?? ZERO;
      ctx.fillRect(gx + i, 66, 1, 9);
    }
    ctx.fillStyle = '#5f6b7a';
    ctx.fillText(`≤ ${fmtCompact(state.maxCell)}/s`, gx + gw + 4, 75);
    ctx.fillText('cell: interrupts/s (log)', 6, 88);
    ctx.fillText('IRQ ↓   CPU →', 6, BARS_H + AXIS_H / 2 + 4);

    state.drawMs = performance.now() - started;
    canvas.dataset.seq = String(state.seq);
  }

  // ---------------------------------------------------------------------------------------------
  // hover

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

  /** @param {MouseEvent} ev */
  function onHover(ev) {
    const d = state.dist;
    const rect = canvas.getBoundingClientRect();
    const h = hit(ev.clientX - rect.left, ev.clientY - rect.top);
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
    } else if (h.item.kind === 'group') {
      lines.push(h.item.label);
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
    if (!p) return;
    const s = p.window.seconds || 1;
    const b = p.before.metrics;
    const a = p.after.metrics;
    /** @param {number} v */
    const perSec = (v) => fmtRate(v / s);
    /**
     * The busiest CPU's load ± its measuring noise (one standard deviation).
     * @param {Array<{ load: number, stddev: number }>} cpus
     */
    const busiest = (cpus) => {
      const top = cpus.reduce((x, c) => (c.load > x.load ? c : x), { load: 0, stddev: 0 });
      return top.stddev > 0 ? `${perSec(top.load)} ± ${perSec(top.stddev)}` : perSec(top.load);
    };
    metrics.append(
      metricRow('busiest CPU (interrupts/s)', busiest(p.before.cpus), busiest(p.after.cpus)),
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
    const byIrq = new Map(p.assignments.map((x) => [x.irq, x]));
    const list = p.moves
      .map((m) => ({ m, a: byIrq.get(m.irq) }))
      .sort((x, y) => (y.a?.load ?? 0) - (x.a?.load ?? 0));
    for (const { m, a: asg } of list.slice(0, MAX_MOVES_SHOWN)) {
      const tr = document.createElement('tr');
      tr.dataset.irq = m.irq;
      tr.dataset.cpu = String(m.cpu);
      const cells = [
        m.irq,
        asg?.name ?? '',
        asg?.current === null || asg?.current === undefined ? '?' : `CPU ${asg.current}`,
        `CPU ${m.cpu}`,
        perSec(asg?.load ?? 0),
        asg?.gain === undefined ? '–' : perSec(asg.gain),
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      moves.append(tr);
    }
    if (list.length > MAX_MOVES_SHOWN) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = 6;
      td.textContent = `… and ${list.length - MAX_MOVES_SHOWN} more`;
      tr.append(td);
      moves.append(tr);
    }
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
      el('plan-status').textContent = `no plan: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      state.planning = false;
      planBtn.disabled = false;
      renderPlan();
      draw();
      if (state.replan) void computePlan();
    }
  }

  /**
   * Applies exactly the moves on screen, as one all-or-nothing batch (POST /api/v1/affinity), so
   * what is applied is what the user saw, not a plan recomputed a moment later.
   */
  async function applyPlan() {
    const p = state.plan;
    if (!p || p.moves.length === 0 || state.readOnly || state.applying) return;
    state.applying = true;
    renderPlan();
    planBtn.disabled = true;
    const result = el('apply-result');
    result.hidden = false;
    result.className = '';
    result.textContent = `applying ${p.moves.length} moves…`;
    try {
      const r = await api('/api/v1/affinity', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ assignments: p.moves.map((m) => ({ irq: m.irq, cpu: m.cpu })) }),
      });
      // 200 and 409 carry the batch's outcomes; anything else is a problem document.
      const outcomes =
        r.status === 200 || r.status === 409 ? /** @type {BatchResult} */ (r.body).outcomes : undefined;
      if (r.status === 200 && outcomes) {
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
      result.textContent = `Not applied: ${e instanceof Error ? e.message : String(e)}`;
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
  densitySelect.addEventListener('change', relayout);
  numaSelect.addEventListener('change', () => void computePlan());
  planBtn.addEventListener('click', () => void computePlan());
  applyBtn.addEventListener('click', () => void applyPlan());
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
  canvas.addEventListener('mouseleave', () => {
    tooltip.hidden = true;
  });

  // For tests and the curious: what is drawn, and where a cell is on screen.
  /** @type {any} */ (window).irqkitDashboard = {
    snapshot() {
      const d = state.dist;
      return {
        seq: state.seq,
        rows: state.irqRows,
        cols: d ? d.cpus.length : 0,
        groups: state.groups,
        window: state.window,
        windowInfo: d ? d.window : null,
        totalRate: d ? d.ratePerSecond : null,
        cpuRates: d ? d.cpuTotals.map((c) => [c.cpu, c.ratePerSecond]) : [],
        readOnly: state.readOnly,
        planMoves: state.plan ? state.plan.moves : null,
        auto: state.auto
          ? { enabled: state.auto.enabled, paused: state.auto.paused, rounds: state.auto.rounds.length }
          : null,
        rowHeight: state.rh,
        colWidth: state.cw,
        drawMs: state.drawMs,
      };
    },
    /** Scrolls the cell into view and returns its centre in viewport coordinates. */
    cellCenter(/** @type {string} */ irq, /** @type {number} */ cpu) {
      const d = state.dist;
      const item = state.items.find((i) => i.kind === 'irq' && i.row.irq === irq);
      const col = d ? d.cpus.indexOf(cpu) : -1;
      if (!d || !item || col < 0) return null;
      const rect0 = canvas.getBoundingClientRect();
      scroller.scrollTop = Math.max(0, item.y - (rect0.height - TOP) / 2);
      scroller.scrollLeft = Math.max(0, col * state.cw - (rect0.width - LABEL_W) / 2);
      draw();
      const rect = canvas.getBoundingClientRect();
      return {
        x: rect.left + LABEL_W + col * state.cw - scroller.scrollLeft + state.cw / 2,
        y: rect.top + TOP + item.y - scroller.scrollTop + item.h / 2,
      };
    },
  };

  selectWindow(state.window);
  renderPlan();
  loadHealth()
    .catch((e) => showError(`Cannot reach irqkitd: ${e instanceof Error ? e.message : String(e)}`))
    .finally(() => {
      void tick();
      void loadInfo();
      setInterval(() => void loadInfo(), INFO_REFRESH_MS);
      void loadAuto();
      setInterval(() => void loadAuto(), AUTO_REFRESH_MS);
      void computePlan();
    });
})();
