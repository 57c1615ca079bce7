// createLMul({ assetsBase }): one folder holding a copy of the package's files replaces every
// module-relative location (for bundlers that do not process new URL, such as esbuild); failures
// name the file once. And model.metadata: { tuned, baseModel, raw } read from the file itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLMul } from '../../wasm/index.js';
import { root, wasmPath, seedModelPath } from './helpers.mjs';

// A copy of the package's dist/ and models/ (the seed model only) in a temporary folder.
function copy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmul-assets-'));
  fs.mkdirSync(path.join(dir, 'dist'));
  fs.mkdirSync(path.join(dir, 'models'));
  fs.copyFileSync(wasmPath, path.join(dir, 'dist/lmul.wasm'));
  fs.copyFileSync(seedModelPath, path.join(dir, 'models/mlp-784-128-10.safetensors'));
  return dir;
}

test('assetsBase: the .wasm and the default model come from the folder (path, URL, with or without the slash)', async () => {
  const dir = copy();
  const x = new Float32Array(784).fill(0.5);
  for (const base of [dir, `${dir}/`, pathToFileURL(dir), pathToFileURL(`${dir}/`).href]) {
    const lm = await createLMul({ assetsBase: base });
    assert.equal(lm.mul(5, 8, { M: 23 }), 42);
    const model = await lm.defaultModel();
    assert.deepEqual([...model.layers], [784, 128, 10]);
    assert.equal(model.predict(x).probs.length, 10);
    model.dispose();
  }
  // Without the model in the folder, defaultModel names the file it looked for.
  fs.rmSync(path.join(dir, 'models'), { recursive: true });
  const lm = await createLMul({ assetsBase: dir });
  await assert.rejects(lm.defaultModel(), {
    message: `lm.defaultModel: could not load the default model: cannot read ${path.join(dir, 'models/mlp-784-128-10.safetensors')}: ` +
      'ENOENT: no such file or directory — pass { defaultModelUrl } to createLMul(), or fetch the file yourself and call lm.loadModel(bytes)',
  });
  // locateFile and defaultModelUrl still win for their own file.
  const mixed = await createLMul({ assetsBase: path.join(dir, 'nowhere'), locateFile: () => wasmPath, defaultModelUrl: seedModelPath });
  (await mixed.defaultModel()).dispose();
  fs.rmSync(dir, { recursive: true });
});

test('assetsBase: a folder without the .wasm, or a value that is not a location, is one clear error', async () => {
  const missing = path.join(os.tmpdir(), 'lmul-no-such-assets');
  await assert.rejects(createLMul({ assetsBase: missing }), {
    name: 'Error',
    message: `createLMul: could not load the WebAssembly module: cannot read ${path.join(missing, 'dist/lmul.wasm')}: ENOENT: no such file or directory`,
  });
  await assert.rejects(createLMul({ assetsBase: 5 }), { name: 'TypeError', message: 'createLMul: options.assetsBase must be a string or URL, got 5' });
  await assert.rejects(createLMul({ assetBase: '/x/' }), { name: 'TypeError', message: /unknown option "assetBase"; allowed: .*assetsBase/ });
});

test('model.metadata: a fine-tune\'s tuned setting and base from its own file; the raw strings', async () => {
  const lm = await createLMul();
  const tuned = await lm.loadModel(fs.readFileSync(path.join(root, 'models/mlp-784-128-10-ft-lmul-E3M2.safetensors')));
  assert.deepEqual(tuned.metadata.tuned, { method: 'lmul', E: 3, M: 2, rounding: 'nearest' });
  assert.equal(tuned.metadata.baseModel, 'models/mlp-784-128-10.safetensors');
  assert.equal(tuned.metadata.raw.spec, 'lmul E3M2 nearest');
  assert.ok(Object.isFrozen(tuned.metadata) && Object.isFrozen(tuned.metadata.tuned) && Object.isFrozen(tuned.metadata.raw));
  const seed = await lm.defaultModel();
  assert.equal(seed.metadata.tuned, null);
  assert.equal(seed.metadata.baseModel, null);
  assert.equal(seed.metadata.raw.trainer, 'lmul train (lmul-wasm)');
  tuned.dispose();
  seed.dispose();
});
