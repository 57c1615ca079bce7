// The pure parts behind issue 14's features, in Node without a browser: the plan (presets, the
// package's plan option and the CLI text, checked against the package itself), the disagreement
// ranking, the URL state, what a bad model file is, the chart SVG, the sweep's CSV and JSON, the
// cancelled sweep's "M = 1..k", and the test set decoded one image at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createLMul } from '../../wasm/index.js';
import { PLAN_PRESETS, presetsFor, presetOf, planOption, planText, exactIndices, approxFromExact } from '../../web/plan.js';
import { findDisagreements, NON_FINITE } from '../../web/finder.js';
import { encodeState, decodeState, encodeInput, decodeInput, hasSharedInput } from '../../web/url-state.js';
import { describeStart, explainModelFailure, looksLikeSafetensors } from '../../web/file-kind.js';
import { svgChart } from '../../web/svg-chart.js';
import { attentionPixels } from '../../web/attention-map.js';
import { sweepCsv, sweepJson, slug } from '../../web/export.js';
import { completeRange } from '../../web/sweep-controller.js';
import { decodeMnist, MnistSet, gunzip } from '../../web/mnist.js';
import { sweepJobs } from '../../web/sweep.js';
import { DEFAULT_OUTPUT } from '../../scripts/make-mnist-asset.mjs';
import { safetensors } from './model-files.mjs';

const MLP = [{ index: 0, name: 'fc1', kind: 'linear', products: 100352 }, { index: 1, name: 'fc2', kind: 'linear', products: 1280 }];
// What describe() lists for a transformer (NUMERICS.md 3b): linear and attention products.
const VIT = [
  { index: 0, name: 'patch_embed', kind: 'linear', products: 1 },
  { index: 1, name: 'blocks.0.attn.qkv', kind: 'linear', products: 1 },
  { index: 2, name: 'blocks.0.attn.scores', kind: 'attention', products: 1 },
  { index: 3, name: 'blocks.0.attn.values', kind: 'attention', products: 1 },
  { index: 4, name: 'blocks.0.attn.proj', kind: 'linear', products: 1 },
  { index: 5, name: 'head', kind: 'linear', products: 1 },
];
const LMUL3 = { method: 'lmul', E: 8, M: 3, rounding: 'nearest' };

test('plan presets: offered by the layers and kinds a network has; the flags they set', () => {
  assert.deepEqual(presetsFor(MLP).map((p) => p.id), ['everywhere', 'first-exact', 'last-exact']);
  assert.deepEqual(presetsFor(VIT).map((p) => p.id), ['everywhere', 'first-exact', 'last-exact', 'attention-only']);
  assert.deepEqual(presetsFor([MLP[0]]).map((p) => p.id), ['everywhere'], 'one layer: nothing to keep exact');
  const flags = Object.fromEntries(PLAN_PRESETS.map((p) => [p.id, p.approx(VIT)]));
  assert.deepEqual(flags['first-exact'], [false, true, true, true, true, true]);
  assert.deepEqual(flags['last-exact'], [true, true, true, true, true, false]);
  assert.deepEqual(flags['attention-only'], [false, false, true, true, false, false]);
  for (const [id, f] of Object.entries(flags)) assert.equal(presetOf(VIT, f), id);
  assert.equal(presetOf(VIT, [true, false, true, true, true, true]), 'custom');
  assert.equal(PLAN_PRESETS.find((p) => p.id === 'attention-only').label, 'Attention only (the paper’s experiment)');
});

