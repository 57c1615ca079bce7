// Layout in Debian's Chromium: screenshots at desktop and phone widths in light and dark, and no
// element past the right edge from 320 px up, in the widest state (a fine-tune's comparison sweep).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, openPage, drawStrokes, screenshotPath, settle, overflowing } from './helpers.mjs';
import { DIGITS } from './digits.mjs';

const env = serverAndBrowser();

const setM = async (page, m) => {
  await page.getByTestId('m-slider').fill(String(m));
  await settle(page);
};

test('screenshots at 1280 px (light and dark) and 375 px; no horizontal overflow at 375, 360 and 320 px', async () => {
  const { page, context, problems } = await openPage(env.browser, env.srv.origin);
  await page.locator('lmul-digit-demo').evaluate((el) => el.ready);
  await page.getByTestId('clear').click();
  await drawStrokes(page, DIGITS[3]);
  await setM(page, 2);
  await page.screenshot({ path: screenshotPath('demo-1280-light.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await settle(page);
  await page.screenshot({ path: screenshotPath('demo-1280-dark.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();

  for (const [width, scheme] of [[375, 'light'], [375, 'dark'], [360, 'light'], [320, 'light']]) {
    const small = await openPage(env.browser, env.srv.origin, { width, height: 812, colorScheme: scheme });
    await small.page.locator('lmul-digit-demo').evaluate((el) => el.ready);
    await small.page.getByTestId('clear').click();
    await drawStrokes(small.page, DIGITS[4]);
    await settle(small.page);
    assert.equal((await small.page.getByTestId('pred-exact').textContent()).trim(), '4');
    // The widest state: a fine-tune's note and its comparison sweep (five columns, four series).
    await small.page.getByTestId('model-select').selectOption('seed-ft-lmul-E8M1');
    await small.page.getByTestId('model-note').waitFor({ state: 'visible' });
    await small.page.getByTestId('sweep-n').selectOption('1000');
    await small.page.getByTestId('sweep-start').click();
    await small.page.getByTestId('sweep-compare').waitFor({ state: 'visible', timeout: 60000 });
    const overflow = await small.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${width} px: page is ${overflow} px too wide`);
    assert.deepEqual(await overflowing(small.page), [], `${width} px: elements past the right edge`);
    if (width === 375) await small.page.screenshot({ path: screenshotPath(`demo-375-${scheme}.png`), fullPage: true });
    assert.deepEqual(small.problems, []);
    await small.context.close();
  }
});
