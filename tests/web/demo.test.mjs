// The demo page in Debian's Chromium (playwright-core): drawing, predictions, M, histograms,
// presets, undo, random test digits, bad model files, the sweep, layout and console hygiene.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePage, drawStrokes, screenshotPath, testIdText, settle as settleFrames } from './helpers.mjs';
import { DIGITS, AMBIGUOUS } from './digits.mjs';
import { createLMul } from '../../wasm/index.js';
import { readMnistTest } from '../../scripts/make-mnist-asset.mjs';

let page, problems;
const demo = () => page.locator('lmul-digit-demo');
const text = (id) => testIdText(page, id);
const settle = () => settleFrames(page);
async function setM(m) {
  await page.getByTestId('m-slider').fill(String(m));
  await settle();
}
async function preds() {
  return { exact: await text('pred-exact'), float: await text('pred-float'), lmul: await text('pred-lmul') };
}
async function probs(method) {
  return demo().evaluate((el, m) => Array.from(el.predictions[m].probs), method);
}

usePage((env) => ({ page, problems } = env));

test('the page loads offline with no console errors, on a random test digit already predicted; the URL holds the state', async () => {
  assert.equal(await page.title(), 'lmul-wasm — multiplication by addition, live');
  await page.waitForFunction(() => document.querySelector('lmul-digit-demo').predictions !== null);
  await settle();
  const caption = await page.locator('lmul-digit-demo #preview-caption').textContent();
  const [, index, label] = caption.match(/^MNIST test image #(\d+), label (\d)/);
  assert.match(await text('pred-exact'), /^\d$/);
  assert.equal(await page.getByTestId('m-slider').inputValue(), '3');
  assert.equal(await page.getByText('Draw a digit here').isVisible(), false);
  await page.waitForFunction((i) => location.hash.includes(`img=${i}`), index);
  assert.match(page.url(), new RegExp(`#model=seed&E=8&M=3&variant=adder&rounding=nearest&img=${index}$`));
  console.log(`first impression: test image #${index} (label ${label}), exact predicts ${await text('pred-exact')}`);
  assert.deepEqual(problems, []);
});

test('drawn digits are recognized by the exact network', async () => {
  const results = {};
  for (const [digit, strokes] of Object.entries(DIGITS)) {
    await page.getByTestId('clear').click();
    await drawStrokes(page, strokes);
    await settle();
    results[digit] = await preds();
  }
  console.log('predictions at M=3:', JSON.stringify(results));
  // The probability bars are drawn to scale (last drawing: a 7).
  for (const m of ['exact', 'float', 'lmul']) {
    const [fill, track] = await page.locator(`.col[data-method="${m}"] .bars li.top`).evaluate((li) =>
      [li.querySelector('.fill').getBoundingClientRect().width, li.querySelector('.track').getBoundingClientRect().width]);
    const p = (await probs(m))[7];
    assert.ok(Math.abs(fill / track - p) < 0.03, `${m}: bar ${fill}/${track} for p=${p}`);
  }
  for (const [digit, p] of Object.entries(results)) assert.equal(p.exact, digit, `drew ${digit}, exact says ${p.exact}`);
});

test('M = 1 changes the L-Mul column for at least one drawing', async () => {
  // Two clean digits (probabilities must move, the digit rarely does) and the ambiguous ones.
  const drawings = [...['1', '3'].map((d) => [d, { exact: d, strokes: DIGITS[d] }]), ...Object.entries(AMBIGUOUS)];
  let changed = 0;
  const log = [];
  for (const [name, { exact, strokes }] of drawings) {
    await setM(3);
    await page.getByTestId('clear').click();
    await drawStrokes(page, strokes);
    await settle();
    assert.equal(await text('pred-exact'), exact, `${name}: exact`);
    const before = { digit: await text('pred-lmul'), probs: await probs('lmul') };
    await setM(1);
    const afterM1 = { digit: await text('pred-lmul'), probs: await probs('lmul') };
    assert.notDeepEqual(afterM1.probs, before.probs, `L-Mul probabilities of ${name} did not move`);
    assert.equal(await text('pred-exact'), exact, 'exact does not depend on M');
    log.push(`${name}: L-Mul ${before.digit} -> ${afterM1.digit} (float ${await text('pred-float')})`);
    if (afterM1.digit !== before.digit) ++changed;
    // The disagreement mark shows exactly when a column differs from exact.
    for (const m of ['float', 'lmul']) {
      const differs = (await text(`pred-${m}`)) !== exact;
      assert.equal(await page.locator(`.col[data-method="${m}"] .mark`).isVisible(), differs, `${name}: ${m} mark`);
      assert.equal(await page.locator(`.col[data-method="${m}"]`).getAttribute('data-disagrees'), String(differs));
    }
  }
  console.log('M=3 -> M=1:', log.join('; '));
  assert.ok(changed >= 1, 'no drawing changed its L-Mul prediction at M=1');
  await setM(3);
});

test('error histograms are non-empty with count, mean, median, max and bias', async () => {
  await page.getByTestId('clear').click();
  await drawStrokes(page, DIGITS[7]);
  await settle();
  for (const id of ['hist-float', 'hist-lmul']) {
    const h = page.getByTestId(id);
    const count = Number(await h.getAttribute('data-count'));
    assert.ok(count > 1000, `${id} counted ${count} products`);
    const stats = await h.locator('dl').textContent();
    for (const k of ['count', 'mean', 'median', 'max', 'bias']) assert.match(stats, new RegExp(k));
    // The chart has painted bars: some canvas pixels differ from the first one.
    const painted = await h.locator('canvas').first().evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) ++n;
      return n;
    });
    assert.ok(painted > 100, `${id} chart looks empty`);
  }
  const errs = await demo().evaluate((el) => ({ f: el.predictions.float.errors, l: el.predictions.lmul.errors }));
  assert.equal(errs.f.histogram.counts.reduce((a, b) => a + Number(b), 0), errs.f.count);
  assert.ok(errs.l.mean > 0 && errs.l.max >= errs.l.median);
});

