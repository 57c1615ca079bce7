// <lmul-digit-demo>: draw a digit, change the mantissa width M, and watch an exact fp32 network,
// the same network with M-bit floating-point multiplications, and with L-Mul ("multiplication by
// addition") disagree. Uses only the public API of lmul-wasm.
//
//   import { mountDemo } from 'lmul-wasm/demo';     // also defines <lmul-digit-demo>
//   mountDemo(document.querySelector('#here'), { m: 3, lm });   // lm: an instance to share
//
// This file is the element: its lifecycle (what connectedCallback acquires, disconnectedCallback
// releases), attributes and properties, events, and the wiring between the parts, which live in
// template.js + styles.js (markup, ::parts, help, styles), settings.js (E, M, variant, rounding,
// the plan's flags and their controls), model-controller.js + catalogue.js + models.js +
// model-view.js (the model menu, files, fine-tunes), prediction-loop.js (pad -> input ->
// predictions, warming up) + prediction-view.js (columns, histograms, logits) +
// attention-view.js, plan.js + layers-view.js (the plan editor and per-layer errors),
// test-images.js + mnist.js (MNIST test images on the pad), finder.js + finder-view.js (the
// disagreement finder), sweep-controller.js + sweep.js + sweep-worker.js (the test-set sweep),
// charts.js + svg-chart.js + export.js (charts and downloads), url-state.js + share.js (the
// state in the URL), page-listeners.js (the color scheme and Ctrl+Z), file-kind.js (what a bad
// file is), drawing.js (the pad), file-drop.js, presets.js, energy.js, warmup.js and assets.js.
// Reference: the README's "The demo element"; types: lmul-digit-demo.d.ts.
import { createLMul } from '../wasm/index.js';
import { DrawingPad, inkColors } from './drawing.js';
import { assetsBaseUrl } from './assets.js';
import { SettingsController, clampInt } from './settings.js';
import { ModelController } from './model-controller.js';
import { PredictionLoop } from './prediction-loop.js';
import { PredictionView } from './prediction-view.js';
import { AttentionView } from './attention-view.js';
import { SweepController } from './sweep-controller.js';
import { LayersView } from './layers-view.js';
import { FinderView } from './finder-view.js';
import { TestImages } from './test-images.js';
import { ShareController } from './share.js';
import { Downloads, chartExport, wireChartExports } from './export.js';
import { decodeState, linkState } from './url-state.js';
import { PRESETS, presetFor } from './presets.js';
import { renderTemplate, wireHelp } from './template.js';
import { PageListeners } from './page-listeners.js';

export { PRESETS, presetFor };

const TAG = 'lmul-digit-demo';
// The properties mountDemo() sets, which an upgrade also routes through their accessors.
const OPTIONS = ['m', 'e', 'model', 'models', 'compact', 'theme', 'globalShortcuts', 'assetsBase', 'urlState', 'lm'];

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

// A new task: the module's start-up, the first model's load and the first prediction's parts
// each run in a task of their own instead of one long one, so that the page answers input in
// between.
const nextTask = () => (globalThis.scheduler?.yield ? globalThis.scheduler.yield() : new Promise((r) => setTimeout(r, 0)));
// How long a start waits for an animation frame before it goes on without one (a hidden page
// gets no frames).
const FRAME_WAIT_MS = 100;

