// The element's web-component manners on a running element: every attribute takes effect live,
// m, e, model and theme reflect, a property exists for each, bad property values throw, events
// bubble out of the shadow root to the document, and the documented ::parts and --lmd-* custom
// properties style it from outside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, settle, drawStrokes } from './helpers.mjs';
import { DIGITS } from './digits.mjs';

let srv, context, page;
const problems = [];
const demo = () => page.locator('#subject');
const text = async (id) => (await demo().getByTestId(id).textContent()).trim();

serverAndBrowser(async (env) => {
  srv = env.srv;
  context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(`${srv.origin}/tests/web/fixtures/blank.html`);
  await page.evaluate(async () => {
    const { mountDemo } = await import('lmul-wasm/demo');
    const el = mountDemo(document.getElementById('here'));
    el.id = 'subject';
    await el.ready;
  });
});

test('m and e: attributes change the running element, the controls reflect into them, properties too', async () => {
  await drawStrokes(page, DIGITS[3], demo());
  await settle(page);
  await demo().evaluate((el) => el.setAttribute('m', '5'));
  await settle(page);
  assert.equal(await demo().getByTestId('m-slider').inputValue(), '5');
  assert.match(await demo().locator('.col[data-method="lmul"] h3').textContent(), /E8M5/);
  assert.equal(await demo().evaluate((el) => el.predictions && el.m), 5);
  // The slider reflects into the attribute.
  await demo().getByTestId('m-slider').fill('2');
  await settle(page);
  assert.equal(await demo().getAttribute('m'), '2');
  // The E menu and a preset reflect into e (and m).
  await demo().locator('#e').selectOption('5');
  assert.equal(await demo().getAttribute('e'), '5');
  await demo().getByTestId('method-preset').selectOption('bf16');
  assert.deepEqual([await demo().getAttribute('e'), await demo().getAttribute('m')], ['8', '7']);
  // Properties: read the state, write through the attribute, refuse what is out of range.
  const props = await demo().evaluate((el) => {
    el.e = 4;
    el.m = 3;
    const out = { e: el.getAttribute('e'), m: el.getAttribute('m'), settings: el.settings };
    for (const [k, v] of [['m', 24], ['m', 1.5], ['e', 1], ['m', '3']])
      try {
        el[k] = v;
        out[`${k}=${v}`] = 'accepted';
      } catch (e) {
        out[`${k}=${v}`] = `${e.name}: ${e.message}`;
      }
    // An attribute out of range is clamped, and shows the value used.
    el.setAttribute('m', '99');
    out.clamped = [el.getAttribute('m'), el.m];
    return out;
  });
  assert.deepEqual(props.settings, { M: 3, E: 4, rounding: 'nearest', variant: 'adder' });
  assert.deepEqual([props.e, props.m], ['4', '3']);
  assert.equal(props['m=24'], 'RangeError: lmul-digit-demo: m must be an integer in 1..23, got 24');
  assert.equal(props['m=1.5'], 'RangeError: lmul-digit-demo: m must be an integer in 1..23, got 1.5');
  assert.equal(props['e=1'], 'RangeError: lmul-digit-demo: e must be an integer in 2..8, got 1');
  assert.equal(props['m=3'], 'TypeError: lmul-digit-demo: m must be an integer in 1..23, got string');
  assert.deepEqual(props.clamped, ['23', 23]);
  await demo().evaluate((el) => Object.assign(el, { e: 8, m: 3 }));
  await settle(page);
  assert.match(await demo().locator('.col[data-method="lmul"] h3').textContent(), /E8M3/);
});

