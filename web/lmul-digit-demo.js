// <lmul-digit-demo>: draw a digit, change the mantissa width M, and watch an exact fp32 network,
// the same network with M-bit floating-point multiplications, and with L-Mul ("multiplication by
// addition") disagree. Uses only the public API of lmul-wasm.
//
//   import { mountDemo } from 'lmul-wasm/demo';     // also defines <lmul-digit-demo>
//   mountDemo(document.querySelector('#here'), { m: 3, lm });   // lm: an instance to share
//
// This file is the element: its lifecycle (what connectedCallback acquires, disconnectedCallback
// releases), attributes and properties, events, and the wiring between the parts, which live in
// template.js + styles.js (markup, ::parts, help, styles), catalogue.js + models.js +
// model-view.js (the model menu and fine-tunes), prediction-view.js (columns, histograms,
// logits), plan.js + layers-view.js (the plan editor and per-layer errors), finder.js +
// finder-view.js (the disagreement finder), sweep-controller.js + sweep.js + sweep-worker.js
// (the test-set sweep), charts.js + svg-chart.js + export.js (charts and downloads),
// url-state.js + share.js (the state in the URL), file-kind.js (what a bad file is),
// drawing.js (the pad), file-drop.js, presets.js, energy.js, mnist.js and assets.js.
// Reference: the README's "The demo element"; types: lmul-digit-demo.d.ts.
import { createLMul } from '../wasm/index.js';
import { DrawingPad, RASTER_SIZE } from './drawing.js';
import { TestImages, MNIST_URL, MNIST_SAMPLE_URL } from './mnist.js';
import { energyTexts } from './energy.js';
import { assetsBaseUrl, assetUrl } from './assets.js';
import { Catalogue, METHOD_OF_VARIANT, packageDefaultEntry } from './catalogue.js';
import { renderMenu, renderModelNote } from './model-view.js';
import { PredictionView, summary } from './prediction-view.js';
import { AttentionView } from './attention-view.js';
import { SweepController } from './sweep-controller.js';
import { LayersView } from './layers-view.js';
import { FinderView } from './finder-view.js';
import { ShareController } from './share.js';
import { Downloads, slug } from './export.js';
import { approxFromExact, exactIndices, planOption, planText, everywhere } from './plan.js';
import { decodeState } from './url-state.js';
import { explainModelFailure } from './file-kind.js';
import { acceptFileDrops } from './file-drop.js';
import { PRESETS, presetFor } from './presets.js';
import { renderTemplate, wireHelp } from './template.js';
import { Warmup } from './warmup.js';

export { PRESETS, presetFor };

const TAG = 'lmul-digit-demo';

// One lmul-wasm instance per assets base, shared by the elements that were not given one.
const instances = new Map();
function sharedLMul(base) {
  const key = base?.href ?? '';
  if (!instances.has(key)) {
    const p = createLMul(base ? { assetsBase: base.href } : {});
    p.catch(() => instances.delete(key)); // a later element tries again
    instances.set(key, p);
  }
  return instances.get(key);
}

// A promise with its settle functions; its rejection is reported only to those who await it.
function deferred() {
  const d = { settled: false };
  d.promise = new Promise((resolve, reject) => Object.assign(d, { resolve, reject }));
  d.promise.catch(() => {});
  return d;
}

function clampInt(v, lo, hi, fallback) {
  const n = Number(v);
  if (v === null || v === '' || !Number.isFinite(n)) return fallback;
  return Math.min(hi, Math.max(lo, Math.round(n)));
}

