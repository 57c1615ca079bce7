// The demo's charts, drawn with uPlot: relative-error histograms (log10 bins, one y-scale shared
// by both), the logit difference bars and the accuracy-vs-M sweep lines. Colors come from the
// element's CSS custom properties, so the charts follow the light and dark schemes; every chart
// resizes with its box. A chart is built when its box comes near the viewport and the browser is
// idle (uPlot itself is loaded then), so a page that never scrolls to it never pays for it; data
// set before that is kept. Each chart exports itself as PNG (its canvas) and SVG (svg-chart.js).
import { svgChart } from './svg-chart.js';

let uPlotModule = null;
const loadUPlot = () => (uPlotModule ??= import('uplot').then((m) => m.default));

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
export const pow10Label = (e) => (e === 0 ? '1' : '10' + String(e).replace(/./g, (c) => SUPERSCRIPT[c] ?? c));
// A true minus sign, so "−0.0005" never reads as "0.0005".
const minus = (text) => String(text).replace('-', '−');

function palette(host) {
  const cs = getComputedStyle(host);
  const v = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--lmd-muted', '#555'),
    ink: v('--lmd-text', '#111'),
    grid: v('--lmd-grid', 'rgba(128,128,128,.25)'),
    exact: v('--lmd-c-exact', '#444'),
    float: v('--lmd-c-float', '#2563eb'),
    lmul: v('--lmd-c-lmul', '#c2410c'),
    surface: v('--lmd-surface', '#fff'),
    family: v('--lmd-font', 'system-ui, sans-serif'),
    font: `12px ${v('--lmd-font', 'system-ui, sans-serif')}`,
  };
}

// The space an axis needs for its widest tick label (measured in this font), its ticks and a
// margin, so no label is ever clipped at the canvas edge.
const measure = (() => {
  let ctx = null;
  return (font, text) => {
    ctx ??= document.createElement('canvas').getContext('2d');
    ctx.font = font;
    return ctx.measureText(text).width;
  };
})();
const autoSize = (p) => (u, values) => Math.ceil(4 + 6 + 6 + Math.max(0, ...(values ?? []).map((v) => measure(p.font, String(v ?? '')))));

function axis(p, extra = {}) {
  return {
    stroke: p.text,
    font: p.font,
    labelFont: p.font,
    grid: { stroke: p.grid, width: 1 },
    ticks: { stroke: p.grid, width: 1, size: 4 },
    gap: 6,
    ...extra,
  };
}

const compact = (v) => minus(Math.abs(v) >= 1e4 ? `${+(v / 1e3).toFixed(0)}k` : Math.abs(v) >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : String(+v.toFixed(2)));

// About `count` round ticks from min to max: multiples of 1, 2 or 5 x 10^k.
export function niceTicks(min, max, count = 4) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