test('plans: the package option and the CLI text say the same, shortest first', () => {
  assert.equal(planOption(MLP, [true, true]), undefined);
  assert.deepEqual(planOption(MLP, [false, true]), { layers: { 0: { method: 'exact' } } });
  assert.deepEqual(planOption(MLP, [false, false]), { linear: { method: 'exact' } });
  assert.equal(planText(MLP, [true, true], LMUL3), 'lmul:E8M3:nearest');
  assert.equal(planText(MLP, [false, true], LMUL3), 'lmul:E8M3:nearest,fc1=exact');
  assert.equal(planText(MLP, [true, true], { method: 'float', E: 5, M: 2, rounding: 'truncate' }), 'float:E5M2:truncate');
  // The paper's experiment on a transformer: the linear kind as one entry.
  assert.deepEqual(planOption(VIT, [false, false, true, true, false, false]), { linear: { method: 'exact' } });
  assert.equal(planText(VIT, [false, false, true, true, false, false], LMUL3), 'lmul:E8M3:nearest,linear=exact');
  assert.deepEqual(planOption(VIT, [true, true, false, true, true, true]), { layers: { 2: { method: 'exact' } } });
  assert.equal(planText(VIT, [true, true, false, true, true, true], LMUL3), 'lmul:E8M3:nearest,blocks.0.attn.scores=exact');
  // Names that the grammar would misread are written as layerN.
  const odd = [{ name: 'linear', kind: 'linear' }, { name: 'a,b', kind: 'linear' }, { name: 'x', kind: 'linear' }, { name: 'x', kind: 'linear' }];
  assert.equal(planText(odd, [false, false, false, true], LMUL3), 'lmul:E8M3:nearest,layer0=exact,layer1=exact,layer2=exact');
  assert.deepEqual(exactIndices([false, true, false]), [0, 2]);
  assert.deepEqual(approxFromExact(MLP, [1]), [true, false]);
  assert.equal(approxFromExact(MLP, [2]), null);
});

test('plans run: the object and the text give the same predictions as the package computes them', async () => {
  const lm = await createLMul();
  const deep = await lm.loadModel(fs.readFileSync(new URL('../../models/mlp-784-128-128-128-128-10.safetensors', import.meta.url)));
  const layers = deep.describe();
  const x = Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 101) / 100);
  for (const preset of presetsFor(layers)) {
    const approx = preset.approx(layers);
    const option = planOption(layers, approx);
    const a = deep.predict(x, option ? { ...LMUL3, M: 1, plan: option } : { ...LMUL3, M: 1 });
    const b = deep.predict(x, { plan: planText(layers, approx, { ...LMUL3, M: 1 }) });
    assert.deepEqual(a.logits, b.logits, preset.id);
    // Exact layers carry exact products, approximate ones do not.
    a.layers.forEach((l, i) => assert.equal(l.products.max === 0, !approx[i], `${preset.id}: layer ${i}`));
  }
  deep.dispose();
});

test('disagreements: flips and closest calls ranked by the drop of the exact winner\'s margin', () => {
  const classes = 3;
  const logits = (rows) => Float32Array.from(rows.flat());
  const exact = { predictions: Uint8Array.from([0, 1, 2, 0, NON_FINITE]), logits: logits([[5, 1, 0], [0, 4, 1], [1, 0, 2], [3, 2.5, 0], [NaN, 0, 0]]) };
  const approx = { predictions: Uint8Array.from([0, 2, 2, 1, 0]), logits: logits([[4, 1, 0], [0, 1, 3], [1, 0, 1.5], [2, 2.5, 0], [1, 0, 0]]) };
  const r = findDisagreements({ labels: Uint8Array.from([0, 1, 2, 0, 0]), exact, approx, classes });
  assert.equal(r.n, 5);
  assert.equal(r.flipCount, 2);
  // image 1: margin 3 -> -2 (drop 5); image 3: 0.5 -> -0.5 (drop 1)
  assert.deepEqual(r.flips.map((f) => [f.index, f.exact, f.approx, f.drop]), [[1, 1, 2, 5], [3, 0, 1, 1]]);
  // image 0: 4 -> 3 (drop 1); image 2: 1 -> 0.5 (drop 0.5); image 4: no exact call
  assert.deepEqual(r.closest.map((f) => [f.index, f.drop, f.margin]), [[0, 1, 3], [2, 0.5, 0.5]]);
  const overflow = findDisagreements({ labels: Uint8Array.of(0), classes, exact: { predictions: Uint8Array.of(0), logits: logits([[1, 0, 0]]) },
    approx: { predictions: Uint8Array.of(NON_FINITE), logits: logits([[Infinity, 0, 0]]) } });
  assert.deepEqual([overflow.flipCount, overflow.nonFinite, overflow.flips[0].approx], [1, 1, null]);
  assert.equal(findDisagreements({ labels: new Uint8Array(300), classes: 1, limit: 7,
    exact: { predictions: new Uint8Array(300), logits: new Float32Array(300) }, approx: { predictions: new Uint8Array(300), logits: new Float32Array(300) } }).closest.length, 7);
});

