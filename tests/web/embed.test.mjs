// Embedding: mountDemo() and a declared <lmul-digit-demo> on a foreign page (compact mode,
// attributes, style isolation), and touch drawing without page scroll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, drawStrokes, screenshotPath, serverAndBrowser } from './helpers.mjs';
import { DIGITS } from './digits.mjs';

const env = serverAndBrowser();

test('mountDemo and a declared element work on a foreign page', async () => {
  const { page, problems, context } = await openPage(env.browser, env.srv.origin, { width: 900, path: '/tests/web/fixtures/embed.html' });
  await page.waitForFunction(() => window.mounted);
  const mounted = page.locator('#here lmul-digit-demo');
  const declared = page.locator('#declared');
  await mounted.evaluate((el) => el.ready);
  await declared.evaluate((el) => el.ready);
  assert.deepEqual(await mounted.evaluate((el) => [el.settings.E, el.settings.M]), [8, 2]);
  assert.deepEqual(await declared.evaluate((el) => [el.settings.E, el.settings.M]), [5, 7]);
  // compact: no histograms and no sweep.
  assert.equal(await mounted.getByTestId('hist-float').isVisible(), false);
  assert.equal(await mounted.getByTestId('sweep-start').isVisible(), false);
  // The page's button styles do not leak into the widget.
  const bg = await mounted.getByTestId('clear').evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.notEqual(bg, 'rgb(255, 105, 180)');
  // The two instances are independent.
  await drawStrokes(page, DIGITS[1], mounted);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal((await mounted.getByTestId('pred-exact').textContent()).trim(), '1');
  assert.equal((await declared.getByTestId('pred-exact').textContent()).trim(), '–');
  // Ctrl+Z inside the widget undoes; the page itself does not listen globally.
  await mounted.getByTestId('draw-canvas').focus();
  await page.keyboard.press('Control+z');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal((await mounted.getByTestId('pred-exact').textContent()).trim(), '–');
  // Dark theme forced by attribute.
  const paper = await declared.evaluate((el) => getComputedStyle(el).getPropertyValue('--lmd-paper').trim());
  assert.equal(paper, '#080a0d');
  await page.screenshot({ path: screenshotPath('embed-900.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('drawing with a finger does not scroll the page', async () => {
  const context = await env.browser.newContext({ viewport: { width: 375, height: 700 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.srv.origin}/web/`);
  const demo = page.locator('lmul-digit-demo');
  await demo.evaluate((el) => el.ready);
  await page.getByTestId('clear').click(); // the page opens on a random test digit
  await page.getByTestId('draw-canvas').scrollIntoViewIfNeeded();
  const scrollBefore = await page.evaluate(() => window.scrollY);
  const box = await page.getByTestId('draw-canvas').boundingBox();
  const cdp = await context.newCDPSession(page);
  const at = (x, y) => [{ x: box.x + x * box.width, y: box.y + y * box.height }];
  // A vertical swipe down the pad: would scroll the page if the pad did not take the touch.
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0.5, 0.15) });
  for (let k = 1; k <= 20; ++k) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(0.5 - 0.03 * (k / 20), 0.15 + 0.7 * (k / 20)) });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await page.evaluate(() => window.scrollY), scrollBefore);
  assert.equal((await page.getByTestId('pred-exact').textContent()).trim(), '1');
  assert.deepEqual(errors, []);
  await context.close();
});
