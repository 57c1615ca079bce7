// The layers card: the plan editor — a preset menu and, per layer of model.describe() (any
// network: its layers and kinds of products), a checkbox saying whether it uses the approximate
// multiplier — and the error each layer's output carries in the Float and L-Mul columns
// (predict(...).layers), so depth shows the error growing or shrinking; with two kinds of
// products (a transformer), their error per kind. Names come from model files: text only.
import { kindsOf, presetOf, presetsFor, planText, everywhere } from './plan.js';
import { int, relErr } from './format.js';

const node = (tag, props = {}) => Object.assign(document.createElement(tag), props);
const CUSTOM = 'custom';

export class LayersView {
  #refs;
  #onChange;
  #layers = [];
  #approx = [];
  #rows = [];

  // onChange(approx): the user changed the plan.
  constructor(refs, { onChange }) {
    this.#refs = refs;
    this.#onChange = onChange;
    refs.planPreset.addEventListener('change', () => {
      const preset = presetsFor(this.#layers).find((p) => p.id === refs.planPreset.value);
      if (preset) this.#set(preset.approx(this.#layers));
    });
    refs.layerRows.addEventListener('change', (e) => {
      const i = Number(e.target.dataset?.layer);
      if (!Number.isInteger(i)) return;
      this.#set(this.#approx.map((a, k) => (k === i ? e.target.checked : a)));
    });
  }

  get approx() {
    return this.#approx.slice();
  }

  // A new network: its rows, every layer approximate.
  setLayers(layers) {
    this.#layers = layers;
    this.#approx = everywhere(layers);
    this.#rows = layers.map((l, i) => this.#row(l, i));
    this.#refs.layerRows.replaceChildren(...this.#rows.map((r) => r.tr));
    this.#sync();
  }

  // Flags from elsewhere (a link): shown, no onChange.
  setApprox(approx) {
    this.#approx = approx.slice();
    this.#sync();
  }

  // The plan in the CLI's grammar for the L-Mul column's multiplier { method, E, M, rounding }.
  describe(spec) {
    this.#refs.planText.textContent = planText(this.#layers, this.#approx, spec);
  }

  #set(approx) {
    this.#approx = approx;
    this.#sync();
    this.#onChange(this.approx);
  }

  #sync() {
    const r = this.#refs, presets = presetsFor(this.#layers), current = presetOf(this.#layers, this.#approx);
    const options = presets.map((p) => node('option', { value: p.id, textContent: p.label }));
    if (current === CUSTOM) options.push(node('option', { value: CUSTOM, textContent: 'Custom (the layers checked below)' }));
    r.planPreset.replaceChildren(...options);
    r.planPreset.value = current;
    this.#rows.forEach((row, i) => {
      row.box.checked = this.#approx[i];
      row.tr.dataset.approx = String(this.#approx[i]);
    });
  }

  #row(layer, i) {
    const tr = node('tr');
    const id = `plan-layer-${i}`;
    const box = node('input', { type: 'checkbox', id, checked: true });
    box.dataset.layer = String(i);
    box.dataset.testid = 'plan-layer';
    const name = node('th', { scope: 'row' });
    name.append(node('label', { htmlFor: id, textContent: layer.name }), node('span', { className: 'kind', textContent: layer.kind }));
    const cell = (cls) => {
      const td = node('td', { className: cls });
      const value = node('span', { textContent: '–' }), bar = node('span', { className: 'bar' }), fill = node('i');
      bar.append(fill);
      const wrap = node('span', { className: 'err' });
      wrap.append(value, bar);
      td.append(wrap);
      return { td, value, fill };
    };
    const float = cell('f'), lmul = cell('l');
    const products = node('td', { className: 'l wide', textContent: '–' });
    const first = node('td');
    first.append(box);
    tr.append(first, name, node('td', { className: 'wide', textContent: int(layer.products) }), float.td, lmul.td, products);
    return { tr, box, float, lmul, products };
  }

  // predictions: { float, lmul } (model.predict results) or null (nothing predicted).
  showErrors(predictions) {
    const layersOf = (p) => p?.layers ?? [];
    const f = layersOf(predictions?.float), l = layersOf(predictions?.lmul);
    const finite = [...f, ...l].map((x) => x.activationError).filter(Number.isFinite);
    const top = Math.max(1e-12, ...finite);
    const show = ({ value, fill }, e) => {
      value.textContent = e === undefined ? '–' : Number.isFinite(e) ? relErr(e) : '∞ (overflow)';
      fill.style.setProperty('--p', e === undefined ? 0 : Number.isFinite(e) ? (e / top).toFixed(4) : 1);
    };
    this.#rows.forEach((row, i) => {
      show(row.float, f[i]?.activationError);
      show(row.lmul, l[i]?.activationError);
      row.products.textContent = l[i] ? (this.#approx[i] ? relErr(l[i].products.mean) : 'exact') : '–';
    });
    this.#kinds(predictions);
  }

  // Mean product error per kind, when the network has two kinds.
  #kinds(predictions) {
    const dl = this.#refs.kindErrors;
    const kinds = kindsOf(this.#layers);
    dl.hidden = kinds.length < 2 || !predictions?.lmul?.errors;
    if (dl.hidden) return dl.replaceChildren();
    dl.replaceChildren(...kinds.map((k) => {
      const div = node('div');
      const mean = (p) => { const e = p?.errorsByKind?.[k]; return e && e.count ? relErr(e.mean) : 'exact'; };
      div.append(node('dt', { textContent: `${k} products, mean error:` }),
        node('dd', { textContent: `Float ${mean(predictions.float)} · L-Mul ${mean(predictions.lmul)}` }));
      return div;
    }));
  }
}
