// The compact MNIST test-set asset the demo ships (web/data/mnist-t10k.bin): lossless against
// the original IDX files, reproducible by its script, decodable by the page's reader, and small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { readMnistTest, writeAsset, DEFAULT_OUTPUT } from '../../scripts/make-mnist-asset.mjs';
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

test('the script regenerates the same content', async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lmul-asset-')), 'm.bin');
  const { bytes } = writeAsset(out);
  assert.equal(bytes, fs.statSync(out).size);
  const fresh = zlib.gunzipSync(fs.readFileSync(out));
  const committed = zlib.gunzipSync(fs.readFileSync(DEFAULT_OUTPUT));
  assert.ok(fresh.equals(committed), 'web/data/mnist-t10k.bin is stale: run node scripts/make-mnist-asset.mjs');
  fs.rmSync(path.dirname(out), { recursive: true });
});

test('the asset stays compact (tarball budget)', () => {
  const size = fs.statSync(DEFAULT_OUTPUT).size;
  console.log(`web/data/mnist-t10k.bin: ${size} bytes`);
  assert.ok(size < 1.5e6, `${size} bytes`);
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