test('presets set E and M; the slider moves by keyboard', async () => {
  const preset = page.getByTestId('method-preset');
  await preset.selectOption('bf16');
  await settle();
  assert.equal(await page.getByTestId('m-slider').inputValue(), '7');
  assert.equal(await demo().evaluate((el) => el.settings.E), 8);
  await preset.selectOption('fp16');
  await settle();
  assert.deepEqual(await demo().evaluate((el) => [el.settings.E, el.settings.M]), [5, 10]);
  await preset.selectOption('e4m3');
  await settle();
  assert.deepEqual(await demo().evaluate((el) => [el.settings.E, el.settings.M]), [4, 3]);
  assert.match(await page.locator('.col[data-method="lmul"] h3').textContent(), /E4M3/);
  await preset.selectOption('e5m2');
  await settle();
  assert.deepEqual(await demo().evaluate((el) => [el.settings.E, el.settings.M]), [5, 2]);
  await preset.selectOption('e8');
  await page.getByTestId('m-slider').focus();
  await page.keyboard.press('Home');
  await settle();
  assert.deepEqual(await demo().evaluate((el) => [el.settings.E, el.settings.M]), [8, 1]);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await settle();
  assert.equal(await demo().evaluate((el) => el.settings.M), 3);
  assert.equal(await preset.inputValue(), 'e8');
  // Focus is visible (an outline is drawn on the focused control).
  const outline = await page.getByTestId('m-slider').evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.equal(outline, 'solid');
});

test('variant and rounding reach the model', async () => {
  await page.getByTestId('clear').click();
  await drawStrokes(page, DIGITS[3]);
  await settle();
  const adder = await probs('lmul');
  await page.getByLabel('formula').check();
  await settle();
  assert.equal(await demo().evaluate((el) => el.settings.variant), 'formula');
  assert.notDeepEqual(await probs('lmul'), adder);
  await page.getByLabel('mitchell (no offset)').check();
  await settle();
  assert.equal(await demo().evaluate((el) => el.settings.variant), 'mitchell');
  assert.notDeepEqual(await probs('lmul'), adder);
  const nearest = await probs('float');
  await page.getByLabel('truncate').check();
  await settle();
  assert.notDeepEqual(await probs('float'), nearest);
  await page.getByLabel('adder').check();
  await page.getByLabel('nearest').check();
  await settle();
  assert.deepEqual(await probs('lmul'), adder);
});

