// The package where its users put it: the `npm pack` tarball installed into fixture projects
// (bundlers pinned in each fixture's package-lock.json; npm's cache is shared, installs prefer it),
// built, served on 127.0.0.1 and walked through in Chromium (journey.mjs); Node ESM and require();
// and the built site/ served from a subpath by a static server that is not ours.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer, listen, siteDir } from '../../scripts/serve.mjs';
import { launch } from '../web/helpers.mjs';
import { mnistTest } from '../package/helpers.mjs';
import { walkThrough } from './journey.mjs';
import { freePort } from '../server/free-port.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
let tmp, tarball, browser;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lmul-embed-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' }));
  tarball = path.join(tmp, packed[0].filename);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// Runs a command to completion; its output goes into the assertion message when it fails.
function run(cmd, args, cwd, env = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return { out: r.stdout, seconds: (Date.now() - started) / 1000 };
}

// A copy of tests/embed/<name> with the tarball installed on top of its lockfile.
function install(name) {
  const dir = path.join(tmp, name);
  fs.cpSync(path.join(here, name), dir, { recursive: true });
  const { seconds } = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], dir);
  console.log(`${name}: npm install (tarball + lockfile) ${seconds.toFixed(1)} s`);
  return dir;
}

// A long-running server process; resolves once `ready` matches its output. Stopped by stop().
function startProcess(cmd, args, cwd, ready) {
  // Colors off, and any that slip through stripped: CI's environment may force them, and Vite
  // then prints "\x1b[1mLocal\x1b[22m:", which `ready` would never match.
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const started = new Promise((resolve, reject) => {
    const onData = (d) => {
      out += String(d).replace(/\x1b\[[0-9;]*m/g, '');
      if (ready.test(out)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out}`)));
    setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')} not ready after 60 s:\n${out}`)), 60_000).unref();
  });
  const stop = () => new Promise((r) => {
    if (child.exitCode !== null) return r();
    child.once('exit', r);
    child.kill();
  });
  return { started, stop };
}

async function serveDir(dir) {
  const server = createServer({ root: dir });
  const port = await listen(server, await freePort());
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

const vite = (dir) => path.join(dir, 'node_modules/vite/bin/vite.js');

test('Node: import and require() of the package compute a product and read an MNIST 7', () => {
  const dir = install('node');
  fs.writeFileSync(path.join(dir, 'seven.bin'), mnistTest().images.subarray(0, 784));
  const want = { product: 42, digit: 7 };
  assert.deepEqual(JSON.parse(run(process.execPath, ['main.mjs'], dir).out), want);
  const [major, minor] = process.versions.node.split('.').map(Number);
  const requireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
  if (requireEsm) {
    assert.deepEqual(JSON.parse(run(process.execPath, ['main.cjs'], dir).out), want);
    // What Node 18 and 20.0-20.18 do (the README says to use `await import()` there).
    const old = spawnSync(process.execPath, ['--no-experimental-require-module', 'main.cjs'], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(old.status, 0);
    assert.match(old.stderr, /ERR_REQUIRE_ESM/);
  } else {
    const r = spawnSync(process.execPath, ['main.cjs'], { cwd: dir, encoding: 'utf8' });
    assert.match(r.stderr, /ERR_REQUIRE_ESM/);
  }
});

test('Vite 8: vite build + vite preview, and the dev server', async () => {
  const dir = install('vite');
  console.log(`vite build: ${run(process.execPath, [vite(dir), 'build'], dir).seconds.toFixed(1)} s`);
  for (const mode of [['preview'], []]) {
    const port = await freePort();
    const server = startProcess(process.execPath, [vite(dir), ...mode, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], dir, /Local:/);
    try {
      await server.started;
      const r = await walkThrough(browser, `http://127.0.0.1:${port}/`);
      console.log(`vite ${mode[0] ?? 'dev'}: ${r.models} models, sweep ${r.sweepSeconds} s, ${r.requests} requests`);
    } finally {
      await server.stop();
    }
  }
});

test('webpack 5 production build, no configuration', async () => {
  const dir = install('webpack');
  console.log(`webpack build: ${run('npm', ['run', 'build'], dir).seconds.toFixed(1)} s`);
  const srv = await serveDir(path.join(dir, 'dist'));
  try {
    const r = await walkThrough(browser, `${srv.origin}/`);
    console.log(`webpack: ${r.models} models, sweep ${r.sweepSeconds} s, ${r.requests} requests`);
  } finally {
    await srv.close();
  }
});

test('esbuild --bundle and Rollup, each with the copied files and assetsBase', async () => {
  const dir = install('assets-base');
  for (const bundler of ['esbuild', 'rollup']) {
    fs.rmSync(path.join(dir, 'public/main.js'), { force: true });
    console.log(`${bundler} build + copy: ${run('npm', ['run', `build:${bundler}`], dir).seconds.toFixed(1)} s`);
    const srv = await serveDir(path.join(dir, 'public'));
    try {
      const r = await walkThrough(browser, `${srv.origin}/`);
      console.log(`${bundler}: ${r.models} models, sweep ${r.sweepSeconds} s, ${r.requests} requests`);
    } finally {
      await srv.close();
    }
  }
});

test("a plain page with the README's import map, no bundler", async () => {
  const dir = install('importmap');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const map = /```html\n(<script type="importmap">[\s\S]*?<\/script>)\n```/.exec(readme);
  assert.ok(map, 'README.md has an html code block with the import map');
  const page = path.join(dir, 'index.html');
  fs.writeFileSync(page, fs.readFileSync(page, 'utf8').replace('<!-- the README\'s import map goes here -->', map[1]));
  const srv = await serveDir(dir);
  try {
    const r = await walkThrough(browser, `${srv.origin}/`);
    console.log(`import map: ${r.models} models, sweep ${r.sweepSeconds} s, ${r.requests} requests`);
  } finally {
    await srv.close();
  }
});

test('site/ copied under /lmul/ and served by python3 -m http.server', async () => {
  assert.ok(fs.existsSync(path.join(siteDir, 'index.html')), 'site/ is missing: bash scripts/build.sh site');
  const www = path.join(tmp, 'www');
  fs.cpSync(siteDir, path.join(www, 'lmul'), { recursive: true });
  const port = await freePort();
  const server = startProcess('python3', ['-u', '-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', www], www, /Serving HTTP/);
  try {
    await server.started;
    const wasm = fs.readdirSync(path.join(siteDir, 'assets')).find((f) => f.endsWith('.wasm'));
    const res = await fetch(`http://127.0.0.1:${port}/lmul/assets/${wasm}`);
    assert.equal(res.headers.get('content-type'), 'application/wasm', 'python3 http.server sends .wasm as application/wasm');
    const r = await walkThrough(browser, `http://127.0.0.1:${port}/lmul/`, { product: false });
    console.log(`site under /lmul/: ${r.models} models, sweep ${r.sweepSeconds} s, ${r.requests} requests`);
  } finally {
    await server.stop();
  }
});
