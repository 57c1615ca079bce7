// Loads web/data/mnist-t10k.bin, the compact MNIST test set (gzip of the format of
// mnist-format.js), once per URL, and picks single test images from it or from its first-images
// sample. Works in pages, workers and Node >= 18 (DecompressionStream).
import { fetchBytes } from './assets.js';
import { decodeMnist, MnistSet } from './mnist-format.js';

export const MNIST_URL = new URL('./data/mnist-t10k.bin', import.meta.url);
// The first 256 test images (37 KB instead of 1.4 MB; scripts/make-mnist-asset.mjs).
export const MNIST_SAMPLE_URL = new URL('./data/mnist-t10k-sample.bin', import.meta.url);

async function gunzip(bytes) {
  // A server may already have removed the gzip layer (Content-Encoding): look before inflating.
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  const stream = new Response(bytes).body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const cache = new Map();
const loaded = new Map(); // URL -> MnistSet, once its promise resolved

// Fetches the asset once per URL and resolves to its MnistSet; later calls share the promise.
export function loadMnist(url = MNIST_URL) {
  const key = String(url);
  if (!cache.has(key)) {
    const p = (async () => {
      const set = new MnistSet(await gunzip(await fetchBytes(url, 'web/data')));
      loaded.set(key, set);
      return set;
    })();
    p.catch(() => cache.delete(key)); // allow a retry after a failure
    cache.set(key, p);
  }
  return cache.get(key);
}

// Single test images by test-set index, for a page: from the sample while the whole set is not
// loaded and the index is in the sample, so that a page's first random digit costs 37 KB; from
// the whole set otherwise (loaded then, once).
export class TestImageFiles {
  #full;
  #sample;
  constructor(full = MNIST_URL, sample = MNIST_SAMPLE_URL) {
    this.#full = full;
    this.#sample = sample;
  }
  // The whole test set (a MnistSet).
  all() {
    return loadMnist(this.#full);
  }
  async #setFor(index) {
    const full = loaded.get(String(this.#full));
    if (full) return full;
    const sample = await loadMnist(this.#sample).catch(() => null); // the whole set will do
    return sample && index < sample.n ? sample : this.all();
  }
  // { pixels, index, label } of test image `index` (an integer >= 0; past the end, the last one).
  async image(index) {
    const set = await this.#setFor(index);
    const i = Math.min(index, set.n - 1);
    return { pixels: set.image(i), index: i, label: set.labels[i] };
  }
  // The set a random pick comes from: the whole set, or with `sample` the sample unless the
  // whole set is loaded already.
  pool({ sample = false } = {}) {
    return sample ? this.#setFor(0) : this.all();
  }
}

export { gunzip, decodeMnist, MnistSet };