function checkInt(name, v, lo, hi) {
  if (typeof v !== 'number') throw new TypeError(`${TAG}: ${name} must be an integer in ${lo}..${hi}, got ${typeof v}`);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${TAG}: ${name} must be an integer in ${lo}..${hi}, got ${v}`);
  return v;
}

class LMulDigitDemo extends HTMLElement {
  static get observedAttributes() {
    return ['m', 'e', 'model', 'models', 'compact', 'theme', 'global-shortcuts', 'assets-base', 'url-state'];
  }

  #refs;
  #pad;
  #view;
  #sweep;
  #layers;
  #finder;
  #share;
  #downloads;
  #warm;
  #attention;
  #engaged = false; // someone pointed at or used the element: warming up is worth its work
  #settings = { M: 3, E: 8, rounding: 'nearest', variant: 'adder' };
  #approx = []; // per layer of the model: does it use the approximate multiplier (the plan)
  #customPreset = false; // "Custom E and M" chosen: the preset menu says so until another is
  #lmGiven = null; // an instance from the embedding page (the lm property)
  #lm = null; // the instance in use while connected
  #base = null; // the assets base URL while connected
  #catalogue = null;
  #model = null; // { entry, handle, bytes, tuned, base }: the element disposes handle
  #fileEntry = null; // the model file the user loaded, kept across reconnects
  #input = null;
  #predictions = null;
  #run = 0; // counts connects and disconnects: async work of an earlier connection stops
  #started = false;
  #explicitFormat = null; // m or e given before the first connect: a fine-tune keeps them
  #selection = 0; // a later model choice wins over a slower earlier one
  #connected = false;
  #ready = deferred();
  #raf = 0;
  #announceTimer = 0;
  #picking = false; // a test image is being fetched
  #schemeQuery = null;
  #onScheme = () => this.#retheme();
  #onDocKey = (e) => this.#onKey(e);

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    const r = (this.#refs = renderTemplate(shadow));
    wireHelp(shadow);
    this.#downloads = new Downloads(r.root);
    this.#view = new PredictionView(r, this);
    this.#attention = new AttentionView(r, this);
    this.#sweep = new SweepController(r, this, this.#downloads);
    this.#layers = new LayersView(r, { onChange: (approx) => this.#setPlan(approx) });
    this.#finder = new FinderView(r, this, {
      onPick: (index) => this.showTestImage(index),
      request: () => this.#scanRequest(),
    });
    this.#share = new ShareController(r, { state: () => this.#urlState() });
    this.#warm = new Warmup();
    this.#pad = new DrawingPad(r.canvas, { colors: () => this.#inkColors() });
    this.#pad.addEventListener('change', (e) => {
      this.#schedule();
      if (e.detail.final) {
        this.#scheduleAnnounce();
        this.#share.changed();
      }
    });
    this.#syncControls();

    r.m.addEventListener('input', () => this.#setFormat(this.#settings.E, Number(r.m.value)));
    r.e.addEventListener('change', () => this.#setFormat(Number(r.e.value), this.#settings.M));
    // Choosing a preset changes E and M only; "Custom" keeps them (E and M are set with their
    // own controls) and focus stays on the menu, so arrowing through it never lands elsewhere.
    r.preset.addEventListener('change', () => {
      const p = PRESETS[r.preset.value];
      this.#customPreset = p.E === undefined;
      if (p.E !== undefined) this.#setFormat(p.E, p.M ?? this.#settings.M);
      else this.#syncControls();
    });
    for (const radio of shadow.querySelectorAll('input[name="variant"], input[name="rounding"]'))
      radio.addEventListener('change', () => this.#setArithmetic({ [radio.name]: radio.value }));
    r.clear.addEventListener('click', () => this.clear());
    r.undo.addEventListener('click', () => this.undo());
    r.random.addEventListener('click', () => this.#pickTestImage(() => this.showRandomTestImage(r.randomLabel.value === '' ? null : Number(r.randomLabel.value))));
    r.indexForm.addEventListener('submit', (e) => {
      e.preventDefault();
      this.#pickTestImage(() => this.showTestImage(Number(r.testIndex.value)));
    });
    r.model.addEventListener('change', () => this.#choose(r.model.value));
    // Both notes about a fine-tune may offer "Back to its tuned setting".
    for (const note of [r.modelNote, r.sweepCompare])
      note.addEventListener('click', (e) => {
        if (e.target.closest('button[data-action="tune"]')) this.#applyTuned();
      });
    acceptFileDrops(r.root, {
      onFile: (file) => this.#loadFile(file),
      onError: (message) => this.#showError(message),
      veil: (on) => r.root.classList.toggle('dropping', on),
    });
    r.loadModel.addEventListener('click', () => r.modelFile.click());
    r.modelFile.addEventListener('change', () => {
      const file = r.modelFile.files?.[0];
      r.modelFile.value = '';
      if (file) this.#loadFile(file);
    });
    // A person who clicks is told first when the sweep would take long; runSweep() just runs.
    r.sweepStart.addEventListener('click', () => this.#runSweep(Number(r.sweepN.value), true).catch(() => {})); // shown in the section
    r.sweepCancel.addEventListener('click', () => this.#sweep.cancel());
    r.root.addEventListener('click', (e) => {
      const b = e.target.closest?.('button[data-export]');
      if (b) this.#exportChart(b.dataset.chart, b.dataset.export).catch((err) => this.#showError(`Could not export the chart: ${err.message ?? err}`));
    });
    shadow.addEventListener('keydown', (e) => {
      if (!this.globalShortcuts) this.#onKey(e);
    });
    // Warming up every M is seconds of main-thread work in idle slices (long tasks on a slow
    // phone): it waits until someone reaches for the element, so a page that is only looked at
    // loads quietly.
    const engage = () => {
      if (this.#engaged) return;
      this.#engaged = true;
      this.#warmUp();
    };
    for (const type of ['pointerover', 'pointerdown', 'focusin', 'keydown']) shadow.addEventListener(type, engage, { passive: true });
  }

  // ---- lifecycle -------------------------------------------------------------------------
  connectedCallback() {
    // Properties set before the element was defined shadow the accessors: route them through.
    for (const name of ['m', 'e', 'model', 'models', 'compact', 'theme', 'globalShortcuts', 'assetsBase', 'urlState', 'lm'])
      if (Object.hasOwn(this, name)) {
        const v = this[name];
        delete this[name];
        this[name] = v;
      }
    this.#explicitFormat ??= this.hasAttribute('m') || this.hasAttribute('e');
    this.#acquire();
  }

  disconnectedCallback() {
    this.#release();
    this.#settle(false, new DOMException(`${TAG} was removed from the document before it was ready`, 'AbortError'));
  }

  // Everything a connected element holds, and the start that needs the module.
  #acquire() {
    const run = ++this.#run;
    this.#connected = true;
    if (this.#ready.settled) this.#ready = deferred();
    this.#pad.connect();
    this.#view.connect();
    this.#sweep.connect();
    this.#share.enable(this.urlState);
    this.#schemeQuery = matchMedia('(prefers-color-scheme: dark)');
    this.#schemeQuery.addEventListener('change', this.#onScheme);
    if (this.globalShortcuts) document.addEventListener('keydown', this.#onDocKey);
    this.#start(run).then(
      (started) => started && this.#settle(true),
      (err) => run === this.#run && this.#fatal(err),
    );
  }

  #release() {
    ++this.#run;
    this.#connected = false;
    document.removeEventListener('keydown', this.#onDocKey);
    this.#schemeQuery?.removeEventListener('change', this.#onScheme);
    this.#schemeQuery = null;
    cancelAnimationFrame(this.#raf);
    this.#raf = 0;
    clearTimeout(this.#announceTimer);
    this.#announceTimer = 0;
    this.#warm.stop();
    this.#pad.disconnect();
    this.#view.disconnect();
    this.#sweep.disconnect();
    this.#finder.disconnect();
    this.#share.disconnect();
    this.#downloads.release();
    this.#model?.handle.dispose();
    this.#model = null;
    this.#lm = null;
  }

  // Another instance, model list or assets base: start again (a pending ready carries over).
  #restart() {
    if (!this.#connected) return;
    this.#release();
    this.#acquire();
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === 'm' || name === 'e') {
      const s = this.#settings;
      if (name === 'm') this.#setFormat(s.E, clampInt(value, 1, 23, s.M));
      else this.#setFormat(clampInt(value, 2, 8, s.E), s.M);
      // A corrected value (m="99" -> 23) shows what is used; a removed attribute stays removed.
      const used = String(name === 'm' ? s.M : s.E);
      if (value !== null && value !== used) this.setAttribute(name, used);
    } else if (name === 'theme') {
      this.#retheme();
    } else if (name === 'global-shortcuts') {
      if (this.#connected && value !== null) document.addEventListener('keydown', this.#onDocKey);
      else document.removeEventListener('keydown', this.#onDocKey);
    } else if (name === 'model') {
      if (this.#lm && this.#catalogue && value !== null && value !== this.#model?.entry.id) this.#choose(value);
    } else if (name === 'models' || name === 'assets-base') {
      this.#restart();
    } else if (name === 'url-state') {
      if (this.#connected) this.#share.enable(value !== null);
      if (value !== null) this.#share.changed();
    }
  }

  // Everything that needs the module, in order; resolves to false when a newer connection or a
  // disconnect took over, throws when the demo cannot start.
  async #start(run) {
    const current = () => run === this.#run;
    this.#refs.status.hidden = false;
    this.#refs.status.textContent = 'Loading the WebAssembly module…';
    this.#base = assetsBaseUrl(this.getAttribute('assets-base'));
    this.#sweep.setAssetsBase(this.#base);
    this.#finder.setAssetsBase(this.#base);
    const list = this.getAttribute('models');
    const shared = this.urlState && !this.#started ? decodeState(location.hash) : null;
    // The model list and the first model's bytes load while the module compiles.
    const catalogueLoading = Catalogue.load({ listUrl: list ? new URL(list, document.baseURI) : null, base: this.#base });
    const wanted = (!this.#started && shared?.model) || this.getAttribute('model');
    catalogueLoading.then((c) => c.bytes((wanted && c.find(wanted)) ?? c.defaultEntry).catch(() => {}), () => {});
    const lm = this.#lmGiven ?? (await sharedLMul(this.#base));
    if (!current()) return false;
    this.#lm = lm;
    const catalogue = await catalogueLoading;
    if (!current()) return false;
    if (this.#fileEntry) catalogue.addFile(this.#fileEntry);
    this.#catalogue = catalogue;
    this.#renderMenu();

    const first = (wanted && catalogue.find(wanted)) ?? catalogue.defaultEntry;
    const sharedSettings = shared && ['E', 'M', 'variant', 'rounding'].some((k) => shared[k] !== undefined);
    const tune = !this.#started && !this.#explicitFormat && !sharedSettings;
    const notes = wanted && !catalogue.find(wanted) ? [`There is no model “${wanted}” in the model list.`] : [];
    // The page must keep working: the list's default model, then the package's own (unless one
    // of them is the very file that failed).
    const tried = [];
    const same = (a, b) => a.id === b.id || (a.packageDir === 'models' && b.packageDir === 'models' && a.file === b.file);
    let ok = false;
    for (const entry of [first, catalogue.defaultEntry, packageDefaultEntry()]) {
      if (tried.some((e) => same(e, entry))) continue;
      tried.push(entry);
      if (!catalogue.find(entry.id)) {
        catalogue.entries.unshift(entry);
        this.#renderMenu();
      }
      const r = await this.#select(entry, { tune });
      if (!current()) return false;
      if ((ok = r.ok)) break;
      if (r.error) notes.push(`Could not load the model “${entry.name}”: ${r.error}.`);
    }
    if (!ok) throw new Error(notes.join(' '));
    if (notes.length) notes.push(`Showing “${this.#model.entry.name}”.`);
    if (shared) notes.push(...this.#restore(shared));
    if (catalogue.problem) notes.push(catalogue.problem);
    this.#showError(notes.join(' '));
    this.#refs.status.hidden = true;
    this.#started = true;
    this.#schedule();
    this.#warmUp();
    return true;
  }

  // A link's state (url-state.js) on the running element; returns notes on what it could not use.
  #restore(shared) {
    const notes = [];
    if (shared.problems.length) notes.push(`The link's ${shared.problems.join(', ')} could not be used.`);
    const s = this.#settings;
    this.#setArithmetic({ variant: shared.variant ?? s.variant, rounding: shared.rounding ?? s.rounding });
    this.#setFormat(shared.E ?? s.E, shared.M ?? s.M);
    if (shared.exact) {
      const approx = approxFromExact(this.#model.handle.describe(), shared.exact);
      if (approx) this.#setPlan(approx, { fromLink: true });
      else notes.push(`The link's plan names layers this model does not have (exact=${shared.exact.join(',')}).`);
    }
    if (shared.image !== undefined) {
      this.showTestImage(shared.image).catch((err) => this.#showError(`The link's test image could not be shown: ${err.message ?? err}`));
    } else if (shared.input) {
      this.#pad.setImage(shared.input.map((v) => Math.round(v * 255)), { input: shared.input });
    }
    return notes;
  }

  #settle(ok, reason) {
    const d = this.#ready;
    if (d.settled) return;
    d.settled = true;
    if (ok) d.resolve();
    else d.reject(reason);
  }

  #fatal(err) {
    const message = err?.message ?? String(err);
    console.error(`${TAG}: ${message}`);
    this.#refs.status.hidden = false;
    this.#refs.status.textContent = `The demo could not start: ${message}`;
    this.#settle(false, err instanceof Error ? err : new Error(message));
  }

  // ---- attributes and properties -----------------------------------------------------------
  /** Resolves once the module and the first model are ready; rejects when the demo cannot start. */
  get ready() {
    return this.#ready.promise;
  }
  get m() {
    return this.#settings.M;
  }
  set m(v) {
    this.setAttribute('m', String(checkInt('m', v, 1, 23)));
  }
  get e() {
    return this.#settings.E;
  }
  set e(v) {
    this.setAttribute('e', String(checkInt('e', v, 2, 8)));
  }
  get model() {
    return this.#model?.entry.id ?? this.getAttribute('model');
  }
  set model(v) {
    this.#setText('model', v);
  }
  get models() {
    return this.getAttribute('models');
  }
  set models(v) {
    this.#setText('models', v);
  }
  get assetsBase() {
    return this.getAttribute('assets-base');
  }
  set assetsBase(v) {
    this.#setText('assets-base', v instanceof URL ? v.href : v);
  }
  get compact() {
    return this.hasAttribute('compact');
  }
  set compact(v) {
    this.toggleAttribute('compact', Boolean(v));
  }
  get globalShortcuts() {
    return this.hasAttribute('global-shortcuts');
  }
  set globalShortcuts(v) {
    this.toggleAttribute('global-shortcuts', Boolean(v));
  }
  get urlState() {
    return this.hasAttribute('url-state');
  }
  set urlState(v) {
    this.toggleAttribute('url-state', Boolean(v));
  }
  get theme() {
    const t = this.getAttribute('theme');
    return t === 'light' || t === 'dark' ? t : null;
  }
  set theme(v) {
    if (v !== null && v !== undefined && v !== 'light' && v !== 'dark')
      throw new RangeError(`${TAG}: theme must be 'light', 'dark' or null (the system's), got ${JSON.stringify(v)}`);
    if (v == null) this.removeAttribute('theme');
    else this.setAttribute('theme', v);
  }
  /** The lmul-wasm instance the element uses; set one to share it (the .wasm is then fetched once). */
  get lm() {
    return this.#lmGiven ?? this.#lm;
  }
  set lm(v) {
    if (v !== null && v !== undefined && (typeof v?.loadModel !== 'function' || typeof v?.preprocess !== 'function'))
      throw new TypeError(`${TAG}: lm must be an instance from createLMul() or null, got ${v === null ? 'null' : typeof v}`);
    if ((v ?? null) === this.#lmGiven) return;
    this.#lmGiven = v ?? null;
    this.#restart();
  }

  #setText(attr, v) {
    if (v === null || v === undefined) this.removeAttribute(attr);
    else if (typeof v !== 'string') throw new TypeError(`${TAG}: ${attr} must be a string or null, got ${typeof v}`);
    else this.setAttribute(attr, v);
  }

  /** The last 28x28 network input (row-major, [0, 1]), or null when the pad is empty. */
  get input() {
    return this.#input ? Float32Array.from(this.#input) : null;
  }
  get predictions() {
    return this.#predictions;
  }
  get settings() {
    return { ...this.#settings };
  }
  /** The plan: the layers (describe() indices) that multiply exactly, and the L-Mul column's plan as text. */
  get plan() {
    const layers = this.#model?.handle.describe() ?? [];
    return { exact: exactIndices(this.#approx), text: planText(layers, this.#approx, this.#spec('lmul')) };
  }

  // ---- methods ---------------------------------------------------------------------------
  clear() {
    this.#pad.clear();
  }
  undo() {
    return this.#pad.undo();
  }
  async showTestImage(index) {
    const { pixels, index: i, label } = await this.#testImages().image(clampInt(index, 0, Number.MAX_SAFE_INTEGER, 0));
    this.#pad.setImage(pixels, { index: i, label });
    return { index: i, label };
  }
  // A random test image, of one digit when label is 0..9; with `sample`, from the first 256
  // test images (37 KB) unless the whole test set (1.4 MB) is loaded already.
  async showRandomTestImage(label = null, { sample = false } = {}) {
    if (label !== null) checkInt('showRandomTestImage: label', label, 0, 9);
    return this.showTestImage(await this.#testImages().randomIndex(label, { sample: Boolean(sample) }));
  }
  async runSweep(n = 10000) {
    return this.#runSweep(n, false);
  }
  async #runSweep(n, confirmLong) {
    await this.ready;
    if (!this.#model) return null;
    return this.#sweep.run({
      n: clampInt(n, 1, 10000, 10000),
      settings: this.settings,
      model: this.#model,
      plan: { option: this.#planOption(), text: this.plan.text },
      baseBytes: (entry) => this.#catalogue.bytes(entry),
      dataset: () => this.#testImages().all(),
      confirmLong,
    });
  }
  cancelSweep() {
    this.#sweep.cancel();
  }
  // Scans the test set for disagreements (the "Find disagreements" button): resolves to
  // { seconds, scanMs, flips }, or null when a newer scan took over.
  async findDisagreements() {
    await this.ready;
    return this.#finder.scan();
  }
  /** The lmul-wasm instance's memory diagnostics (lm.memory()), null while not started. */
  memory() {
    return this.#lm?.memory() ?? null;
  }
  // The same as picking the file with "Load .safetensors…": on failure the element shows the
  // error and keeps its model. Resolves to whether the model was loaded.
  async loadModelFile(file) {
    if (!(file instanceof Blob) || typeof file.name !== 'string')
      throw new TypeError(`loadModelFile: file must be a File (from an <input type=file> or a drop), got ${file === null ? 'null' : typeof file}`);
    await this.ready;
    return this.#loadFile(file);
  }

  // ---- models ----------------------------------------------------------------------------
  #renderMenu() {
    renderMenu(this.#refs.model, this.#catalogue.entries, this.#model?.entry.id);
  }

  // A model chosen by id (menu, attribute): loaded and tuned, or an error and the previous model.
  async #choose(id) {
    const entry = this.#catalogue?.find(id);
    if (!entry) {
      this.#showError(`There is no model “${id}” in the model list.`);
      this.#showCurrent();
      return;
    }
    const { ok, error } = await this.#select(entry, { tune: true });
    if (!ok && error) {
      this.#showError(`Could not load the model “${entry.name}”: ${error}`);
      this.#showCurrent();
    }
  }

  // Loads entry and makes it current: { ok } or { ok: false, error } (nothing shown);
  // { ok: false } alone when a newer choice or a disconnect made it moot.
  async #select(entry, { tune = false } = {}) {
    if (this.#model?.entry === entry) return { ok: true };
    const selection = ++this.#selection, run = this.#run;
    let model;
    try {
      model = await this.#catalogue.open(this.#lm, entry);
    } catch (err) {
      return selection === this.#selection && run === this.#run ? { ok: false, error: err.message ?? String(err) } : { ok: false };
    }
    if (selection !== this.#selection || run !== this.#run) {
      model.handle.dispose();
      return { ok: false };
    }
    this.#use(model, { tune });
    this.#showError('');
    return { ok: true };
  }

  async #loadFile(file) {
    const selection = ++this.#selection, run = this.#run;
    let bytes = null;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
      const entry = Catalogue.fileEntry(file, bytes);
      const model = await this.#catalogue.open(this.#lm, entry);
      if (selection !== this.#selection || run !== this.#run) {
        model.handle.dispose();
        return false;
      }
      this.#fileEntry = this.#catalogue.addFile(entry);
      this.#renderMenu();
      this.#use(model, { tune: false });
      this.#showError('');
      return true;
    } catch (err) {
      // English first (what the file is), the technical reason below it.
      const { summary, detail } = bytes ? explainModelFailure(bytes, err) : { summary: 'The file could not be read.', detail: err.message ?? String(err) };
      this.#showError(`Could not load ${file.name}. ${summary} The previous model stays active.`, `Technical reason: ${detail}`);
      this.#showCurrent();
      return false;
    }
  }

  #use(model, { tune }) {
    const old = this.#model;
    this.#model = model;
    if (old && old.handle !== model.handle) old.handle.dispose();
    if (old && old.entry !== model.entry) {
      this.#sweep.reset(); // its numbers were another model's
      this.#finder.reset();
    }
    const layers = model.handle.describe();
    this.#layers.setLayers(layers);
    this.#approx = everywhere(layers);
    this.#showCurrent();
    const energy = model.handle.metadata?.arch === 'vit'
      ? energyTexts([], layers.reduce((sum, l) => sum + l.products, 0))
      : energyTexts(Array.from(model.handle.layers));
    this.#refs.energyExact.textContent = energy.exact;
    this.#refs.energyLmul.textContent = energy.lmul;
    this.#refs.energyFormula.textContent = energy.formula;
    if (tune && model.tuned) this.#applyTuned();
    this.#renderModelNote();
    this.#changed();
  }

  // The menu and the model attribute show the current model.
  #showCurrent() {
    if (!this.#model) return;
    this.#refs.model.value = this.#model.entry.id;
    if (this.getAttribute('model') !== this.#model.entry.id) this.setAttribute('model', this.#model.entry.id);
  }

  #applyTuned() {
    const t = this.#model?.tuned;
    if (!t) return;
    this.#setArithmetic({ variant: t.variant, rounding: t.rounding });
    this.#setFormat(t.E, t.M);
  }

  #renderModelNote() {
    renderModelNote(this.#refs.modelNote, this.#model, this.#settings);
  }

  // A message (or '' to clear), and optionally the technical detail under it.
  #showError(message, detail = '') {
    const r = this.#refs;
    r.errorSummary.textContent = message;
    r.errorDetail.textContent = detail;
    r.errorDetail.hidden = !detail;
    r.error.hidden = !message;
  }

  // ---- settings --------------------------------------------------------------------------
  #setFormat(E, M) {
    const s = this.#settings;
    E = clampInt(E, 2, 8, s.E);
    M = clampInt(M, 1, 23, s.M);
    if (E === s.E && M === s.M) return;
    const changed = { e: E !== s.E, m: M !== s.M };
    s.E = E;
    s.M = M;
    // The attributes mirror the state (their callbacks then find nothing to change).
    if (changed.e) this.#reflect('e', String(E));
    if (changed.m) this.#reflect('m', String(M));
    this.#syncControls();
    this.#changed();
  }

  #setArithmetic(change) {
    const s = this.#settings;
    if (Object.entries(change).every(([k, v]) => s[k] === v)) return;
    Object.assign(s, change);
    this.#syncControls();
    this.#changed();
    this.#warmUp(); // the plans of every M for the new multiplier
  }

  // The plan's flags changed (the editor, or a link).
  #setPlan(approx, { fromLink = false } = {}) {
    this.#approx = approx.slice();
    if (fromLink) this.#layers.setApprox(approx);
    this.#syncControls();
    this.#changed();
    this.#warmUp();
  }

  #reflect(attr, value) {
    if (this.getAttribute(attr) !== value) this.setAttribute(attr, value);
  }

  #syncControls() {
    const r = this.#refs, s = this.#settings, fmt = `E${s.E}M${s.M}`;
    r.m.value = String(s.M);
    r.m.setAttribute('aria-valuetext', `${s.M} mantissa bits (${fmt})`);
    r.mOut.value = fmt;
    r.e.value = String(s.E);
    r.preset.value = this.#customPreset ? 'custom' : presetFor(s.E, s.M);
    for (const radio of r.root.querySelectorAll('input[name="variant"], input[name="rounding"]')) radio.checked = radio.value === s[radio.name];
    this.#view.label(s);
    if (this.#model) this.#renderModelNote();
  }

  // Settings, plan or model changed: predict again, tell screen readers, listeners and the URL;
  // a disagreement list on screen is redone.
  #changed() {
    this.#schedule();
    this.#scheduleAnnounce();
    if (!this.#model) return;
    this.#layers.describe(this.#spec('lmul'));
    this.#share.changed();
    this.#finder.changed();
    const { entry, handle, tuned } = this.#model;
    this.#emit('lmul-change', { settings: this.settings, plan: this.plan, model: { id: entry.id, name: entry.name, layers: Array.from(handle.layers), tuned } });
  }

  // The multiplier of a column: { method, M, E, rounding } ('lmul' is the chosen L-Mul variant).
  #spec(method) {
    const s = this.#settings;
    return { method: method === 'lmul' ? METHOD_OF_VARIANT[s.variant] : method, M: s.M, E: s.E, rounding: s.rounding };
  }
  #planOption() {
    return planOption(this.#model?.handle.describe() ?? [], this.#approx);
  }
  // model.predict / evaluate options of a column, the plan included.
  #opts(method) {
    const plan = method === 'exact' ? undefined : this.#planOption();
    return plan ? { ...this.#spec(method), plan } : this.#spec(method);
  }

  // What the disagreement finder scans: exact against the L-Mul column, as now.
  #scanRequest() {
    const s = this.#settings;
    return {
      model: this.#model,
      dataset: () => this.#testImages().all(),
      opts: { exact: this.#spec('exact'), approx: this.#opts('lmul') },
      label: `L-Mul ${s.variant} E${s.E}M${s.M}, ${s.rounding}, plan ${this.plan.text}`,
    };
  }

  // The state a link restores (url-state.js), null before a model is there.
  #urlState() {
    if (!this.#model || !this.#started) return null;
    const s = this.#settings, sole = this.#pad.soleImage;
    return {
      model: this.#model.entry.bytes ? null : this.#model.entry.id, // a file of the user's own cannot travel in a link
      E: s.E, M: s.M, variant: s.variant, rounding: s.rounding,
      exact: exactIndices(this.#approx),
      image: sole?.index ?? null,
      input: sole?.index === undefined ? this.#input : null,
    };
  }

  // Prepares the model for every M under the current multiplier and plan while the browser is
  // idle (the nearest M first), so that moving the slider later predicts within a frame.
  #warmUp() {
    if (!this.#model || !this.#started || !this.#engaged) return;
    const handle = this.#model.handle, plan = this.#planOption(), now = this.#settings.M;
    const jobs = [];
    const Ms = Array.from({ length: 23 }, (_, k) => k + 1).sort((a, b) => Math.abs(a - now) - Math.abs(b - now) || a - b);
    for (const M of Ms)
      for (const method of ['float', 'lmul']) jobs.push({ ...this.#spec(method), M, ...(plan ? { plan } : {}), errors: false });
    this.#warm.start(handle, jobs);
  }

  // ---- drawing -> predictions ------------------------------------------------------------
  #schedule() {
    if (!this.#raf && this.#connected) this.#raf = requestAnimationFrame(() => {
      this.#raf = 0;
      this.#update();
    });
  }

  #update() {
    const r = this.#refs, pad = this.#pad;
    r.undo.setAttribute('aria-disabled', String(!pad.canUndo));
    r.hint.hidden = !pad.isEmpty;
    const sole = pad.soleImage;
    r.previewCaption.textContent = sole?.index !== undefined ? `MNIST test image #${sole.index}, label ${sole.label} (used as is).`
      : sole ? 'A drawing from a link: its 28×28 network input, exactly as it was shared.'
      : 'Network input, 28×28: cropped, fit to 20×20, centered by mass, like MNIST.';
    if (!this.#lm || !this.#model) return;
    this.#predictions = null;
    let input;
    try {
      input = pad.isEmpty ? null : sole ? (sole.input ?? Float32Array.from(sole.pixels, (p) => p / 255)) : this.#lm.preprocess(pad.rasterize(), RASTER_SIZE, RASTER_SIZE);
      if (input && !input.some((v) => v > 0)) input = null;
    } catch (err) {
      this.#view.showError(`Preprocessing failed: ${err.message ?? err}`);
      return;
    }
    this.#input = input;
    this.#view.drawInput(input, this.#inkColors());
    if (!input) {
      this.#layers.showErrors(null);
      this.#attention.show(null, null, null);
      return this.#view.showBlank();
    }
    let predictions;
    try {
      const model = this.#model.handle;
      const attention = model.metadata?.arch === 'vit'; // the class token's attention maps, exact and L-Mul
      predictions = {
        exact: model.predict(input, { ...this.#opts('exact'), errors: false, attention }), // exact vs exact: no errors
        float: model.predict(input, this.#opts('float')),
        lmul: model.predict(input, { ...this.#opts('lmul'), attention }),
      };
    } catch (err) {
      this.#view.showError(`No prediction at E${this.#settings.E}M${this.#settings.M}: ${err.message ?? err}`);
      this.#layers.showErrors(null);
      this.#attention.show(null, null, null);
      return;
    }
    this.#predictions = predictions;
    this.#view.show(predictions);
    this.#attention.show(input, predictions.exact.attention, predictions.lmul.attention);
    this.#layers.showErrors(predictions);
    this.#emit('lmul-predict', { input: Float32Array.from(input), ...predictions, settings: this.settings });
  }

  #scheduleAnnounce() {
    clearTimeout(this.#announceTimer);
    if (!this.#connected) return;
    this.#announceTimer = setTimeout(() => {
      this.#announceTimer = 0;
      this.#refs.live.textContent = summary(this.#predictions, `E${this.#settings.E}M${this.#settings.M}`, this.#pad.isEmpty);
    }, 600);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #testImages() {
    return new TestImages(assetUrl(this.#base, 'web/data/mnist-t10k.bin', MNIST_URL),
      assetUrl(this.#base, 'web/data/mnist-t10k-sample.bin', MNIST_SAMPLE_URL));
  }

  // A test image asked for by a button: one at a time, and the button keeps focus (it is marked
  // busy, not disabled, so focus never falls to the page).
  async #pickTestImage(show) {
    if (this.#picking) return;
    const btn = this.#refs.random;
    this.#picking = true;
    btn.setAttribute('aria-disabled', 'true');
    try {
      await show();
    } catch (err) {
      this.#showError(`Could not load the MNIST test images: ${err.message ?? err}`);
    } finally {
      this.#picking = false;
      btn.removeAttribute('aria-disabled');
    }
  }

  // ---- exports ---------------------------------------------------------------------------
  async #exportChart(name, kind) {
    const chart = name === 'sweep' ? this.#sweep.chart : this.#view.chart(name);
    if (!chart) return;
    const title = { 'hist-float': 'Float: relative error of every product', 'hist-lmul': 'L-Mul: relative error of every product',
      logits: 'Logit difference to exact, per class', sweep: 'Test-set accuracy against M' }[name];
    const s = this.#settings;
    const full = `${title} — ${this.#model?.entry.name ?? ''}, E${s.E}M${s.M}, ${s.variant}, ${s.rounding}`;
    const file = `lmul-${name}-${slug(this.#model?.entry.name ?? 'model')}-E${s.E}M${s.M}`;
    if (kind === 'png') this.#downloads.save(`${file}.png`, await chart.png(full));
    else this.#downloads.save(`${file}.svg`, new Blob([await chart.svg(full)], { type: 'image/svg+xml' }));
  }

  // ---- looks and keys --------------------------------------------------------------------
  #inkColors() {
    const cs = getComputedStyle(this);
    return { ink: cs.getPropertyValue('--lmd-ink').trim() || '#000', paper: cs.getPropertyValue('--lmd-paper').trim() || '#fff' };
  }

  #retheme() {
    if (!this.#connected) return;
    this.#pad.render();
    this.#view.retheme();
    this.#attention.retheme();
    this.#sweep.retheme();
    this.#finder.retheme();
    this.#view.drawInput(this.#input, this.#inkColors());
  }

  #onKey(e) {
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      this.undo();
    }
  }
}

if (!customElements.get(TAG)) customElements.define(TAG, LMulDigitDemo);

// Creates a <lmul-digit-demo> inside `element` and returns it.
// options: { m, e, model, models, compact, theme, globalShortcuts, assetsBase, urlState, lm }
const MOUNT_OPTIONS = ['m', 'e', 'model', 'models', 'compact', 'theme', 'globalShortcuts', 'assetsBase', 'urlState', 'lm'];
export function mountDemo(element, options = {}) {
  if (!element || typeof element.appendChild !== 'function') throw new TypeError('mountDemo: element must be a DOM element');
  if (options === null || typeof options !== 'object') throw new TypeError(`mountDemo: options must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const key of Object.keys(options))
    if (!MOUNT_OPTIONS.includes(key)) throw new TypeError(`mountDemo: unknown option ${JSON.stringify(key)}; allowed: ${MOUNT_OPTIONS.join(', ')}`);
  const demo = document.createElement(TAG);
  for (const key of MOUNT_OPTIONS) if (options[key] !== undefined) demo[key] = options[key];
  element.appendChild(demo);
  return demo;
}

export { LMulDigitDemo };