test('Undo (button and Ctrl+Z) and Clear', async () => {
  await page.getByTestId('clear').click();
  await settle();
  assert.equal(await text('pred-exact'), '–');
  await drawStrokes(page, DIGITS[1]);
  await settle();
  const one = await demo().evaluate((el) => Array.from(el.input));
  await drawStrokes(page, [[[0.3, 0.2], [0.7, 0.2]]]);
  await settle();
  assert.notDeepEqual(await demo().evaluate((el) => Array.from(el.input)), one);
  await page.keyboard.press('Control+z');
  await settle();
  assert.deepEqual(await demo().evaluate((el) => Array.from(el.input)), one);
  await page.getByTestId('clear').click();
  await settle();
  assert.equal(await demo().evaluate((el) => el.input), null);
  await page.getByTestId('undo').click(); // Clear is undoable too
  await settle();
  assert.deepEqual(await demo().evaluate((el) => Array.from(el.input)), one);
  // The 28x28 preview shows the input.
  const ink = await page.getByTestId('input-preview').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    const bg = d.slice(0, 3).join();
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d.slice(i, i + 3).join() !== bg) ++n;
    return n;
  });
  assert.ok(ink > 20, `${ink} ink pixels in the preview`);
});

test('Random test digit draws a real MNIST test image', async () => {
  await page.getByTestId('random-digit').click();
  await page.waitForFunction(() => /label \d/.test(document.querySelector('lmul-digit-demo').shadowRoot.querySelector('#preview-caption').textContent));
  await settle();
  assert.match(await text('pred-exact'), /^\d$/);
  // Test image 0 is a clear 7; its input is the image itself (pixel / 255).
  const { label } = await demo().evaluate((el) => el.showTestImage(0));
  await settle();
  assert.equal(label, 7);
  assert.equal(await text('pred-exact'), '7');
  assert.match(await page.getByTestId('input-preview').locator('xpath=..').textContent(), /#0, label 7/);
});

test('a bad .safetensors file gives a clear error and keeps the model', async () => {
  const before = await text('pred-exact');
  await page.getByTestId('model-file').setInputFiles({ name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a model') });
  const alert = page.getByTestId('error');
  await alert.waitFor({ state: 'visible' });
  assert.match(await alert.textContent(), /^Could not load broken\.safetensors\. This is not a \.safetensors model file \(it starts with text: “this is not a model”\)\. The previous model stays active\.Technical reason: lm\.loadModel: .*header length/);
  await settle();
  assert.equal(await text('pred-exact'), before);
  const problemsBefore = problems.length;
  assert.equal(problemsBefore, 0, problems.join('\n'));
});

test('energy estimate shows the formula with the paper figures', async () => {
  const formula = await page.locator('lmul-digit-demo').locator('#energy-formula').textContent();
  assert.match(formula, /3\.7 pJ fp32 mul/);
  assert.match(formula, /0\.1 pJ int32 add/);
  const layers = await demo().evaluate((el) => el.shadowRoot.querySelector('#energy-formula').textContent.match(/\[([\d, ]+)\]/)[1]);
  const l = layers.split(', ').map(Number);
  let macs = 0;
  for (let k = 0; k + 1 < l.length; ++k) macs += l[k] * l[k + 1];
  const nJ = (macs * 4.6) / 1000;
  assert.equal(await text('energy-exact'), `${nJ.toFixed(1)} nJ`);
});

test('a sweep on 1000 images finishes and fills the table', async () => {
  await page.getByTestId('sweep-n').selectOption('1000');
  await page.getByTestId('sweep-start').click();
  const table = page.getByTestId('sweep-table');
  await page.waitForFunction(() => {
    const t = document.querySelector('lmul-digit-demo').shadowRoot.querySelector('[data-testid="sweep-table"]');
    return t.dataset.state === 'done' || t.dataset.state === 'error';
  }, null, { timeout: 60000 });
  assert.equal(await table.getAttribute('data-state'), 'done', await page.locator('lmul-digit-demo #sweep-status').textContent());
  const cells = await table.locator('tbody td').allTextContents();
  assert.equal(cells.length, 30);
  const accs = cells.filter((_, i) => i % 3 !== 2);
  for (const c of accs) assert.match(c, /^\d+\.\d\d %$/);
  assert.equal(await page.getByTestId('sweep-progress').evaluate((p) => p.value), 1);
  console.log(`sweep, 1000 images x 21 configurations: ${await table.getAttribute('data-seconds')} s`);
  console.log(await table.locator('caption').textContent());
  // M = 10 is close to exact for both methods.
  const exact = Number((await table.locator('caption').textContent()).match(/Exact fp32: ([\d.]+) %/)[1]);
  const last = cells.slice(27, 29).map((c) => parseFloat(c));
  for (const a of last) assert.ok(Math.abs(a - exact) < 1.5, `M=10: ${a} vs exact ${exact}`);
});

test('the sweep can be cancelled', async () => {
  await page.getByTestId('sweep-n').selectOption('10000');
  await page.getByTestId('sweep-start').click();
  await page.waitForFunction(() => document.querySelector('lmul-digit-demo').shadowRoot.querySelector('progress').value > 0, null, { timeout: 30000 });
  await page.getByTestId('sweep-cancel').click();
  const table = page.getByTestId('sweep-table');
  assert.equal(await table.getAttribute('data-state'), 'cancelled');
  assert.equal(await page.getByTestId('sweep-start').isEnabled(), true);
  // While the sweep ran the page kept drawing and predicting.
  await drawStrokes(page, DIGITS[0]);
  await settle();
  assert.match(await text('pred-exact'), /^\d$/);
});

test('full sweep: 10000 images x 21 configurations (timed), same accuracies as evaluate() in Node', async () => {
  await page.getByTestId('sweep-n').selectOption('10000');
  await page.getByTestId('sweep-start').click();
  await page.waitForFunction(() => {
    const t = document.querySelector('lmul-digit-demo').shadowRoot.querySelector('[data-testid="sweep-table"]');
    return t.dataset.state === 'done' || t.dataset.state === 'error';
  }, null, { timeout: 120000 });
  const table = page.getByTestId('sweep-table');
  assert.equal(await table.getAttribute('data-state'), 'done');
  const seconds = Number(await table.getAttribute('data-seconds'));
  console.log(`FULL SWEEP: 10000 images x 21 configurations in ${seconds} s (${await page.locator('lmul-digit-demo #sweep-status').textContent()})`);
  assert.ok(seconds < 60, `${seconds} s`);

  // The worker pool's numbers equal one plain evaluate() per configuration in Node.
  const lm = await createLMul();
  const model = await lm.defaultModel();
  const { images, labels } = readMnistTest();
  const pctText = (a) => `${(a * 100).toFixed(2)} %`;
  const caption = await table.locator('caption').textContent();
  assert.match(caption, new RegExp(`Exact fp32: ${pctText(model.evaluate(images, labels, { method: 'exact' }).accuracy).replace('.', '\\.')}`));
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  for (const M of [1, 2, 5, 10]) {
    const [, f, l] = rows[M - 1];
    assert.equal(f, pctText(model.evaluate(images, labels, { method: 'float', M }).accuracy), `float M=${M}`);
    assert.equal(l, pctText(model.evaluate(images, labels, { method: 'lmul', M }).accuracy), `lmul M=${M}`);
  }
  model.dispose();
  assert.deepEqual(problems, []);
});

test('the model menu comes from the manifest; the deeper model works', async () => {
  const options = await page.getByTestId('model-select').locator('option').allTextContents();
  assert.ok(options.length >= 2, options.join());
  await page.getByTestId('model-select').selectOption('deep');
  await page.waitForFunction(() => /128, 128, 128/.test(document.querySelector('lmul-digit-demo').shadowRoot.querySelector('#energy-formula').textContent));
  await page.getByTestId('clear').click();
  await drawStrokes(page, DIGITS[7]);
  await settle();
  assert.equal(await text('pred-exact'), '7');
  assert.equal(await page.getByTestId('error').isVisible(), false);
  await page.getByTestId('model-select').selectOption('seed');
  await page.waitForFunction(() => /\[784, 128, 10\]/.test(document.querySelector('lmul-digit-demo').shadowRoot.querySelector('#energy-formula').textContent));
});

async function runSweepAndWait(n, timeout = 60000) {
  await page.getByTestId('sweep-n').selectOption(String(n));
  await page.getByTestId('sweep-start').click();
  await page.waitForFunction(() => {
    const t = document.querySelector('lmul-digit-demo').shadowRoot.querySelector('[data-testid="sweep-table"]');
    return t.dataset.state === 'done' || t.dataset.state === 'error';
  }, null, { timeout });
  const table = page.getByTestId('sweep-table');
  assert.equal(await table.getAttribute('data-state'), 'done', await page.locator('lmul-digit-demo #sweep-status').textContent());
  return table;
}
async function selectModel(id) {
  await page.getByTestId('model-select').selectOption(id);
  await page.waitForFunction((want) => {
    const el = document.querySelector('lmul-digit-demo');
    // el.model changes once the model is loaded and in use; the menu's value at once.
    return el.model === want && el.shadowRoot.querySelector('#energy-formula').textContent !== '' && el.shadowRoot.querySelector('[data-testid="model-select"]').value === want;
  }, id);
  await settle();
}
const sweepRows = (table) => table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) =>
  Object.fromEntries([...tr.cells].slice(1).map((td) => [td.className, td.textContent]))));

