// Issue 15 rows 4 and 7 in the browser: a sweep that would take long says how long before it
// starts and runs only when asked; and a long drawing session stays fast: 2,000 strokes drawn
// with in-page pointer events, stroke end to prediction timed at the start and at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, serverAndBrowser } from './helpers.mjs';

// The safetensors header of an MLP inputs -> hidden -> outputs.
function wideHeader(inputs, hidden, outputs) {
  const header = {};
  let offset = 0;
  for (const [name, shape] of [['fc1.weight', [hidden, inputs]], ['fc1.bias', [hidden]], ['fc2.weight', [outputs, hidden]], ['fc2.bias', [outputs]]]) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  return header;
}

const env = serverAndBrowser();

test('a sweep that would take long says how long first, and runs only when asked', async () => {
  const { page, context, problems } = await openPage(env.browser, env.srv.origin);
  const demo = page.locator('lmul-digit-demo');
  await demo.evaluate((el) => el.ready);
  // 784 -> 12000 -> 10 (38 MB, made in the page: too large to pass in quickly): 9.5 M products
  // per image, 21 configurations x 10,000 images.
  assert.equal(await demo.evaluate((el, header) => {
    const shapes = Object.values(header).map((t) => t.shape);
    const floats = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const json = new TextEncoder().encode(JSON.stringify(header).padEnd(8 * Math.ceil(JSON.stringify(header).length / 8)));
    const bytes = new Uint8Array(8 + json.length + 4 * floats);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    const values = new Float32Array(bytes.buffer, 8 + json.length, floats);
    for (let i = 0; i < floats; ++i) values[i] = Math.sin(i) * 0.05;
    return el.loadModelFile(new File([bytes], 'wide.safetensors'));
  }, wideHeader(784, 12000, 10)), true);
  await page.getByTestId('sweep-n').selectOption('10000');
  await page.getByTestId('sweep-start').click();
  const confirm = page.getByTestId('sweep-confirm');
  await confirm.waitFor();
  const status = await page.locator('#sweep-status').textContent();
  console.log(status);
  const m = status.match(/^This sweep will take about (?:(\d+) h ?)?(?:(\d+) min ?)?(?:(\d+) s)?: 21 configurations × 10,000 images × 9,528,000 products each, at [\d,]+ M products\/s \(measured now\) on each of \d workers\. Choose fewer images for a quicker one, or run it anyway\.$/);
  assert.ok(m, status);
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  assert.ok(seconds > 30, `estimated ${seconds} s`);
  // Nothing started.
  assert.equal(await page.getByTestId('sweep-table').getAttribute('data-state'), 'empty');
  assert.equal(await page.getByTestId('sweep-progress').evaluate((p) => p.value), 0);
  assert.equal(await page.getByTestId('sweep-start').isEnabled(), true);

  await confirm.click();
  await page.waitForFunction(() => document.querySelector('lmul-digit-demo').shadowRoot.querySelector('[data-testid="sweep-table"]').dataset.state === 'running');
  assert.equal(await confirm.count(), 0, 'the question is gone once the sweep runs');
  await page.getByTestId('sweep-cancel').click();
  await page.waitForFunction(() => document.querySelector('lmul-digit-demo').shadowRoot.querySelector('[data-testid="sweep-table"]').dataset.state === 'cancelled');
  assert.deepEqual(problems, []);
  await context.close();
});

test('2,000 strokes: stroke end to prediction stays flat (in-page pointer events)', async () => {
  const { page, context, problems } = await openPage(env.browser, env.srv.origin);
  await page.locator('lmul-digit-demo').evaluate((el) => el.ready);
  // A 7 (two lines, 21 points), drawn again and again a little off its last place, so the
  // network's input stays a 7 and only the number of strokes grows.
  const line = (a, b, n) => Array.from({ length: n }, (_, k) => [a[0] + ((b[0] - a[0]) * k) / n, a[1] + ((b[1] - a[1]) * k) / n]);
  const seven = [...line([0.3, 0.22], [0.7, 0.22], 10), ...line([0.7, 0.22], [0.46, 0.83], 10), [0.46, 0.83]];
  const r = await page.evaluate(async (seven) => {
    const el = document.querySelector('lmul-digit-demo');
    el.clear(); // the page opens on a random test digit: the strokes alone must make the 7
    const canvas = el.shadowRoot.querySelector('[data-testid="draw-canvas"]');
    const box = canvas.getBoundingClientRect();
    const fire = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {
      pointerId: 1, pointerType: 'mouse', isPrimary: true, button: 0, buttons: type === 'pointerup' ? 0 : 1,
      clientX: box.left + x * box.width, clientY: box.top + y * box.height, bubbles: true, cancelable: true, composed: true,
    }));
    // Stroke k up to its last point; returns the pointerup that ends it.
    const stroke = (k) => {
      const d = (((k * 7) % 11) - 5) * 0.002;
      const pts = seven.map(([x, y]) => [x + d, y - d]);
      fire('pointerdown', pts[0]);
      for (const p of pts.slice(1)) fire('pointermove', p);
      return () => fire('pointerup', pts[pts.length - 1]);
    };
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    // Milliseconds from each stroke's pointerup to the prediction it causes (lmul-predict).
    const timed = async (from, to) => {
      const ms = [];
      for (let k = from; k < to; ++k) {
        await frame();
        const end = stroke(k);
        const predicted = new Promise((resolve) => el.addEventListener('lmul-predict', () => resolve(performance.now()), { once: true }));
        const t0 = performance.now();
        end();
        ms.push((await predicted) - t0);
      }
      return ms;
    };
    for (let k = 0; k < 10; ++k) stroke(k)(); // the first 10, untimed (the page's code warms up)
    await frame();
    const early = await timed(10, 50);
    const t0 = performance.now();
    for (let k = 50; k < 1960; ++k) {
      stroke(k)();
      if (k % 50 === 0) await frame();
    }
    const bulk = performance.now() - t0;
    const late = await timed(1960, 2000);
    return { early, late, bulk, digit: el.predictions?.exact.digit };
  }, seven);
  const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const ratio = median(r.late) / median(r.early);
  console.log(`stroke end to prediction: median ${median(r.early).toFixed(1)} ms over strokes 11-50, ${median(r.late).toFixed(1)} ms over strokes 1961-2000 ` +
    `(x${ratio.toFixed(2)}); strokes 51-1960 drawn in ${(r.bulk / 1000).toFixed(1)} s (${(r.bulk / 1910).toFixed(2)} ms each)`);
  console.log(`  early: ${r.early.map((v) => v.toFixed(1)).join(' ')}\n  late:  ${r.late.map((v) => v.toFixed(1)).join(' ')}`);
  assert.equal(r.digit, 7);
  assert.ok(ratio <= 1.2, `stroke end to prediction grew x${ratio.toFixed(2)} from about 10 to 2,000 strokes`);
  assert.deepEqual(problems, []);
  await context.close();
});
