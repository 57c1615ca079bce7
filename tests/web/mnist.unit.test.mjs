// Test images for a page (web/mnist.js TestImageFiles, web/test-images.js randomIndex): the
// first random digit comes from the 256-image sample without the 1.4 MB test set, indices are
// the test set's either way, and the whole set takes over once it is loaded. Runs in Node
// (data: URLs stand in for the files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DEFAULT_OUTPUT, DEFAULT_SAMPLE_OUTPUT, SAMPLE_SIZE } from '../../scripts/make-mnist-asset.mjs';
import { TestImageFiles, decodeMnist, gunzip } from '../../web/mnist.js';
import { randomIndex } from '../../web/test-images.js';

const dataUrl = (file, tag) => new URL(`data:application/octet-stream;tag=${tag};base64,${fs.readFileSync(file).toString('base64')}`);
const full = decodeMnist(await gunzip(new Uint8Array(fs.readFileSync(DEFAULT_OUTPUT))));
const pixels = (i) => full.images.subarray(i * 784, (i + 1) * 784);

// Counts the fetches of each URL, to see which file an answer came from.
function countingFetch() {
  const counts = new Map();
  const original = globalThis.fetch;
  globalThis.fetch = (url, init) => {
    const tag = /tag=(\w+)/.exec(String(url))?.[1] ?? String(url);
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
    return original(url, init);
  };
  return { counts, restore: () => { globalThis.fetch = original; } };
}

test('images in the sample come from the sample; past it, from the whole set, with the same indices', async () => {
  const f = countingFetch();
  try {
    const images = new TestImageFiles(dataUrl(DEFAULT_OUTPUT, 'full1'), dataUrl(DEFAULT_SAMPLE_OUTPUT, 'sample1'));
    for (const i of [0, 7, SAMPLE_SIZE - 1]) {
      const got = await images.image(i);
      assert.deepEqual(got.pixels, pixels(i), `image ${i}`);
      assert.equal(got.label, full.labels[i]);
      assert.equal(got.index, i);
    }
    assert.equal(f.counts.get('full1'), undefined, 'the whole set was not fetched for sample images');
    for (let k = 0; k < 20; ++k) {
      const i = randomIndex((await images.pool({ sample: true })).labels);
      assert.ok(Number.isInteger(i) && i >= 0 && i < SAMPLE_SIZE, `random sample index ${i}`);
    }
    const far = await images.image(9000);
    assert.deepEqual(far.pixels, pixels(9000));
    assert.equal(f.counts.get('full1'), 1);
    assert.equal((await images.image(123456)).index, 9999, 'past the end: the last image');
    // Once the whole set is there, a "sample" pick may come from anywhere, and labels hold.
    const seen = new Set();
    for (let k = 0; k < 200; ++k) {
      const i = randomIndex((await images.pool({ sample: true })).labels, 4);
      assert.equal(full.labels[i], 4, `index ${i} is a 4`);
      seen.add(i >= SAMPLE_SIZE);
    }
    assert.ok(seen.has(true), 'picks reach past the sample once the whole set is loaded');
    assert.equal(f.counts.get('sample1'), 1, 'each file fetched once');
  } finally {
    f.restore();
  }
});

test('a random pick without `sample` loads the whole set; a missing sample falls back to it', async () => {
  const images = new TestImageFiles(dataUrl(DEFAULT_OUTPUT, 'full2'), new URL('data:,missing'));
  const i = randomIndex((await images.pool()).labels, 7);
  assert.equal(full.labels[i], 7);
  const fallback = new TestImageFiles(dataUrl(DEFAULT_OUTPUT, 'full3'), new URL('data:,not-an-mnist-file'));
  assert.deepEqual((await fallback.image(3)).pixels, pixels(3));
});