// A uPlot chart that follows its container's width, is built lazily and can be rebuilt for a
// new theme. spec: { height, options(p, chart) -> uPlot options, data, describe(u, p) -> the
// SVG description's axes and series (svg-chart.js) }.
class Chart {
  #idle = 0;
  #visible = null;
  #near = false;
  #building = null;
  constructor(container, host, spec) {
    this.container = container;
    this.host = host;
    this.spec = spec;
    this.data = spec.data;
    this.hidden = new Set(); // series indices switched off (legend buttons)
    this.plot = null;
    this.ro = new ResizeObserver(() => {
      const w = this.#width();
      if (this.plot && w !== this.plot.width) this.plot.setSize({ width: w, height: spec.height });
    });
    this.ro.observe(container);
    this.#visible = new IntersectionObserver((entries) => {
      this.#near = entries.some((e) => e.isIntersecting);
      if (this.#near) this.#schedule();
    }, { rootMargin: '200px' });
    this.#visible.observe(container);
  }
  #width() {
    return Math.max(160, Math.floor(this.container.clientWidth || 300));
  }
  #schedule() {
    if (this.plot || this.#idle || this.#building) return;
    const idle = globalThis.requestIdleCallback ?? ((f) => setTimeout(f, 16));
    this.#idle = idle(() => {
      this.#idle = 0;
      this.ready().catch(() => {}); // a failed import shows as an empty chart; ready() callers see it
    }, { timeout: 2000 });
  }
  #cancelIdle() {
    if (!this.#idle) return;
    (globalThis.cancelIdleCallback ?? clearTimeout)(this.#idle);
    this.#idle = 0;
  }
  // Resolves once the chart is drawn (builds it now if it was not yet).
  ready() {
    if (this.plot) return Promise.resolve(this);
    this.#cancelIdle();
    this.#building ??= loadUPlot().then((uPlot) => {
      this.#building = null;
      if (!this.ro) throw new Error('the chart was removed');
      this.uPlot = uPlot;
      this.build();
      return this;
    });
    return this.#building;
  }
  // (Re)draws with the current colors; a chart not built yet is left for later.
  build() {
    if (!this.uPlot) return;
    this.plot?.destroy();
    this.container.textContent = '';
    this.palette = palette(this.host);
    const opts = this.spec.options(this.palette, this, this.uPlot);
    this.plot = new this.uPlot({ width: this.#width(), height: this.spec.height, ...opts }, this.data, this.container);
    for (const i of this.hidden) this.plot.setSeries(i, { show: false });
  }
  setData(data) {
    this.data = data;
    this.plot?.setData(data);
  }
  // Redraws with the same data (a scale that depends on something else changed).
  redraw() {
    this.plot?.setData(this.data);
  }
  show(i, on) {
    if (on) this.hidden.delete(i);
    else this.hidden.add(i);
    this.plot?.setSeries(i, { show: on });
  }
  destroy() {
    this.#cancelIdle();
    this.ro?.disconnect();
    this.ro = null;
    this.#visible?.disconnect();
    this.#visible = null;
    this.plot?.destroy();
    this.plot = null;
  }

  // The chart as a PNG: its canvas under a title line, on the card's background.
  async png(title) {
    await this.ready();
    const src = this.plot.ctx.canvas, p = this.palette;
    const dpr = src.width / this.plot.width;
    const head = Math.round(28 * dpr);
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height + head;
    const ctx = c.getContext('2d');
    ctx.fillStyle = p.surface;
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.fillStyle = p.ink;
    ctx.font = `600 ${14 * dpr}px ${p.family}`;
    ctx.textBaseline = 'middle';
    ctx.fillText(title, 8 * dpr, head / 2);
    ctx.drawImage(src, 0, head);
    return new Promise((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))), 'image/png'));
  }

  // The chart as SVG text, from its data and scales.
  async svg(title) {
    await this.ready();
    const u = this.plot, p = this.palette;
    const d = this.spec.describe(u, p, this);
    return svgChart({ title, width: u.width, height: u.height + 40, background: p.surface, text: p.text, grid: p.grid, font: p.family, ...d });
  }
}

// Histogram of relative errors: errors.histogram = { edges, counts } with edges[0] = 0 (the
// "below 1e-8" bin, exact products included) and a last edge of Infinity (off by 100 % or more).
export function binCenters(edges) {
  const inner = edges.filter((e) => e > 0 && Number.isFinite(e)).map(Math.log10);
  const width = inner.length > 1 ? inner[1] - inner[0] : 0.25;
  const xs = [];
  for (let k = 0; k + 1 < edges.length; ++k) {
    const lo = edges[k], hi = edges[k + 1];
    if (!(lo > 0)) xs.push(Math.log10(hi) - width / 2);
    else if (!Number.isFinite(hi)) xs.push(Math.log10(lo) + width / 2);
    else xs.push((Math.log10(lo) + Math.log10(hi)) / 2);
  }
  return xs;
}

const HIST_X = [-8, -7, -6, -5, -4, -3, -2, -1, 0];
const histLabel = (v, narrow) => (narrow && v % 2 ? '' : pow10Label(v));

// Both histograms read their y-range from `shared.yMax` (set by the caller to the larger of the
// two largest bins), so equal heights mean equal counts. Data: [x, all products, attention
// products]: a transformer's attention products are drawn over the foot of each bar in the text
// color, so a bar reads as attention (below) and linear (above) products; an MLP has none.
export function histogramChart(container, host, color, shared) {
  const yRange = () => [0, Math.max(1, shared.yMax) * 1.08];
  return new Chart(container, host, {
    height: 170,
    data: [[], []],
    options: (p, chart, uPlot) => ({
      legend: { show: false },
      cursor: { show: false },
      padding: [8, 8, 0, 0],
      scales: { x: { time: false, range: [-8.5, 0.5] }, y: { range: yRange } },
      axes: [
        axis(p, {
          splits: () => HIST_X,
          values: (u, splits) => splits.map((v) => histLabel(v, u.bbox.width / devicePixelRatio < 280)),
          size: 26, label: 'relative error of a product', labelSize: 18, labelGap: 0,
        }),
        axis(p, { splits: (u, i, min, max) => niceTicks(min, max), values: (u, splits) => splits.map(compact), size: autoSize(p), label: 'products', labelSize: 18 }),
      ],
      series: [{}, { label: 'products', stroke: p[color], fill: p[color], width: 0, paths: uPlot.paths.bars({ size: [0.92, Infinity, 1], align: 0 }), points: { show: false } },
        { label: 'attention products', stroke: p.ink, fill: p.ink, width: 0, paths: uPlot.paths.bars({ size: [0.92, Infinity, 1], align: 0 }), points: { show: false } }],
    }),
    describe: (u, p) => {
      const [lo, hi] = yRange();
      const [xs, ys, att = []] = chartData(u);
      const bars = (label, c, vs) => ({ label, color: c, kind: 'bars', width: 0.25 * 0.92, values: xs.map((x, i) => [x, vs[i] ?? 0]) });
      const kinds = att.some((v) => v > 0);
      return {
        x: { min: -8.5, max: 0.5, title: 'relative error of a product', ticks: HIST_X.map((v) => [v, pow10Label(v)]) },
        y: { min: lo, max: hi, title: 'products', ticks: niceTicks(lo, hi).map((v) => [v, compact(v)]) },
        series: kinds ? [bars('linear products (above)', p[color], ys), bars('attention products', p.ink, att)] : [bars('products', p[color], ys)],
      };
    },
  });
}
const chartData = (u) => u.data.map((s) => Array.from(s ?? []));