test('URL state: a round trip keeps every field, a drawing bit for bit; bad parts are named and left out', () => {
  const input = new Float32Array(784);
  for (let i = 200; i < 600; i += 7) input[i] = Math.fround(Math.sin(i) ** 2) || 0.5;
  const state = { model: 'seed-ft-lmul-E8M1', E: 5, M: 2, variant: 'mitchell', rounding: 'truncate', exact: [0, 3], image: null, input };
  const hash = encodeState(state);
  assert.match(hash, /^model=seed-ft-lmul-E8M1&E=5&M=2&variant=mitchell&rounding=truncate&exact=0%2C3&input=[\w-]+$/);
  const back = decodeState(`#${hash}`);
  const { image, ...rest } = state;
  assert.equal(image, null);
  assert.deepEqual({ ...back, input: Array.from(back.input) }, { ...rest, input: Array.from(input), problems: [] });
  assert.equal(hash.length < 1000, true, `${hash.length} characters`);
  assert.deepEqual(decodeInput(encodeInput(input)), input);
  assert.deepEqual(decodeState(encodeState({ ...state, exact: [], image: 241 })), { model: 'seed-ft-lmul-E8M1', E: 5, M: 2, variant: 'mitchell', rounding: 'truncate', image: 241, problems: [] });
  assert.equal(hasSharedInput('#img=3'), true);
  assert.equal(hasSharedInput(`#${hash}`), true);
  assert.equal(hasSharedInput('#M=2'), false);
  assert.equal(hasSharedInput(''), false);
  const bad = decodeState('#M=99&E=x&variant=fast&rounding=nearest&exact=a&img=-1&model=<b>');
  assert.deepEqual(bad, { model: '<b>', rounding: 'nearest',
    problems: ['E=x (not in 2..8)', 'M=99 (not in 1..23)', 'variant=fast (not one of adder, formula, mitchell)', 'exact=a (not a list of layer indices)', 'img=-1 (not a test image index)'] });
  assert.match(decodeState('#input=AAAA').problems[0], /^input=AAAA \(not a drawing: too short\)$/);
  const outOfRange = new Float32Array(784);
  outOfRange[5] = 2;
  assert.match(decodeState(`#input=${encodeInput(outOfRange)}`).problems[0], /pixel 5 is 2, not in \(0, 1\]/);
});

test('bad model files: what they are, in words, before the technical reason', () => {
  const bytes = (...b) => Uint8Array.from(b.flat());
  const text = (t) => new TextEncoder().encode(t);
  const cases = [
    [bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'PNG image data'],
    [bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16]), 'JPEG image data'],
    [text('GIF89a....'), 'GIF image data'],
    [text('%PDF-1.7 ...'), 'a PDF document'],
    [bytes([0x50, 0x4b, 0x03, 0x04, 20, 0]), /^a ZIP archive \(PyTorch \.pt\/\.pth files are ZIP archives/],
    [bytes([0x80, 0x02, 0x8a, 0x0a, 0x6c]), /^a Python pickle/],
    [bytes([0x1f, 0x8b, 8, 0]), /^gzip-compressed data/],
    [text('<!DOCTYPE html><html>'), 'HTML (a web page)'],
    [text('  {"models": []}'), 'JSON text'],
    [text('this is not a model, just a long line of words that goes on'), 'text: “this is not a model, just a long line o…”'],
    [text('héllo wörld'), 'text: “héllo wörld”'],
    [bytes([0, 1, 2, 3, 250, 251]), null],
  ];
  for (const [b, want] of cases) {
    const got = describeStart(b);
    if (want instanceof RegExp) assert.match(got, want);
    else assert.equal(got, want, String(want));
  }
  const model = safetensors([784, 10]);
  assert.equal(looksLikeSafetensors(model), true);
  assert.equal(looksLikeSafetensors(cases[0][0]), false);
  const png = explainModelFailure(cases[0][0], new RangeError('lm.loadModel: header length 727905341920923785 goes beyond the end of the file'));
  assert.deepEqual(png, { summary: 'This is not a .safetensors model file (it starts with PNG image data).',
    detail: 'lm.loadModel: header length 727905341920923785 goes beyond the end of the file' });
  assert.equal(explainModelFailure(new Uint8Array(0), new Error('x')).summary, 'This file is empty (0 bytes), not a model.');
  assert.equal(explainModelFailure(cases[11][0], new Error('x')).summary, 'This is not a .safetensors model file.');
  assert.equal(explainModelFailure(model, Object.assign(new Error('5 outputs'), { wrongShape: true })).summary,
    'This model does not fit the demo: it must read 28×28 pixels (784 inputs) and score 10 digits.');
  assert.equal(explainModelFailure(model, new Error('no tensor fc1.weight')).summary, 'This .safetensors file is not a network the demo can run.');
});

