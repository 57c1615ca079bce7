// The pure parts of the element's controllers, in Node without a browser: a column's multiplier
// and predict options (settings.js), the warm-up list (warmup.js), the network input, the
// preview caption and the three columns' predictions (prediction-loop.js), a random test image
// (test-images.js), the state a link keeps (url-state.js), a chart's export names (export.js)
// and the undo shortcut (page-listeners.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createLMul } from '../../wasm/index.js';
import { clampInt, columnSpec, columnOptions } from '../../web/settings.js';
import { warmupJobs } from '../../web/warmup.js';
import { inputCaption, networkInput, predictColumns } from '../../web/prediction-loop.js';
import { randomIndex } from '../../web/test-images.js';
import { linkState } from '../../web/url-state.js';
import { chartExport } from '../../web/export.js';
import { isUndoKey } from '../../web/page-listeners.js';
import { RASTER_SIZE } from '../../web/drawing.js';

const MLP = [{ index: 0, name: 'fc1', kind: 'linear', products: 100352 }, { index: 1, name: 'fc2', kind: 'linear', products: 1280 }];
const SETTINGS = { E: 5, M: 2, rounding: 'truncate', variant: 'formula' };
const loadModel = (lm, file) => lm.loadModel(fs.readFileSync(new URL(`../../models/${file}`, import.meta.url)));

test('clampInt: attribute and control values in range, rounded; none or not a number keeps the fallback', () => {
  assert.equal(clampInt('99', 1, 23, 3), 23);
  assert.equal(clampInt(0, 1, 23, 3), 1);
  assert.equal(clampInt('4.6', 1, 23, 3), 5);
  for (const none of [null, '', 'abc', NaN, Infinity]) assert.equal(clampInt(none, 1, 23, 3), 3, String(none));
});

test('a column\'s multiplier and options: the chosen L-Mul variant, the plan on the approximate columns only', () => {
  assert.deepEqual(columnSpec(SETTINGS, 'lmul'), { method: 'lmul-formula', M: 2, E: 5, rounding: 'truncate' });
  assert.deepEqual(columnSpec({ ...SETTINGS, variant: 'adder' }, 'lmul').method, 'lmul');
  assert.deepEqual(columnSpec({ ...SETTINGS, variant: 'mitchell' }, 'lmul').method, 'mitchell');
  assert.deepEqual(columnSpec(SETTINGS, 'float'), { method: 'float', M: 2, E: 5, rounding: 'truncate' });
  // Everywhere approximate: no plan option at all.
  assert.deepEqual(columnOptions(SETTINGS, MLP, [true, true], 'float'), columnSpec(SETTINGS, 'float'));
  const firstExact = [false, true];
  assert.deepEqual(columnOptions(SETTINGS, MLP, firstExact, 'lmul').plan, { layers: { 0: { method: 'exact' } } });
  assert.deepEqual(columnOptions(SETTINGS, MLP, firstExact, 'float').plan, { layers: { 0: { method: 'exact' } } });
  assert.deepEqual(columnOptions(SETTINGS, MLP, firstExact, 'exact'), columnSpec(SETTINGS, 'exact'), 'the exact column has no plan');
});

test('warm-up jobs: Float and L-Mul at every M, the nearest to the slider first, without errors', () => {
  const options = (method) => ({ ...columnSpec(SETTINGS, method), plan: { linear: { method: 'exact' } } });
  const jobs = warmupJobs(options, 3);
  assert.equal(jobs.length, 2 * 23);
  assert.deepEqual(jobs.slice(0, 6).map((j) => `${j.method}:${j.M}`),
    ['float:3', 'lmul-formula:3', 'float:2', 'lmul-formula:2', 'float:4', 'lmul-formula:4']);
  assert.deepEqual(new Set(jobs.map((j) => j.M)).size, 23);
  assert.ok(jobs.every((j) => j.errors === false && j.E === 5 && j.rounding === 'truncate' && j.plan.linear.method === 'exact'));
});

test('the network input: nothing for an empty or inkless pad, a test image or a link\'s input as is, a drawing preprocessed', async () => {
  const lm = await createLMul();
  const pixels = new Uint8Array(784);
  pixels[400] = 255;
  pixels[401] = 51;
  assert.equal(networkInput({ isEmpty: true }, lm), null);
  assert.deepEqual(Array.from(networkInput({ isEmpty: false, soleImage: { pixels } }, lm).slice(400, 402)), [1, Math.fround(0.2)]);
  const shared = new Float32Array(784).fill(0.5);
  assert.equal(networkInput({ isEmpty: false, soleImage: { pixels, input: shared } }, lm), shared, 'a link\'s input exactly as it was shared');
  assert.equal(networkInput({ isEmpty: false, soleImage: { pixels: new Uint8Array(784) } }, lm), null, 'no ink');
  const raster = new Float32Array(RASTER_SIZE * RASTER_SIZE);
  for (let y = 60; y < 220; ++y) for (let x = 130; x < 150; ++x) raster[y * RASTER_SIZE + x] = 1; // a "1"
  const drawn = networkInput({ isEmpty: false, soleImage: null, rasterize: () => raster }, lm);
  assert.deepEqual(Array.from(drawn), Array.from(lm.preprocess(raster, RASTER_SIZE, RASTER_SIZE)));
  assert.equal(networkInput({ isEmpty: false, soleImage: null, rasterize: () => new Float32Array(RASTER_SIZE * RASTER_SIZE) }, lm), null);
});

