// Module Web Worker for the test-set sweep. It owns its own lmul-wasm instance and model and
// evaluates jobs ({ method, M, E, rounding } over the first n test images) in chunks, posting
// progress after each chunk and checking for a cancel message between chunks.
//
// Messages in:  { type: 'init', assetsBase }                    first: start lmul-wasm (createLMul options)
//               { type: 'data', images, labels }               test set (copied once)
//               { type: 'model', key, bytes }                   bytes = null: lm.defaultModel()
//               { type: 'retain', keys }                        dispose every other model
//               { type: 'job', run, key, model, opts, n, chunk } model: a loaded key
//               { type: 'cancel', run }
// Messages out: { type: 'ready' } | { type: 'progress', run, key, images }
//               { type: 'result', run, key, correct, total, ms } | { type: 'cancelled', run, key }
//               { type: 'error', run, key, message }
import { createLMul } from '../wasm/index.js';

let lmPromise = null;
const models = new Map(); // key -> LMulModel (a fine-tune and its base during a comparison)
let images = null, labels = null;
const cancelled = new Set();
let queue = Promise.resolve();

// A macrotask without setTimeout's 4 ms clamp, so 'cancel' messages get a chance to run.
const yieldToEvents = () =>
  new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(0);
  });

async function handle(msg) {
  const lm = await lmPromise;
  if (msg.type === 'data') {
    images = msg.images;
    labels = msg.labels;
  } else if (msg.type === 'model') {
    if (models.has(msg.key)) return;
    models.set(msg.key, msg.bytes ? await lm.loadModel(new Uint8Array(msg.bytes)) : await lm.defaultModel());
  } else if (msg.type === 'retain') {
    for (const [key, m] of models) if (!msg.keys.includes(key)) {
      m.dispose();
      models.delete(key);
    }
  } else if (msg.type === 'job') {
    const { run, key, opts, n, chunk } = msg;
    const model = models.get(msg.model);
    if (!model || !images) throw new Error(`sweep worker: job ${key} before its model (${msg.model}) and data`);
    let correct = 0;
    const t0 = performance.now();
    for (let start = 0; start < n; start += chunk) {
      if (cancelled.has(run)) {
        self.postMessage({ type: 'cancelled', run, key });
        return;
      }
      const end = Math.min(n, start + chunk);
      const r = model.evaluate(images.subarray(start * 784, end * 784), labels.subarray(start, end), opts);
      correct += r.correct;
      self.postMessage({ type: 'progress', run, key, images: end - start });
      if (end < n) await yieldToEvents();
    }
    self.postMessage({ type: 'result', run, key, correct, total: n, ms: performance.now() - t0 });
  }
}

function start(assetsBase) {
  lmPromise = createLMul(assetsBase ? { assetsBase } : {});
  lmPromise.then(
    () => self.postMessage({ type: 'ready' }),
    (err) => self.postMessage({ type: 'error', message: String(err?.message ?? err) }),
  );
}

self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'init') {
    start(msg.assetsBase);
    return;
  }
  if (msg.type === 'cancel') {
    cancelled.add(msg.run);
    return;
  }
  queue = queue
    .then(() => handle(msg))
    .catch((err) => self.postMessage({ type: 'error', run: msg.run, key: msg.key, message: String(err?.message ?? err) }));
};
