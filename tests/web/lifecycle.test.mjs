// The element's lifecycle: mounting and removing it 50 times (some while still starting, some
// in the middle of a sweep) leaves nothing behind — no observed elements, workers, listeners
// on document/window/media queries, timers, animation frames, or wasm memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser } from './helpers.mjs';
import { COUNT_LIVE_RESOURCES } from './live-resources.mjs';

const env = serverAndBrowser();

test('mounting and removing the element 50 times leaves nothing behind', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(COUNT_LIVE_RESOURCES);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${env.srv.origin}/tests/web/fixtures/blank.html`);

  const report = await page.evaluate(async () => {
    // uPlot registers its own window and matchMedia listeners once, when it loads (whenever the
    // first chart is built): loaded here, they are in both counts and the counts are the element's.
    await import('uplot');
    const { mountDemo } = await import('lmul-wasm/demo');
    const { createLMul } = await import('lmul-wasm');
    const lm = await createLMul();
    const here = document.getElementById('here');
    const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const quiet = async () => {
      for (let k = 0; k < 3; ++k) await frames();
      await new Promise((r) => setTimeout(r, 700)); // longer than any timer the element sets
    };
    // Memory of the element's own (shared, module-level) instance, which a probe element hands
    // over, read once the probe is gone too: with no element left, none of its models may be.
    const ownMemory = async () => {
      const probe = mountDemo(here);
      await probe.ready;
      const own = probe.lm;
      probe.remove();
      await quiet();
      return own.memory().mallocBytes;
    };
    // Timers and frames still pending the moment an element is removed (they would run on a
    // detached element).
    const pendingAtRemoval = [];
    const remove = (el) => {
      el.remove();
      const { timers, animationFrames } = window.__liveResources();
      if (timers || animationFrames) pendingAtRemoval.push({ timers, animationFrames });
    };
    // One cycle: mount (with the page's instance or the element's own), predict a test digit so
    // the announce timer and a frame are pending, sometimes start a sweep, then remove.
    const cycle = async (i, { early = false, sweep = false } = {}) => {
      const el = mountDemo(here, i % 2 ? { lm } : {});
      if (early) {
        remove(el); // still starting: whatever it acquires afterwards must be released too
        await el.ready.catch(() => {});
        return;
      }
      await el.ready;
      await el.showTestImage(i);
      await frames();
      if (sweep) {
        const run = el.runSweep(1000);
        await new Promise((r) => setTimeout(r, 300));
        remove(el);
        await run;
        return;
      }
      remove(el);
    };

    await cycle(0, { sweep: true }); // warm-up: module-level caches, the MNIST set, the shared instance
    await cycle(1);
    await quiet();
    const before = { live: window.__liveResources(), page: lm.memory().mallocBytes, own: await ownMemory() };
    await quiet();
    for (let i = 2; i < 52; ++i) await cycle(i, { early: i % 10 === 0, sweep: i % 25 === 0 });
    await quiet();
    const afterAll = { live: window.__liveResources(), page: lm.memory().mallocBytes, own: await ownMemory() };
    await quiet();
    return { before, after: afterAll, pendingAtRemoval, remaining: document.querySelectorAll('lmul-digit-demo').length };
  });
  console.log('live resources before:', JSON.stringify(report.before));
  console.log('live resources after 50 mounts:', JSON.stringify(report.after));
  assert.equal(report.remaining, 0);
  assert.deepEqual(report.pendingAtRemoval, [], 'timers or animation frames outlived a removed element');
  assert.deepEqual(report.after.live, report.before.live, 'live resources grew');
  assert.equal(report.after.page, report.before.page, "malloc'd bytes of the page's instance grew (models not disposed)");
  assert.equal(report.after.own, report.before.own, "malloc'd bytes of the element's own instance grew");
  assert.deepEqual(errors, []);
  await context.close();
});

test('a start renders the cards below the fold only once its first prediction is on screen; a failed start renders them too', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${env.srv.origin}/tests/web/fixtures/blank.html`);
  const states = await page.evaluate(async () => {
    const { mountDemo } = await import('lmul-wasm/demo');
    const here = document.getElementById('here');
    const LOWER = ['.find', '.layers', '.sweep', '.energy', '.explainer'];
    const state = (el) => {
      const root = el.shadowRoot.querySelector('.lmd');
      const cv = (sel) => getComputedStyle(root.querySelector(sel)).contentVisibility;
      return { starting: 'starting' in root.dataset, lower: [...new Set(LOWER.map(cv))], upper: [...new Set(['.pad', '.preds', '.errors'].map(cv))] };
    };
    const el = mountDemo(here);
    const mounted = state(el);
    await el.ready;
    const ready = state(el);
    el.remove();
    const failing = mountDemo(here, { assetsBase: '/nothing-here/' });
    const failure = await failing.ready.then(() => 'resolved', (e) => e.message);
    return { mounted, ready, failure, failed: state(failing) };
  });
  assert.deepEqual(states.mounted, { starting: true, lower: ['hidden'], upper: ['visible'] });
  assert.deepEqual(states.ready, { starting: false, lower: ['auto'], upper: ['visible'] });
  assert.match(states.failure, /could not load the WebAssembly module/);
  assert.deepEqual(states.failed, { starting: false, lower: ['auto'], upper: ['visible'] });
  await context.close();
});