test('model: the attribute chooses a model, the menu reflects into it, an unknown id is an error', async () => {
  await demo().evaluate((el) => el.setAttribute('model', 'deep'));
  await page.waitForFunction(() => /128, 128, 128/.test(document.querySelector('#subject').shadowRoot.querySelector('#energy-formula').textContent));
  assert.equal(await demo().getByTestId('model-select').inputValue(), 'deep');
  assert.equal(await demo().evaluate((el) => el.model), 'deep');
  // A fine-tune chosen by attribute is tuned like one chosen from the menu.
  await demo().evaluate((el) => { el.model = 'seed-ft-lmul-E8M2'; });
  await demo().getByTestId('model-note').waitFor({ state: 'visible' });
  assert.deepEqual(await demo().evaluate((el) => [el.m, el.e, el.getAttribute('m')]), [2, 8, '2']);
  await demo().getByTestId('model-select').selectOption('seed');
  await page.waitForFunction(() => document.querySelector('#subject').getAttribute('model') === 'seed');
  await demo().evaluate((el) => el.setAttribute('model', 'no-such-model'));
  assert.equal(await text('error'), 'There is no model “no-such-model” in the model list.');
  assert.equal(await demo().getAttribute('model'), 'seed', 'the attribute returns to the model in use');
  assert.equal(await demo().getByTestId('model-select').inputValue(), 'seed');
  await demo().evaluate((el) => { el.m = 3; });
});

test('models: a new list replaces the menu on the running element', async () => {
  await page.route('**/lists/two.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify({ models: [
    { id: 'small', name: 'Seed (my list)', src: '/models/mlp-784-128-10.safetensors' },
    { id: 'big', name: 'Deep (my list)', src: '/models/mlp-784-128-128-128-128-10.safetensors', default: true },
  ] }) }));
  await demo().evaluate((el) => { el.models = '/lists/two.json'; });
  await demo().evaluate((el) => el.ready);
  assert.deepEqual(await demo().getByTestId('model-select').locator('option').allTextContents(), ['Seed (my list)', 'Deep (my list)']);
  assert.equal(await demo().evaluate((el) => el.model), 'big', 'no model of the old list: the new default');
  assert.equal(await text('error'), 'There is no model “seed” in the model list. Showing “Deep (my list)”.');
  await demo().getByTestId('clear').click();
  await drawStrokes(page, DIGITS[7], demo());
  await settle(page);
  assert.equal(await text('pred-exact'), '7');
  await demo().evaluate((el) => { el.models = null; });
  await demo().evaluate((el) => el.ready);
  assert.equal((await demo().getByTestId('model-select').locator('option').allTextContents()).length, 10); // the built-in menu again: 3 base models, 7 fine-tunes
  assert.equal(await demo().evaluate((el) => el.model), 'seed');
});

test('compact, theme and global-shortcuts take effect live; theme reflects', async () => {
  await demo().evaluate((el) => { el.compact = true; });
  assert.equal(await demo().getByTestId('hist-float').isVisible(), false);
  assert.equal(await demo().getByTestId('sweep-start').isVisible(), false);
  await demo().evaluate((el) => el.removeAttribute('compact'));
  assert.equal(await demo().getByTestId('hist-float').isVisible(), true);

  const paper = () => demo().evaluate((el) => getComputedStyle(el.shadowRoot.querySelector('canvas.draw')).backgroundColor);
  await demo().evaluate((el) => { el.theme = 'dark'; });
  assert.equal(await demo().getAttribute('theme'), 'dark');
  assert.equal(await paper(), 'rgb(8, 10, 13)');
  const thrown = await demo().evaluate((el) => { try { el.theme = 'blue'; } catch (e) { return `${e.name}: ${e.message}`; } });
  assert.equal(thrown, "RangeError: lmul-digit-demo: theme must be 'light', 'dark' or null (the system's), got \"blue\"");
  await demo().evaluate((el) => { el.theme = null; });
  assert.equal(await demo().getAttribute('theme'), null);
  assert.equal(await paper(), 'rgb(255, 255, 255)');

  // global-shortcuts: Ctrl+Z on the page (outside the element) undoes only while it is set.
  await demo().getByTestId('clear').click();
  await drawStrokes(page, DIGITS[1], demo());
  await settle(page);
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('Control+z');
  await settle(page);
  assert.equal(await text('pred-exact'), '1', 'no global shortcut without the attribute');
  await demo().evaluate((el) => { el.globalShortcuts = true; });
  await page.keyboard.press('Control+z');
  await settle(page);
  assert.equal(await text('pred-exact'), '–');
  await demo().evaluate((el) => el.removeAttribute('global-shortcuts'));
  await drawStrokes(page, DIGITS[1], demo());
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('Control+z');
  await settle(page);
  assert.equal(await text('pred-exact'), '1');
});

