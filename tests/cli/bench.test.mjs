// Benchmarks are not tests, but each one runs here for a few iterations so that it cannot rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const methods = ['exact', 'float M=3', 'float M=7', 'lmul M=3', 'lmul M=7', 'lmul-formula M=3', 'lmul-formula M=7',
  'mitchell M=3', 'mitchell M=7'];

function checkBench(result) {
  assert.deepEqual(result.kernels.map((k) => k.method), methods);
  for (const k of result.kernels) {
    for (const key of ['elementwise_simd_mproducts_s', 'elementwise_scalar_mproducts_s', 'dense_batch1_us',
      'dense_batch_us_per_row', 'dense_naive_scalar_us_per_row', 'dense_packed_scalar_us_per_row',
      'dense_simd_vs_packed_scalar', 'dense_packed_vs_naive_scalar', 'dense_gmac_s'])
      assert.ok(Number.isFinite(k[key]) && k[key] > 0, `${k.method} ${key} = ${k[key]}`);
  }
  assert.equal(result.evaluate.length, methods.length);
  for (const e of result.evaluate) assert.ok(e.accuracy > 0.9, `${e.method}: accuracy ${e.accuracy}`);
  assert.ok(result.predict_with_errors_us > 0);
  assert.ok(result.peak_memory_mib > 0);
}

test('lmul bench --quick (native)', () => {
  const out = execFileSync(path.join(root, 'build/native/lmul'), ['bench', '--quick', '--json'], { cwd: root, encoding: 'utf8' });
  const r = JSON.parse(out);
  assert.match(r.target, /^native/);
  checkBench(r);
});

test('lmul bench --quick (the same code in WebAssembly under Node)', () => {
  const out = execFileSync(process.execPath, ['--no-experimental-fetch', path.join(root, 'build/wasm/lmul-cli.cjs'), 'bench', '--quick', '--json'], { cwd: root, encoding: 'utf8' });
  const r = JSON.parse(out);
  assert.match(r.target, /^wasm/);
  assert.equal(r.lanes, 4);
  checkBench(r);
});

test('npm run bench pipeline --quick writes the table, the JSON and the SVG plot', { timeout: 300000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lmul-bench-'));
  execFileSync(process.execPath, [path.join(root, 'bench/run.mjs'), '--quick', '--out', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const r = JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8'));
  checkBench(r.native);
  checkBench(r.wasm);
  assert.match(r.peer.runtime, /TensorFlow\.js .* wasm backend/);
  assert.ok(r.peer.accuracy > 0.9);
  const md = readFileSync(path.join(dir, 'bench.md'), 'utf8');
  assert.match(md, /\| lmul M=7 \|/);
  assert.match(md, /Only this project skips zero pixels/); // the README's caveat travels with the numbers
  const svg = readFileSync(path.join(dir, 'throughput.svg'), 'utf8');
  assert.match(svg, /^<svg/);
  assert.match(svg, /lmul M=7/);
});
