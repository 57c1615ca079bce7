// The format of web/data/mnist-t10k.bin once inflated, as scripts/make-mnist-asset.mjs writes it:
// "LMNIST01", n, rows, cols, labels, a mask of the nonzero pixels, their values. Pure (pages,
// workers, Node): decodeMnist decodes the whole set; MnistSet decodes single images on demand,
// since a page needs one image at a time (the pad, thumbnails) long before it needs all of them.

const MAGIC = 'LMNIST01';

// The layout of uncompressed asset bytes: { n, rows, cols, labelsAt, maskAt, valuesAt }.
function layout(bytes) {
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (bytes.length < 16 || magic !== MAGIC) throw new Error(`MNIST asset: bad header (expected "${MAGIC}")`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(8, true), rows = dv.getUint16(12, true), cols = dv.getUint16(14, true);
  const labelsAt = 16, maskAt = labelsAt + n, valuesAt = maskAt + Math.ceil((n * rows * cols) / 8);
  if (bytes.length < valuesAt) throw new Error('MNIST asset: truncated');
  return { n, rows, cols, labelsAt, maskAt, valuesAt };
}

// Sets the nonzero pixels of mask bytes [from, to) into out (pixel index - 8 * from), reading
// values from v; returns the next value index.
function unpack(bytes, maskAt, from, to, out, v) {
  for (let byte = from; byte < to; ++byte) {
    let m = bytes[maskAt + byte];
    while (m) {
      const bit = 31 - Math.clz32(m & -m); // lowest set bit
      out[(byte - from) * 8 + bit] = bytes[v++];
      m &= m - 1;
    }
  }
  return v;
}

// Uncompressed asset bytes -> { n, rows, cols, images: Uint8Array(n*rows*cols), labels }.
export function decodeMnist(bytes) {
  const { n, rows, cols, labelsAt, maskAt, valuesAt } = layout(bytes);
  const images = new Uint8Array(n * rows * cols);
  const v = unpack(bytes, maskAt, 0, valuesAt - maskAt, images, valuesAt);
  if (v !== bytes.length) throw new Error('MNIST asset: value count does not match the mask');
  return { n, rows, cols, images, labels: bytes.slice(labelsAt, maskAt) };
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => { let c = 0; for (; b; b &= b - 1) ++c; return c; });

// The test set of uncompressed asset bytes, decoded lazily: image(i) decodes one image (with a
// table of where each image's values start, built once), `images` all of them (once).
export class MnistSet {
  #bytes;
  #layout;
  #starts = null; // value index of each image's first nonzero pixel
  #images = null;
  constructor(bytes) {
    this.#layout = layout(bytes);
    const { n, rows, cols, labelsAt, maskAt } = this.#layout;
    this.#bytes = bytes;
    this.n = n;
    this.rows = rows;
    this.cols = cols;
    this.labels = bytes.subarray(labelsAt, maskAt);
  }
  // The asset's bytes (what a worker needs to decode the set itself).
  get bytes() {
    return this.#bytes;
  }
  image(i) {
    if (!(Number.isInteger(i) && i >= 0 && i < this.n)) throw new RangeError(`MNIST image index must be an integer in 0..${this.n - 1}, got ${i}`);
    const { rows, cols, maskAt, valuesAt } = this.#layout, size = rows * cols;
    // Images whose masks do not start on a byte (not MNIST's 28×28) come from the whole set.
    if (this.#images || size % 8) return this.images.slice(i * size, (i + 1) * size);
    if (!this.#starts) {
      const starts = new Uint32Array(this.n), per = size / 8, b = this.#bytes;
      let v = valuesAt;
      for (let k = 0; k < this.n; ++k) {
        starts[k] = v;
        for (let j = maskAt + k * per, end = j + per; j < end; ++j) v += POPCOUNT[b[j]];
      }
      if (v !== b.length) throw new Error('MNIST asset: value count does not match the mask');
      this.#starts = starts;
    }
    const out = new Uint8Array(size);
    unpack(this.#bytes, maskAt, i * (size / 8), (i + 1) * (size / 8), out, this.#starts[i]);
    return out;
  }
  get images() {
    this.#images ??= decodeMnist(this.#bytes).images;
    return this.#images;
  }
}