test('assets-base: the running element loads its files from there from then on', async () => {
  const seen = [];
  page.on('request', (r) => seen.push(new URL(r.url()).pathname));
  // A copy of the package under /static/lmul/ (the README's recipe), served by route.
  await page.route('**/static/lmul/**', (route) => {
    const rel = new URL(route.request().url()).pathname.replace('/static/lmul/', '/');
    return route.continue({ url: `${srv.origin}${rel}` });
  });
  await demo().evaluate((el) => { el.assetsBase = '/static/lmul'; }); // without the trailing slash
  await demo().evaluate((el) => el.ready);
  await demo().getByTestId('model-select').selectOption('deep');
  await page.waitForFunction(() => /128, 128, 128/.test(document.querySelector('#subject').shadowRoot.querySelector('#energy-formula').textContent));
  await demo().evaluate((el) => el.runSweep(100));
  assert.ok(seen.includes('/static/lmul/models/mlp-784-128-128-128-128-10.safetensors'), seen.join('\n'));
  assert.ok(seen.includes('/static/lmul/web/data/mnist-t10k.bin'), seen.join('\n'));
  assert.ok(seen.includes('/static/lmul/web/sweep-worker.js'), seen.join('\n'));
  assert.ok(seen.includes('/static/lmul/dist/lmul.wasm'), 'the element\'s own instance for this base');
  await demo().evaluate((el) => { el.assetsBase = null; el.model = 'seed'; });
  await demo().evaluate((el) => el.ready);
  await page.unroute('**/static/lmul/**');
});

test('lmul-predict and lmul-change bubble out of the shadow root to a listener on the document', async () => {
  const heard = await demo().evaluate(async (el) => {
    const got = [];
    const onDoc = (e) => got.push([e.type, e.composed, e.bubbles, e.target === el, Object.keys(e.detail).sort().join()]);
    document.addEventListener('lmul-predict', onDoc);
    document.addEventListener('lmul-change', onDoc);
    el.m = 6;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    document.removeEventListener('lmul-predict', onDoc);
    document.removeEventListener('lmul-change', onDoc);
    el.m = 3;
    return got;
  });
  assert.deepEqual(heard, [
    ['lmul-change', true, true, true, 'model,plan,settings'],
    ['lmul-predict', true, true, true, 'exact,float,input,lmul,settings'],
  ]);
});

test('the documented ::parts and --lmd-* custom properties style the element from outside', async () => {
  const parts = await demo().evaluate((el) => [...el.shadowRoot.querySelectorAll('[part]')].flatMap((n) => n.getAttribute('part').split(' ')).sort());
  assert.deepEqual(parts, ['attention', 'chart', 'chart', 'chart', 'chart', 'chart-hist-float', 'chart-hist-lmul', 'chart-logits', 'chart-sweep',
    'column', 'column', 'column', 'column-exact', 'column-float', 'column-lmul', 'controls', 'disagreements', 'energy', 'explainer',
    'histograms', 'layers', 'options', 'pad', 'predictions', 'root', 'sweep']);
  const styled = await page.evaluate(() => {
    const style = document.createElement('style');
    style.textContent = `#subject::part(pad) { outline: 3px solid rgb(1, 2, 3); }
      #subject::part(column-lmul) { background: rgb(4, 5, 6); }
      #subject::part(chart) { min-height: 222px; }
      #subject { --lmd-c-lmul: rgb(200, 0, 100); --lmd-radius: 3px; }`;
    document.head.append(style);
    const root = document.querySelector('#subject').shadowRoot;
    const cs = (sel) => getComputedStyle(root.querySelector(sel));
    const out = {
      pad: cs('.pad').outlineColor,
      column: cs('.col[data-method="lmul"]').backgroundColor,
      exactColumn: cs('.col[data-method="exact"]').backgroundColor === 'rgb(4, 5, 6)',
      chart: cs('#sweep-chart').minHeight,
      digit: cs('.col[data-method="lmul"] .digit').color,
      radius: cs('.pad').borderTopLeftRadius,
    };
    style.remove();
    return out;
  });
  assert.deepEqual(styled, { pad: 'rgb(1, 2, 3)', column: 'rgb(4, 5, 6)', exactColumn: false, chart: '222px', digit: 'rgb(200, 0, 100)', radius: '3px' });
  assert.deepEqual(problems, []);
});