test('chart SVG: axes, ticks, bars, lines with gaps, markers; every text escaped', () => {
  const svg = svgChart({
    title: 'A <chart> & "more"', width: 400, height: 200, background: '#fff', text: '#333', grid: '#eee', font: 'sans-serif',
    x: { min: 0, max: 10, title: 'M', ticks: [[0, '0'], [5, '5'], [10, '10']] },
    y: { min: -1, max: 1, title: 'Δ', ticks: [[-1, '−1'], [0, '0'], [1, '1']] },
    series: [
      { label: 'bars', color: '#f00', kind: 'bars', width: 1, values: [[1, 0.5], [2, -0.5], [3, 0], [4, null]] },
      { label: 'line <base>', color: '#00f', kind: 'line', dash: [6, 4], points: true, values: [[1, 0.1], [2, 0.2], [3, null], [4, 0.4], [5, 0.5]] },
    ],
    markers: [{ x: 2, label: 'tuned M=2', color: '#f0f' }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="400" height="200" viewBox="0 0 400 200"/);
  assert.ok(svg.includes('<title>A &lt;chart&gt; &amp; &quot;more&quot;</title>'));
  assert.ok(svg.includes('line &lt;base&gt;'));
  assert.ok(!/<base>|<chart>/.test(svg));
  assert.equal((svg.match(/<rect [^>]*fill="#f00"/g) ?? []).length, 2 + 1, 'two bars (zero and null left out) and a legend swatch');
  assert.equal((svg.match(/<polyline /g) ?? []).length, 2, 'a gap splits the line');
  assert.equal((svg.match(/<circle /g) ?? []).length, 4);
  assert.ok(svg.includes('stroke-dasharray="6 4"'));
  for (const t of ['>−1<', '>10<', '>tuned M=2<', '>Δ<']) assert.ok(svg.includes(t), t);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  // A positive and a negative bar of the same size stand on the zero line, one above, one below.
  const rects = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="#f00"/g)].map((m) => m.slice(1).map(Number));
  const [up, down] = rects.filter((r) => r[2] > 10);
  assert.ok(Math.abs(up[1] + up[3] - down[1]) < 0.02 && Math.abs(up[3] - down[3]) < 0.02, JSON.stringify(rects));
});

