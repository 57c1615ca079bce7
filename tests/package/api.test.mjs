// The public API of lmul-wasm in Node: golden values, special values, defaults, mulArray vs mul,
// quantize, errorStats, preprocess, models (predict, evaluate, evaluateAsync, dispose) and
// createLMul's options. Imported by the package's own name, so package.json "exports" is used.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { createLMul, DEFAULTS, METHODS, ROUNDINGS, FORMATS, VERSION } from 'lmul-wasm';
import { root, wasmPath, seedModelPath, deepModelPath, mnistTest, pixelsOf, bitsOf, floatOf, sameFloat, rng, safetensorsFile as safetensors } from './helpers.mjs';

let lm, model, mnist;
before(async () => {
  lm = await createLMul();
  model = await lm.defaultModel();
  mnist = mnistTest();
});

const M23 = { M: 23 };

test('exports: constants and version', () => {
  assert.deepEqual(DEFAULTS, { method: 'lmul', M: 7, E: 8, rounding: 'nearest' });
  assert.deepEqual([...METHODS], ['exact', 'float', 'lmul', 'lmul-formula', 'mitchell']);
  assert.deepEqual([...ROUNDINGS], ['nearest', 'truncate']);
  assert.deepEqual(FORMATS.bf16, { E: 8, M: 7 });
  assert.ok(Object.isFrozen(DEFAULTS) && Object.isFrozen(FORMATS.e4m3));
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(VERSION, pkg.version);
  assert.equal(lm.version, pkg.version);
});

test('golden table of NUMERICS.md (E = 8, M = 23), both roundings', () => {
  const rows = [ // a, b, exact, lmul, lmul-formula, mitchell
    [1, 1, 1, 1.0625, 1.0625, 1],
    [5, 8, 40, 42, 42, 40],
    [1.5, 1.5, 2.25, 2.125, 2.0625, 2],
    [3, 3, 9, 8.5, 8.25, 8],
    [-3, 0.5, -1.5, -1.5625, -1.5625, -1.5],
    [0, 7, 0, 0, 0, 0],
    [-0, 7, -0, -0, -0, -0],
    [Infinity, 0, NaN, NaN, NaN, NaN],
  ];
  for (const rounding of ROUNDINGS)
    for (const [a, b, exact, adder, formula, mitchell] of rows) {
      const opts = { M: 23, rounding };
      assert.ok(Object.is(lm.mul(a, b, { ...opts, method: 'exact' }), exact), `exact ${a}*${b}`);
      assert.ok(Object.is(lm.mul(a, b, { ...opts, method: 'lmul' }), adder), `lmul ${a}*${b}`);
      assert.ok(Object.is(lm.mul(a, b, { ...opts, method: 'lmul-formula' }), formula), `lmul-formula ${a}*${b}`);
      assert.ok(Object.is(lm.mul(a, b, { ...opts, method: 'mitchell' }), mitchell), `mitchell ${a}*${b}`);
    }
  // M = 3 (l = 3): the adder gives 2.25 for 1.5 * 1.5.
  assert.equal(lm.mul(1.5, 1.5, { M: 3 }), 2.25);
});

test('defaults are { method: lmul, M: 7, E: 8, rounding: nearest }', () => {
  const r = rng(7);
  for (let k = 0; k < 500; ++k) {
    const a = (r() - 0.5) * 100, b = (r() - 0.5) * 100;
    const want = lm.mul(a, b, DEFAULTS);
    assert.ok(sameFloat(lm.mul(a, b), want));
    assert.ok(sameFloat(lm.mul(a, b, {}), want));
    assert.ok(sameFloat(lm.mul(a, b, null), want));
    assert.ok(sameFloat(lm.quantize(a), lm.quantize(a, { M: 7, E: 8, rounding: 'nearest' })));
  }
  assert.equal(lm.mul(1.5, 1.5), 2.125);
  assert.equal(lm.quantize(1.1), 1.1015625); // bfloat16
  assert.notEqual(lm.mul(1.1, 1.3), lm.mul(1.1, 1.3, { M: 23 }));
});

