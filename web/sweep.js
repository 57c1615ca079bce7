// Runs the test-set sweep on a small pool of module workers (sweep-worker.js), each with its own
// lmul-wasm instance: jobs go to whichever worker is idle, progress is summed over workers, and
// cancel() stops every worker after its current chunk (and ends the run at once). A run may use
// several models (a fine-tune and its base): every worker holds all of them, each job names one.

export const defaultPoolSize = () => Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency || 2));

export class SweepRunner {
  #workers = [];
  #run = 0;
  #active = null; // { run, reject, resolve, ... }

  constructor({ size = defaultPoolSize(), url = new URL('./sweep-worker.js', import.meta.url) } = {}) {
    this.size = size;
    this.url = url;
  }

  get running() {
    return this.#active !== null;
  }

  #worker(i) {
    if (!this.#workers[i]) {
      const worker = new Worker(this.url, { type: 'module', name: `lmul-sweep-${i}` });
      const slot = { worker, data: null, models: new Set() };
      worker.onmessage = (e) => this.#onMessage(slot, e.data);
      worker.onerror = (e) => {
        e.preventDefault?.();
        this.#fail(new Error(`sweep worker failed: ${e.message || 'could not load the worker module'}`));
      };
      worker.onmessageerror = () => this.#fail(new Error('sweep worker: message could not be decoded'));
      this.#workers[i] = slot;
    }
    return this.#workers[i];
  }

  // dataset: { images: Uint8Array(n*784), labels: Uint8Array(n) } (kept identical between runs
  // to avoid copying it again); models: [{ key, bytes: ArrayBuffer | null }] (or one `model`);
  // jobs: [{ key, opts, model? }] (model: a key of models, default the first); n: images per job.
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
        slot.worker.postMessage({ type: 'job', run, key: job.key, model: job.model ?? keys[0], opts: job.opts, n, chunk });
      };
      active.onProgress = (k) => {
        done += k;
        onProgress(done, total);
      };
      active.onResult = (slot, msg) => {
        active.busy.delete(slot);
        const r = { correct: msg.correct, total: msg.total, accuracy: msg.correct / msg.total, ms: msg.ms };
        results.set(msg.key, r);
        onResult(msg.key, r);
        next(slot);
      };
      const size = Math.min(this.size, jobs.length);
      for (let i = 0; i < size; ++i) {
        const slot = this.#worker(i);
        if (slot.data !== dataset) {
          slot.worker.postMessage({ type: 'data', images: dataset.images, labels: dataset.labels });
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