test('the preview caption says where the input came from', () => {
  assert.equal(inputCaption({ index: 7, label: 9 }), 'MNIST test image #7, label 9 (used as is).');
  assert.match(inputCaption({ pixels: [], input: [] }), /^A drawing from a link/);
  assert.match(inputCaption(null), /^Network input, 28×28/);
});

test('the three columns: exact without errors, Float and L-Mul under their options; attention maps for a transformer only', async () => {
  const lm = await createLMul();
  const x = Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 101) / 100);
  for (const [file, vit] of [['mlp-784-128-10.safetensors', false], ['vit-p7-w48-d3.safetensors', true]]) {
    const model = await loadModel(lm, file);
    const options = (method) => columnOptions({ E: 8, M: 2, rounding: 'nearest', variant: 'adder' }, model.describe(), model.describe().map((_, i) => i !== 0), method);
    const p = predictColumns(model, x, options);
    assert.equal(p.exact.errors, null, `${file}: exact against exact has no errors`);
    assert.ok(p.float.errors && p.lmul.errors, `${file}: the approximate columns measure their errors`);
    assert.deepEqual(p.lmul.logits, model.predict(x, options('lmul')).logits, `${file}: L-Mul under its options`);
    assert.deepEqual(p.float.logits, model.predict(x, options('float')).logits, `${file}: Float under its options`);
    assert.equal(p.float.attention, undefined);
    assert.equal(Array.isArray(p.exact.attention) && p.exact.attention.length > 0, vit, `${file}: exact attention maps`);
    assert.equal(Array.isArray(p.lmul.attention) && p.lmul.attention.length > 0, vit, `${file}: L-Mul attention maps`);
    model.dispose();
  }
});

test('a random test image: any image, or one of the asked digit', () => {
  const labels = Uint8Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
  assert.equal(randomIndex(labels, null, () => 0.99), 7);
  assert.equal(randomIndex(labels, null, () => 0), 0);
  assert.equal(randomIndex(labels, 1, () => 0), 1);
  assert.equal(randomIndex(labels, 1, () => 0.99), 3);
  for (let k = 0; k < 50; ++k) assert.equal(labels[randomIndex(labels, 9)], 9);
});

test('the state a link keeps: a test image by index, a drawing as its input, a file of the user\'s own not at all', () => {
  const settings = { E: 8, M: 3, variant: 'adder', rounding: 'nearest' };
  const input = new Float32Array(784);
  const listed = { id: 'seed', name: 'Seed' };
  assert.deepEqual(linkState({ entry: listed, settings, exact: [1], sole: { index: 241, label: 7 }, input }),
    { model: 'seed', E: 8, M: 3, variant: 'adder', rounding: 'nearest', exact: [1], image: 241, input: null });
  const drawn = linkState({ entry: listed, settings, exact: [], sole: null, input });
  assert.equal(drawn.image, null);
  assert.equal(drawn.input, input);
  assert.equal(linkState({ entry: { id: 'file:x', bytes: new Uint8Array(1) }, settings, exact: [], sole: null, input }).model, null);
  assert.equal(linkState({ entry: listed, settings, exact: [], sole: { pixels: [], input }, input }).input, input, 'a link\'s drawing travels again');
});

test('chart exports: the title names the chart, model and setting; the file name is a slug', () => {
  const s = { E: 8, M: 3, variant: 'adder', rounding: 'nearest' };
  assert.deepEqual(chartExport('sweep', 'Seed MLP 784-128-10', s), {
    title: 'Test-set accuracy against M — Seed MLP 784-128-10, E8M3, adder, nearest',
    file: 'lmul-sweep-seed-mlp-784-128-10-E8M3',
  });
  assert.equal(chartExport('hist-lmul', undefined, s).file, 'lmul-hist-lmul-model-E8M3');
  assert.match(chartExport('logits', 'x', s).title, /^Logit difference to exact, per class — x,/);
});

test('the undo shortcut: Ctrl+Z or Cmd+Z, not with Shift or Alt', () => {
  const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
  assert.ok(isUndoKey(key('z', { ctrlKey: true })));
  assert.ok(isUndoKey(key('Z', { metaKey: true })));
  assert.ok(!isUndoKey(key('z')));
  assert.ok(!isUndoKey(key('z', { ctrlKey: true, shiftKey: true })));
  assert.ok(!isUndoKey(key('z', { ctrlKey: true, altKey: true })));
  assert.ok(!isUndoKey(key('y', { ctrlKey: true })));
});