test('sweep exports: CSV (quoted, no formula injection) and JSON with every row and its completeness', () => {
  const sweep = {
    model: { id: 'x', name: '=HYPERLINK("evil"), "quoted"' }, base: null,
    settings: { E: 8, rounding: 'nearest', variant: 'adder', method: 'lmul' }, plan: 'lmul:E8M3:nearest,fc1=exact', images: 1000,
    state: 'cancelled', exact: 0.971, baseExact: null,
    rows: [{ M: 1, float: 0.9678, lmul: 0.9675, base: null, complete: true }, { M: 2, float: 0.97, lmul: null, base: null, complete: false }],
  };
  const csv = sweepCsv(sweep).split('\r\n');
  assert.equal(csv[0], 'model,E,rounding,method,plan,images,state,exact_fp32,M,float,lmul,lmul_base,base_exact_fp32,complete');
  assert.equal(csv[1], `"'=HYPERLINK(""evil""), ""quoted""",8,nearest,lmul,lmul:E8M3:nearest,fc1=exact,1000,cancelled,0.971,1,0.9678,0.9675,,,true`.replace('lmul:E8M3:nearest,fc1=exact', '"lmul:E8M3:nearest,fc1=exact"'));
  assert.match(csv[2], /,2,0\.97,,,,false$/);
  assert.equal(csv.length, 4);
  const json = JSON.parse(sweepJson(sweep));
  assert.equal(json.format, 'lmul-wasm sweep 1');
  assert.deepEqual(json.rows, sweep.rows);
  assert.equal(slug('Seed MLP · tuned for L-Mul E8M1'), 'seed-mlp-tuned-for-l-mul-e8m1');
  assert.equal(completeRange([1, 2, 3]), 'M = 1..3');
  assert.equal(completeRange([1]), 'M = 1');
  assert.equal(completeRange([1, 2, 5]), 'M = 1, 2 and 5');
  // The sweep's jobs carry the plan.
  const plan = { layers: { 0: { method: 'exact' } } };
  const jobs = sweepJobs({ E: 8, rounding: 'nearest', lmulMethod: 'lmul', plan });
  assert.equal(jobs[0].opts.plan, undefined, 'exact is exact');
  assert.ok(jobs.slice(1).every((j) => j.opts.plan === plan));
});

test('the test set one image at a time equals the whole set decoded', async () => {
  const bytes = await gunzip(new Uint8Array(fs.readFileSync(DEFAULT_OUTPUT)));
  const all = decodeMnist(bytes);
  const set = new MnistSet(bytes);
  assert.equal(set.n, 10000);
  assert.deepEqual(set.labels, all.labels);
  for (const i of [0, 1, 241, 5000, 9999]) assert.deepEqual(set.image(i), all.images.subarray(i * 784, (i + 1) * 784), `image ${i}`);
  assert.throws(() => set.image(10000), /MNIST image index must be an integer in 0\.\.9999, got 10000/);
  assert.deepEqual(set.images, all.images);
});

test('attention maps: each pixel carries its patch\'s weight (16 patches of 7×7, row by row), per head or the mean; bad shapes are named', () => {
  const heads = 2, patches = 16;
  const weights = Float32Array.from({ length: heads * patches }, (_, i) => (i < patches ? i : 100 + (i - patches)));
  const entry = { heads, patches, weights };
  const h0 = attentionPixels(entry, 0), h1 = attentionPixels(entry, 1), mean = attentionPixels(entry);
  assert.equal(h0.length, 784);
  for (const [x, y] of [[0, 0], [6, 6], [7, 0], [27, 0], [0, 7], [13, 20], [27, 27]]) {
    const p = Math.floor(y / 7) * 4 + Math.floor(x / 7);
    assert.equal(h0[y * 28 + x], p, `head 0 at (${x}, ${y})`);
    assert.equal(h1[y * 28 + x], 100 + p);
    assert.equal(mean[y * 28 + x], (p + 100 + p) / 2);
  }
  assert.throws(() => attentionPixels({ heads, patches: 15, weights: new Float32Array(30) }), /15 patches do not tile a 28×28 input/);
  assert.throws(() => attentionPixels({ heads, patches, weights: new Float32Array(31) }), /weights has 31 values, expected heads × patches = 32/);
  assert.throws(() => attentionPixels(entry, 2), /head must be null \(the mean\) or an integer in 0\.\.1, got 2/);
  // 49 patches of 4×4 tile it too.
  assert.equal(attentionPixels({ heads: 1, patches: 49, weights: Float32Array.from({ length: 49 }, (_, i) => i) })[27 * 28 + 27], 48);
});
