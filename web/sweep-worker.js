// Module Web Worker for the test-set sweep and the disagreement finder. It owns its own lmul-wasm
// instance and models and evaluates jobs (model options, plan included, over the first n test
// images) in chunks, posting progress after each chunk and checking for a cancel message between
// chunks. A job with `keep` also sends back every image's prediction and logits.
//
// Messages in:  { type: 'init', assetsBase }                    first: start lmul-wasm (createLMul options)
//               { type: 'data', bytes }                        the test set asset's bytes (mnist-format.js; copied once)
//               { type: 'model', key, bytes }                   bytes = null: lm.defaultModel()
//               { type: 'retain', keys }                        dispose every other model
//               { type: 'job', run, key, model, opts, n, chunk, keep } model: a loaded key
//               { type: 'cancel', run }
// Messages out: { type: 'ready' } | { type: 'progress', run, key, images }
//               { type: 'result', run, key, correct, total, ms, predictions?, logits? } | { type: 'cancelled', run, key }
//               { type: 'error', run, key, message }
import { createLMul } from '../wasm/index.js';
import { decodeMnist } from './mnist-format.js';

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
    ({ images, labels } = decodeMnist(msg.bytes));
  } else if (msg.type === 'model') {
    if (models.has(msg.key)) return;
    models.set(msg.key, msg.bytes ? await lm.loadModel(new Uint8Array(msg.bytes)) : await lm.defaultModel());
  } else if (msg.type === 'retain') {
    for (const [key, m] of models) if (!msg.keys.includes(key)) {
      m.dispose();
      models.delete(key);
    }
  } else if (msg.type === 'job') {
    const { run, key, opts, n, chunk, keep } = msg;
    const model = models.get(msg.model);
    if (!model || !images) throw new Error(`sweep worker: job ${key} before its model (${msg.model}) and data`);
    const per = model.inputSize, classes = model.outputSize;
    const kept = keep ? { predictions: new Uint8Array(n), logits: new Float32Array(n * classes) } : null;
    let correct = 0;
    const t0 = performance.now();
    for (let start = 0; start < n; start += chunk) {
      if (cancelled.has(run)) {
        self.postMessage({ type: 'cancelled', run, key });
        return;
      }
      const end = Math.min(n, start + chunk);
      const r = model.evaluate(images.subarray(start * per, end * per), labels.subarray(start, end), keep ? { ...opts, logits: true } : opts);
      correct += r.correct;
      if (kept) {
        kept.predictions.set(r.predictions, start);
        kept.logits.set(r.logits, start * classes);
      }
      self.postMessage({ type: 'progress', run, key, images: end - start });
      if (end < n) await yieldToEvents();
    }
    const result = { type: 'result', run, key, correct, total: n, ms: performance.now() - t0, ...kept };
    self.postMessage(result, kept ? [kept.predictions.buffer, kept.logits.buffer] : []);
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