test('special values: NaN, infinities, signed zeros, flush to zero, overflow', () => {
  for (const method of ['lmul', 'lmul-formula', 'mitchell']) {
    const o = { method };
    assert.ok(Number.isNaN(lm.mul(NaN, 1, o)));
    assert.ok(Number.isNaN(lm.mul(1, NaN, o)));
    assert.equal(lm.mul(Infinity, 2, o), Infinity);
    assert.equal(lm.mul(-Infinity, 2, o), -Infinity);
    assert.equal(lm.mul(Infinity, -2, o), -Infinity);
    assert.ok(Number.isNaN(lm.mul(Infinity, -0, o)));
    assert.ok(Object.is(lm.mul(-0, 7, o), -0));
    assert.ok(Object.is(lm.mul(0, -7, o), -0));
    assert.ok(Object.is(lm.mul(1e-40, 1e10, o), 0), 'subnormal operands flush to zero');
    assert.ok(Object.is(lm.mul(-1e-40, 1e10, o), -0));
    assert.equal(lm.mul(1e-30, 1e-30, { method: 'lmul' }), 0, 'underflow gives zero');
    assert.equal(lm.mul(3e38, 3e38, o), Infinity, 'E = 8 overflows to inf');
    assert.equal(lm.mul(200, 200, { ...o, E: 4, M: 3 }), 240, 'E < 8 saturates (E4M3 max 240)');
  }
  assert.ok(Number.isNaN(lm.mul(Infinity, 0, { method: 'float' })));
  assert.equal(lm.mul(1e-40, 1e10, { method: 'exact' }), Math.fround(Math.fround(1e-40) * 1e10));
  assert.equal(lm.mul(0.1, 1, { method: 'exact' }), Math.fround(0.1), 'operands are fp32 first');
});

test('quantize: rounding, saturation, identity at M = 23', () => {
  assert.equal(lm.quantize(1.1, { rounding: 'truncate' }), 1.09375);
  assert.equal(lm.quantize(1000, { E: 4, M: 3 }), 240);
  assert.equal(lm.quantize(-1000, { E: 4, M: 3, rounding: 'truncate' }), -240);
  assert.equal(lm.quantize(1e39), Infinity);
  assert.ok(Number.isNaN(lm.quantize(NaN)));
  assert.ok(Object.is(lm.quantize(-0), -0));
  assert.equal(lm.quantize(1.5, { M: 1 }), 1.5);
  assert.equal(lm.quantize(1.25, { M: 1 }), 1, 'tie to even');
  assert.equal(lm.quantize(1.75, { M: 1 }), 2, 'tie to even');
  const r = rng(3);
  for (let k = 0; k < 2000; ++k) {
    const x = floatOf((r() * 2 ** 32) >>> 0);
    assert.ok(sameFloat(lm.quantize(x, M23), x), `identity for ${x}`);
  }
  // method does not matter for quantize
  assert.equal(lm.quantize(1.1, { method: 'exact' }), 1.1015625);
});

test('mulArray equals mul element-wise for every method, several formats and both roundings', () => {
  const r = rng(11);
  const n = 1500;
  const a = new Float32Array(n), b = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    a[i] = i % 7 === 0 ? floatOf((r() * 2 ** 32) >>> 0) : (r() - 0.5) * 10 ** Math.floor(r() * 8 - 4);
    b[i] = i % 5 === 0 ? floatOf((r() * 2 ** 32) >>> 0) : (r() - 0.5) * 10 ** Math.floor(r() * 8 - 4);
  }
  a.set([0, -0, Infinity, -Infinity, NaN, 1e-40, 3e38, 1.5], 0);
  b.set([7, 7, 0, 2, 1, 1e10, 3e38, 1.5], 0);
  for (const method of METHODS)
    for (const [E, M] of [[8, 7], [8, 23], [8, 1], [8, 3], [8, 12], [5, 10], [5, 2], [4, 3], [2, 1]])
      for (const rounding of ROUNDINGS) {
        const opts = { method, E, M, rounding };
        const out = lm.mulArray(a, b, opts);
        assert.ok(out instanceof Float32Array && out.length === n);
        for (let i = 0; i < n; ++i)
          if (!sameFloat(out[i], lm.mul(a[i], b[i], opts)))
            assert.fail(`${JSON.stringify(opts)} a=${a[i]} b=${b[i]}: mulArray ${out[i]} vs mul ${lm.mul(a[i], b[i], opts)}`);
      }
});

