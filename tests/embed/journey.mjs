// What a person does with the demo wherever it was deployed, in Chromium: the page's own product
// (when the page computes one), draw a digit and read three predictions, a random test digit, a
// 1000-image sweep to the end, and every model in the menu predicting — with no response >= 400,
// no failed or external request, no console error and no Content-Security-Policy violation.
import assert from 'node:assert/strict';
import { drawStrokes, settle, testIdText } from '../web/helpers.mjs';
import { DIGITS } from '../web/digits.mjs';

const METHODS = ['exact', 'float', 'lmul'];
const SWEEP_TIMEOUT = 180_000;
const PREDICT_TIMEOUT = 30_000;

// The element's three digits once it predicted again after `action` (and the frames after it
// settled, so a stroke's last point counts); rejects naming `what` after 30 s without one.
async function predictionAfter(page, demo, what, action) {
  const before = await demo.evaluate((el) => {
    if (el.predictCount === undefined) {
      el.predictCount = 0;
      el.addEventListener('lmul-predict', () => ++el.predictCount);
    }
    return el.predictCount;
  });
  await action();
  await page.waitForFunction((n) => document.querySelector('lmul-digit-demo').predictCount > n, before, { timeout: PREDICT_TIMEOUT })
    .catch(() => { throw new Error(`${what}: no prediction within ${PREDICT_TIMEOUT / 1000} s`); });
  await settle(page);
  return demo.evaluate((el) => Object.fromEntries(['exact', 'float', 'lmul'].map((m) => [m, el.predictions?.[m]?.digit])));
}

function assertThreeDigits(pred, what) {
  for (const m of METHODS) assert.ok(Number.isInteger(pred[m]) && pred[m] >= 0 && pred[m] <= 9, `${what}: ${m} predicted ${pred[m]}`);
}

/**
 * Opens `url` in a fresh context of `browser` and walks through the demo.
 *   product: the page shows lm.mul(5, 8, { M: 23 }) in #product (the library on its own).
 * Returns { models, sweepSeconds, requests } for the log.
 */
export async function walkThrough(browser, url, { product = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const origin = new URL(url).origin;
  const problems = [];
  const requests = [];
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) =>
    console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('request', (req) => {
    requests.push(req.url());
    if (!/^(data|blob):/.test(req.url()) && new URL(req.url()).origin !== origin) problems.push(`external request: ${req.url()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  try {
    await page.goto(url);
    if (product) {
      await page.waitForFunction(() => document.querySelector('#product')?.textContent !== '', null, { timeout: 30_000 });
      assert.equal(await page.locator('#product').textContent(), '42', 'lm.mul(5, 8, { M: 23 }) on the page');
    }
    const demo = page.locator('lmul-digit-demo');
    await demo.evaluate((el, ms) => Promise.race([el.ready, new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`the demo was not ready after ${ms / 1000} s`)), ms))]), PREDICT_TIMEOUT);
    assert.deepEqual(problems, [], 'while starting');

    // The page opens on a random test digit: clear it, so the 7 is drawn on an empty pad.
    await demo.evaluate((el) => el.clear());
    await settle(page);
    const drawn = await predictionAfter(page, demo, 'a drawn 7', () => drawStrokes(page, DIGITS[7]));
    assertThreeDigits(drawn, 'a drawn 7');
    assert.equal(drawn.exact, 7, 'the exact network reads the drawn 7');

    const random = await predictionAfter(page, demo, 'a random test digit', () => page.getByTestId('random-digit').click());
    assertThreeDigits(random, 'a random test digit');

    await page.getByTestId('sweep-n').selectOption('1000');
    await page.getByTestId('sweep-start').click();
    const table = page.getByTestId('sweep-table');
    await page.waitForFunction(() => {
      const t = document.querySelector('lmul-digit-demo').shadowRoot.querySelector('[data-testid="sweep-table"]');
      return t && ['done', 'failed', 'error'].includes(t.getAttribute('data-state'));
    }, null, { timeout: SWEEP_TIMEOUT });
    assert.equal(await table.getAttribute('data-state'), 'done', `sweep: ${await testIdText(page, 'sweep-table')}`);
    const sweepSeconds = Number(await table.getAttribute('data-seconds'));

    const select = page.getByTestId('model-select');
    const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
    assert.ok(options.length >= 8, `the model menu lists ${options.length} models: ${options.map((o) => o.label).join(', ')}`);
    const current = await select.inputValue();
    for (const { value, label } of [...options.filter((o) => o.value !== current), ...options.filter((o) => o.value === current)]) {
      const pred = await predictionAfter(page, demo, `model ${label}`, () => select.selectOption(value));
      assertThreeDigits(pred, `model ${label}`);
      await settle(page);
      assert.equal(await page.getByTestId('error').isVisible(), false, `model ${label}: ${await page.getByTestId('error').textContent()}`);
    }
    assert.deepEqual(problems, []);
    return { models: options.length, sweepSeconds, requests: requests.length };
  } finally {
    await context.close();
  }
}
