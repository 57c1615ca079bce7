// The demo's charts, drawn with uPlot: relative-error histograms (log10 bins), the logit
// difference bars and the accuracy-vs-M sweep lines. Colors come from the element's CSS custom
// properties, so the charts follow the light and dark schemes; every chart resizes with its box.
import uPlot from 'uplot';

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
export const pow10Label = (e) => (e === 0 ? '1' : '10' + String(e).replace(/./g, (c) => SUPERSCRIPT[c] ?? c));

function palette(host) {
  const cs = getComputedStyle(host);
  const v = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--lmd-muted', '#555'),
    grid: v('--lmd-grid', 'rgba(128,128,128,.25)'),
    exact: v('--lmd-c-exact', '#444'),
    float: v('--lmd-c-float', '#2563eb'),
    lmul: v('--lmd-c-lmul', '#c2410c'),
    surface: v('--lmd-surface', '#fff'),
    font: `12px ${v('--lmd-font', 'system-ui, sans-serif')}`,
  };
}

function axis(p, extra = {}) {
  return {
    stroke: p.text,
    font: p.font,
    labelFont: p.font,
    grid: { stroke: p.grid, width: 1 },
    ticks: { stroke: p.grid, width: 1, size: 4 },
    ...extra,
  };
}

const compact = (v) => (Math.abs(v) >= 1e4 ? `${+(v / 1e3).toFixed(0)}k` : Math.abs(v) >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : String(+v.toFixed(2)));

