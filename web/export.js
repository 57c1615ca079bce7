// Files the demo hands out: a sweep as CSV and JSON (pure), and the download of a Blob through
// a temporary link (one object URL alive at a time, revoked by the next download or release()).

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
  release() {
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = null;
  }
}
