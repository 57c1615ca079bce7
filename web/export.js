// Files the demo hands out: a sweep as CSV and JSON and a chart's title and file name (pure), the
// download of a Blob or a chart through a temporary link (one object URL alive at a time,
// revoked by the next download or release()), and the charts' export buttons.

// A sweep: { model: { id, name }, base: { id, name } | null, settings: { E, rounding, variant,
// method }, plan (the L-Mul column's, CLI grammar), images, state ('done' | 'cancelled' |
// 'failed'), exact, baseExact, rows: [{ M, float, lmul, base, complete }] } (accuracies in
// [0, 1], null where not measured).

const CSV_COLUMNS = ['model', 'E', 'rounding', 'method', 'plan', 'images', 'state', 'exact_fp32', 'M', 'float', 'lmul', 'lmul_base', 'base_exact_fp32', 'complete'];

// RFC 4180 quoting; a text that a spreadsheet would run as a formula starts with a quote mark.
function csvField(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(+v.toFixed(6));
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function sweepCsv(sweep) {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of sweep.rows) {
    const row = [sweep.model.name, sweep.settings.E, sweep.settings.rounding, sweep.settings.method, sweep.plan, sweep.images,
      sweep.state, sweep.exact, r.M, r.float, r.lmul, sweep.base ? r.base : null, sweep.base ? sweep.baseExact : null, r.complete];
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function sweepJson(sweep) {
  return `${JSON.stringify({ format: 'lmul-wasm sweep 1', ...sweep }, null, 2)}\n`;
}

// 'Seed MLP 784-128-10' -> 'seed-mlp-784-128-10'
export const slug = (text) => String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'lmul';

const CHART_TITLES = {
  'hist-float': 'Float: relative error of every product',
  'hist-lmul': 'L-Mul: relative error of every product',
  logits: 'Logit difference to exact, per class',
  sweep: 'Test-set accuracy against M',
};

// The export of chart `name` ('hist-float', 'hist-lmul', 'logits' or 'sweep') of model
// `modelName` under settings { E, M, variant, rounding }: { title (drawn in the image), file (its
// name without the extension) }.
export function chartExport(name, modelName, { E, M, variant, rounding }) {
  return {
    title: `${CHART_TITLES[name]} — ${modelName ?? ''}, E${E}M${M}, ${variant}, ${rounding}`,
    file: `lmul-${name}-${slug(modelName ?? 'model')}-E${E}M${M}`,
  };
}

// The charts' export buttons under root (button[data-chart][data-export="png" or "svg"]): chart(name)
// is the Chart (null while there is none), naming(name) its chartExport(); onError(err) hears
// of a failed export.
export function wireChartExports(root, downloads, { chart, naming, onError }) {
  root.addEventListener('click', (e) => {
    const button = e.target.closest?.('button[data-export]');
    const c = button && chart(button.dataset.chart);
    if (c) downloads.saveChart(c, button.dataset.export, naming(button.dataset.chart)).catch(onError);
  });
}

export class Downloads {
  #url = null;
  #root;
  constructor(root) {
    this.#root = root;
  }
  // Saves blob as `filename` (the browser's download).
  save(filename, blob) {
    this.release();
    this.#url = URL.createObjectURL(blob);
    const a = Object.assign(document.createElement('a'), { href: this.#url, download: filename, hidden: true });
    this.#root.append(a);
    a.click();
    a.remove();
  }
  // A chart (charts.js) as kind 'png' or 'svg', named by chartExport().
  async saveChart(chart, kind, { title, file }) {
    if (kind === 'png') this.save(`${file}.png`, await chart.png(title));
    else this.save(`${file}.svg`, new Blob([await chart.svg(title)], { type: 'image/svg+xml' }));
  }
  release() {
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = null;
  }
}
