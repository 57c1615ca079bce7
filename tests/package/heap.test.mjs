// The wasm heap, malloc's live bytes and the count of live models stay flat over 100000 predict
// calls (every method, one in 9 with error statistics) and over other API calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLMul } from '../../wasm/index.js';
import { mnistTest, pixelsOf } from './helpers.mjs';

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
