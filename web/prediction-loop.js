// From the pad to the predictions: at most one prediction per animation frame after a change
// of the pad or of anything else (schedule()) — the pad's state (Undo, the hint, the preview's
// caption), its network input (preprocessed by lm, or a test image or a link's input as it
// is), the exact, Float and L-Mul predictions of the current model under the current settings,
// handed to the prediction, attention and layers views and reported with onPredict — the
// screen-reader summary a moment after the last change (announce()), and warming the model up
// for every M while the browser is idle, once someone reaches for the element. It owns no view,
// model or setting.
import { RASTER_SIZE } from './drawing.js';
import { summary } from './prediction-view.js';
import { Warmup, warmupJobs } from './warmup.js';

const ANNOUNCE_MS = 600;

// What the preview shows, for the pad's sole image (null: a drawing).
export function inputCaption(sole) {
  if (sole?.index !== undefined) return `MNIST test image #${sole.index}, label ${sole.label} (used as is).`;
  if (sole) return 'A drawing from a link: its 28×28 network input, exactly as it was shared.';
  return 'Network input, 28×28: cropped, fit to 20×20, centered by mass, like MNIST.';
}

// The 28×28 network input of pad ({ isEmpty, soleImage, rasterize() }): a test image or a link's
// input as it is, else the drawing preprocessed by lm; null when there is no ink.
export function networkInput(pad, lm) {
  if (pad.isEmpty) return null;
  const sole = pad.soleImage;
  const input = sole ? (sole.input ?? Float32Array.from(sole.pixels, (p) => p / 255)) : lm.preprocess(pad.rasterize(), RASTER_SIZE, RASTER_SIZE);
  return input.some((v) => v > 0) ? input : null;
}

// The three columns' predictions of input by model (an LMulModel) under options(method): exact
// (without errors: exact against exact has none), Float and L-Mul; a transformer's exact and
// L-Mul predictions carry the class token's attention maps.
export function predictColumns(model, input, options) {
  const attention = model.metadata?.arch === 'vit';
  return {
    exact: model.predict(input, { ...options('exact'), errors: false, attention }),
    float: model.predict(input, options('float')),
    lmul: model.predict(input, { ...options('lmul'), attention }),
  };
}

export class PredictionLoop {
  #refs;
  #pad;
  #views;
  #lm;
  #model;
  #settings;
  #colors;
  #onPredict;
  #warm = new Warmup();
  #input = null;
  #predictions = null;
  #raf = 0;
  #announceTimer = 0;
  #connected = false;
  #started = false; // the first model of the connection is in
  #engaged = false; // someone pointed at or used the element: warming up is worth its work

  // root: where a person's pointer, focus and keys show engagement (the shadow root). views:
  // { prediction, attention, layers }. lm(), model(): the instance and the current LMulModel
  // (null while there is none). settings: the SettingsController (options, format). colors():
  // { ink, paper }. onPredict(input, predictions): a prediction was shown.
  constructor(root, refs, { pad, views, lm, model, settings, colors, onPredict }) {
    this.#refs = refs;
    this.#pad = pad;
    this.#views = views;
    this.#lm = lm;
    this.#model = model;
    this.#settings = settings;
    this.#colors = colors;
    this.#onPredict = onPredict;
    pad.addEventListener('change', (e) => {
      this.schedule();
      if (e.detail.final) this.announce();
    });
    // Warming up every M is seconds of main-thread work in idle slices (long tasks on a slow
    // phone): it waits until someone reaches for the element, so a page that is only looked at
    // loads quietly.
    const engage = () => {
      if (this.#engaged) return;
      this.#engaged = true;
      this.warmUp();
    };
    for (const type of ['pointerover', 'pointerdown', 'focusin', 'keydown']) root.addEventListener(type, engage, { passive: true });
  }

  // The last network input (null: none), and its predictions { exact, float, lmul } (null: none).
  get input() {
    return this.#input;
  }
  get predictions() {
    return this.#predictions;
  }

  connect() {
    this.#connected = true;
  }
  // The first model is in: predict, and warm up.
  start() {
    this.#started = true;
    this.schedule();
    this.warmUp();
  }
  disconnect() {
    this.#connected = false;
    this.#started = false;
    cancelAnimationFrame(this.#raf);
    this.#raf = 0;
    clearTimeout(this.#announceTimer);
    this.#announceTimer = 0;
    this.#warm.stop();
  }

  // Before a model's first prediction: each column's multiplier prepared (weights quantized and
  // packed, the module's code for it compiled) on a neutral input, each in a task of its own
  // (nextTask), so that the first prediction is not one long task. A column that fails is left
  // for the prediction to report.
  async prime(nextTask) {
    const model = this.#model();
    if (!model) return;
    const input = new Float32Array(model.inputSize).map((_, i) => (i % 5 ? 0 : 0.5)); // about a digit's ink
    for (const method of ['exact', 'float', 'lmul']) {
      await nextTask();
      if (model.disposed || this.#model() !== model) return;
      try {
        model.predict(input, { ...this.#settings.options(method), errors: false });
      } catch {
        return;
      }
    }
    await nextTask();
  }

  // Predicts in the next animation frame.
  schedule() {
    if (!this.#raf && this.#connected) this.#raf = requestAnimationFrame(() => {
      this.#raf = 0;
      this.#update();
    });
  }

  // Tells screen readers the predictions once changes pause.
  announce() {
    clearTimeout(this.#announceTimer);
    if (!this.#connected) return;
    this.#announceTimer = setTimeout(() => {
      this.#announceTimer = 0;
      this.#refs.live.textContent = summary(this.#predictions, this.#settings.format, this.#pad.isEmpty);
    }, ANNOUNCE_MS);
  }

  // Prepares the model for every M under the current multiplier and plan while the browser is
  // idle (the nearest M first), so that moving the slider later predicts within a frame.
  warmUp() {
    const model = this.#model();
    if (!model || !this.#started || !this.#engaged) return;
    this.#warm.start(model, warmupJobs((method) => this.#settings.options(method), this.#settings.value.M));
  }

  // The preview in the current colors.
  redrawInput() {
    this.#views.prediction.drawInput(this.#input, this.#colors());
  }

  #update() {
    const r = this.#refs, pad = this.#pad, { prediction, attention, layers } = this.#views;
    r.undo.setAttribute('aria-disabled', String(!pad.canUndo));
    r.hint.hidden = !pad.isEmpty;
    r.previewCaption.textContent = inputCaption(pad.soleImage);
    const lm = this.#lm(), model = this.#model();
    if (!lm || !model) return;
    this.#predictions = null;
    let input;
    try {
      input = networkInput(pad, lm);
    } catch (err) {
      prediction.showError(`Preprocessing failed: ${err.message ?? err}`);
      return;
    }
    this.#input = input;
    this.redrawInput();
    if (!input) {
      layers.showErrors(null);
      attention.show(null, null, null);
      return prediction.showBlank();
    }
    let predictions;
    try {
      predictions = predictColumns(model, input, (method) => this.#settings.options(method));
    } catch (err) {
      prediction.showError(`No prediction at ${this.#settings.format}: ${err.message ?? err}`);
      layers.showErrors(null);
      attention.show(null, null, null);
      return;
    }
    this.#predictions = predictions;
    prediction.show(predictions);
    attention.show(input, predictions.exact.attention, predictions.lmul.attention);
    layers.showErrors(predictions);
    this.#onPredict(input, predictions);
  }
}
