// Shared plumbing for the browser tests: the project's static server on a free localhost port,
// Debian's Chromium driven by playwright-core, console-error collection, and mouse strokes.
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { createServer, listen } from '../../scripts/serve.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const resultsDir = path.join(root, 'test-results');

// Chromium 156's headless windows each load the omnibox popup's WebUI in a renderer of its own
// (chrome://omnibox-popup.top-chrome, ~300 ms of CPU in a trace), which no test uses and which
// competes with the page under test for the machine's cores: disabled.
export const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup'],
};

export async function startServer() {
  const server = createServer();
  const port = await listen(server, 18000 + Math.floor(Math.random() * 2000));
  return { server, origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

export async function launch() {
  return chromium.launch(LAUNCH);
}

// The server and Chromium for the tests of one file: started before them (then `setup(env)`, in
// the same hook: Node 20 does not wait for one top-level before() to finish before the next),
// stopped after them. Returns { srv, browser }, filled in by the time the tests run.
export function serverAndBrowser(setup) {
  const env = {};
  before(async () => {
    env.srv = await startServer();
    env.browser = await launch();
    await setup?.(env);
  });
  after(async () => {
    await env.browser?.close();
    await env.srv?.close();
  });
  return env;
}

// The server, Chromium and the demo page (openPage with `options`) for the tests of one file;
// `use({ srv, browser, page, context, problems })` is called once the element is ready, before
// the tests.
export function usePage(use, options) {
  serverAndBrowser(async (env) => {
    const opened = await openPage(env.browser, env.srv.origin, options);
    await opened.page.locator('lmul-digit-demo').evaluate((el) => el.ready);
    use({ ...env, ...opened });
  });
}

// A page that records console errors, page errors, failed requests and any request that
// leaves the local server.
export async function openPage(browser, origin, { width = 1280, height = 900, colorScheme = 'light', path: p = '/web/' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('request', (req) => {
    if (!req.url().startsWith(origin) && !req.url().startsWith('data:') && !req.url().startsWith('blob:'))
      problems.push(`external request: ${req.url()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(origin + p);
  return { page, context, problems };
}

// Draws strokes given in pad coordinates [0, 1] with the mouse, as a person would.
// `scope`: a locator holding one drawing pad (default: the page's only one).
export async function drawStrokes(page, strokes, scope = page) {
  const canvas = scope.getByTestId('draw-canvas');
  const box = await canvas.boundingBox();
  for (const stroke of strokes) {
    const pts = densify(stroke, 0.02);
    await page.mouse.move(box.x + pts[0][0] * box.width, box.y + pts[0][1] * box.height);
    await page.mouse.down();
    for (const [x, y] of pts.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height);
    await page.mouse.up();
  }
}

function densify(points, step) {
  const out = [points[0]];
  for (let i = 1; i < points.length; ++i) {
    const [x0, y0] = points[i - 1], [x1, y1] = points[i];
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / step));
    for (let k = 1; k <= n; ++k) out.push([x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n]);
  }
  return out;
}

export function arc(cx, cy, rx, ry, from, to, n = 24) {
  const pts = [];
  for (let k = 0; k <= n; ++k) {
    const t = ((from + ((to - from) * k) / n) * Math.PI) / 180;
    pts.push([cx + rx * Math.cos(t), cy + ry * Math.sin(t)]);
  }
  return pts;
}

export function screenshotPath(name) {
  fs.mkdirSync(resultsDir, { recursive: true });
  return path.join(resultsDir, name);
}

// The trimmed text of the element with this data-testid.
export async function testIdText(page, id) {
  return (await page.getByTestId(id).textContent()).trim();
}

// Two animation frames, twice: long enough for a throttled prediction and its redraw.
export async function settle(page) {
  for (let k = 0; k < 2; ++k)
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// Elements (shadow roots included) whose box reaches past the viewport's right edge.
export function overflowing(page) {
  return page.evaluate(() => {
    const out = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        const b = el.getBoundingClientRect();
        if (b.width > 0 && b.right > innerWidth + 0.5) out.push(`<${el.tagName.toLowerCase()} id="${el.id}" class="${el.getAttribute('class') ?? ''}"> right ${Math.round(b.right)} > ${innerWidth}`);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return out;
  });
}

// Waits until the element's chart in `box` (a locator of its container) is drawn: charts are
// built when near the viewport and the browser is idle.
export async function chartDrawn(box) {
  await box.scrollIntoViewIfNeeded();
  await box.locator('canvas').first().waitFor({ state: 'attached', timeout: 15000 });
}
