// The published artifact: `npm pack`, the size budgets (.wasm <= 300 KB, tarball <= 6 MB), SIMD
// in the .wasm, and a consumer project that installs the tarball offline and uses it from a
// plain Node ES module (and from TypeScript) by the package name only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import { root, wasmPath, mnistTest } from './helpers.mjs';

const KB = 1024;
// Budgets with the stricter reading of "KB" and "MB". Issues 11 and 13 set 300 KB raw and 110 KB
// gzipped for the core and the attention work (the module with the ViT is ~274 KB / ~107 KB
// gzipped; CMakeLists.txt's "Budget" comment says what must stay out of it). Issue 13: a 6 MB
// tarball with the transformer's models.
const WASM_BUDGET = 300 * 1000;
const WASM_GZIP_BUDGET = 110 * 1000;
const TARBALL_BUDGET = 6 * 1000 * 1000;

let tmp, tarball, packInfo;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lmul-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' });
  packInfo = JSON.parse(out)[0];
  tarball = path.join(tmp, packInfo.filename);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('size budgets: .wasm <= 300 KB raw and 110 KB gzipped, packed tarball <= 6 MB', () => {
  const wasm = fs.statSync(wasmPath).size;
  const gz = zlib.gzipSync(fs.readFileSync(wasmPath), { level: 9 }).length;
  const tgz = fs.statSync(tarball).size;
  console.log(`dist/lmul.wasm: ${wasm} bytes (${(wasm / KB).toFixed(1)} KB, budget 300 KB), gzipped ${gz} bytes ` +
    `(${(gz / KB).toFixed(1)} KB, budget 110 KB); tarball ${packInfo.filename}: ${tgz} bytes ` +
    `(${(tgz / KB / KB).toFixed(2)} MB, budget 6 MB), ${packInfo.files.length} files, unpacked ${(packInfo.unpackedSize / KB / KB).toFixed(2)} MB`);
  assert.ok(tgz <= TARBALL_BUDGET, `tarball ${tgz} bytes > 6 MB`);
  assert.ok(wasm <= WASM_BUDGET, `lmul.wasm ${wasm} bytes > 300 KB`);
  assert.ok(gz <= WASM_GZIP_BUDGET, `lmul.wasm gzipped ${gz} bytes > 110 KB`);
});

test('the .wasm uses WebAssembly SIMD (no silent scalar fallback)', () => {
  const text = execFileSync('wasm-dis', [wasmPath], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const simd = text.split('\n').filter((l) => /i32x4|f32x4/.test(l)).length;
  console.log(`wasm-dis dist/lmul.wasm | grep -c 'i32x4\\|f32x4': ${simd}`);
  assert.ok(simd >= 1000, `only ${simd} SIMD instructions`);
});

test('the tarball holds the module, types, wrapper and models, and no sources or tests', () => {
  const files = packInfo.files.map((f) => f.path);
  for (const f of ['package.json', 'dist/lmul.mjs', 'dist/lmul.wasm', 'wasm/index.js', 'wasm/index.d.ts',
    'models/mlp-784-128-10.safetensors', 'models/vit-p7-w48-d3.safetensors', 'models/vit-p7-w48-d3-ft-lmul-E8M1.safetensors',
    'models/README.md'])
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  for (const f of files) assert.doesNotMatch(f, /^(core|tests|build|scripts|node_modules|bench)\/|\.cpp$|\.hpp$/, f);
});

test('installed into an empty project (npm cache first): import by name, predict a digit, resolve assets', () => {
  const proj = path.join(tmp, 'consumer');
  fs.mkdirSync(proj);
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: proj, encoding: 'utf8' });
  assert.equal(install.status, 0, install.stdout + install.stderr);
  // An MNIST test image (label 7) as the consumer's input file.
  fs.writeFileSync(path.join(proj, 'seven.bin'), mnistTest().images.subarray(0, 784));
  fs.writeFileSync(path.join(proj, 'main.mjs'), `
import { readFileSync } from 'node:fs';
import { createLMul } from 'lmul-wasm';
const lm = await createLMul();
const model = await lm.defaultModel();
const pixels = Float32Array.from(readFileSync(new URL('./seven.bin', import.meta.url)), (p) => p / 255);
const out = {};
for (const method of ['exact', 'float', 'lmul', 'lmul-formula', 'mitchell']) out[method] = model.predict(pixels, { method, M: 3 }).digit;
out.layers = model.layers;
out.golden = lm.mul(5, 8, { M: 23 });
out.wasm = import.meta.resolve('lmul-wasm/lmul.wasm');
out.model = import.meta.resolve('lmul-wasm/default-model.safetensors');
out.deep = import.meta.resolve('lmul-wasm/models/mlp-784-128-128-128-128-10.safetensors');
const vit = await lm.loadModel(readFileSync(new URL(import.meta.resolve('lmul-wasm/models/vit-p7-w48-d3.safetensors'))));
out.vit = { arch: vit.metadata.arch, digit: vit.predict(pixels, { plan: 'linear=exact,attention=lmul:M3' }).digit };
vit.dispose();
model.dispose();
console.log(JSON.stringify(out));
`);
  const r = spawnSync(process.execPath, ['main.mjs'], { cwd: proj, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.layers, [784, 128, 10]);
  assert.equal(out.golden, 42);
  for (const method of ['exact', 'float', 'lmul', 'lmul-formula', 'mitchell']) assert.equal(out[method], 7, method);
  const installed = path.join(proj, 'node_modules/lmul-wasm');
  assert.equal(new URL(out.wasm).pathname, path.join(installed, 'dist/lmul.wasm'));
  assert.equal(new URL(out.model).pathname, path.join(installed, 'models/mlp-784-128-10.safetensors'));
  assert.ok(fs.existsSync(new URL(out.deep)));
  assert.deepEqual(out.vit, { arch: 'vit', digit: 7 });

  // TypeScript in the consumer finds the types through "exports".
  fs.writeFileSync(path.join(proj, 'typed.ts'), `import { createLMul, type Prediction } from 'lmul-wasm';
const lm = await createLMul();
const p: Prediction = (await lm.defaultModel()).predict(new Float32Array(784), { method: 'lmul', M: 4 });
const d: number | null = p.digit;
// @ts-expect-error: digit is a number or null (a pass that overflowed predicts nothing)
const n: number = p.digit;
// @ts-expect-error: digit is never a string
const s: string = p.digit;
export { d, n, s };
`);
  const tsc = spawnSync(path.join(root, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', 'typed.ts'], { cwd: proj, encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
