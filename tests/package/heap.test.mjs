// The wasm heap, malloc's live bytes and the count of live models stay flat over 100000 predict
// calls (every method, one in 9 with error statistics) and over other API calls; and under
// memory pressure (issue 15): a 182 MB model keeps its prepared copies within their byte budget
// and gives every byte back on dispose(), a model that cannot fit is refused when it is loaded,
// running out of memory with models alive says how many and what frees them, and one call's
// scratch memory is given back after a call on 50 M elements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLMul } from '../../wasm/index.js';
import { mnistTest, pixelsOf, rng, seedModelPath, wideModelFile } from './helpers.mjs';

// malloc's live bytes may move by a few bytes when the allocator reshuffles a cached buffer
// (emmalloc's layout depends on object sizes); a leak of even one allocation per call would
// show as hundreds of kilobytes over these runs.
const MALLOC_SLACK = 1024;
function assertFlat(before, after) {
  assert.equal(after.heapBytes, before.heapBytes, 'the wasm heap grew');
  assert.ok(Math.abs(after.mallocBytes - before.mallocBytes) <= MALLOC_SLACK,
    `malloc'd bytes went from ${before.mallocBytes} to ${after.mallocBytes}`);
  assert.equal(after.liveModels, before.liveModels, 'models were left alive');
}

