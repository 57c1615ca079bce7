// Issue 15 rows 1 and 3 in the browser: a hostile model list, hostile model metadata and hostile
// file names reach the page as text only (no dialog, no script, no element from them) while the
// page keeps predicting; and a predict that fails shows its error where the predictions are,
// with no digits left from before under the new label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { drawStrokes, settle, root, serverAndBrowser } from './helpers.mjs';
import { DIGITS } from './digits.mjs';
import { safetensors } from './model-files.mjs';

const env = serverAndBrowser();

// Markup that records its own execution if it is ever parsed as HTML.
const H = (tag) => `<img src=x onerror=alert('${tag}')><script>__pwned.push('${tag}')</script>`;

// A file name (no slash: it is the last part of a path) that is markup.
const BASE = "<img src=x onerror=alert('base')>";

const modelWith = (metadata) => safetensors([784, 10], metadata);

async function hostilePage() {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const log = { dialogs: [], errors: [] };
  await context.addInitScript(() => { window.__pwned = []; });
  await context.route('**/lists/hostile.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify({ models: [
    { id: 'seed', name: `Seed ${H('name')}`, src: '/models/mlp-784-128-10.safetensors', group: H('group'), default: true },
    { id: H('id'), name: 'Hostile id', src: '/models/mlp-784-128-10.safetensors', group: H('group') },
    { id: 'old-ft', name: 'An old-style fine-tune entry', src: '/models/mlp-784-128-10-ft-lmul-E8M1.safetensors',
      finetuned: { base: 'seed', method: H('method'), E: H('E'), M: 1, rounding: H('rounding') } },
    { id: 'meta', name: 'Hostile metadata', src: '/lists/meta.safetensors', group: 'Other' },
    { id: 'base', name: 'Fine-tune naming a hostile base', src: '/lists/base.safetensors', group: 'Other' },
    { id: 'js', name: H('js'), src: 'javascript:alert(1)' },
  ] }) }));
  await context.route('**/lists/meta.safetensors', (route) => route.fulfill({ contentType: 'application/octet-stream',
    body: modelWith({ method: H('method'), E: H('E'), M: '1', rounding: H('rounding'), base_model: H('base_model') }) }));
  await context.route('**/lists/base.safetensors', (route) => route.fulfill({ contentType: 'application/octet-stream',
    body: modelWith({ method: 'lmul', E: '8', M: '2', rounding: 'nearest', base_model: `models/${BASE}.safetensors` }) }));
  const page = await context.newPage();
  page.on('dialog', (d) => {
    log.dialogs.push(d.message());
    d.dismiss();
  });
  page.on('pageerror', (e) => log.errors.push(e.message));
  await page.goto(`${env.srv.origin}/tests/web/fixtures/blank.html`);
  await page.evaluate(async () => {
    const { mountDemo } = await import('lmul-wasm/demo');
    await mountDemo(document.getElementById('here'), { models: '/lists/hostile.json' }).ready;
  });
  return { context, page, log };
}

const demo = (page) => page.locator('lmul-digit-demo');
const exactDigit = async (page) => (await demo(page).getByTestId('pred-exact').textContent()).trim();
async function predictsSeven(page) {
  await demo(page).getByTestId('clear').click();
  await drawStrokes(page, DIGITS[7], demo(page));
  await settle(page);
  return exactDigit(page);
}
// No element anywhere in the shadow tree came from the data: nothing but the template's tags.
const foreignElements = (page) => demo(page).evaluate((el) => el.shadowRoot.querySelectorAll('img, script, iframe, object, embed').length);