test('mulArray: out parameter, aliasing, empty and long arrays (chunked)', () => {
  const a = Float32Array.from({ length: 70001 }, (_, i) => 1 + (i % 97) / 97);
  const b = Float32Array.from({ length: 70001 }, (_, i) => 2 - (i % 89) / 89);
  const want = lm.mulArray(a, b);
  for (const i of [0, 1, 65535, 65536, 65537, 70000]) assert.ok(sameFloat(want[i], lm.mul(a[i], b[i])));
  const out = new Float32Array(a.length);
  assert.equal(lm.mulArray(a, b, undefined, out), out);
  assert.deepEqual(out, want);
  const alias = a.slice();
  lm.mulArray(alias, b, {}, alias);
  assert.deepEqual(alias, want);
  assert.equal(lm.mulArray(new Float32Array(0), new Float32Array(0)).length, 0);
  // subarray views with an offset
  assert.deepEqual(lm.mulArray(a.subarray(5, 9), b.subarray(5, 9)), want.subarray(5, 9));
});

test('memory growth during a call: results stay right, the instance keeps working', () => {
  // 3 million pairs need 24 MB of input, more than the initial 16 MB of wasm memory.
  const n = 3_000_000;
  const before = lm.memory().heapBytes;
  const a = Float32Array.from({ length: n }, (_, i) => 1 + (i % 1000) / 1000);
  const b = Float32Array.from({ length: n }, (_, i) => 2 - (i % 777) / 777);
  const s = lm.errorStats(a, b, { method: 'float', M: 3 });
  assert.ok(lm.memory().heapBytes > before, 'the heap grew');
  assert.equal(s.count, n);
  const small = lm.errorStats(a.subarray(0, 777000), b.subarray(0, 777000), { method: 'float', M: 3 });
  assert.ok(Math.abs(s.mean - small.mean) < 1e-3, `${s.mean} vs ${small.mean}`);
  const out = lm.mulArray(a, b);
  for (const i of [0, 1, 65536, 1234567, n - 1]) assert.ok(sameFloat(out[i], lm.mul(a[i], b[i])));
  assert.equal(model.predict(pixelsOf(mnist.images, 0)).digit, 7);
});

test('errorStats: counts, histogram and known values', () => {
  const r = rng(5);
  const n = 10000;
  const a = Float32Array.from({ length: n }, () => r() * 4 - 2);
  const b = Float32Array.from({ length: n }, () => r() * 4 - 2);
  a[0] = 0; b[1] = 0; a[2] = Infinity;
  const s = lm.errorStats(a, b);
  assert.equal(s.count + s.zeros + s.nonfinite, n);
  assert.equal(s.zeros, 2);
  assert.equal(s.nonfinite, 1);
  assert.equal(s.histogram.edges.length, s.histogram.counts.length + 1);
  assert.equal(s.histogram.edges[0], 0);
  assert.equal(s.histogram.edges.at(-1), Infinity);
  assert.equal(s.histogram.counts.reduce((x, y) => x + y, 0), s.count);
  assert.ok(s.mean > 0.02 && s.mean < 0.06 && s.max >= s.median && s.median > 0, JSON.stringify(s));
  assert.ok(Number.isFinite(s.bias));
  JSON.stringify(s); // plain data
  const exact = lm.errorStats(a, b, { method: 'exact' });
  assert.equal(exact.mean, 0);
  assert.equal(exact.max, 0);
  const one = lm.errorStats(new Float32Array([1]), new Float32Array([1]), M23);
  assert.equal(one.count, 1);
  assert.equal(one.mean, 0.0625);
  assert.equal(one.bias, 0.0625);
  const empty = lm.errorStats(new Float32Array(0), new Float32Array(0));
  assert.equal(empty.count, 0);
});