// A promise and settle(ok, reason), which settles it once; its rejection is reported only to
// those who await it.
function deferred() {
  const d = { settled: false };
  d.promise = new Promise((resolve, reject) => Object.assign(d, { resolve, reject }));
  d.promise.catch(() => {});
  d.settle = (ok, reason) => {
    if (d.settled) return;
    d.settled = true;
    if (ok) d.resolve();
    else d.reject(reason);
  };
  return d;
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
  #settings;
  #models;
  #loop;
  #view;
  #attention;
  #layers;
  #sweep;
  #finder;
  #testImages;
  #share;
  #downloads;
  #page;
  #lmGiven = null; // an instance from the embedding page (the lm property)
  #lm = null; // the instance in use while connected
  #run = 0; // counts connects and disconnects: async work of an earlier connection stops
  #started = false;
  #explicitFormat = null; // m or e given before the first connect: a fine-tune keeps them
  #connected = false;
  #ready = deferred();
  #frameWait = null; // the start's wait for a frame: { frame, timer, done }

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    const r = (this.#refs = renderTemplate(shadow));
    wireHelp(shadow);
    this.#downloads = new Downloads(r.root);
    this.#view = new PredictionView(r, this);
    this.#attention = new AttentionView(r, this);
    this.#sweep = new SweepController(r, this, this.#downloads, {
      request: () => ({
        model: this.#models.current,
        settings: this.settings,
        plan: this.#settings.plan,
        baseBytes: (entry) => this.#models.bytes(entry),
        dataset: () => this.#testImages.dataset(),
      }),
    });
    this.#pad = new DrawingPad(r.canvas, { colors: () => inkColors(this) });
    this.#layers = new LayersView(r, { onChange: (approx) => this.#settings.setPlan(approx) });
    this.#settings = new SettingsController(r, {
      layers: () => this.#models.current?.handle.describe() ?? [],
      planEditor: this.#layers,
      onChange: (changed) => this.#settingsChanged(changed),
    });
    this.#models = new ModelController(r, {
      lm: () => this.#lm,
      settings: this.#settings,
      onUse: (model, how) => this.#use(model, how),
      onCurrent: (id) => this.#reflect('model', id),
    });
    const showError = (message) => this.#models.showError(message);
    this.#testImages = new TestImages(r, { pad: this.#pad, showError });
    this.#finder = new FinderView(r, this, {
      onPick: (index) => this.showTestImage(index),
      request: () => ({ model: this.#models.current, dataset: () => this.#testImages.dataset(), ...this.#settings.scan }),
    });
    this.#share = new ShareController(r, { state: () => this.#urlState() });
    this.#loop = new PredictionLoop(shadow, r, {
      pad: this.#pad,
      views: { prediction: this.#view, attention: this.#attention, layers: this.#layers },
      lm: () => this.#lm,
      model: () => this.#models.current?.handle ?? null,
      settings: this.#settings,
      colors: () => inkColors(this),
      onPredict: (input, predictions) => this.#emit('lmul-predict', { input: Float32Array.from(input), ...predictions, settings: this.settings }),
    });
    this.#page = new PageListeners(shadow, { onScheme: () => this.#retheme(), onUndo: () => this.undo() });
    this.#view.label(this.#settings.value);
    this.#pad.addEventListener('change', (e) => e.detail.final && this.#share.changed());
    r.clear.addEventListener('click', () => this.clear());
    r.undo.addEventListener('click', () => this.undo());
    // A person who clicks is told first when the sweep would take long; runSweep() just runs.
    r.sweepStart.addEventListener('click', () => this.#runSweep(Number(r.sweepN.value), true).catch(() => {})); // shown in the section
    wireChartExports(r.root, this.#downloads, {
      chart: (name) => (name === 'sweep' ? this.#sweep.chart : this.#view.chart(name)),
      naming: (name) => chartExport(name, this.#models.current?.entry.name, this.#settings.value),
      onError: (err) => showError(`Could not export the chart: ${err.message ?? err}`),
    });
  }

  // ---- lifecycle -------------------------------------------------------------------------
  connectedCallback() {
    // Properties set before the element was defined shadow the accessors: route them through.
    for (const name of OPTIONS)
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
    this.#ready.settle(false, new DOMException(`${TAG} was removed from the document before it was ready`, 'AbortError'));
  }

  // Everything a connected element holds, and the start that needs the module.
  #acquire() {
    const run = ++this.#run;
    this.#connected = true;
    if (this.#ready.settled) this.#ready = deferred();
    for (const part of [this.#pad, this.#view, this.#sweep, this.#loop, this.#page]) part.connect();
    this.#share.enable(this.urlState);
    this.#start(run).then(
      (started) => started && this.#ready.settle(true),
      (err) => run === this.#run && this.#fatal(err),
    );
  }

  #release() {
    ++this.#run;
    this.#connected = false;
    for (const part of [this.#page, this.#loop, this.#pad, this.#view, this.#sweep, this.#finder, this.#share, this.#models]) part.disconnect();
    this.#downloads.release();
    this.#lm = null;
    this.#frameWait?.done();
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
      const s = this.#settings.value;
      this.#settings.setFormat(name === 'e' ? value : s.E, name === 'm' ? value : s.M);
      // A corrected value (m="99" -> 23) shows what is used; a removed attribute stays removed.
      const used = String(this.#settings.value[name.toUpperCase()]);
      if (value !== null && value !== used) this.setAttribute(name, used);
    } else if (name === 'theme') {
      this.#retheme();
    } else if (name === 'global-shortcuts') {
      this.#page.setGlobalShortcuts(value !== null);
    } else if (name === 'model') {
      if (value !== null) this.#models.modelAttributeChanged(value);
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
    const r = this.#refs;
    r.status.hidden = false;
    r.status.textContent = 'Loading the WebAssembly module…';
    const base = assetsBaseUrl(this.getAttribute('assets-base'));
    for (const part of [this.#sweep, this.#finder, this.#testImages]) part.setAssetsBase(base);
    const shared = this.urlState && !this.#started ? decodeState(location.hash) : null;
    const wanted = (!this.#started && shared?.model) || this.getAttribute('model');
    // The model list and the first model's bytes load while the module compiles.
    this.#models.prefetch({ list: this.getAttribute('models'), base, wanted });
    const lm = this.#lmGiven ?? (await sharedLMul(base));
    await nextTask();
    if (!current()) return false;
    this.#lm = lm;
    const sharedSettings = shared && ['E', 'M', 'variant', 'rounding'].some((k) => shared[k] !== undefined);
    const first = await this.#models.openFirst(wanted, { tune: !this.#started && !this.#explicitFormat && !sharedSettings });
    if (!first || !current()) return false;
    const notes = [...first.notes, ...(shared ? this.#restore(shared) : []), ...(first.problem ? [first.problem] : [])];
    this.#models.showError(notes.join(' '));
    await this.#loop.prime(nextTask);
    if (!current()) return false;
    r.status.hidden = true;
    this.#started = true;
    this.#loop.start();
    // The cards below the fold are rendered once the first prediction has had its frame.
    await this.#nextFrame();
    await nextTask();
    if (!current()) return false;
    this.#renderAll();
    return true;
  }

  // Resolves after the next animation frame, or FRAME_WAIT_MS without one, or a disconnect.
  #nextFrame() {
    return new Promise((resolve) => {
      const wait = {
        frame: requestAnimationFrame(() => wait.done()),
        timer: setTimeout(() => wait.done(), FRAME_WAIT_MS),
        done: () => {
          cancelAnimationFrame(wait.frame);
          clearTimeout(wait.timer);
          if (this.#frameWait === wait) this.#frameWait = null;
          resolve();
        },
      };
      this.#frameWait = wait;
    });
  }

  // The cards below the fold, which a start leaves unrendered until its first prediction is on
  // screen (styles.js: data-starting), are rendered.
  #renderAll() {
    delete this.#refs.root.dataset.starting;
  }

  // A link's state (url-state.js) on the running element; returns notes on what it could not use.
  #restore(shared) {
    const notes = [];
    if (shared.problems.length) notes.push(`The link's ${shared.problems.join(', ')} could not be used.`);
    notes.push(...this.#settings.restore(shared));
    if (shared.image !== undefined) {
      this.showTestImage(shared.image).catch((err) => this.#models.showError(`The link's test image could not be shown: ${err.message ?? err}`));
    } else if (shared.input) {
      this.#pad.setImage(shared.input.map((v) => Math.round(v * 255)), { input: shared.input });
    }
    return notes;
  }

  #fatal(err) {
    const message = err?.message ?? String(err);
    console.error(`${TAG}: ${message}`);
    this.#refs.status.hidden = false;
    this.#refs.status.textContent = `The demo could not start: ${message}`;
    this.#renderAll();
    this.#ready.settle(false, err instanceof Error ? err : new Error(message));
  }

  // ---- attributes and properties -----------------------------------------------------------
  /** Resolves once the module and the first model are ready; rejects when the demo cannot start. */
  get ready() {
    return this.#ready.promise;
  }
  get m() {
    return this.#settings.value.M;
  }
  set m(v) {
    this.setAttribute('m', String(checkInt('m', v, 1, 23)));
  }
  get e() {
    return this.#settings.value.E;
  }
  set e(v) {
    this.setAttribute('e', String(checkInt('e', v, 2, 8)));
  }
  get model() {
    return this.#models.current?.entry.id ?? this.getAttribute('model');
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

  #reflect(attr, value) {
    if (this.getAttribute(attr) !== value) this.setAttribute(attr, value);
  }

  /** The last 28x28 network input (row-major, [0, 1]), or null when the pad is empty. */
  get input() {
    const input = this.#loop.input;
    return input ? Float32Array.from(input) : null;
  }
  get predictions() {
    return this.#loop.predictions;
  }
  get settings() {
    return this.#settings.value;
  }
  /** The plan: the layers (describe() indices) that multiply exactly, and the L-Mul column's plan as text. */
  get plan() {
    const { exact, text } = this.#settings.plan;
    return { exact, text };
  }

  // ---- methods ---------------------------------------------------------------------------
  clear() {
    this.#pad.clear();
  }
  undo() {
    return this.#pad.undo();
  }
  async showTestImage(index) {
    return this.#testImages.show(index);
  }
  // A random test image, of one digit when label is 0..9.
  async showRandomTestImage(label = null, { sample = false } = {}) {
    if (label !== null) checkInt('showRandomTestImage: label', label, 0, 9);
    return this.#testImages.showRandom(label, { sample: Boolean(sample) });
  }
  async runSweep(n = 10000) {
    return this.#runSweep(n, false);
  }
  async #runSweep(n, confirmLong) {
    await this.ready;
    return this.#sweep.run(clampInt(n, 1, 10000, 10000), { confirmLong });
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
    return this.#models.loadFile(file);
  }

  // ---- wiring ----------------------------------------------------------------------------
  // A model became current (model-controller.js): the rest of the demo follows it.
  #use(model, { otherModel, tune }) {
    if (otherModel) {
      this.#sweep.reset(); // its numbers were another model's
      this.#finder.reset();
    }
    this.#settings.setModelLayers(model.handle.describe());
    if (tune) this.#settings.applyTuned(model.tuned);
    this.#models.renderNote();
    this.#changed();
  }

  // A setting or the plan changed (settings.js).
  #settingsChanged({ e, m, warm }) {
    const s = this.#settings.value;
    // The attributes mirror the state (their callbacks then find nothing to change).
    if (e) this.#reflect('e', String(s.E));
    if (m) this.#reflect('m', String(s.M));
    this.#view.label(s);
    this.#models.renderNote();
    this.#changed();
    if (warm) this.#loop.warmUp(); // the plans of every M for the new multiplier
  }

  // Settings, plan or model changed: predict again, tell screen readers, listeners and the URL;
  // a disagreement list on screen is redone.
  #changed() {
    this.#loop.schedule();
    this.#loop.announce();
    const model = this.#models.current;
    if (!model) return;
    this.#layers.describe(this.#settings.spec('lmul'));
    this.#share.changed();
    this.#finder.changed();
    const { entry, handle, tuned } = model;
    this.#emit('lmul-change', { settings: this.settings, plan: this.plan, model: { id: entry.id, name: entry.name, layers: Array.from(handle.layers), tuned } });
  }

  // The state a link restores (url-state.js), null before a model is there.
  #urlState() {
    const model = this.#models.current;
    if (!model || !this.#started) return null;
    return linkState({ entry: model.entry, settings: this.settings, exact: this.plan.exact, sole: this.#pad.soleImage, input: this.#loop.input });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #retheme() {
    if (!this.#connected) return;
    this.#pad.render();
    for (const part of [this.#view, this.#attention, this.#sweep, this.#finder]) part.retheme();
    this.#loop.redrawInput();
  }
}

if (!customElements.get(TAG)) customElements.define(TAG, LMulDigitDemo);

// Creates a <lmul-digit-demo> inside `element` and returns it.
// options: { m, e, model, models, compact, theme, globalShortcuts, assetsBase, urlState, lm }
export function mountDemo(element, options = {}) {
  if (!element || typeof element.appendChild !== 'function') throw new TypeError('mountDemo: element must be a DOM element');
  if (options === null || typeof options !== 'object') throw new TypeError(`mountDemo: options must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const key of Object.keys(options))
    if (!OPTIONS.includes(key)) throw new TypeError(`mountDemo: unknown option ${JSON.stringify(key)}; allowed: ${OPTIONS.join(', ')}`);
  const demo = document.createElement(TAG);
  for (const key of OPTIONS) if (options[key] !== undefined) demo[key] = options[key];
  element.appendChild(demo);
  return demo;
}

export { LMulDigitDemo };