// errors: all products' statistics; attention: the attention products' (null: none).
export function histogramData(errors, attention = null) {
  const { edges, counts } = errors.histogram;
  const xs = binCenters(Array.from(edges));
  return [xs, Array.from(counts, Number), attention ? Array.from(attention.histogram.counts, Number) : xs.map(() => null)];
}

// Smallest of 1, 2, 2.5, 5 x 10^k that is >= v (v > 0), so that +-m/2 are round numbers too.
function niceCeil(v) {
  if (!(v > 1e-6)) return 1e-3;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

const CLASSES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const logitSplits = (m) => [-m, -m / 2, 0, m / 2, m];
const logitLabel = (v) => minus(+v.toPrecision(2));

// Logit of each class minus the exact network's logit, for Float (left bar) and L-Mul (right).
export function logitChart(container, host) {
  const range = (min, max) => { const m = niceCeil(Math.max(Math.abs(min ?? 0), Math.abs(max ?? 0)) * 1.1); return [-m, m]; };
  return new Chart(container, host, {
    height: 170,
    data: [CLASSES, new Array(10).fill(0), new Array(10).fill(0)],
    options: (p, chart, uPlot) => ({
      legend: { show: false },
      cursor: { show: false },
      padding: [8, 8, 0, 0],
      scales: { x: { time: false, range: [-0.6, 9.6] }, y: { range: (u, min, max) => range(min, max) } },
      axes: [
        axis(p, { splits: () => CLASSES, values: (u, s) => s.map(String), size: 24, grid: { show: false }, label: 'digit', labelSize: 18, labelGap: 0 }),
        axis(p, {
          splits: (u) => logitSplits(u.scales.y.max),
          values: (u, splits) => splits.map(logitLabel),
          size: autoSize(p), label: 'logit − exact', labelSize: 18,
        }),
      ],
      series: [
        {},
        { label: 'Float − exact', stroke: p.float, fill: p.float, width: 0, paths: uPlot.paths.bars({ size: [0.4, Infinity, 1], align: -1 }), points: { show: false } },
        { label: 'L-Mul − exact', stroke: p.lmul, fill: p.lmul, width: 0, paths: uPlot.paths.bars({ size: [0.4, Infinity, 1], align: 1 }), points: { show: false } },
      ],
    }),
    describe: (u, p) => {
      const [xs, f, l] = chartData(u);
      const m = u.scales.y.max;
      return {
        x: { min: -0.6, max: 9.6, title: 'digit', ticks: CLASSES.map((v) => [v, String(v)]) },
        y: { min: -m, max: m, title: 'logit − exact', ticks: logitSplits(m).map((v) => [v, logitLabel(v)]) },
        series: [
          { label: 'Float − exact', color: p.float, kind: 'bars', width: 0.4, offset: -0.2, values: xs.map((x, i) => [x, f[i]]) },
          { label: 'L-Mul − exact', color: p.lmul, kind: 'bars', width: 0.4, offset: 0.2, values: xs.map((x, i) => [x, l[i]]) },
        ],
      };
    },
  });
}

export function logitData(exact, float, lmul) {
  return [CLASSES, CLASSES.map((k) => float[k] - exact[k]), CLASSES.map((k) => lmul[k] - exact[k])];
}

// The sweep chart's lines: [{ label, color (a palette key), dash?, points? }], in data order
// after M. compare = { tunedM, baseName } adds the base model's L-Mul curve beside the
// fine-tuned model's (the legend buttons and the chart both use this list).
export function sweepSeries(compare = null) {
  const s = [
    { label: compare ? 'Exact fp32 (fine-tuned)' : 'Exact fp32', color: 'exact', dash: [6, 4] },
    { label: compare ? 'Float, fine-tuned' : 'Float (M bits)', color: 'float', points: true },
    { label: compare ? 'L-Mul, fine-tuned' : 'L-Mul (M bits)', color: 'lmul', points: true },
  ];
  if (compare) s.push({ label: `L-Mul, base (${compare.baseName})`, color: 'lmul', dash: [5, 4], points: true, hollow: true });
  return s;
}

const pctTick = (v) => `${+v.toFixed(1)} %`;

// Accuracy (%) against M: exact (flat, dashed), Float(M) and L-Mul(M); null = not measured yet.
// compare = { tunedM, baseName } also marks the M a fine-tune was tuned for (tunedM null: not on
// this axis).
export function sweepChart(container, host, Ms, compare = null) {
  const blank = Ms.map(() => null);
  const lines = sweepSeries(compare);
  const yRange = (min, max) => (min == null ? [0, 100] : [Math.max(0, Math.floor(min - 2)), Math.min(100, Math.ceil(max + 1))]);
  const marker = (p) => ({
    hooks: {
      draw: [(u) => {
        const m = compare?.tunedM;
        if (m == null) return;
        const { ctx } = u, dpr = devicePixelRatio || 1;
        const x = Math.round(u.valToPos(m, 'x', true));
        const top = u.bbox.top, bottom = u.bbox.top + u.bbox.height;
        ctx.save();
        ctx.strokeStyle = p.lmul;
        ctx.globalAlpha = 0.7;
        ctx.lineWidth = dpr;
        ctx.setLineDash([3 * dpr, 3 * dpr]);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.globalAlpha = 1;
        ctx.fillStyle = p.lmul;
        ctx.font = `600 ${11 * dpr}px ${p.family}`;
        ctx.textBaseline = 'bottom';
        // Above the plot area (the top padding), centered on the line but kept on the canvas.
        const label = `tuned M=${m}`;
        const w = ctx.measureText(label).width;
        const lx = Math.min(Math.max(x - w / 2, 0), u.ctx.canvas.width - w);
        ctx.textAlign = 'left';
        ctx.fillText(label, lx, top - 3 * dpr);
        ctx.restore();
      }],
    },
  });
  return new Chart(container, host, {
    height: 240,
    data: [Ms, ...lines.map(() => blank)],
    options: (p) => ({
      legend: { show: false }, // the legend is buttons outside the canvas (sweep-controller.js)
      cursor: { show: true, drag: { x: false, y: false }, points: { size: 7 } },
      padding: [compare ? 20 : 10, 12, 0, 0],
      scales: { x: { time: false, range: [Ms[0] - 0.3, Ms[Ms.length - 1] + 0.3] }, y: { range: (u, min, max) => yRange(min, max) } },
      axes: [
        axis(p, { splits: () => Ms, values: (u, s) => s.map(String), size: 24, label: 'mantissa bits M', labelSize: 18, labelGap: 0 }),
        axis(p, { splits: (u, i, min, max) => niceTicks(min, max), values: (u, s) => s.map(pctTick), size: autoSize(p), label: 'accuracy', labelSize: 18 }),
      ],
      series: [{ label: 'M' }, ...lines.map((l) => ({
        label: l.label, stroke: p[l.color], width: l.hollow ? 1.5 : 2, dash: l.dash,
        points: l.points ? { show: true, size: 6, width: l.hollow ? 1.5 : 1, fill: l.hollow ? p.surface : p[l.color] } : { show: false },
      }))],
      plugins: compare ? [marker(p)] : [],
    }),
    describe: (u, p, chart) => {
      const data = chartData(u);
      const { min, max } = u.scales.y;
      return {
        x: { min: Ms[0] - 0.3, max: Ms[Ms.length - 1] + 0.3, title: 'mantissa bits M', ticks: Ms.map((v) => [v, String(v)]) },
        y: { min, max, title: 'accuracy', ticks: niceTicks(min, max).map((v) => [v, pctTick(v)]) },
        series: lines.map((l, i) => ({ label: l.label, color: p[l.color], kind: 'line', dash: l.dash, points: l.points, i: i + 1 }))
          .filter((s) => !chart.hidden.has(s.i))
          .map(({ i, ...s }) => ({ ...s, values: data[0].map((x, k) => [x, data[i][k]]) })),
        markers: compare?.tunedM != null ? [{ x: compare.tunedM, label: `tuned M=${compare.tunedM}`, color: p.lmul }] : [],
      };
    },
  });
}