test('preprocess: blank drawing, a centered box, an MNIST digit', () => {
  const blank = lm.preprocess(new Float32Array(200 * 100), 200, 100);
  assert.ok(blank instanceof Float32Array && blank.length === 784 && blank.every((v) => v === 0));
  const gray = new Float32Array(100 * 100);
  for (let y = 10; y < 60; ++y) for (let x = 30; x < 40; ++x) gray[y * 100 + x] = 1;
  const out = lm.preprocess(gray, 100, 100);
  assert.equal(out.length, 784);
  assert.ok(out.some((v) => v === 1) && out.every((v) => v >= 0 && v <= 1));
  // An MNIST test digit comes back unchanged (preprocess is MNIST's own recipe).
  const x = pixelsOf(mnist.images, 0);
  assert.deepEqual(lm.preprocess(x, 28, 28), x);
});

test('default model: layers, metadata, predict on MNIST test images', () => {
  assert.deepEqual([...model.layers], [784, 128, 10]);
  assert.ok(Object.isFrozen(model.layers));
  assert.equal(model.inputSize, 784);
  assert.equal(model.outputSize, 10);
  assert.equal(model.metadata.raw.sizes, '784-128-10');
  assert.equal(model.metadata.tuned, null);
  assert.equal(model.disposed, false);
  let correct = 0;
  for (let k = 0; k < 50; ++k) {
    const p = model.predict(pixelsOf(mnist.images, k), { method: 'exact' });
    correct += p.digit === mnist.labels[k];
  }
  assert.ok(correct >= 48, `${correct}/50`);
  const x = pixelsOf(mnist.images, 0); // a 7
  const p = model.predict(x);
  assert.equal(p.digit, 7);
  assert.ok(p.probs instanceof Float32Array && p.probs.length === 10);
  assert.ok(p.logits instanceof Float32Array && p.logits.length === 10);
  assert.ok(Math.abs(p.probs.reduce((s, v) => s + v, 0) - 1) < 1e-5);
  assert.equal(p.digit, p.logits.indexOf(Math.max(...p.logits)));
  // errors: every product of the forward pass, 784*128 + 128*10 of them.
  const e = p.errors;
  assert.equal(e.count + e.zeros + e.nonfinite, 784 * 128 + 128 * 10);
  assert.ok(e.zeros > 0 && e.count > 0 && e.mean > 0.01 && e.mean < 0.1, JSON.stringify(e));
  assert.deepEqual(p.errorsByKind.linear, e);
  assert.equal(p.errorsByKind.attention, null); // an MLP has no attention products
  assert.equal(p.nonFinite, null);
  assert.deepEqual(p.layers.map((l) => [l.name, l.kind]), [['fc1', 'linear'], ['fc2', 'linear']]);
  assert.equal(p.layers[0].products.count + p.layers[0].products.zeros, 784 * 128);
  assert.ok(p.layers.every((l) => l.activationError > 0 && l.activationError < 0.2), JSON.stringify(p.layers.map((l) => l.activationError)));
  // Every product is exact under the exact method: no statistics to report.
  const exact = model.predict(x, { method: 'exact' });
  assert.equal(exact.errors, null);
  assert.deepEqual(exact.layers, []);
  assert.deepEqual(exact.errorsByKind, { linear: null, attention: null });
  // The same request twice gives the same answer (the prepared network is cached).
  assert.deepEqual(model.predict(x), p);
  // errors: false skips the statistics, not the prediction.
  const quick = model.predict(x, { errors: false });
  assert.equal(quick.errors, null);
  assert.deepEqual(quick.logits, p.logits);
});

