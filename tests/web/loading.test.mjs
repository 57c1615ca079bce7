// Where the element's files come from, and what happens when they are not there (issue 12
// items 1-2). A bundle that did not process new URL(…, import.meta.url) — esbuild's output — is
// simulated by serving the modules under /bundle/ with none of their files beside them; the
// README's copy of the package is served under /static/lmul/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawStrokes, settle, serverAndBrowser } from './helpers.mjs';
import { DIGITS } from './digits.mjs';

const env = serverAndBrowser();

const IMPORT_MAP = (prefix) => `<script type="importmap">{ "imports": {
  "lmul-wasm": "${prefix}/wasm/index.js", "lmul-wasm/demo": "${prefix}/web/lmul-digit-demo.js",
  "uplot": "/node_modules/uplot/dist/uPlot.esm.js" } }</script>`;
const page_ = (body, prefix = '/bundle') => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
  <link rel="icon" href="data:,">${IMPORT_MAP(prefix)}</head><body>${body}</body></html>`;

// A context whose /bundle/ serves only JavaScript modules (what a bundle holds) and whose
// /static/lmul/ is a copy of the package; `missing` paths under /static/lmul/ answer 404.
async function bundledContext({ missing = [] } = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const log = { requests: [], bad: [], errors: [] };
  await context.route('**/bundle/**', (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path.endsWith('.html')) return route.fulfill({ contentType: 'text/html', body: pages.get(path) });
    const isModule = /\.m?js$/.test(path) && !path.endsWith('/sweep-worker.js');
    if (!isModule) return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not in the bundle' });
    return route.continue({ url: `${env.srv.origin}${path.replace('/bundle/', '/')}` });
  });
  await context.route('**/static/lmul/**', (route) => {
    const path = new URL(route.request().url()).pathname.replace('/static/lmul/', '/');
    if (missing.some((m) => path.startsWith(m))) return route.fulfill({ status: 404, contentType: 'text/plain', body: 'missing' });
    return route.continue({ url: `${env.srv.origin}${path}` });
  });
  context.on('request', (r) => log.requests.push(new URL(r.url()).pathname));
  context.on('response', (r) => r.status() >= 400 && log.bad.push(`${r.status()} ${new URL(r.url()).pathname}`));
  const pages = new Map();
  const open = async (path, html) => {
    pages.set(path, html);
    const page = await context.newPage();
    page.on('pageerror', (e) => log.errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && log.errors.push(m.text()));
    await page.goto(`${env.srv.origin}${path}`);
    return page;
  };
  return { context, log, open };
}

const statusText = (page) => page.locator('lmul-digit-demo #status').textContent();
const readyOutcome = (page) => page.locator('lmul-digit-demo').evaluate((el) => el.ready.then(() => 'resolved', (e) => `rejected: ${e.message}`));

test('a bundle without the files and without assets-base: ready rejects, and the page says which file, once', async () => {
  const { context, log, open } = await bundledContext();
  const page = await open('/bundle/no-base.html', page_(`<lmul-digit-demo></lmul-digit-demo>
    <script type="module">import 'lmul-wasm/demo';</script>`));
  const outcome = await readyOutcome(page);
  const wasm = `${env.srv.origin}/bundle/dist/lmul.wasm`;
  const message = `createLMul: could not load the WebAssembly module: HTTP 404 for ${wasm} — serve node_modules/lmul-wasm/dist/ and set assetsBase`;
  assert.equal(outcome, `rejected: ${message}`);
  assert.equal(await statusText(page), `The demo could not start: ${message}`);
  assert.deepEqual(log.errors.filter((e) => !e.startsWith('Failed to load resource')), [`lmul-digit-demo: ${message}`]);
  // The first model is fetched while the module compiles: its 404 comes too, each file once.
  assert.deepEqual(log.bad.sort(), ['404 /bundle/dist/lmul.wasm', '404 /bundle/models/mlp-784-128-10.safetensors']);
  await context.close();
});

test('a bundle with assets-base: predictions, test digits, the sweep and every model, from the copied files only', async () => {
  const { context, log, open } = await bundledContext();
  const page = await open('/bundle/with-base.html', page_(`<lmul-digit-demo assets-base="/static/lmul/"></lmul-digit-demo>
    <script type="module">import 'lmul-wasm/demo';</script>`));
  assert.equal(await readyOutcome(page), 'resolved');
  const demo = page.locator('lmul-digit-demo');
  await drawStrokes(page, DIGITS[7]);
  await settle(page);
  assert.equal((await demo.getByTestId('pred-exact').textContent()).trim(), '7');
  await demo.getByTestId('random-digit').click();
  await page.waitForFunction(() => /label \d/.test(document.querySelector('lmul-digit-demo').shadowRoot.querySelector('#preview-caption').textContent));
  const outcome = await demo.evaluate((el) => el.runSweep(1000));
  assert.equal(outcome.cancelled, false);
  assert.ok(outcome.accuracy.exact > 0.95 && outcome.accuracy.lmul.every((a) => a > 0.8), JSON.stringify(outcome.accuracy));
  const ids = await demo.getByTestId('model-select').locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.equal(ids.length, 10); // every built-in model, the ViTs included
  for (const id of ids) {
    await demo.getByTestId('model-select').selectOption(id);
    await page.waitForFunction((want) => document.querySelector('lmul-digit-demo').model === want && document.querySelector('lmul-digit-demo').getAttribute('model') === want, id);
    await demo.getByTestId('clear').click();
    await demo.evaluate((el) => el.showTestImage(0));
    await settle(page);
    assert.equal((await demo.getByTestId('pred-exact').textContent()).trim(), '7', `model ${id}`);
  }
  assert.deepEqual(log.bad, []);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.requests.filter((p) => p.startsWith('/bundle/') && !/\.(m?js|html)$/.test(p)), [], 'asset requests next to the bundle');
  for (const p of ['/static/lmul/dist/lmul.wasm', '/static/lmul/web/sweep-worker.js', '/static/lmul/web/data/mnist-t10k.bin',
    '/static/lmul/models/mlp-784-128-128-128-128-10-ft-lmul-formula-E8M1.safetensors'])
    assert.ok(log.requests.includes(p), `${p} was not requested`);
  await context.close();
});

test('a model the server cannot deliver at start: the page says which file and why, once; ready rejects', async () => {
  const { context, open } = await bundledContext({ missing: ['/models/'] });
  const page = await open('/bundle/no-models.html', page_('<lmul-digit-demo assets-base="/static/lmul/"></lmul-digit-demo><script type="module">import \'lmul-wasm/demo\';</script>'));
  const file = `${env.srv.origin}/static/lmul/models/mlp-784-128-10.safetensors`;
  const message = `Could not load the model “Seed MLP 784-128-10”: HTTP 404 for ${file} — serve node_modules/lmul-wasm/models/ and set assets-base.`;
  assert.equal(await readyOutcome(page), `rejected: ${message}`);
  assert.equal(await statusText(page), `The demo could not start: ${message}`);
  await context.close();
});

test('a failed sweep says why (the file and its status) and its table no longer says "Running…"', async () => {
  for (const [missing, why] of [
    ['/web/data/', (o) => `HTTP 404 for ${o}/static/lmul/web/data/mnist-t10k.bin — serve node_modules/lmul-wasm/web/data/ and set assets-base`],
    ['/web/sweep-worker.js', (o) => `the sweep worker could not start: HTTP 404 for ${o}/static/lmul/web/sweep-worker.js — serve node_modules/lmul-wasm/web/ and set assets-base`],
  ]) {
    const { context, open } = await bundledContext({ missing: [missing] });
    const page = await open('/bundle/sweep.html', page_('<lmul-digit-demo assets-base="/static/lmul/"></lmul-digit-demo><script type="module">import \'lmul-wasm/demo\';</script>'));
    assert.equal(await readyOutcome(page), 'resolved');
    const demo = page.locator('lmul-digit-demo');
    await demo.getByTestId('sweep-n').selectOption('1000');
    await demo.getByTestId('sweep-start').click();
    await page.waitForFunction(() => document.querySelector('lmul-digit-demo').shadowRoot.querySelector('#sweep-table').dataset.state === 'error');
    // Where the table is, not only in the status line.
    assert.equal(await demo.getByTestId('sweep-error').textContent(), `The sweep failed: ${why(env.srv.origin)}`);
    assert.equal(await demo.getByTestId('sweep-error').isVisible(), true);
    assert.equal((await demo.locator('#sweep-status').textContent()), 'The sweep failed.');
    assert.equal(await demo.locator('#sweep-caption').textContent(), 'No results: the sweep failed.');
    assert.equal(await demo.getByTestId('sweep-start').isEnabled(), true);
    assert.equal(await demo.getByTestId('sweep-cancel').isEnabled(), false);
    const api = await demo.evaluate((el) => el.runSweep(100).then(() => 'resolved', (e) => `rejected: ${e.message}`));
    assert.equal(api, `rejected: ${why(env.srv.origin)}`);
    await context.close();
  }
});

test('a server that answers the .wasm with its index page: the message says what came instead', async () => {
  const context = await env.browser.newContext();
  await context.route('**/dist/lmul.wasm', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>app</title>' }));
  const page = await context.newPage();
  await page.goto(`${env.srv.origin}/tests/web/fixtures/blank.html`);
  const message = await page.evaluate(() => import('lmul-wasm').then(({ createLMul }) => createLMul().then(() => 'created', (e) => e.message)));
  assert.match(message, new RegExp(`^createLMul: ${env.srv.origin}/dist/lmul\\.wasm is not a WebAssembly module \\(served as text/html: .+\\) — serve node_modules/lmul-wasm/dist/ and set assetsBase$`));
  await context.close();
});

test('a page that has an instance shares it: the .wasm is fetched once (mountDemo, and a declared element)', async () => {
  for (const how of ['mountDemo', 'declared']) {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    const wasm = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
    await page.goto(`${env.srv.origin}/tests/web/fixtures/blank.html`);
    const same = await page.evaluate(async (how) => {
      const { createLMul } = await import('lmul-wasm');
      const lm = await createLMul();
      let el;
      if (how === 'mountDemo') {
        const { mountDemo } = await import('lmul-wasm/demo');
        el = mountDemo(document.getElementById('here'), { lm });
      } else {
        // Declared in the page and given the instance before the element is defined.
        document.getElementById('here').innerHTML = '<lmul-digit-demo></lmul-digit-demo>';
        el = document.querySelector('lmul-digit-demo');
        el.lm = lm;
        await import('lmul-wasm/demo');
      }
      await el.ready;
      await el.showTestImage(3);
      return el.lm === lm;
    }, how);
    await settle(page);
    assert.equal(same, true);
    assert.equal((await page.locator('lmul-digit-demo').getByTestId('pred-exact').textContent()).trim(), '0');
    assert.equal(wasm.length, 1, `${how}: ${wasm.join(', ')}`);
    await context.close();
  }
});
