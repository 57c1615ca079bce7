// Reader for web/data/mnist-t10k.bin, the compact MNIST test set written by
// scripts/make-mnist-asset.mjs (gzip of: "LMNIST01", n, rows, cols, labels, nonzero-pixel mask,
// nonzero pixel values). Works in pages, workers and Node >= 18 (DecompressionStream).

import { fetchBytes } from './assets.js';

export const MNIST_URL = new URL('./data/mnist-t10k.bin', import.meta.url);

const MAGIC = 'LMNIST01';

async function gunzip(bytes) {
  // A server may already have removed the gzip layer (Content-Encoding): look before inflating.
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Uncompressed asset bytes -> { n, rows, cols, images: Uint8Array(n*rows*cols), labels }.
export function decodeMnist(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (bytes.length < 16 || magic !== MAGIC)
    throw new Error(`MNIST asset: bad header (expected "${MAGIC}")`);
  const n = dv.getUint32(8, true), rows = dv.getUint16(12, true), cols = dv.getUint16(14, true);
  const pixels = n * rows * cols;
  const labelsAt = 16, maskAt = labelsAt + n, valuesAt = maskAt + Math.ceil(pixels / 8);
  if (bytes.length < valuesAt) throw new Error('MNIST asset: truncated');
  const labels = bytes.slice(labelsAt, maskAt);
  const mask = bytes.subarray(maskAt, valuesAt);
  const images = new Uint8Array(pixels);
  let v = valuesAt;
  for (let byte = 0; byte < mask.length; ++byte) {
    let m = mask[byte];
    while (m) {
      const bit = 31 - Math.clz32(m & -m); // lowest set bit
      images[byte * 8 + bit] = bytes[v++];
      m &= m - 1;
    }
  }
  if (v !== bytes.length) throw new Error('MNIST asset: value count does not match the mask');
  return { n, rows, cols, images, labels };
}

const cache = new Map();

// Fetches and decodes the asset once per URL; later calls share the same promise.
export function loadMnist(url = MNIST_URL) {
  const key = String(url);
  if (!cache.has(key)) {
    const p = (async () => {
      const bytes = await fetchBytes(url, 'web/data');
      return decodeMnist(await gunzip(bytes));
    })();
    p.catch(() => cache.delete(key)); // allow a retry after a failure
    cache.set(key, p);
  }
  return cache.get(key);
}

export { gunzip };
