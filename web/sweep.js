// The test-set sweep's work: the job list (pure), and a small pool of module workers
// (sweep-worker.js), each with its own lmul-wasm instance: jobs go to whichever worker is idle,
// progress is summed over workers, and cancel() stops every worker after its current chunk (and
// ends the run at once). A run may use several models (a fine-tune and its base): every worker
// holds all of them, each job names one. The disagreement finder runs its scans on a pool too.
import { fetchBytes } from './assets.js';

export const SWEEP_MS = Object.freeze([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

// The configurations of one sweep: exact fp32, then Float and L-Mul (lmulMethod) at every M of
// SWEEP_MS with the given E and rounding, and the plan (model.predict's plan option: the layers
// that multiply exactly; undefined: none); with baseKey also the base model's exact and L-Mul.
// Keys: 'exact', 'float:M', 'lmul:M', 'base:exact', 'base:M'.
export function sweepJobs({ E, rounding, lmulMethod, plan }, baseKey = null) {
  const exact = { method: 'exact', M: 23, E: 8, rounding };
  const at = (method, M) => (plan ? { method, M, E, rounding, plan } : { method, M, E, rounding });
  const jobs = [{ key: 'exact', opts: exact }];
  for (const M of SWEEP_MS) jobs.push({ key: `float:${M}`, opts: at('float', M) }, { key: `lmul:${M}`, opts: at(lmulMethod, M) });
  if (baseKey !== null) {
    jobs.push({ key: 'base:exact', model: baseKey, opts: exact });
    for (const M of SWEEP_MS) jobs.push({ key: `base:${M}`, model: baseKey, opts: at(lmulMethod, M) });
  }
  return jobs;
}

export const defaultPoolSize = () => Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency || 2));

// A sweep expected to run longer than this asks before it starts.
export const LONG_SWEEP_SECONDS = 30;

// How long a sweep of `jobs` configurations over `images` test images will take, from the model's
// products per image and a rate measured here and now: `model` (an LMulModel) evaluates a few of
// the test images with exact fp32 (prepared already by the page's predictions), enough for about
// 20 M products. Returns { seconds, products, rate } (products per image, products per second
// of one worker).
export function estimateSweep(model, data, { jobs, images, workers }) {
  const products = model.describe().reduce((sum, l) => sum + l.products, 0);
  const n = Math.max(1, Math.min(data.labels.length, 500, Math.round(2e7 / products)));
  const run = (k) => model.evaluate(data.images.subarray(0, k * 784), data.labels.subarray(0, k), { method: 'exact' });
  run(1); // prepares the exact network if nothing has yet
  const t0 = performance.now();
  run(n);
  const rate = (n * products) / Math.max(1e-3, (performance.now() - t0) / 1000);
  return { seconds: (jobs * images * products) / (rate * Math.max(1, workers)), products, rate };
}

// A sweep worker: by default the literal form that Vite and webpack bundle with its imports;
// with an assets base (a URL folder laid out like the package) the copy under web/.
function spawnWorker(base) {
  return base
    ? new Worker(new URL('web/sweep-worker.js', base), { type: 'module' })
    : new Worker(new URL('./sweep-worker.js', import.meta.url), { type: 'module' });
}

// Why a worker did not start: a module worker's error event says nothing, so ask the server.
async function workerFailure(base) {
  if (!base) {
    return 'the sweep worker (sweep-worker.js beside lmul-digit-demo.js) could not start; with a bundler that does not ' +
      'process new URL(…, import.meta.url) (esbuild), copy node_modules/lmul-wasm/ and set assets-base';
  }
  const url = new URL('web/sweep-worker.js', base);
  try {
    await fetchBytes(url, 'web');
  } catch (err) {
    return `the sweep worker could not start: ${err.message}`;
  }
  return `the sweep worker ${url} could not start: one of its imports failed — serve node_modules/lmul-wasm/{web,wasm,dist}/ under assets-base`;
}

export class SweepRunner {
  #workers = [];
  #run = 0;
  #active = null; // { run, reject, resolve, ... }
  #base;

  // base: the assets base URL (a folder laid out like the package), or null.
  constructor({ size = defaultPoolSize(), base = null } = {}) {
    this.size = size;
    this.#base = base;
  }

  get running() {
    return this.#active !== null;
  }

