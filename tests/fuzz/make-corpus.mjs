#!/usr/bin/env node
// Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/seed-*: small
// valid inputs and one of each interesting malformed kind. Deterministic; run it again after
// changing it (`node tests/fuzz/make-corpus.mjs`) and commit the result. Inputs that fuzzing
// found (regress-*) are kept in the same folders and are not touched here.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.join(here, 'corpus');

function write(target, name, bytes) {
  const dir = path.join(corpus, target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `seed-${name}`), Buffer.from(bytes));
}
function clearSeeds(target) {
  const dir = path.join(corpus, target);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.startsWith('seed-')) rmSync(path.join(dir, f));
}

const f32 = (values) => {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return b;
};
const u32le = (words) => {
  const b = Buffer.alloc(4 * words.length);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 * i));
  return b;
};
const u32be = (words) => {
  const b = Buffer.alloc(4 * words.length);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, 4 * i));
  return b;
};

// A small deterministic generator (xorshift32).
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

// ---- safetensors ---------------------------------------------------------------------------
// tensors: [name, shape, values]; data stored in the given order.
function safetensors(tensors, { metadata, pad = true, headerText } = {}) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, shape, values] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * values.length] };
    offset += 4 * values.length;
  }
  let text = headerText ?? JSON.stringify(header);
  if (pad) text += ' '.repeat((8 - (text.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([length, Buffer.from(text), ...tensors.map(([, , v]) => f32(v))]);
}
function rawSafetensors(headerText, data = Buffer.alloc(0), lengthOverride) {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(lengthOverride ?? Buffer.byteLength(headerText)));
  return Buffer.concat([length, Buffer.from(headerText), data]);
}

clearSeeds('safetensors');
const small = [
  ['fc1.weight', [2, 3], [0.5, -1, 2, 0.25, 0, 1]],
  ['fc1.bias', [2], [0.1, -0.2]],
  ['fc2.weight', [2, 2], [1, 2, 3, 4]],
  ['fc2.bias', [2], [-1, 1]],
];
write('safetensors', 'valid-fc-3-2-2.safetensors', safetensors(small, { metadata: { format: 'pt' } }));
write('safetensors', 'valid-sequential-gaps.safetensors', safetensors([
  ['layers.2.bias', [1], [0.5]],
  ['layers.2.weight', [1, 2], [-0.5, 0.75]],
  ['layers.0.bias', [2], [0, 0.125]],
  ['layers.0.weight', [2, 4], [1, -1, 0.5, -0.5, 2, 0, -0, 3]],
], { pad: false }));
write('safetensors', 'valid-bare-prefix.safetensors', safetensors([
  ['0.weight', [1, 3], [1.5, -2.5, 1e-40]],
  ['0.bias', [1], [-0]],
]));
write('safetensors', 'valid-numeric-order.safetensors', safetensors([
  ['fc10.weight', [1, 2], [3, -3]],
  ['fc10.bias', [1], [0]],
  ['fc2.weight', [3, 2], [1, 2, 3, 4, 5, 6]],
  ['fc2.bias', [3], [0, 0, 0]],
  ['fc3.weight', [2, 3], [0.1, 0.2, 0.3, -0.1, -0.2, -0.3]],
  ['fc3.bias', [2], [1, 2]],
], { metadata: { recipe: 'seed', epochs: '5', empty: '' } }));
write('safetensors', 'bad-empty', []);
write('safetensors', 'bad-short', [1, 0, 0]);
write('safetensors', 'bad-header-length', rawSafetensors('{}', Buffer.alloc(0), 1e6));
write('safetensors', 'bad-json', rawSafetensors('{"fc1.weight":{"dtype":"F32","shape":[2'));
write('safetensors', 'bad-not-object', rawSafetensors('[1,2,3]'));
write('safetensors', 'bad-no-tensors', rawSafetensors('{}'));
const entry = (name, shape, b, e, dtype = 'F32') =>
  `"${name}":{"dtype":"${dtype}","shape":${shape},"data_offsets":[${b},${e}]}`;
write('safetensors', 'bad-dtype', rawSafetensors(`{${entry('fc1.bias', '[1]', 0, 4, 'F16')}}`, f32([1])));
write('safetensors', 'bad-overlap', rawSafetensors(
  `{${entry('fc1.weight', '[1,2]', 0, 8)},${entry('fc1.bias', '[1]', 4, 8)}}`, f32([1, 2])));
write('safetensors', 'bad-gap', rawSafetensors(
  `{${entry('fc1.weight', '[1,1]', 0, 4)},${entry('fc1.bias', '[1]', 8, 12)}}`, f32([1, 2, 3])));
write('safetensors', 'bad-offsets-range', rawSafetensors(
  `{${entry('fc1.bias', '[1]', 0, '18446744073709551615')}}`, f32([1])));
write('safetensors', 'bad-shape-overflow', rawSafetensors(
  `{${entry('fc1.bias', '[4294967296,4294967296,4294967296]', 0, 4)}}`, f32([1])));
write('safetensors', 'bad-shape-float', rawSafetensors(`{${entry('fc1.bias', '[1.0]', 0, 4)}}`, f32([1])));
write('safetensors', 'bad-missing-bias', rawSafetensors(`{${entry('fc1.weight', '[1,1]', 0, 4)}}`, f32([1])));
write('safetensors', 'bad-chain', safetensors([
  ['fc1.weight', [2, 1], [1, 2]], ['fc1.bias', [2], [0, 0]],
  ['fc2.weight', [1, 3], [1, 2, 3]], ['fc2.bias', [1], [0]],
]));
write('safetensors', 'bad-nonfinite', safetensors([
  ['fc1.weight', [1, 2], [1, NaN]], ['fc1.bias', [1], [Infinity]],
]));
write('safetensors', 'bad-metadata', rawSafetensors(
  `{"__metadata__":{"epochs":5},${entry('fc1.weight', '[1,1]', 0, 4)},${entry('fc1.bias', '[1]', 4, 8)}}`,
  f32([1, 2])));
write('safetensors', 'bad-name', rawSafetensors(`{${entry('fc1.running_mean', '[1]', 0, 4)}}`, f32([1])));
write('safetensors', 'bad-prefixes', safetensors([
  ['fc1.weight', [1, 1], [1]], ['fc1.bias', [1], [0]], ['out2.weight', [1, 1], [1]], ['out2.bias', [1], [0]],
]));

// ---- IDX -----------------------------------------------------------------------------------
clearSeeds('idx');
const digit = Buffer.alloc(784);
for (let y = 6; y < 22; ++y) digit[y * 28 + 14] = 255; // a "1"
for (let x = 10; x < 18; ++x) digit[21 * 28 + x] = 128;
write('idx', 'images-1', Buffer.concat([u32be([2051, 1, 28, 28]), digit]));
write('idx', 'images-0', u32be([2051, 0, 28, 28]));
write('idx', 'labels-10', Buffer.concat([u32be([2049, 10]), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])]));
write('idx', 'labels-0', u32be([2049, 0]));
write('idx', 'labels-bad-value', Buffer.concat([u32be([2049, 3]), Buffer.from([3, 12, 4])]));
write('idx', 'images-32x32', u32be([2051, 0, 32, 32]));
write('idx', 'images-truncated', Buffer.concat([u32be([2051, 1, 28, 28]), digit.subarray(0, 100)]));
write('idx', 'images-huge-count', Buffer.concat([u32be([2051, 0xffffffff, 28, 28]), digit]));
write('idx', 'labels-trailing', Buffer.concat([u32be([2049, 1]), Buffer.from([7, 7])]));
write('idx', 'gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]));
write('idx', 'short', Buffer.from([0, 0, 8, 3, 0]));

// ---- numerics ------------------------------------------------------------------------------
clearSeeds('numerics');
// Selector bytes: E = 2 + b % 7, M = 1 + b % 23.
const formats = { E8M23: [6, 22], E8M7: [6, 6], E8M3: [6, 2], E5M10: [3, 9], E4M3: [2, 2], E5M2: [3, 1], E2M1: [0, 0], E3M5: [1, 4] };
const methods = ['exact', 'float', 'lmul', 'lmul-formula', 'mitchell']; // selector: bits 1-2 and 4 of byte 2
const golden = [1, 1, 5, 8, 1.5, 1.5, -3, 0.5, 0, 7, -0, 7, Infinity, 0, NaN, 2, 240, 57344,
  65504, 3.4e38, -3.4e38, 1e-40, -1e-45, 1.17549435e-38, 448, 0.1, -0.3, 1e20, 1e-20, -Infinity];
for (const [fname, [eb, mb]] of Object.entries(formats))
  methods.forEach((m, mi) => {
    for (const truncate of [0, 1]) {
      const flags = truncate | ((mi & 3) << 1) | ((mi >> 2) << 4);
      write('numerics', `${fname}-${m}-${truncate ? 'truncate' : 'nearest'}`,
        Buffer.concat([Buffer.from([eb, mb, flags, 0x32]), f32(golden)]));
    }
  });
const next = rng(2024);
for (const [fname, [eb, mb]] of Object.entries(formats)) {
  const words = Array.from({ length: 48 }, () => next());
  write('numerics', `${fname}-scaled-random`, Buffer.concat([Buffer.from([eb, mb, 8 | 4, 0xf7]), u32le(words)]));
  write('numerics', `${fname}-raw-random`, Buffer.concat([Buffer.from([eb, mb, 2 | 1, 0x7f]), u32le(words.slice(0, 17))]));
}
write('numerics', 'bad-E', Buffer.from([224, 6, 0, 0, 0, 0, 128, 63]));
write('numerics', 'bad-E-huge', Buffer.from([239, 6, 0, 0]));
write('numerics', 'bad-M', Buffer.from([6, 226, 0, 0]));
write('numerics', 'bad-M-negative', Buffer.from([6, 225, 0, 0, 0, 0, 128, 63]));
write('numerics', 'parse-lmul-formula', Buffer.from('lmul-formula'));
write('numerics', 'parse-truncate', Buffer.from('truncate'));
write('numerics', 'parse-float', Buffer.from('float'));
write('numerics', 'special-words', Buffer.concat([Buffer.from([6, 6, 4, 0x11]),
  u32le([0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00123, 0x00000001, 0x80000001,
    0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0x3fbfffff, 0x3f7fffff, 0, 0x80000000])]));

// ---- preprocess ----------------------------------------------------------------------------
clearSeeds('preprocess');
// Mode byte, width and height bytes (1 + b % 64), two unused bytes, then the values.
const raster = (w, h, fill) => {
  const v = Buffer.alloc(w * h);
  for (let y = 0; y < h; ++y) for (let x = 0; x < w; ++x) v[y * w + x] = fill(x, y);
  return Buffer.concat([Buffer.from([0, w - 1, h - 1, 0, 0]), v]);
};
write('preprocess', 'ring-28', raster(28, 28, (x, y) => {
  const r = Math.hypot(x - 12, y - 15);
  return r > 6 && r < 9 ? 255 : r >= 9 && r < 10 ? 90 : 0;
}));
write('preprocess', 'stroke-64x20', raster(64, 20, (x, y) => (Math.abs(y - 10 - (x - 32) / 8) < 1.5 ? 200 : 0)));
write('preprocess', 'dot-1x1', raster(1, 1, () => 255));
write('preprocess', 'faint-corner-40', raster(40, 40, (x, y) => (x === 39 && y < 3 ? 1 : 0)));
write('preprocess', 'blank-8x3', Buffer.from([0, 7, 2, 0, 0]));
write('preprocess', 'tall-3x50', raster(3, 50, (x, y) => (x === 1 ? 255 : y % 7 === 0 ? 60 : 0)));
write('preprocess', 'raw-floats-4x4', Buffer.concat([Buffer.from([1, 3, 3, 0, 0]),
  f32([0, 0.5, 1, 0, 1e-30, 0.25, 0, 0, 0, 0, 0.75, 0, 0, 0, 0, 1])]));
write('preprocess', 'raw-nan', Buffer.concat([Buffer.from([1, 1, 1, 0, 0]), f32([0.5, NaN, 0, 1])]));
write('preprocess', 'raw-negative', Buffer.concat([Buffer.from([1, 1, 0, 0, 0]), f32([0.5, -0.25])]));
write('preprocess', 'size-zero', Buffer.from([0x80, 0, 0, 5, 0]));
write('preprocess', 'size-too-wide', Buffer.from([0x80, 0x20, 0x4e, 1, 0]));
write('preprocess', 'size-too-many', Buffer.from([0x80, 0, 0x40, 0, 0x40]));
write('preprocess', 'size-16384x2', Buffer.from([0x80, 0, 0x40, 2, 0, 0, 0, 0xff]));

console.log(`seed corpus written to ${path.relative(process.cwd(), corpus)}`);