test('describe() lists the layers plans count in; plans as objects and strings agree', () => {
  assert.deepEqual(model.describe(), [
    { index: 0, name: 'fc1', kind: 'linear', products: 784 * 128 },
    { index: 1, name: 'fc2', kind: 'linear', products: 128 * 10 },
  ]);
  assert.ok(Object.isFrozen(model.describe()) && Object.isFrozen(model.describe()[0]));
  const x = pixelsOf(mnist.images, 3);
  // The approximate multiplier in the first layer only, three ways of saying it.
  const a = model.predict(x, { method: 'exact', plan: { layers: { 0: { method: 'lmul', M: 2 } } } });
  const b = model.predict(x, { plan: 'layer0=lmul:M2,layer1=exact' });
  const c = model.predict(x, { plan: 'fc1=lmul:E8M2:nearest,fc2=exact' });
  assert.deepEqual(a.logits, b.logits);
  assert.deepEqual(b.logits, c.logits);
  assert.ok(a.layers[0].products.max > 0 && a.layers[1].products.max === 0);
  assert.ok(a.layers[1].activationError > 0, 'the first layer\'s error reaches the second');
  // A plan's spec inherits what it leaves out from the top-level options; layers win over kinds.
  const inherit = model.predict(x, { method: 'float', M: 3, plan: { linear: { method: 'lmul' } } });
  assert.deepEqual(inherit.logits, model.predict(x, { method: 'lmul', M: 3 }).logits);
  const layerWins = model.predict(x, { plan: { linear: { method: 'exact' }, layers: { 1: { method: 'mitchell', M: 4 } } } });
  assert.deepEqual(layerWins.logits, model.predict(x, { plan: 'linear=exact,layer1=mitchell:M4' }).logits);
  // evaluate takes the same plans.
  const n = 200, images = mnist.images.subarray(0, n * 784), labels = mnist.labels.subarray(0, n);
  assert.deepEqual(model.evaluate(images, labels, { plan: 'layer0=lmul:M2,layer1=exact' }).predictions,
    model.evaluate(images, labels, { method: 'exact', plan: { layers: { 0: { method: 'lmul', M: 2 } } } }).predictions);
  // Bad plans name the option, or quote the plan with a caret under the bad token.
  assert.throws(() => model.predict(x, { plan: 'layer2=exact' }), { name: 'RangeError', message: /model.predict: plan 'layer2=exact': there is no layer 2; this network's layers are 0..1 \(at character 1\)\n  layer2=exact\n  \^{6}/ });
  assert.throws(() => model.predict(x, { plan: 'linear=lmull' }), { name: 'RangeError', message: /unknown method 'lmull'; methods are 'exact', 'float', 'lmul', 'lmul-formula', 'mitchell'/ });
  assert.throws(() => model.predict(x, { plan: { layers: { 5: { method: 'lmul' } } } }), { name: 'RangeError', message: /there is no layer 5/ });
  assert.throws(() => model.predict(x, { plan: { layers: { x: { method: 'lmul' } } } }), { name: 'RangeError', message: /opts.plan.layers keys must be layer indices/ });
  assert.throws(() => model.predict(x, { plan: { linear: { M: 3 } } }), { name: 'TypeError', message: /opts.plan.linear.method must be one of/ });
  assert.throws(() => model.predict(x, { plan: { linear: { method: 'lmul', M: 30 } } }), { name: 'RangeError', message: /opts.plan.linear.M must be an integer in 1..23/ });
  assert.throws(() => model.predict(x, { plan: { head: { method: 'lmul' } } }), { name: 'TypeError', message: /unknown key "head" in opts.plan; allowed: linear, attention, layers/ });
  assert.throws(() => model.predict(x, { plan: 42 }), { name: 'TypeError', message: /opts.plan must be a string such as/ });
  assert.throws(() => model.predict(x, { plan: '' }), { name: 'RangeError' });
});

test('a forward pass that overflows is not a prediction: digit null, nonFinite, counted as wrong', async () => {
  // Finite weights 3e38: the first layer's sums reach inf, the second adds inf and -inf (NaN).
  const net = await lm.loadModel(safetensors({
    'fc1.weight': [[2, 784], new Float32Array(2 * 784).fill(3e38)], 'fc1.bias': [[2], new Float32Array(2)],
    'fc2.weight': [[10, 2], new Float32Array(20).map((_, k) => (k % 2 ? -1 : 1))], 'fc2.bias': [[10], new Float32Array(10)],
  }));
  const x = pixelsOf(mnist.images, 0);
  for (const method of METHODS) {
    const p = net.predict(x, { method, M: 7 });
    assert.equal(p.digit, null, method);
    assert.deepEqual(p.nonFinite, { layer: 0, name: 'fc1', logits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }, method);
    assert.equal(net.predict(x, { method, errors: false }).nonFinite.layer, 0);
  }
  // Label 0 images: all-NaN logits used to read as digit 0 and count as correct.
  const zeros = [];
  for (let k = 0; zeros.length < 20; ++k) if (mnist.labels[k] === 0) zeros.push(k);
  const images = new Uint8Array(zeros.length * 784);
  zeros.forEach((k, i) => images.set(mnist.images.subarray(k * 784, (k + 1) * 784), i * 784));
  const r = net.evaluate(images, new Uint8Array(zeros.length));
  assert.equal(r.nonFinite, zeros.length);
  assert.equal(r.correct, 0);
  assert.ok(r.predictions.every((v) => v === 255));
  net.dispose();
});

test('model.metadata comes from the core\'s schema; prepared weights are reported', async () => {
  assert.deepEqual({ ...model.metadata, raw: undefined, recipe: typeof model.metadata.recipe }, {
    arch: 'mlp', tuned: null, baseModel: null, baseFingerprint: null, raw: undefined, recipe: 'string', problems: [],
    training: { epochs: 5, batch: 128, lr: 0.001, seed: 0, trainImages: 60000, holdout: 0 },
  });
  const tuned = await lm.loadModel(fs.readFileSync(path.join(root, 'models/mlp-784-128-10-ft-lmul-E8M2.safetensors')));
  assert.deepEqual(tuned.metadata.tuned, { method: 'lmul', E: 8, M: 2, rounding: 'nearest' });
  assert.equal(tuned.metadata.baseModel, 'models/mlp-784-128-10.safetensors');
  assert.match(tuned.metadata.baseFingerprint, /^fnv1a64:[0-9a-f]{16}$/);
  assert.ok(Object.isFrozen(tuned.metadata.tuned));
  tuned.dispose();
  assert.ok(model.prepared.bytes > 0 && model.prepared.plans >= 1, JSON.stringify(model.prepared));
  assert.deepEqual(model.metadata.problems, []);
  // A malformed group of known keys is left out (and kept in raw), with the reason.
  const odd = await lm.loadModel(safetensors({ 'fc1.weight': [[1, 1], new Float32Array(1)], 'fc1.bias': [[1], new Float32Array(1)] },
    { method: 'lmul', E: '9', M: '3', rounding: 'nearest', epochs: 'three' }));
  assert.equal(odd.metadata.tuned, null);
  assert.equal(odd.metadata.training, null);
  assert.equal(odd.metadata.raw.E, '9');
  assert.equal(odd.metadata.problems.length, 2);
  assert.match(odd.metadata.problems[0], /'E' is '9'/);
  assert.match(odd.metadata.problems[1], /epochs/);
  odd.dispose();
});

test('predict agrees with evaluate on the first 300 test images for every method', () => {
  const n = 300;
  for (const method of METHODS) {
    const opts = { method, M: 3 };
    const r = model.evaluate(mnist.images.subarray(0, n * 784), mnist.labels.subarray(0, n), opts);
    for (let k = 0; k < n; ++k)
      assert.equal(model.predict(pixelsOf(mnist.images, k), { ...opts, errors: false }).digit, r.predictions[k], `${method} image ${k}`);
  }
});

test('evaluate: progress in chunks, result fields, cancellation', () => {
  const n = 1000;
  const images = mnist.images.subarray(0, n * 784), labels = mnist.labels.subarray(0, n);
  const calls = [];
  const r = model.evaluate(images, labels, { method: 'lmul', M: 4, chunkSize: 300 }, (done, total) => calls.push([done, total]));
  assert.deepEqual(calls, [[300, 1000], [600, 1000], [900, 1000], [1000, 1000]]);
  assert.equal(r.total, n);
  assert.equal(r.accuracy, r.correct / n);
  assert.ok(r.accuracy > 0.9 && r.ms >= 0);
  assert.equal(r.predictions.length, n);
  assert.equal(r.correct, r.predictions.filter((p, k) => p === labels[k]).length);
  // The default chunk is 250 images.
  const seen = [];
  model.evaluate(images, labels, undefined, (done) => seen.push(done));
  assert.deepEqual(seen, [250, 500, 750, 1000]);
  // Abort from the progress callback: throws the signal's reason.
  const ac = new AbortController();
  assert.throws(() => model.evaluate(images, labels, { signal: ac.signal }, (done) => done >= 500 && ac.abort()), { name: 'AbortError' });
  const reason = new Error('stop');
  assert.throws(() => model.evaluate(images, labels, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
  // empty input
  assert.deepEqual({ ...model.evaluate(new Uint8Array(0), new Uint8Array(0)), ms: 0 }, { accuracy: 0, correct: 0, total: 0, nonFinite: 0, ms: 0, predictions: new Uint8Array(0) });
});

test('evaluate with { logits: true }: every image\'s logits, those predict gives under the same plan', async () => {
  const n = 600;
  const images = mnist.images.subarray(0, n * 784), labels = mnist.labels.subarray(0, n);
  const opts = { method: 'lmul', M: 2, plan: 'layer1=exact' };
  const r = model.evaluate(images, labels, { ...opts, logits: true, chunkSize: 250 });
  assert.ok(r.logits instanceof Float32Array);
  assert.equal(r.logits.length, n * 10);
  for (const k of [0, 1, 249, 250, 251, 599]) { // across chunk boundaries
    const p = model.predict(pixelsOf(mnist.images, k), { ...opts, errors: false });
    assert.deepEqual(r.logits.subarray(k * 10, k * 10 + 10), p.logits, `image ${k}`);
    assert.equal(r.predictions[k], p.digit);
  }
  const plain = model.evaluate(images, labels, opts);
  assert.equal(plain.logits, undefined, 'only when asked for');
  assert.deepEqual(plain.predictions, r.predictions);
  const later = await model.evaluateAsync(images, labels, { ...opts, logits: true, chunkSize: 100 });
  assert.deepEqual(later.logits, r.logits);
  assert.throws(() => model.evaluate(images, labels, { logits: 1 }), { name: 'TypeError', message: 'model.evaluate: opts.logits must be a boolean, got 1' });
});

test('evaluateAsync: same result, yields to the event loop, cancels with an AbortSignal', async () => {
  const n = 2000;
  const images = mnist.images.subarray(0, n * 784), labels = mnist.labels.subarray(0, n);
  const sync = model.evaluate(images, labels, { method: 'float', M: 2 });
  let ticks = 0;
  const timer = setInterval(() => ++ticks, 0);
  const progress = [];
  const r = await model.evaluateAsync(images, labels, { method: 'float', M: 2, chunkSize: 100 }, (d) => progress.push(d));
  clearInterval(timer);
  assert.equal(r.correct, sync.correct);
  assert.deepEqual(r.predictions, sync.predictions);
  assert.equal(progress.length, 20);
  assert.ok(ticks > 0, 'timers ran while evaluating');
  const ac = new AbortController();
  const p = model.evaluateAsync(images, labels, { chunkSize: 50, signal: ac.signal }, (done) => done >= 200 && ac.abort());
  await assert.rejects(p, { name: 'AbortError' });
  const ac2 = new AbortController();
  setTimeout(() => ac2.abort(), 0);
  await assert.rejects(model.evaluateAsync(mnist.images, mnist.labels, { chunkSize: 10, signal: ac2.signal }), { name: 'AbortError' });
  // disposing the model while it runs rejects with a TypeError
  const m2 = await lm.defaultModel();
  const running = m2.evaluateAsync(images, labels, { chunkSize: 100 }, (done) => done === 100 && m2.dispose());
  await assert.rejects(running, { name: 'TypeError', message: /disposed/ });
});

test('loadModel: Uint8Array, ArrayBuffer, Buffer, offset views; the deeper model', async () => {
  const bytes = fs.readFileSync(seedModelPath);
  const x = pixelsOf(mnist.images, 1);
  const want = model.predict(x);
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  for (const input of [bytes, new Uint8Array(bytes), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), shifted.subarray(3)]) {
    const m = await lm.loadModel(input);
    assert.deepEqual(m.predict(x), want);
    m.dispose();
  }
  const deep = await lm.loadModel(fs.readFileSync(deepModelPath));
  assert.deepEqual([...deep.layers], [784, 128, 128, 128, 128, 10]);
  const p = deep.predict(x);
  assert.equal(p.errors.count + p.errors.zeros, 784 * 128 + 3 * 128 * 128 + 128 * 10);
  assert.equal(p.digit, mnist.labels[1]);
  deep.dispose();
});

test('dispose: idempotent, later calls throw TypeError, other models unaffected', async () => {
  const a = await lm.defaultModel(), b = await lm.defaultModel();
  const x = pixelsOf(mnist.images, 2);
  a.dispose();
  a.dispose();
  assert.equal(a.disposed, true);
  assert.throws(() => a.predict(x), { name: 'TypeError', message: /model\.predict: this model was disposed/ });
  assert.throws(() => a.evaluate(new Uint8Array(784), new Uint8Array(1)), TypeError);
  await assert.rejects(a.evaluateAsync(new Uint8Array(784), new Uint8Array(1)), TypeError);
  assert.deepEqual([...a.layers], [784, 128, 10], 'shape stays readable');
  assert.equal(b.predict(x).digit, mnist.labels[2]);
  b.dispose();
  if (typeof Symbol.dispose === 'symbol') {
    const c = await lm.defaultModel();
    c[Symbol.dispose]();
    assert.equal(c.disposed, true);
  }
});

test('instances are independent', async () => {
  const other = await createLMul();
  const m = await other.defaultModel();
  const x = pixelsOf(mnist.images, 3);
  assert.deepEqual(m.predict(x, { M: 2 }), model.predict(x, { M: 2 }));
  m.dispose();
  assert.equal(model.predict(x).digit, mnist.labels[3]);
});

test('createLMul options: wasmBinary, wasmModule, locateFile, defaultModelUrl', async () => {
  const bytes = fs.readFileSync(wasmPath);
  const x = pixelsOf(mnist.images, 4);
  const want = model.predict(x).logits;
  const viaBinary = await createLMul({ wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) });
  assert.equal(viaBinary.mul(5, 8, M23), 42);
  const viaModule = await createLMul({ wasmModule: await WebAssembly.compile(bytes) });
  assert.equal(viaModule.mul(5, 8, M23), 42);
  const seen = [];
  const viaLocate = await createLMul({ locateFile: (p, prefix) => (seen.push([p, prefix]), wasmPath) });
  assert.equal(viaLocate.mul(5, 8, M23), 42);
  assert.equal(seen[0][0], 'lmul.wasm');
  assert.match(seen[0][1], /^file:.*\/dist\/$/);
  const viaUrl = await createLMul({ locateFile: () => pathToFileURL(wasmPath).href, defaultModelUrl: seedModelPath });
  const m = await viaUrl.defaultModel();
  assert.deepEqual(m.predict(x).logits, want);
  m.dispose();
  // Failures name the source and say what to do.
  await assert.rejects(createLMul({ wasmBinary: new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]) }), { message: /could not instantiate.*the given bytes/s });
  const missing = path.join(os.tmpdir(), 'lmul-no-such-dir', 'lmul.wasm');
  await assert.rejects(createLMul({ locateFile: () => missing }), { message: /createLMul: could not load the WebAssembly module: cannot read .*lmul-no-such-dir.*: ENOENT: no such file or directory$/ });
  const noModel = await createLMul({ defaultModelUrl: path.join(os.tmpdir(), 'lmul-no-such-model.safetensors') });
  await assert.rejects(noModel.defaultModel(), { message: /lm\.defaultModel: could not load the default model: cannot read .*lmul-no-such-model\.safetensors: ENOENT.*loadModel\(bytes\)$/s });
});