// One uPlot instance that follows its container's width and can be rebuilt for a new theme.
class Chart {
  constructor(container, host, height, makeOpts, data) {
    this.container = container;
    this.host = host;
    this.height = height;
    this.makeOpts = makeOpts;
    this.data = data;
    this.build();
    this.ro = new ResizeObserver(() => {
      const w = this.#width();
      if (this.plot && w !== this.plot.width) this.plot.setSize({ width: w, height: this.height });
    });
    this.ro.observe(container);
  }
  #width() {
    return Math.max(160, Math.floor(this.container.clientWidth || 300));
  }
  build() {
    this.plot?.destroy();
    const opts = this.makeOpts(palette(this.host));
    this.plot = new uPlot({ width: this.#width(), height: this.height, ...opts }, this.data, this.container);
  }
  setData(data) {
    this.data = data;
    this.plot.setData(data);
  }
  destroy() {
    this.ro.disconnect();
    this.plot?.destroy();
    this.plot = null;
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

export function histogramChart(container, host, color) {
  const empty = [[], []];
  return new Chart(container, host, 150, (p) => ({
    legend: { show: false },
    cursor: { show: false },
    padding: [8, 8, 0, 0],
    scales: {
      x: { time: false, range: [-8.5, 0.5] },
      y: { range: (u, min, max) => [0, Math.max(1, max) * 1.08] },
    },
    axes: [
      axis(p, {
        splits: () => [-8, -7, -6, -5, -4, -3, -2, -1, 0],
        values: (u, splits) => splits.map((v) => (u.bbox.width / devicePixelRatio < 280 && v % 2 ? '' : pow10Label(v))),
        size: 30,
      }),
      axis(p, { values: (u, splits) => splits.map(compact), size: 40 }),
    ],
    series: [{}, { label: 'products', stroke: p[color], fill: p[color], width: 0, paths: uPlot.paths.bars({ size: [0.92, Infinity, 1], align: 0 }), points: { show: false } }],
  }), empty);
}

export function histogramData(errors) {
  const { edges, counts } = errors.histogram;
  return [binCenters(Array.from(edges)), Array.from(counts, Number)];
}

// Smallest of 1, 2, 2.5, 5 x 10^k that is >= v (v > 0), so that +-m/2 are round numbers too.
function niceCeil(v) {
  if (!(v > 1e-6)) return 1e-3;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

// Logit of each class minus the exact network's logit, for Float (left bar) and L-Mul (right).
export function logitChart(container, host) {
  return new Chart(container, host, 140, (p) => ({
    legend: { show: false },
    cursor: { show: false },
    padding: [8, 8, 0, 0],
    scales: {
      x: { time: false, range: [-0.6, 9.6] },
      y: { range: (u, min, max) => { const m = niceCeil(Math.max(Math.abs(min ?? 0), Math.abs(max ?? 0)) * 1.1); return [-m, m]; } },
    },
    axes: [
      axis(p, { splits: () => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], values: (u, s) => s.map(String), size: 28, grid: { show: false } }),
      axis(p, {
        splits: (u) => { const m = u.scales.y.max; return [-m, -m / 2, 0, m / 2, m]; },
        values: (u, splits) => splits.map((v) => String(+v.toPrecision(2)).replace('-', '−')),
        size: 52,
      }),
    ],
    series: [
      {},
      { label: 'Float − exact', stroke: p.float, fill: p.float, width: 0, paths: uPlot.paths.bars({ size: [0.4, Infinity, 1], align: -1 }), points: { show: false } },
      { label: 'L-Mul − exact', stroke: p.lmul, fill: p.lmul, width: 0, paths: uPlot.paths.bars({ size: [0.4, Infinity, 1], align: 1 }), points: { show: false } },
    ],
  }), [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], new Array(10).fill(0), new Array(10).fill(0)]);
}

export function logitData(exact, float, lmul) {
  const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  return [xs, xs.map((k) => float[k] - exact[k]), xs.map((k) => lmul[k] - exact[k])];
}

// Accuracy (%) against M: exact (flat, dashed), Float(M) and L-Mul(M); null = not measured yet.
// compare = { tunedM, baseName } adds the base model's L-Mul curve (dashed, hollow points) beside
// the fine-tuned model's, and marks the M it was tuned for (tunedM null: not on this axis).
export function sweepChart(container, host, Ms, compare = null) {
  const blank = Ms.map(() => null);
  const pctValue = (u, v) => (v == null ? '—' : `${v.toFixed(2)} %`);
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
        ctx.font = `600 ${p.font.replace(/^\d+px/, `${11 * dpr}px`)}`;
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
  const series = (p) => {
    const s = [
      { label: 'M' },
      { label: compare ? 'Exact fp32 (fine-tuned)' : 'Exact fp32', stroke: p.exact, width: 2, dash: [6, 4], points: { show: false }, value: pctValue },
      { label: compare ? 'Float, fine-tuned' : 'Float (M bits)', stroke: p.float, width: 2, points: { show: true, size: 6, fill: p.float }, value: pctValue },
      { label: compare ? 'L-Mul, fine-tuned' : 'L-Mul (M bits)', stroke: p.lmul, width: 2, points: { show: true, size: 6, fill: p.lmul }, value: pctValue },
    ];
    if (compare) s.push({ label: `L-Mul, base (${compare.baseName})`, stroke: p.lmul, width: 1.5, dash: [5, 4], points: { show: true, size: 6, width: 1.5, fill: p.surface }, value: pctValue });
    return s;
  };
  return new Chart(container, host, compare ? 240 : 220, (p) => ({
    legend: { show: true, live: false },
    cursor: { show: true, drag: { x: false, y: false }, points: { size: 7 } },
    padding: [compare ? 20 : 10, 12, 0, 0],
    scales: {
      x: { time: false, range: [Ms[0] - 0.3, Ms[Ms.length - 1] + 0.3] },
      y: { range: (u, min, max) => (min == null ? [0, 100] : [Math.max(0, Math.floor(min - 2)), Math.min(100, Math.ceil(max + 1))]) },
    },
    axes: [
      axis(p, { splits: () => Ms, values: (u, s) => s.map(String), size: 24, label: 'mantissa bits M', labelSize: 20, labelGap: 0 }),
      axis(p, { values: (u, s) => s.map((v) => `${+v.toFixed(1)} %`), size: 56 }),
    ],
    series: series(p),
    plugins: compare ? [marker(p)] : [],
  }), compare ? [Ms, blank, blank, blank, blank] : [Ms, blank, blank, blank]);
}