test('a hostile model list, hostile metadata and hostile file names stay text; the page keeps predicting', async () => {
  const { context, page, log } = await hostilePage();
  const d = demo(page);
  // The menu shows the names and group labels as written; bad entries are left out and named.
  const menu = await d.getByTestId('model-select').evaluate((sel) => [...sel.querySelectorAll('optgroup')].map((g) =>
    [g.label, [...g.querySelectorAll('option')].map((o) => [o.value, o.textContent])]));
  assert.deepEqual(menu, [
    [H('group'), [['seed', `Seed ${H('name')}`], [H('id'), 'Hostile id']]],
    ['Other', [['meta', 'Hostile metadata'], ['base', 'Fine-tune naming a hostile base']]],
  ]);
  const error = await d.getByTestId('error').textContent();
  assert.match(error, /^Left out of the model list http:.*\/lists\/hostile\.json: entry 3 \("old-ft"\): unknown field "finetuned"; .*; entry 6 \("js"\): src must be an http\(s\) URL or a path, got "javascript:alert\(1\)"\.$/);
  assert.equal(await predictsSeven(page), '7');

  // The entry with a hostile id works like any other.
  await d.getByTestId('model-select').selectOption(H('id'));
  await page.waitForFunction((id) => document.querySelector('lmul-digit-demo').model === id, H('id'));
  assert.equal(await d.getAttribute('model'), H('id'));
  assert.equal(await predictsSeven(page), '7');

  // Hostile tuning fields in a model file: not a fine-tune, no note; the model predicts.
  await d.getByTestId('model-select').selectOption('meta');
  await page.waitForFunction(() => document.querySelector('lmul-digit-demo').model === 'meta');
  assert.equal(await d.getByTestId('model-note').isVisible(), false);
  await settle(page);
  assert.match(await exactDigit(page), /^\d$/);
  // A valid fine-tune whose file names a hostile base: the note quotes it as text.
  await d.getByTestId('model-select').selectOption('base');
  await d.getByTestId('model-note').waitFor({ state: 'visible' });
  assert.equal(await d.getByTestId('model-note').textContent(),
    `Fine-tuned for L-Mul (adder) E8M2, nearest rounding; the controls are set to that. Its base model (“${BASE}.safetensors”) is not in the model list, so the sweep shows this model alone.`);

  // Files with hostile names: a broken one (the error quotes the name) and a real model.
  const named = (name, bytes) => d.getByTestId('model-file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
  await named(`${H('broken')}.safetensors`, Buffer.from('not a model'));
  await page.waitForFunction(() => document.querySelector('lmul-digit-demo').shadowRoot.querySelector('[data-testid="error"]').textContent.includes('broken'));
  assert.match(await d.getByTestId('error').textContent(), new RegExp(`^Could not load ${H('broken').replace(/[()[\]^$.*+?|\\]/g, '\\$&')}\\.safetensors\\. This is not a \\.safetensors model file .+ The previous model stays active\\.Technical reason: `));
  await named(`${H('file')}.safetensors`, fs.readFileSync(path.join(root, 'models/mlp-784-128-10.safetensors')));
  await page.waitForFunction(() => document.querySelector('lmul-digit-demo').model.startsWith('file:'));
  assert.equal(await d.getByTestId('model-select').locator('option:checked').textContent(), `File: ${H('file')}.safetensors`);
  assert.equal(await predictsSeven(page), '7');

  assert.equal(await foreignElements(page), 0);
  assert.deepEqual(await page.evaluate(() => window.__pwned), []);
  assert.deepEqual(log.dialogs, []);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a predict that fails shows its error where the predictions are and leaves no stale digits', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.srv.origin}/tests/web/fixtures/blank.html`);
  // An instance whose models fail to predict at M = 5, as one out of wasm memory does
  // ("the WebAssembly heap cannot grow further"), handed to the element through its lm property.
  await page.evaluate(async () => {
    const { createLMul } = await import('lmul-wasm');
    const { mountDemo } = await import('lmul-wasm/demo');
    const lm = await createLMul();
    const bind = (t, p) => (typeof t[p] === 'function' ? t[p].bind(t) : t[p]);
    const failing = (model) => new Proxy(model, { get: (t, p) => (p !== 'predict' ? bind(t, p) : (x, opts) => {
      if (opts.M === 5 && opts.method !== 'exact') throw new RangeError('model.predict: the WebAssembly heap cannot grow further');
      return t.predict(x, opts);
    }) });
    const flaky = new Proxy(lm, { get: (t, p) => (p === 'loadModel' || p === 'defaultModel'
      ? async (...args) => failing(await t[p](...args)) : bind(t, p)) });
    await mountDemo(document.getElementById('here'), { lm: flaky }).ready;
  });
  const d = demo(page);
  const digits = () => Promise.all(['pred-exact', 'pred-float', 'pred-lmul'].map(async (id) => (await d.getByTestId(id).textContent()).trim()));
  await drawStrokes(page, DIGITS[7], d);
  await settle(page);
  assert.deepEqual(await digits(), ['7', '7', '7']);
  const predicted = [];
  await d.evaluate((el) => el.addEventListener('lmul-predict', (e) => (window.__predicted ??= []).push(e.detail.settings.M)));

  await d.evaluate((el) => { el.m = 5; });
  await settle(page);
  assert.deepEqual(await digits(), ['–', '–', '–']);
  assert.match(await d.locator('.col[data-method="lmul"] h3').textContent(), /E8M5/);
  const alert = d.getByTestId('pred-error');
  assert.equal(await alert.isVisible(), true);
  assert.equal(await alert.textContent(), 'No prediction at E8M5: model.predict: the WebAssembly heap cannot grow further');
  assert.equal(await d.evaluate((el) => el.predictions), null);
  assert.equal(await d.getByTestId('hist-lmul').getAttribute('data-count'), '0');
  // Inside the predictions region, next to the columns.
  assert.equal(await alert.evaluate((a) => a.closest('[part~="predictions"]') !== null), true);

  await d.evaluate((el) => { el.m = 3; });
  await settle(page);
  assert.deepEqual(await digits(), ['7', '7', '7']);
  assert.equal(await alert.isVisible(), false);
  predicted.push(...await page.evaluate(() => window.__predicted));
  assert.deepEqual(predicted, [3], 'lmul-predict only for predictions that happened');
  assert.deepEqual(errors, [], 'the failure is shown, not thrown');
  await context.close();
});

test('the element works under a strict Content-Security-Policy (no inline script or style)', async () => {
  const { createHash } = await import('node:crypto');
  const map = '{ "imports": { "lmul-wasm": "/wasm/index.js", "lmul-wasm/demo": "/web/lmul-digit-demo.js", "uplot": "/node_modules/uplot/dist/uPlot.esm.js" } }';
  const hash = createHash('sha256').update(map).digest('base64');
  const csp = `default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-${hash}'; style-src 'self'; img-src 'self' data:; ` +
    "connect-src 'self'; worker-src 'self'; font-src 'self'";
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route('**/csp.html', (route) => route.fulfill({ contentType: 'text/html', headers: { 'Content-Security-Policy': csp },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CSP</title><link rel="icon" href="data:,">
      <script type="importmap">${map}</script></head>
      <body><lmul-digit-demo></lmul-digit-demo><script type="module" src="/web/main.js"></script></body></html>` }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${env.srv.origin}/csp.html`);
  const d = demo(page);
  await d.evaluate((el) => el.ready);
  assert.equal(await predictsSeven(page), '7');
  const outcome = await d.evaluate((el) => el.runSweep(200));
  assert.equal(outcome.cancelled, false);
  // Styled: the cards have their background and the pad its border.
  assert.equal(await d.evaluate((el) => getComputedStyle(el.shadowRoot.querySelector('.card')).borderTopLeftRadius), '10px');
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(errors, []);
  await context.close();
});
