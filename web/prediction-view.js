// The prediction view: the three columns (digit, confidence, "≠ exact" mark, probability bars)
// and their digits in the phone strip under the pad, the error histograms (one shared y-scale)
// with their statistics, the logit-difference chart and the 28×28 input preview, in one of three
// states: blank (nothing drawn), a prediction, or a failed predict (its error where the
// predictions are, and no digits left from before). Also the screen-reader line.
import { histogramChart, histogramData, logitChart, logitData } from './charts.js';
import { int, pct, relErr, signed } from './format.js';
import { parseColor } from './drawing.js';

const HISTS = ['float', 'lmul'];
const ZEROS = new Array(10).fill(0);

export class PredictionView {
  #refs;
  #host;
  #charts = null;
  #scale = { yMax: 1 }; // the histograms' shared y-range

  constructor(refs, host) {
    this.#refs = refs;
    this.#host = host;
  }

  // Charts follow their boxes' sizes (ResizeObservers) from connect() to disconnect().
  connect() {
    const r = this.#refs;
    this.#charts ??= {
      float: histogramChart(r.hists.float.chart, this.#host, 'float', this.#scale),
      lmul: histogramChart(r.hists.lmul.chart, this.#host, 'lmul', this.#scale),
      logits: logitChart(r.logitChart, this.#host),
    };
  }
  // 'hist-float', 'hist-lmul' or 'logits' -> its Chart (null while disconnected).
  chart(name) {
    return this.#charts?.[{ 'hist-float': 'float', 'hist-lmul': 'lmul', logits: 'logits' }[name]] ?? null;
  }
  disconnect() {
    for (const c of Object.values(this.#charts ?? {})) c.destroy();
    this.#charts = null;
  }
  retheme() {
    for (const c of Object.values(this.#charts ?? {})) c.build();
  }

  // Column and histogram titles for settings { E, M, rounding, variant }.
  label(s) {
    const r = this.#refs, fmt = `E${s.E}M${s.M}`;
    r.cols.exact.fmt.textContent = 'reference';
    r.cols.float.fmt.textContent = `${fmt} · ${s.rounding}`;
    r.cols.lmul.fmt.textContent = `${fmt} · ${s.variant} · ${s.rounding}`;
    r.hists.float.title.textContent = `Float ${fmt}`;
    r.hists.lmul.title.textContent = `L-Mul ${fmt} (${s.variant})`;
  }

  showBlank() {
    this.#clear('draw a digit');
  }

  // A predict that failed: the message where the predictions are, and every column emptied.
  showError(message) {
    this.#clear('no prediction');
    this.#refs.predError.textContent = message;
    this.#refs.predError.hidden = false;
  }

  // { exact, float, lmul }: three results of model.predict.
  show({ exact, float, lmul }) {
    this.#refs.predError.hidden = true;
    this.#column('exact', exact, exact.digit);
    this.#column('float', float, exact.digit);
    this.#column('lmul', lmul, exact.digit);
    const top = (e) => (e ? Math.max(0, ...e.histogram.counts) : 0);
    this.#scale.yMax = Math.max(top(float.errors), top(lmul.errors));
    for (const [name, r] of [['float', float], ['lmul', lmul]]) this.#histogram(name, r.errors, r.errorsByKind?.attention ?? null);
    this.#charts?.logits.setData(logitData(exact.logits, float.logits, lmul.logits));
  }

  // The network input on the 28×28 preview canvas (null: paper only). The pixels are computed
  // from the two colors: reading the canvas back would wait for its rendering (10-20 ms on the
  // way to the first prediction).
  drawInput(input, { ink, paper }) {
    const ctx = this.#refs.preview.getContext('2d');
    if (!input) {
      ctx.fillStyle = paper;
      ctx.fillRect(0, 0, 28, 28);
      return;
    }
    const img = ctx.createImageData(28, 28);
    const paperRGB = parseColor(paper), inkRGB = parseColor(ink);
    for (let i = 0; i < 784; ++i) {
      const a = input[i];
      for (let c = 0; c < 3; ++c) img.data[4 * i + c] = Math.round(paperRGB[c] * (1 - a) + inkRGB[c] * a);
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  #clear(note) {
    const r = this.#refs;
    r.predError.hidden = true;
    r.predError.textContent = '';
    for (const col of Object.values(r.cols)) {
      col.digit.textContent = '–';
      col.strip.querySelector('b').textContent = '–';
      col.strip.dataset.disagrees = 'false';
      col.el.dataset.blank = 'true';
      col.conf.textContent = '';
      col.mark.hidden = true;
      col.el.dataset.disagrees = 'false';
      col.rows.forEach((row, k) => {
        row.classList.remove('top');
        col.fills[k].style.setProperty('--p', 0);
        col.vals[k].textContent = '0.00';
      });
    }
    for (const name of HISTS) this.#emptyHistogram(name, note);
    this.#scale.yMax = 1;
    this.#charts?.logits.setData(logitData(ZEROS, ZEROS, ZEROS));
  }

  #column(method, r, exactDigit) {
    const col = this.#refs.cols[method];
    const finite = r.digit !== null; // null: the forward pass overflowed
    col.digit.textContent = finite ? String(r.digit) : '–';
    col.strip.querySelector('b').textContent = col.digit.textContent;
    col.el.dataset.blank = String(!finite);
    col.conf.textContent = finite ? pct(r.probs[r.digit], 1) : 'overflow';
    const disagrees = r.digit !== exactDigit;
    col.mark.hidden = !disagrees;
    col.el.dataset.disagrees = String(disagrees);
    col.strip.dataset.disagrees = String(disagrees);
    for (let k = 0; k < 10; ++k) {
      const p = r.probs[k];
      col.fills[k].style.setProperty('--p', Number.isFinite(p) ? Math.max(0, Math.min(1, p)).toFixed(4) : 0);
      col.vals[k].textContent = p.toFixed(2);
      col.rows[k].classList.toggle('top', k === r.digit);
    }
  }

  #emptyHistogram(name, note) {
    const h = this.#refs.hists[name];
    h.el.dataset.count = '0';
    h.stats.replaceChildren();
    h.note.textContent = note;
    this.#charts?.[name].setData([[], [], []]);
  }

  // e: the statistics of every product; attention: of the attention products alone (a
  // transformer's, when they are approximate), drawn at the foot of the bars.
  #histogram(name, e, attention) {
    if (!e) return this.#emptyHistogram(name, 'exact: no approximate products'); // an all-exact setting
    const h = this.#refs.hists[name];
    h.el.dataset.count = String(e.count);
    h.el.dataset.attention = String(attention?.count ?? 0);
    h.note.textContent = `${int(e.count)} products + ${int(e.zeros)} with an exact zero` +
      (attention ? `; the dark foot of each bar: ${int(attention.count)} attention products` : '');
    const rows = [['count', int(e.count)], ['mean', relErr(e.mean)], ['median', relErr(e.median)],
      ['max', relErr(e.max)], ['bias', signed(e.bias)], ['zeros', int(e.zeros)]];
    h.stats.replaceChildren(...rows.map(([k, v]) => {
      const div = document.createElement('div'), dt = document.createElement('dt'), dd = document.createElement('dd');
      dt.textContent = k;
      dd.textContent = v;
      div.append(dt, dd);
      return div;
    }));
    this.#charts?.[name].setData(histogramData(e, attention));
    h.chart.setAttribute('aria-label',
      `Histogram of ${int(e.count)} relative errors: mean ${relErr(e.mean)}, median ${relErr(e.median)}, max ${relErr(e.max)}`);
  }
}

// What a screen reader hears after a change: predictions is { exact, float, lmul } or null.
export function summary(predictions, fmt, padEmpty) {
  if (!predictions) return padEmpty ? '' : 'No ink detected.';
  const say = (name, r) => (r.digit === null ? `${name} predicts nothing (the pass overflowed)` : `${name} predicts ${r.digit} (${Math.round(r.probs[r.digit] * 100)} %)`) +
    (r.digit !== predictions.exact.digit ? ', disagrees with exact' : '');
  return `${say('Exact fp32', predictions.exact)}. ${say(`Float ${fmt}`, predictions.float)}. ${say(`L-Mul ${fmt}`, predictions.lmul)}.`;
}
