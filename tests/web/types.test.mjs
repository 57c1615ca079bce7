// The hand-written web/lmul-digit-demo.d.ts: a typed example using the element compiles under
// `tsc --strict` and runs in Chromium, wrong uses are type errors (errors: ... | null included),
// and the declarations list exactly what the module exports, what the element's class has, and
// what its events and methods hand out at runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, serverAndBrowser } from './helpers.mjs';

const tsc = path.join(root, 'node_modules/.bin/tsc');
const FLAGS = ['--strict', '--noUncheckedIndexedAccess', '--module', 'nodenext', '--moduleResolution', 'nodenext',
  '--target', 'es2022', '--lib', 'es2022,dom', '--rootDir', root];
const run = (args) => spawnSync(tsc, args, { cwd: root, encoding: 'utf8' });
const dts = fs.readFileSync(path.join(root, 'web/lmul-digit-demo.d.ts'), 'utf8');

// Member names of a declared class or interface block of the .d.ts.
function members(kind, name) {
  const body = dts.slice(dts.indexOf(`${kind} ${name} `));
  const block = body.slice(0, body.indexOf('\n}\n'));
  return [...block.matchAll(/^ {2}(?:static )?(?:readonly )?(\w+)\??[(:]/gm)].map((m) => m[1]).sort();
}

const env = serverAndBrowser();

test('wrong uses of the element are type errors', () => {
  const dir = path.join(root, 'build/ts-check');
  fs.mkdirSync(dir, { recursive: true });
  const bad = path.join(dir, 'bad-demo.ts');
  fs.writeFileSync(bad, `import { mountDemo } from 'lmul-wasm/demo';
const demo = mountDemo(document.body, { m: '3' });
const mean: number = demo.predictions!.exact.errors.mean;
demo.theme = 'blue';
mountDemo(document.body, { colour: 'red' });
const outcome: number = demo.runSweep(10);
demo.lm = {};
document.addEventListener('lmul-predict', (e) => e.detail.settings.variant === 'fast');
export { mean, outcome };
`);
  const r = run(['--noEmit', ...FLAGS, bad]);
  assert.notEqual(r.status, 0);
  const lines = r.stdout.split('\n').filter((l) => l.includes('error TS'));
  for (const line of [2, 3, 4, 5, 6, 7, 8])
    assert.ok(lines.some((l) => l.includes(`bad-demo.ts(${line},`)), `no type error on line ${line}:\n${r.stdout}`);
});

test('examples/demo-element.ts compiles with tsc --strict and runs in Chromium; the declarations match the runtime', async () => {
  const out = path.join(root, 'build/ts-demo-example');
  fs.rmSync(out, { recursive: true, force: true });
  const c = run([...FLAGS, '--outDir', out, 'examples/demo-element.ts']);
  assert.equal(c.status, 0, c.stdout + c.stderr);
  const page = await env.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${env.srv.origin}/tests/web/fixtures/blank.html`);
  await page.addScriptTag({ type: 'module', url: '/build/ts-demo-example/examples/demo-element.js' });
  await page.waitForFunction(() => globalThis.demoExampleLog, null, { timeout: 60000 });
  const log = await page.evaluate(() => globalThis.demoExampleLog);
  console.log(log.join('\n'));
  assert.ok(log.some((l) => /^E8M3: exact 7, L-Mul \d, mean product error \d+\.\d\d %$/.test(l)), log.join('\n'));
  assert.ok(log.some((l) => l.startsWith('E8M1: exact 7, L-Mul')));
  assert.ok(log.some((l) => l === 'now Seed MLP 784-128-10 at E8M1'));
  assert.match(log.find((l) => l.startsWith('sweep:')), /^sweep: exact 0\.9\d+, L-Mul at M=1 0\.9\d+, exact column errors null$/);
  assert.match(log.at(-1), /^wasm memory \d+ bytes; model seed; theme system$/);

  const runtime = await page.evaluate(async () => {
    const mod = await import('lmul-wasm/demo');
    const el = document.querySelector('lmul-digit-demo');
    const names = new Set();
    for (const k of Object.getOwnPropertyNames(mod.LMulDigitDemo.prototype)) if (k !== 'constructor') names.add(k);
    const predict = await new Promise((resolve) => {
      el.addEventListener('lmul-predict', (e) => resolve(e.detail), { once: true });
      el.m = 4;
    });
    const change = await new Promise((resolve) => {
      el.addEventListener('lmul-change', (e) => resolve(e.detail), { once: true });
      el.e = 5;
    });
    return {
      exports: Object.keys(mod).sort(),
      members: [...names, 'observedAttributes'].sort(),
      predict: Object.keys(predict).sort(),
      change: Object.keys(change).sort(),
      changeModel: Object.keys(change.model).sort(),
      settings: Object.keys(el.settings).sort(),
      exactErrors: el.predictions.exact.errors,
      floatErrors: el.predictions.float.errors === null,
      // mountDemo names the options it takes when given another.
      mountOptions: (() => {
        try {
          mod.mountDemo(document.body, { bogus: 1 });
        } catch (e) {
          return e.message.split('allowed: ')[1].split(', ').sort();
        }
      })(),
    };
  });
  const declared = [...dts.matchAll(/^export declare (?:class|const|function) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, runtime.exports);
  assert.deepEqual(members('export declare class', 'LMulDigitDemo'), runtime.members);
  assert.deepEqual(members('export interface', 'DemoPredictDetail'), ['input', 'settings']);
  assert.deepEqual(runtime.predict, ['exact', 'float', 'input', 'lmul', 'settings']); // DemoPredictions plus those two
  assert.deepEqual(members('export interface', 'DemoPredictions'), ['exact', 'float', 'lmul']);
  assert.deepEqual(members('export interface', 'DemoChangeDetail'), runtime.change);
  assert.deepEqual(['id', 'layers', 'name', 'tuned'], runtime.changeModel);
  assert.deepEqual(members('export interface', 'DemoSettings'), runtime.settings);
  assert.deepEqual(members('export interface', 'MountDemoOptions'), runtime.mountOptions);
  assert.equal(runtime.exactErrors, null, 'the exact column has errors: null, as typed');
  assert.equal(runtime.floatErrors, false);
  assert.deepEqual(errors, []);
  await page.close();
});
