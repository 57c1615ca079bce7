// The arithmetic of the approximate columns and its controls: the format (the M slider, the E
// menu, the format presets), the multiplier (the L-Mul variant and rounding radios) and the
// plan's flags (which layers multiply approximately; the plan editor of layers-view.js shows and
// edits them). It keeps them, shows them on its controls, takes them from a link, reports each
// change, and derives from them the options each column predicts with. It does not predict,
// reflect attributes or choose the model: the element does that with what onChange reports.
import { METHOD_OF_VARIANT } from './catalogue.js';
import { approxFromExact, everywhere, exactIndices, planOption, planText } from './plan.js';
import { PRESETS, presetFor } from './presets.js';

// An integer in lo..hi from an attribute, a control or an argument; fallback when it is none.
export function clampInt(v, lo, hi, fallback) {
  const n = Number(v);
  if (v === null || v === '' || !Number.isFinite(n)) return fallback;
  return Math.min(hi, Math.max(lo, Math.round(n)));
}

// The multiplier of a column ('exact', 'float' or 'lmul', the chosen L-Mul variant) under
// settings { E, M, rounding, variant }: { method, M, E, rounding }.
export function columnSpec(settings, method) {
  const { E, M, rounding, variant } = settings;
  return { method: method === 'lmul' ? METHOD_OF_VARIANT[variant] : method, M, E, rounding };
}

// model.predict / evaluate options of a column: its multiplier and, for an approximate column,
// the plan (approx: one flag per layer of model.describe()).
export function columnOptions(settings, layers, approx, method) {
  const spec = columnSpec(settings, method);
  const plan = method === 'exact' ? undefined : planOption(layers, approx);
  return plan ? { ...spec, plan } : spec;
}

const RADIOS = 'input[name="variant"], input[name="rounding"]';

export class SettingsController {
  #refs;
  #layers;
  #planEditor;
  #onChange;
  #value = { M: 3, E: 8, rounding: 'nearest', variant: 'adder' };
  #approx = []; // per layer of the model: does it use the approximate multiplier (the plan)
  #customPreset = false; // "Custom E and M" chosen: the preset menu says so until another is

  // layers(): the current model's describe() ([] while there is none). planEditor: the
  // LayersView (its edits come back through setPlan). onChange({ e, m, warm }): a setting or the
  // plan changed; e and m: E or M did; warm: the multiplier or the plan did, so the model's
  // prepared weights for every M are not ready for it.
  constructor(refs, { layers, planEditor, onChange }) {
    this.#refs = refs;
    this.#layers = layers;
    this.#planEditor = planEditor;
    this.#onChange = onChange;
    refs.m.addEventListener('input', () => this.setFormat(this.#value.E, Number(refs.m.value)));
    refs.e.addEventListener('change', () => this.setFormat(Number(refs.e.value), this.#value.M));
    // Choosing a preset changes E and M only; "Custom" keeps them (E and M are set with their
    // own controls) and focus stays on the menu, so arrowing through it never lands elsewhere.
    refs.preset.addEventListener('change', () => {
      const p = PRESETS[refs.preset.value];
      this.#customPreset = p.E === undefined;
      if (p.E !== undefined) this.setFormat(p.E, p.M ?? this.#value.M);
      else this.#sync();
    });
    for (const radio of refs.root.querySelectorAll(RADIOS))
      radio.addEventListener('change', () => this.setArithmetic({ [radio.name]: radio.value }));
    this.#sync();
  }

  // { E, M, rounding, variant }, a copy.
  get value() {
    return { ...this.#value };
  }
  // 'E8M3'
  get format() {
    return `E${this.#value.E}M${this.#value.M}`;
  }

  // E and M, each clamped to its range (a value that is not a number keeps the current one).
  setFormat(E, M) {
    const s = this.#value;
    E = clampInt(E, 2, 8, s.E);
    M = clampInt(M, 1, 23, s.M);
    if (E === s.E && M === s.M) return;
    const changed = { e: E !== s.E, m: M !== s.M, warm: false };
    s.E = E;
    s.M = M;
    this.#sync();
    this.#onChange(changed);
  }

  // { variant?, rounding? }
  setArithmetic(change) {
    const s = this.#value;
    if (Object.entries(change).every(([k, v]) => s[k] === v)) return;
    Object.assign(s, change);
    this.#sync();
    this.#onChange({ e: false, m: false, warm: true });
  }

  // A fine-tune's tuned setting { variant, rounding, E, M }.
  applyTuned(t) {
    this.setArithmetic({ variant: t.variant, rounding: t.rounding });
    this.setFormat(t.E, t.M);
  }

  // New plan flags from the plan editor.
  setPlan(approx) {
    this.#approx = approx.slice();
    this.#onChange({ e: false, m: false, warm: true });
  }

  // Another model: its layers in the plan editor, every one approximate. Not reported: the
  // model change is.
  setModelLayers(layers) {
    this.#planEditor.setLayers(layers);
    this.#approx = everywhere(layers);
  }

  // The settings and plan of a link (url-state.js decodeState; a field it lacks stays as it is).
  // Returns notes on what could not be used.
  restore(shared) {
    const s = this.#value;
    this.setArithmetic({ variant: shared.variant ?? s.variant, rounding: shared.rounding ?? s.rounding });
    this.setFormat(shared.E ?? s.E, shared.M ?? s.M);
    if (!shared.exact) return [];
    const approx = approxFromExact(this.#layers(), shared.exact);
    if (!approx) return [`The link's plan names layers this model does not have (exact=${shared.exact.join(',')}).`];
    this.#planEditor.setApprox(approx);
    this.setPlan(approx);
    return [];
  }

  spec(method) {
    return columnSpec(this.#value, method);
  }
  options(method) {
    return columnOptions(this.#value, this.#layers(), this.#approx, method);
  }
  // The plan: the layers (describe() indices) that multiply exactly, the L-Mul column's plan as
  // text, and as the plan option of predict / evaluate (undefined: every layer approximate).
  get plan() {
    const layers = this.#layers();
    return { exact: exactIndices(this.#approx), text: planText(layers, this.#approx, this.spec('lmul')), option: planOption(layers, this.#approx) };
  }
  // What the disagreement finder compares, exact against the L-Mul column: { opts: { exact,
  // approx } (evaluate options), label: 'L-Mul adder E8M3, nearest, plan lmul:E8M3:nearest' }.
  get scan() {
    const s = this.#value;
    const label = `L-Mul ${s.variant} ${this.format}, ${s.rounding}, plan ${this.plan.text}`;
    return { opts: { exact: this.spec('exact'), approx: this.options('lmul') }, label };
  }

  #sync() {
    const r = this.#refs, s = this.#value;
    r.m.value = String(s.M);
    r.m.setAttribute('aria-valuetext', `${s.M} mantissa bits (${this.format})`);
    r.mOut.value = this.format;
    r.e.value = String(s.E);
    r.preset.value = this.#customPreset ? 'custom' : presetFor(s.E, s.M);
    for (const radio of r.root.querySelectorAll(RADIOS)) radio.checked = radio.value === s[radio.name];
  }
}
