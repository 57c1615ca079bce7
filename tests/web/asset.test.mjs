// The compact MNIST test-set assets the demo ships (web/data/mnist-t10k.bin and its first-images
// sample mnist-t10k-sample.bin): lossless against the original IDX files, reproducible by their
// script, decodable by the page's reader, and small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { readMnistTest, writeAsset, DEFAULT_OUTPUT, DEFAULT_SAMPLE_OUTPUT, SAMPLE_SIZE } from '../../scripts/make-mnist-asset.mjs';
import { decodeMnist, gunzip } from '../../web/mnist.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('the committed asset decodes to the exact MNIST test images and labels', async () => {
  const bytes = new Uint8Array(fs.readFileSync(DEFAULT_OUTPUT));
  const asset = decodeMnist(await gunzip(bytes));
  const idx = readMnistTest();
  assert.equal(asset.n, 10000);
  assert.equal(asset.rows, 28);
  assert.equal(asset.cols, 28);
  assert.ok(Buffer.from(asset.labels).equals(Buffer.from(idx.labels)), 'labels differ');
  assert.ok(Buffer.from(asset.images).equals(Buffer.from(idx.images)), 'pixels differ');
});

test('the sample holds the first test images, with their labels', async () => {
  const sample = decodeMnist(await gunzip(new Uint8Array(fs.readFileSync(DEFAULT_SAMPLE_OUTPUT))));
  const idx = readMnistTest();
  assert.equal(sample.n, SAMPLE_SIZE);
  assert.ok(Buffer.from(sample.labels).equals(Buffer.from(idx.labels.subarray(0, SAMPLE_SIZE))), 'labels differ');
  assert.ok(Buffer.from(sample.images).equals(Buffer.from(idx.images.subarray(0, SAMPLE_SIZE * 784))), 'pixels differ');
  assert.deepEqual([...new Set(sample.labels)].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every digit is in the sample');
});

test('the script regenerates the same content', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmul-asset-'));
  const written = writeAsset(path.join(dir, 'm.bin'), path.join(dir, 's.bin'));
  for (const [{ output, bytes }, committedFile] of written.map((w, k) => [w, [DEFAULT_OUTPUT, DEFAULT_SAMPLE_OUTPUT][k]])) {
    assert.equal(bytes, fs.statSync(output).size);
    const fresh = zlib.gunzipSync(fs.readFileSync(output));
    const committed = zlib.gunzipSync(fs.readFileSync(committedFile));
    assert.ok(fresh.equals(committed), `${path.relative(root, committedFile)} is stale: run node scripts/make-mnist-asset.mjs`);
  }
  fs.rmSync(dir, { recursive: true });
});

test('the assets stay compact (tarball budget; the sample is on the way to the first prediction)', () => {
  const size = fs.statSync(DEFAULT_OUTPUT).size, sample = fs.statSync(DEFAULT_SAMPLE_OUTPUT).size;
  console.log(`web/data/mnist-t10k.bin: ${size} bytes; web/data/mnist-t10k-sample.bin: ${sample} bytes`);
  assert.ok(size < 1.5e6, `${size} bytes`);
  assert.ok(sample < 40e3, `sample: ${sample} bytes`);
});

test('the reader rejects damaged data', async () => {
  const good = await gunzip(new Uint8Array(fs.readFileSync(path.join(root, 'web/data/mnist-t10k.bin'))));
  const badMagic = good.slice(0, 64);
  badMagic[0] = 0x58;
  assert.throws(() => decodeMnist(badMagic), /bad header/);
  assert.throws(() => decodeMnist(good.slice(0, 5000)), /truncated/);
  assert.throws(() => decodeMnist(good.slice(0, good.length - 1)), /value count/);
  // An already-inflated body (server-side Content-Encoding) passes through gunzip unchanged.
  assert.equal(await gunzip(good), good);
});
