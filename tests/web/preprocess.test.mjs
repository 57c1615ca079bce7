// MNIST-style preprocessing through the package (lm.preprocess -> core preprocess_digit):
// bounding box, 20x20 fit, center of mass, blank input, bad arguments, and MNIST itself.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLMul } from '../../wasm/index.js';
import { readMnistTest } from '../../scripts/make-mnist-asset.mjs';

let lm;
before(async () => {
  lm = await createLMul();
});

function raster(w, h) {
  const v = new Float32Array(w * h);
  return {
    w, h, v,
    fill(x, y, rw, rh, value = 1) {
      for (let j = y; j < y + rh; ++j) for (let i = x; i < x + rw; ++i) v[j * w + i] = value;
      return this;
    },
    run() {
      return lm.preprocess(v, w, h);
    },
  };
}

function inkBox(p) {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  for (let y = 0; y < 28; ++y)
    for (let x = 0; x < 28; ++x)
      if (p[y * 28 + x] > 0) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
  return { x0, y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function centerOfMass(p) {
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < 28; ++y)
    for (let x = 0; x < 28; ++x) {
      m += p[y * 28 + x]; mx += x * p[y * 28 + x]; my += y * p[y * 28 + x];
    }
  return { mass: m, x: mx / m, y: my / m };
}

// A lopsided "7": thick bar on top, thin slanted stem; its mass is far from its box's center.
function seven(w, h, x, y, s) {
  const r = raster(w, h).fill(x, y, 12 * s, 2 * s);
  for (let k = 0; k < 15 * s; ++k) r.fill(x + 10 * s - Math.floor((k * 8) / 15), y + 2 * s + k, 2 * s, 1);
  return r;
}

test('blank input gives 784 zeros', () => {
  const out = raster(280, 280).run();
  assert.ok(out instanceof Float32Array);
  assert.equal(out.length, 784);
  assert.ok(out.every((v) => v === 0));
});

test('bounding box: where the ink is on the canvas does not matter', () => {
  const a = seven(300, 300, 5, 9, 6).run();
  const b = seven(300, 300, 170, 180, 6).run();
  const c = seven(640, 200, 400, 0, 6).run();
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.deepEqual(Array.from(a), Array.from(c));
  // Faint ink far away is ink too: it enlarges the box (5..290 instead of 5..76 across) and
  // so shrinks the digit, whose ink drops by about (102 / 286)^2.
  const d = seven(300, 300, 5, 9, 6).fill(290, 290, 1, 1, 0.05).run();
  const ratio = centerOfMass(d).mass / centerOfMass(a).mass;
  assert.ok(ratio > 0.1 && ratio < 0.15, `ink ratio ${ratio}`);
});

test('20x20 fit keeps the aspect ratio and anti-aliases', () => {
  const tall = raster(200, 200).fill(50, 20, 40, 100).run(); // 2:5 -> 8 x 20
  assert.deepEqual([inkBox(tall).width, inkBox(tall).height], [8, 20]);
  const wide = raster(200, 100).fill(10, 10, 150, 25).run(); // 6:1 -> 20 x 3.33
  const wb = inkBox(wide);
  assert.deepEqual([wb.width, wb.height], [20, 4]);
  const column = [0, 1, 2, 3].map((k) => wide[(wb.y0 + k) * 28 + wb.x0 + 3]);
  assert.equal(column.filter((v) => Math.abs(v - 1) < 1e-6).length, 3);
  assert.equal(column.filter((v) => Math.abs(v - 1 / 3) < 1e-4).length, 1);
  // Halving a 1-pixel checkerboard averages it to grey 0.5 everywhere.
  const cb = raster(40, 40);
  for (let i = 0; i < 1600; ++i) cb.v[i] = ((i % 40) + Math.floor(i / 40)) % 2;
  const grey = cb.run().filter((v) => v > 0);
  assert.equal(grey.length, 400);
  assert.ok(grey.every((v) => Math.abs(v - 0.5) < 1e-6));
});

test('center of mass lands on pixel 14 (whole-pixel shift)', () => {
  for (const s of [1, 2, 4, 7]) {
    const out = seven(300, 300, 20, 30, s).run();
    const com = centerOfMass(out);
    assert.ok(Math.abs(com.x - 14) <= 0.5 && Math.abs(com.y - 14) <= 0.5, `scale ${s}: ${com.x}, ${com.y}`);
    assert.ok(inkBox(out).y0 >= 6, 'the top-heavy shape is centered by mass, not by box');
  }
});

test('MNIST test digits come back unchanged (they were made this way)', () => {
  const { n, images } = readMnistTest();
  const gray = new Float32Array(784);
  let same = 0;
  for (let k = 0; k < n; ++k) {
    for (let i = 0; i < 784; ++i) gray[i] = images[k * 784 + i] / 255;
    const out = lm.preprocess(gray, 28, 28);
    let equal = true;
    for (let i = 0; i < 784 && equal; ++i) equal = out[i] === gray[i];
    if (equal) ++same;
  }
  console.log(`MNIST round trip: ${same} of ${n} identical`);
  assert.ok(same >= 9997, `${same}`);
});

test('a 10x enlarged MNIST digit preprocesses back to the original', () => {
  const { images } = readMnistTest();
  const big = new Float32Array(280 * 280);
  let worst = 0;
  for (let k = 0; k < 200; ++k) {
    for (let y = 0; y < 280; ++y)
      for (let x = 0; x < 280; ++x) big[y * 280 + x] = images[k * 784 + Math.floor(y / 10) * 28 + Math.floor(x / 10)] / 255;
    const out = lm.preprocess(big, 280, 280);
    let bbox = inkBox(Float32Array.from(images.subarray(k * 784, (k + 1) * 784)));
    if (Math.max(bbox.width, bbox.height) !== 20) continue;
    for (let i = 0; i < 784; ++i) worst = Math.max(worst, Math.abs(out[i] - images[k * 784 + i] / 255));
  }
  assert.ok(worst < 1e-5, `max difference ${worst}`);
});

test('bad arguments throw and name the parameter; the instance keeps working', () => {
  const g = new Float32Array(100);
  assert.throws(() => lm.preprocess(g, 0, 10), /width/);
  assert.throws(() => lm.preprocess(g, 10, 0), /height/);
  assert.throws(() => lm.preprocess(g, 20, 20), /gray|length|400/);
  const nan = new Float32Array(100);
  nan[7] = NaN;
  assert.throws(() => lm.preprocess(nan, 10, 10), /gray/);
  const neg = new Float32Array(100);
  neg[3] = -1;
  assert.throws(() => lm.preprocess(neg, 10, 10), /gray/);
  assert.throws(() => lm.preprocess([0, 1], 1, 2), /gray|Float32Array/);
  assert.equal(raster(28, 28).fill(10, 10, 5, 5).run().length, 784);
});