test('100000 predict calls: no growth of the heap, malloc or handles', async () => {
  const lm = await createLMul();
  const model = await lm.defaultModel();
  const { images } = mnistTest();
  const inputs = Array.from({ length: 16 }, (_, k) => pixelsOf(images, k));
  const methods = ['exact', 'float', 'lmul', 'lmul-formula', 'mitchell'];
  const call = (i) => model.predict(inputs[i % 16], { method: methods[i % 5], M: 4, errors: i % 9 === 0 }); // 9: errors for every method
  for (let i = 0; i < 1000; ++i) call(i); // warm up: prepared networks are cached per method
  const before = lm.memory();
  const t0 = performance.now();
  let sum = 0;
  for (let i = 0; i < 100000; ++i) sum += call(i).digit;
  const ms = performance.now() - t0;
  const after = lm.memory();
  console.log(`100000 predicts in ${ms.toFixed(0)} ms (${(ms / 100).toFixed(1)} us each, one in 9 with errors); ` +
    `memory before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  assert.ok(sum > 0);
  assertFlat(before, after);
  model.dispose();
});

test('other entry points, errors and model load/dispose cycles leave nothing behind', async () => {
  const lm = await createLMul();
  const model = await lm.defaultModel();
  const x = pixelsOf(mnistTest().images, 0);
  const a = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i)), b = Float32Array.from({ length: 5000 }, (_, i) => Math.cos(i));
  const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(new URL('../../models/mlp-784-128-10.safetensors', import.meta.url)));
  const round = async () => {
    lm.mul(1.5, 2.5);
    lm.mulArray(a, b, { method: 'float', M: 3 });
    lm.errorStats(a, b);
    lm.quantize(3.3);
    lm.preprocess(new Float32Array(64 * 64).fill(0.5, 100, 900), 64, 64);
    model.evaluate(new Uint8Array(784 * 3), Uint8Array.of(1, 2, 3));
    await lm.loadModel(new Uint8Array(12)).catch(() => {});
    try { lm.preprocess(new Float32Array(4).fill(NaN), 2, 2); } catch {}
    const m = await lm.loadModel(bytes);
    m.predict(x);
    m.dispose();
  };
  for (let i = 0; i < 20; ++i) await round();
  const before = lm.memory();
  for (let i = 0; i < 300; ++i) await round();
  const after = lm.memory();
  assertFlat(before, after);
  model.dispose();
});

const MiB = 2 ** 20;
const mib = (b) => `${(b / MiB).toFixed(1)} MiB`;
const WIDE_PRODUCTS = 784 * 60000 + 60000 * 10;

test('a 784 -> 60000 -> 10 model (182 MB): one copy of the weights, prepared copies within the byte budget, dispose() gives every byte back', async () => {
  const lm = await createLMul();
  const x = pixelsOf(mnistTest().images, 0);
  const file = wideModelFile(60000);
  const warm = await lm.defaultModel(); // the module's one-time allocations
  warm.predict(x);
  warm.dispose();
  const start = lm.memory();
  let t0 = performance.now();
  const model = await lm.loadModel(file);
  const loaded = lm.memory();
  console.log(`load ${(performance.now() - t0).toFixed(0)} ms: malloc ${mib(start.mallocBytes)} -> ${mib(loaded.mallocBytes)} for a ${mib(file.length)} file`);
  // The weights once; the file's bytes were scratch space for the load and are given back.
  assert.ok(loaded.mallocBytes - start.mallocBytes < file.length * 1.02, `loading kept ${mib(loaded.mallocBytes - start.mallocBytes)}`);

  // Many settings, one after the other: the cache keeps what fits in its budget (a copy of this
  // model is larger than the whole budget, so only the one in use), and frees the rest.
  const settings = [{ method: 'exact' }, { method: 'lmul', M: 1 }, { method: 'lmul', M: 2 }, { method: 'float', M: 3 },
    { method: 'mitchell', M: 3 }, { method: 'lmul', M: 3 }, { method: 'lmul', M: 1 }];
  let most = 0, largestCopy = 0;
  const digits = new Set();
  for (const o of settings) {
    t0 = performance.now();
    digits.add(model.predict(x, { ...o, errors: false }).digit);
    const p = model.prepared, m = lm.memory();
    console.log(`  ${JSON.stringify(o)}: ${(performance.now() - t0).toFixed(0)} ms, prepared ${mib(p.bytes)} in ${p.plans} plan(s), malloc ${mib(m.mallocBytes)}`);
    assert.ok(p.bytes <= p.budget || p.plans === 1, `prepared ${JSON.stringify(p)} beyond the budget with more than one plan`);
    largestCopy = Math.max(largestCopy, p.bytes);
    most = Math.max(most, m.mallocBytes - loaded.mallocBytes);
  }
  assert.equal(model.prepared.budget, 256 * MiB);
  assert.ok(most <= Math.max(largestCopy, model.prepared.budget) + MiB, `${mib(most)} held beyond the weights`);
  assert.ok(digits.size >= 1 && !digits.has(null));

  // Error statistics need a second prepared copy (exact) at the same time, and keep every
  // product's error: with every input nonzero (none is skipped) that is the most they take.
  // They fit.
  t0 = performance.now();
  const withErrors = model.predict(new Float32Array(784).fill(0.5), { method: 'lmul', M: 4 });
  const m = lm.memory();
  console.log(`  with error statistics: ${(performance.now() - t0).toFixed(0)} ms, heap ${mib(m.heapBytes)}, malloc ${mib(m.mallocBytes)}`);
  assert.equal(withErrors.errors.count + withErrors.errors.zeros + withErrors.errors.nonfinite, WIDE_PRODUCTS);

  model.dispose();
  const end = lm.memory();
  console.log(`disposed: malloc ${mib(end.mallocBytes)} (heap ${mib(end.heapBytes)}: a wasm heap never shrinks)`);
  // (Less than at the start, when the warm-up's file was still in the scratch memory kept.)
  assert.ok(end.mallocBytes - start.mallocBytes <= MALLOC_SLACK, `malloc'd bytes went from ${start.mallocBytes} to ${end.mallocBytes} after dispose()`);
  assert.equal(end.liveModels, 0);
});

test('a model that cannot fit in a 2 GiB heap is refused when it is loaded, with the size it needs and the limit', async () => {
  const lm = await createLMul();
  const start = lm.memory();
  const file = wideModelFile(230000); // 731 MB of weights
  await assert.rejects(lm.loadModel(file), (e) => {
    console.log(e.message);
    assert.equal(e.constructor, RangeError);
    assert.match(e.message, /^lm\.loadModel: this model \(its weights and one prepared copy of them for a multiplier\) needs about (\d+) MiB, more than the 2048 MiB a WebAssembly instance can hold; use a smaller model here, or the native CLI \(lmul eval\)$/);
    assert.ok(Number(e.message.match(/about (\d+) MiB/)[1]) > 2048);
    return true;
  });
  assert.ok(Math.abs(lm.memory().mallocBytes - start.mallocBytes) <= MALLOC_SLACK, 'the refused load left memory allocated');
  const seed = await lm.loadModel(await (await import('node:fs/promises')).readFile(seedModelPath));
  assert.equal(seed.predict(pixelsOf(mnistTest().images, 0)).digit, 7);
  seed.dispose();
});

test('a model whose error statistics cannot fit predicts without them, and says so when asked for them', async () => {
  const lm = await createLMul();
  const model = await lm.loadModel(wideModelFile(100000)); // 318 MB
  const x = pixelsOf(mnistTest().images, 0);
  assert.throws(() => model.predict(x, { method: 'lmul', M: 3 }), (e) => {
    console.log(e.message);
    assert.equal(e.constructor, RangeError);
    assert.match(e.message, /^model\.predict: a prediction with error statistics for this model \(.*\) needs about \d+ MiB, more than the 2048 MiB a WebAssembly instance can hold; pass \{ errors: false \} to predict without them$/);
    return true;
  });
  assert.equal(typeof model.predict(x, { method: 'lmul', M: 3, errors: false }).digit, 'number');
  assert.equal(typeof model.predict(x, { method: 'exact' }).digit, 'number', 'exact products have no error statistics to keep');
  model.dispose();
});

test('out of memory with models alive: the error says how many and that dispose() frees them', async () => {
  const lm = await createLMul();
  const file = wideModelFile(40000); // 121 MB: about 15 fit
  const kept = [];
  let error = null;
  while (!error && kept.length < 40) {
    try {
      kept.push(await lm.loadModel(file));
    } catch (e) {
      error = e;
    }
  }
  assert.ok(error, 'memory never ran out');
  console.log(`${kept.length} models loaded, then: ${error.message}`);
  assert.equal(error.constructor, RangeError);
  assert.equal(error.message, `lm.loadModel: out of memory: the WebAssembly heap cannot grow further; ${kept.length} models are alive in this instance: ` +
    'call dispose() on those you no longer need (or hold them with `using`), which frees their memory at once');
  assert.equal(lm.memory().liveModels, kept.length);
  for (const m of kept) m.dispose();
  assert.equal(lm.memory().liveModels, 0);
  const again = await lm.loadModel(file); // the memory is there again
  again.dispose();
});

test('errorStats on 50 M elements gives its scratch memory back', async () => {
  const lm = await createLMul();
  const n = 50_000_000;
  const a = new Float32Array(n), b = new Float32Array(n);
  const next = rng(3);
  for (let i = 0; i < n; ++i) {
    a[i] = next() * 4 - 2;
    b[i] = next() * 4 - 2;
  }
  // The scratch memory kept between calls (one piece of MUL_CHUNK pairs, 512 KiB) is allocated
  // by a call on a few pieces already.
  lm.errorStats(a.subarray(0, 200000), b.subarray(0, 200000));
  const before = lm.memory();
  const t0 = performance.now();
  const s = lm.errorStats(a, b, { M: 3 });
  const after = lm.memory();
  console.log(`errorStats on ${n} pairs: ${(performance.now() - t0).toFixed(0)} ms, heap ${mib(before.heapBytes)} -> ${mib(after.heapBytes)}, ` +
    `malloc ${mib(before.mallocBytes)} -> ${mib(after.mallocBytes)}`);
  assert.equal(s.count + s.zeros + s.nonfinite, n);
  assert.ok(s.mean > 0 && s.median > 0);
  assert.ok(Math.abs(after.mallocBytes - before.mallocBytes) <= MALLOC_SLACK, `malloc'd bytes went from ${before.mallocBytes} to ${after.mallocBytes}`);
});