test('the model menu groups exact-trained models and L-Mul-aware fine-tunes, with short labels', async () => {
  const groups = await page.getByTestId('model-select').evaluate((sel) =>
    [...sel.querySelectorAll('optgroup')].map((g) => [g.label, [...g.querySelectorAll('option')].map((o) => o.textContent)]));
  assert.deepEqual(groups.map(([label]) => label), ['Trained with exact math', 'L-Mul-aware fine-tunes']);
  assert.ok(groups[1][1].includes('Seed MLP · tuned for L-Mul E8M1'), groups[1][1].join(' | '));
  assert.equal(groups[0][1].length, 3);
  assert.equal(groups[1][1].length, 7);
  for (const label of groups.flatMap(([, o]) => o)) assert.ok(label.length <= 45, `long label: ${label}`);
  // The seed model is not a fine-tune: no note.
  assert.equal(await page.getByTestId('model-note').isVisible(), false);
});

test('the E8M1 seed fine-tune: sets M=1 and L-Mul adder, predicts, and its sweep compares it with the base model', async () => {
  await setM(3);
  await page.getByLabel('formula').check(); // the fine-tune must switch this back to its own variant
  await selectModel('seed-ft-lmul-E8M1');
  assert.deepEqual(await demo().evaluate((el) => el.settings), { M: 1, E: 8, rounding: 'nearest', variant: 'adder' });
  assert.equal(await page.getByTestId('m-slider').inputValue(), '1');
  const note = page.getByTestId('model-note');
  assert.equal(await note.getAttribute('data-state'), 'tuned');
  assert.match(await note.textContent(), /Fine-tuned for L-Mul \(adder\) E8M1, nearest rounding.*base model, “Seed MLP 784-128-10”/);
  assert.match(await page.locator('.col[data-method="lmul"] h3').textContent(), /E8M1 · adder · nearest/);

  await page.getByTestId('clear').click();
  await drawStrokes(page, DIGITS[3]);
  await settle();
  const p = await preds();
  assert.deepEqual(p, { exact: '3', float: '3', lmul: '3' }, JSON.stringify(p));

  // 1000 images: both models, every M; the numbers are plain evaluate() calls in Node.
  const table = await runSweepAndWait(1000);
  console.log(`fine-tune sweep, 1000 images x 32 configurations: ${await table.getAttribute('data-seconds')} s`);
  assert.equal(await table.getAttribute('data-compare'), 'true');
  assert.deepEqual(await table.locator('thead th').allTextContents(), ['M', 'Float', 'L-Mul base', 'L-Mul tuned', 'Tuned − base']);
  const rows = await sweepRows(table);
  const lm = await createLMul();
  const { images, labels } = readMnistTest();
  const im = images.subarray(0, 1000 * 784), lb = labels.subarray(0, 1000);
  const fs = await import('node:fs');
  const load = (f) => lm.loadModel(fs.readFileSync(new URL(`../../models/${f}.safetensors`, import.meta.url)));
  const base = await load('mlp-784-128-10'), tuned = await load('mlp-784-128-10-ft-lmul-E8M1');
  const pctText = (a) => `${(a * 100).toFixed(2)} %`;
  const acc = {};
  for (const M of [1, 2, 3, 10]) {
    acc[M] = { base: base.evaluate(im, lb, { method: 'lmul', M }).accuracy, tuned: tuned.evaluate(im, lb, { method: 'lmul', M }).accuracy };
    assert.equal(rows[M - 1].b, pctText(acc[M].base), `base lmul M=${M}`);
    assert.equal(rows[M - 1].l, pctText(acc[M].tuned), `fine-tuned lmul M=${M}`);
    assert.equal(rows[M - 1].f, pctText(tuned.evaluate(im, lb, { method: 'float', M }).accuracy), `fine-tuned float M=${M}`);
  }
  const ftExact = tuned.evaluate(im, lb, { method: 'exact' }).accuracy, baseExact = base.evaluate(im, lb, { method: 'exact' }).accuracy;
  base.dispose();
  tuned.dispose();
  // On these 1000 images (and on all 10000: 96.75 % -> 97.29 %) the fine-tune beats its base at its M.
  assert.ok(acc[1].tuned > acc[1].base, JSON.stringify(acc[1]));
  const line = await page.getByTestId('sweep-compare').textContent();
  console.log(line);
  assert.equal(line, `At M=1 (lmul, E8): base ${pctText(acc[1].base)} → fine-tuned ${pctText(acc[1].tuned)} ` +
    `(+${((acc[1].tuned - acc[1].base) * 100).toFixed(2)} points), on 1,000 test images.`);
  assert.match(await table.locator('caption').textContent(), new RegExp(`fine-tuned ${pctText(ftExact)}, base ${pctText(baseExact)}`));
  // The tuned M is marked in the table, and the chart has the base model's curve.
  assert.match(await table.locator('tr.tuned th').textContent(), /^1 tuned$/);
  const legend = await page.locator('lmul-digit-demo #sweep-legend button').allTextContents();
  assert.deepEqual(legend, ['Exact fp32 (fine-tuned)', 'Float, fine-tuned', 'L-Mul, fine-tuned', 'L-Mul, base (Seed MLP 784-128-10)']);
  await page.locator('lmul-digit-demo .ctl-more').screenshot({ path: screenshotPath('finetune-controls-1280-light.png') });
  await page.locator('lmul-digit-demo .sweep').screenshot({ path: screenshotPath('finetune-sweep-1280-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await settle();
  await page.locator('lmul-digit-demo .sweep').screenshot({ path: screenshotPath('finetune-sweep-1280-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  // The user may move M: the note says the model is now used away from its tuned setting.
  await setM(3);
  assert.equal(await note.getAttribute('data-state'), 'away');
  assert.match(await note.textContent(), /Away from its tuned setting: fine-tuned for L-Mul \(adder\) E8M1, nearest rounding, now used at E8M3/);
  await note.getByRole('button', { name: 'Back to E8M1' }).click();
  await settle();
  assert.equal(await demo().evaluate((el) => el.settings.M), 1);
  assert.equal(await note.getAttribute('data-state'), 'tuned');
  assert.deepEqual(problems, []);
});

test('a fine-tune swept away from its tuned E says so instead of claiming a tuned point', async () => {
  await selectModel('seed-ft-lmul-E3M2');
  assert.deepEqual(await demo().evaluate((el) => [el.settings.E, el.settings.M]), [3, 2]);
  assert.match(await page.getByTestId('model-note').textContent(), /E3M2/);
  await page.locator('lmul-digit-demo #e').selectOption('8');
  await settle();
  assert.equal(await page.getByTestId('model-note').getAttribute('data-state'), 'away');
  const table = await runSweepAndWait(1000);
  assert.equal(await table.locator('tr.tuned').count(), 0);
  const compare = page.getByTestId('sweep-compare');
  assert.equal(await compare.getAttribute('data-state'), 'away');
  assert.match(await compare.textContent(), /tuned for lmul E3M2, nearest; this sweep ran at E8, lmul, nearest, so no M here is its tuned setting/);
  // Back at E3 the sweep marks M=2, where the fine-tune is far better than the base.
  await compare.getByRole('button', { name: 'Back to E3M2' }).click();
  await settle();
  await runSweepAndWait(1000);
  assert.equal(await compare.getAttribute('data-state'), 'tuned');
  const line = await compare.textContent();
  console.log(line);
  const [, b, f] = line.match(/At M=2 \(lmul, E3\): base ([\d.]+) % → fine-tuned ([\d.]+) %/).map(Number);
  assert.ok(f > b + 50, line);
  await selectModel('seed');
  assert.equal(await page.getByTestId('model-note').isVisible(), false);
  // Another model: the comparison's numbers are not shown for it.
  assert.equal(await page.getByTestId('sweep-table').getAttribute('data-state'), 'empty');
  assert.equal(await page.getByTestId('sweep-table').getAttribute('data-compare'), 'false');
  assert.equal(await compare.isVisible(), false);
  assert.match(await page.getByTestId('sweep-table').locator('caption').textContent(), /^Run the sweep/);
  await page.locator('lmul-digit-demo #e').selectOption('8');
  await setM(3);
  assert.deepEqual(problems, []);
});
