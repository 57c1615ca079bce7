// Warming up a model: predicting once under each of a list of options prepares (quantizes and
// packs) its weights for them, which is most of the cost of a first prediction under new
// settings. One option per idle moment of the browser, so the page never stalls for it; a new
// start replaces the old list, stop() cancels. warmupJobs is the list for every M.
export class Warmup {
  #id = 0;
  #jobs = [];
  #handle = null;
  #input = null;

  // handle: an LMulModel; jobs: predict options.
  start(handle, jobs) {
    this.stop();
    this.#handle = handle;
    this.#input = new Float32Array(handle.inputSize);
    this.#jobs = jobs.slice();
    this.#next();
  }

  #next() {
    const idle = globalThis.requestIdleCallback ?? ((f) => setTimeout(f, 50));
    this.#id = idle(() => {
      this.#id = 0;
      const job = this.#jobs.shift();
      if (!job || this.#handle.disposed) return;
      try {
        this.#handle.predict(this.#input, job);
      } catch {
        return; // the prediction itself will say what is wrong
      }
      this.#next();
    });
  }

  stop() {
    if (this.#id) (globalThis.cancelIdleCallback ?? clearTimeout)(this.#id);
    this.#id = 0;
    this.#jobs = [];
  }
}

// The predict options that warm a model up for every M (the nearest to `now` first) under the
// Float and L-Mul columns' options (options(method), the plan included); no errors are measured.
export function warmupJobs(options, now) {
  const Ms = Array.from({ length: 23 }, (_, k) => k + 1).sort((a, b) => Math.abs(a - now) - Math.abs(b - now) || a - b);
  return Ms.flatMap((M) => ['float', 'lmul'].map((method) => ({ ...options(method), M, errors: false })));
}