  #worker(i) {
    if (!this.#workers[i]) {
      const worker = spawnWorker(this.#base);
      const slot = { worker, data: null, models: new Set() };
      worker.onmessage = (e) => this.#onMessage(slot, e.data);
      worker.onerror = (e) => {
        e.preventDefault?.();
        if (e.message) this.#fail(new Error(`sweep worker: ${e.message}`));
        else workerFailure(this.#base).then((why) => this.#fail(new Error(why)));
      };
      worker.postMessage({ type: 'init', assetsBase: this.#base?.href ?? null });
      worker.onmessageerror = () => this.#fail(new Error('sweep worker: message could not be decoded'));
      this.#workers[i] = slot;
    }
    return this.#workers[i];
  }

  // dataset: a MnistSet (mnist.js; kept identical between runs to avoid copying it again);
  // models: [{ key, bytes: ArrayBuffer | null }] (or one `model`); jobs: [{ key, opts, model?,
  // keep? }] (model: a key of models, default the first; keep: the result also has every
  // image's predictions and logits); n: images per job.
  run({ dataset, model, models = [model], jobs, n, chunk = 1000, onProgress = () => {}, onResult = () => {} }) {
    if (this.#active) throw new Error('a sweep is already running');
    if (!models.length || models.some((m) => !m || m.key == null)) throw new Error('sweep: no model');
    const keys = models.map((m) => m.key);
    const run = ++this.#run;
    const total = jobs.length * n;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const pending = jobs.slice();
      const results = new Map();
      let done = 0;
      const active = { run, resolve, reject, pending, results, busy: new Set() };
      this.#active = active;
      const next = (slot) => {
        const job = pending.shift();
        if (!job) {
          if (active.busy.size === 0) this.#finish({ cancelled: false, results, ms: performance.now() - started });
          return;
        }
        active.busy.add(slot);
        slot.worker.postMessage({ type: 'job', run, key: job.key, model: job.model ?? keys[0], opts: job.opts, n, chunk, keep: job.keep === true });
      };
      active.onProgress = (k) => {
        done += k;
        onProgress(done, total);
      };
      active.onResult = (slot, msg) => {
        active.busy.delete(slot);
        const r = { correct: msg.correct, total: msg.total, accuracy: msg.correct / msg.total, ms: msg.ms };
        if (msg.predictions) Object.assign(r, { predictions: msg.predictions, logits: msg.logits });
        results.set(msg.key, r);
        onResult(msg.key, r);
        next(slot);
      };
      const size = Math.min(this.size, jobs.length);
      for (let i = 0; i < size; ++i) {
        const slot = this.#worker(i);
        if (slot.data !== dataset) {
          slot.worker.postMessage({ type: 'data', bytes: dataset.bytes });
          slot.data = dataset;
        }
        slot.worker.postMessage({ type: 'retain', keys });
        for (const key of slot.models) if (!keys.includes(key)) slot.models.delete(key);
        for (const m of models) if (!slot.models.has(m.key)) {
          slot.worker.postMessage({ type: 'model', key: m.key, bytes: m.bytes ? m.bytes.slice(0) : null });
          slot.models.add(m.key);
        }
      }
      for (let i = 0; i < size; ++i) next(this.#workers[i]);
      if (size === 0) this.#finish({ cancelled: false, results, ms: 0 });
    });
  }

  #onMessage(slot, msg) {
    const a = this.#active;
    if (msg.type === 'error') {
      slot.models.clear(); // reload the models next time
      if (a && (msg.run === undefined || msg.run === a.run)) this.#fail(new Error(msg.message));
      return;
    }
    if (!a || msg.run !== a.run) return; // a cancelled run's late messages
    if (msg.type === 'progress') a.onProgress(msg.images);
    else if (msg.type === 'result') a.onResult(slot, msg);
  }

  #finish(value) {
    const a = this.#active;
    this.#active = null;
    a?.resolve(value);
  }
  #fail(err) {
    const a = this.#active;
    if (!a) return;
    this.#active = null;
    for (const slot of this.#workers) slot?.worker.postMessage({ type: 'cancel', run: a.run });
    a.reject(err);
  }

  cancel() {
    const a = this.#active;
    if (!a) return;
    for (const slot of this.#workers) slot?.worker.postMessage({ type: 'cancel', run: a.run });
    this.#finish({ cancelled: true, results: a.results, ms: 0 });
  }

  terminate() {
    this.cancel();
    for (const slot of this.#workers) slot?.worker.terminate();
    this.#workers = [];
  }
}
