// The hand-written wasm/index.d.ts: the typed example compiles under `tsc --strict` (its
// @ts-expect-error lines prove wrong calls are rejected), a wrongly typed program does not, the
// compiled example runs, and the declarations list exactly what index.js exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as api from '../../wasm/index.js';
import { root } from './helpers.mjs';

const tsc = path.join(root, 'node_modules/.bin/tsc');
const FLAGS = ['--strict', '--noUncheckedIndexedAccess', '--module', 'nodenext', '--moduleResolution', 'nodenext',
  '--target', 'es2022', '--lib', 'es2022,dom', '--rootDir', root];
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
const dts = fs.readFileSync(path.join(root, 'wasm/index.d.ts'), 'utf8');

test('examples/node-example.ts type-checks with tsc --strict', () => {
  const r = run(tsc, ['--noEmit', ...FLAGS, 'examples/node-example.ts']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('wrong uses of the API are type errors', () => {
  // Inside the package folder, so 'lmul-wasm' resolves to this package through "exports".
  const dir = path.join(root, 'build/ts-check');
  fs.mkdirSync(dir, { recursive: true });
  const bad = path.join(dir, 'bad.ts');
  fs.writeFileSync(bad, `import { createLMul } from 'lmul-wasm';
const lm = await createLMul({ wasmBinary: 'lmul.wasm' });
const model = await lm.defaultModel();
const digit: string = model.predict(new Float32Array(784)).digit;
model.predict(new Float32Array(784), { method: 'fp8' });
lm.errorStats(new Float32Array(1), new Float32Array(1)).histogram.edges.push(1);
const n: number = model.evaluateAsync(new Uint8Array(784), new Uint8Array(1)).accuracy;
lm.loadModel('model.safetensors');
export { digit, n };
`);
  const r = run(tsc, ['--noEmit', ...FLAGS, bad]);
  assert.notEqual(r.status, 0);
  const lines = r.stdout.split('\n').filter((l) => l.includes('error TS'));
  for (const line of [2, 4, 5, 6, 7, 8])
    assert.ok(lines.some((l) => l.includes(`bad.ts(${line},`)), `no type error on line ${line}:\n${r.stdout}`);
});

test('the compiled example runs', () => {
  const out = path.join(root, 'build/ts-example');
  fs.rmSync(out, { recursive: true, force: true });
  const c = run(tsc, [...FLAGS, '--outDir', out, 'examples/node-example.ts']);
  assert.equal(c.status, 0, c.stdout + c.stderr);
  const r = run(process.execPath, [path.join(out, 'examples/node-example.js')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1\.5 \* 1\.5: exact 2\.25, L-Mul 2\.125, L-Mul formula 2\.0625/);
  assert.match(r.stdout, /exact +M=3: digit 1 /);
  assert.match(r.stdout, /evaluated 20\/20/);
  assert.match(r.stdout, /RangeError: lm\.mul: opts\.M must be an integer in 1\.\.23/);
});

test('index.d.ts declares exactly the runtime exports and instance members', async () => {
  const declared = [...dts.matchAll(/^export (?:declare )?(?:function|const) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, Object.keys(api).sort());
  const members = (name) => {
    const body = dts.slice(dts.indexOf(`export interface ${name} {`));
    const block = body.slice(0, body.indexOf('\n}\n'));
    return [...block.matchAll(/^ {2}(?:readonly )?(\w+)\??[(:]/gm)].map((m) => m[1]).sort();
  };
  const lm = await api.createLMul();
  const model = await lm.defaultModel();
  const runtime = (obj) => {
    const names = new Set();
    for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p))
      for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor') names.add(k);
    return [...names].sort();
  };
  assert.deepEqual(members('LMul'), runtime(lm));
  assert.deepEqual(members('LMulModel'), runtime(model));
  const p = model.predict(new Float32Array(784));
  // `attention` (optional) is there only for transformers asked for it.
  assert.deepEqual(Object.keys(p).sort(), members('Prediction').filter((k) => k !== 'attention'));
  assert.deepEqual(Object.keys(p.layers[0]).sort(), members('LayerReport'));
  assert.deepEqual(Object.keys(model.describe()[0]).sort(), members('LayerInfo'));
  assert.deepEqual(Object.keys(model.metadata).sort(), members('ModelMetadata'));
  assert.deepEqual(Object.keys(p.errors).sort(), members('ErrorStats'));
  // `logits` (optional) is there only when asked for.
  assert.deepEqual(Object.keys(model.evaluate(new Uint8Array(784), new Uint8Array(1))).sort(), members('EvaluateResult').filter((k) => k !== 'logits'));
  assert.deepEqual(Object.keys(model.evaluate(new Uint8Array(784), new Uint8Array(1), { logits: true })).sort(), members('EvaluateResult'));
  assert.deepEqual(Object.keys(lm.memory()).sort(), ['heapBytes', 'liveModels', 'mallocBytes']);
  model.dispose();
});
