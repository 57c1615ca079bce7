// Loads web/data/mnist-t10k.bin, the compact MNIST test set (gzip of the format of
// mnist-format.js), once per URL. Works in pages, workers and Node >= 18 (DecompressionStream).
import { fetchBytes } from './assets.js';
import { decodeMnist, MnistSet } from './mnist-format.js';

export const MNIST_URL = new URL('./data/mnist-t10k.bin', import.meta.url);

async function gunzip(bytes) {
  // A server may already have removed the gzip layer (Content-Encoding): look before inflating.
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  const stream = new Response(bytes).body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const cache = new Map();

// Fetches the asset once per URL and resolves to its MnistSet; later calls share the promise.
export function loadMnist(url = MNIST_URL) {
  const key = String(url);
  if (!cache.has(key)) {
    const p = (async () => new MnistSet(await gunzip(await fetchBytes(url, 'web/data'))))();
    p.catch(() => cache.delete(key)); // allow a retry after a failure
    cache.set(key, p);
  }
  return cache.get(key);
}

export { gunzip, decodeMnist, MnistSet };
