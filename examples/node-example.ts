// A typed tour of lmul-wasm. Runs in Node >= 18 and, unchanged, in a browser or worker
// (it uses no Node modules). Checked by `tsc --noEmit --strict` in tests/package/types.test.mjs,
// which also compiles and runs it.
import {
  createLMul,
  DEFAULTS,
  FORMATS,
  type AttentionMap,
  type ErrorStats,
  type EvaluateResult,
  type LMul,
  type LMulModel,
  type MulOptions,
  type Plan,
  type Prediction,
} from 'lmul-wasm';

const lm: LMul = await createLMul();

// Scalars: the golden values of the L-Mul paper's fp32 simulation (E = 8, M = 23).
const exact: number = lm.mul(1.5, 1.5, { method: 'exact' });
const adder: number = lm.mul(1.5, 1.5, { M: 23 });
const formula: number = lm.mul(1.5, 1.5, { method: 'lmul-formula', M: 23 });
console.log(`1.5 * 1.5: exact ${exact}, L-Mul ${adder}, L-Mul formula ${formula}`);
console.log(`defaults ${JSON.stringify(DEFAULTS)}: 5 * 8 = ${lm.mul(5, 8)}`);
console.log(`1.1 in bfloat16: ${lm.quantize(1.1, FORMATS.bf16)}, in E4M3: ${lm.quantize(1.1, FORMATS.e4m3)}`);

// Arrays (SIMD) and error statistics of a whole batch of products.
const a = Float32Array.from({ length: 10000 }, (_, i) => Math.sin(i) * 3);
const b = Float32Array.from({ length: 10000 }, (_, i) => Math.cos(i * 0.7) * 2);
const fp8: MulOptions = { method: 'lmul', ...FORMATS.e4m3, rounding: 'nearest' };
const products: Float32Array = lm.mulArray(a, b, fp8);
const stats: ErrorStats = lm.errorStats(a, b, fp8);
console.log(`L-Mul E4M3: a[0]*b[0] = ${products[0]}, mean relative error ${(100 * stats.mean).toFixed(2)} % ` +
  `(median ${(100 * stats.median).toFixed(2)} %, bias ${(100 * stats.bias).toFixed(2)} %) over ${stats.count} products`);
const peak = stats.histogram.counts.indexOf(Math.max(...stats.histogram.counts));
console.log(`most errors lie in [${stats.histogram.edges[peak]}, ${stats.histogram.edges[peak + 1]})`);

// A drawing: a 200 x 200 raster with a thick vertical stroke, then MNIST-style preprocessing.
const size = 200;
const gray = new Float32Array(size * size);
for (let y = 30; y < 170; ++y) for (let x = 92; x < 108; ++x) gray[y * size + x] = 1;
const input: Float32Array = lm.preprocess(gray, size, size);

const model: LMulModel = await lm.defaultModel();
try {
  console.log(`model ${model.layers.join('-')}, trained by ${model.metadata.raw.trainer ?? 'unknown'}`);
  for (const method of ['exact', 'float', 'lmul', 'mitchell'] as const) {
    const p: Prediction = model.predict(input, { method, M: 3 });
    if (p.digit === null) { // the forward pass overflowed: no prediction
      console.log(`${method}: no digit (non-finite logits from layer ${p.nonFinite?.name})`);
      continue;
    }
    const confidence = p.probs[p.digit] ?? 0;
    const errors = p.errors ? `, mean product error ${(100 * p.errors.mean).toFixed(2)} %` : '';
    console.log(`${method.padEnd(8)} M=3: digit ${p.digit} (${(100 * confidence).toFixed(1)} %)${errors}`);
  }

  // Which layer matters? The approximate multiplier in one layer at a time.
  for (const layer of model.describe()) {
    const plan: Plan = { layers: { [layer.index]: { method: 'lmul', M: 2 } } };
    const p = model.predict(input, { method: 'exact', plan });
    console.log(`lmul M=2 in ${layer.name} only: digit ${p.digit}, its activation error ${p.layers[layer.index]?.activationError.toExponential(2)}`);
  }

  // Accuracy over a batch of uint8 images (here: 20 synthetic "1"s), with progress and cancel.
  const images = new Uint8Array(20 * 784);
  const labels = new Uint8Array(20).fill(1);
  for (let k = 0; k < 20; ++k)
    for (let y = 4; y < 24; ++y) images[k * 784 + y * 28 + 13 + (k % 3)] = 255;
  const controller = new AbortController();
  const result: EvaluateResult = await model.evaluateAsync(images, labels, { method: 'lmul', M: 4, chunkSize: 5, signal: controller.signal },
    (done, total) => console.log(`  evaluated ${done}/${total}`));
  console.log(`accuracy on the synthetic ones: ${(100 * result.accuracy).toFixed(0)} % in ${result.ms.toFixed(1)} ms`);
} finally {
  model.dispose();
}

// The vision transformer shipped in the package: the same calls, plus the class token's attention
// over the 16 patches (one map per block) and error statistics per kind of product. Here an
// instance whose defaultModel() is the ViT; with bytes at hand, lm.loadModel(bytes) does the same.
const vitUrl = import.meta.resolve('lmul-wasm/models/vit-p7-w48-d3.safetensors');
const vit: LMulModel = await (await createLMul({ defaultModelUrl: vitUrl })).defaultModel();
try {
  const attentionLayers = vit.describe().filter((l) => l.kind === 'attention').map((l) => l.name);
  console.log(`${vit.metadata.arch}: ${vit.describe().length} layers, attention in ${attentionLayers.join(', ')}`);
  const paper: Plan = { attention: { method: 'lmul', M: 1 } }; // L-Mul in attention only
  for (const plan of [undefined, paper]) {
    const p: Prediction = vit.predict(input, { method: 'exact', plan, attention: true });
    const last: AttentionMap | undefined = p.attention?.[p.attention.length - 1];
    const head0 = last ? Array.from(last.weights.subarray(0, last.patches)) : [];
    const focus = head0.indexOf(Math.max(...head0));
    const attentionError = p.errorsByKind.attention ? `, mean attention product error ${(100 * p.errorsByKind.attention.mean).toFixed(1)} %` : '';
    console.log(`${plan ? 'lmul M=1 in attention' : 'exact'}: digit ${p.digit}, last block's head 0 looks most at patch ${focus}${attentionError}`);
  }
} finally {
  vit.dispose();
}

// Mistakes are caught at compile time (this function is only type-checked, never called)...
export function typeErrors(m: LMulModel): void {
  // @ts-expect-error: not a method
  lm.mul(1, 2, { method: 'lmull' });
  // @ts-expect-error: unknown option
  lm.mul(1, 2, { mantissa: 3 });
  // @ts-expect-error: arrays must be Float32Array
  lm.mulArray([1, 2], [3, 4]);
  // @ts-expect-error: layers is read-only
  m.layers.push(1);
  // @ts-expect-error: evaluate returns a result, not a promise (evaluateAsync does)
  m.evaluate(new Uint8Array(784), new Uint8Array(1)).then(() => {});
}
// ...and at run time, with a message naming the parameter and the allowed range.
try {
  lm.mul(1, 2, { M: 30 });
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
