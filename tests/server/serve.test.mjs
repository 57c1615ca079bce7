// npm start's server (scripts/serve.mjs over the built site/), as a process, faced with what a
// browser, a curious user or a hostile page sends it: each fault of issue 12 has a test here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { repoRoot, siteDir } from '../../scripts/serve.mjs';
import { launch } from '../web/helpers.mjs';
import { walkThrough } from '../embed/journey.mjs';
import { freePort } from './free-port.mjs';

const serveScript = path.join(repoRoot, 'scripts/serve.mjs');
let server; // { child, port, stdout }

// Starts `node scripts/serve.mjs` with `env`; resolves when it printed its URL or exited.
function startServe(env) {
  const child = spawn(process.execPath, [serveScript], { env: { ...process.env, HOST: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    child.stdout.on('data', () => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout);
      if (m) resolve({ child, port: Number(m[1]), get stdout() { return stdout; } });
    });
    child.on('exit', (code) => resolve({ child, code, stdout, stderr }));
  });
}

function stop(child) {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', r);
    child.kill();
  });
}

// One HTTP request with exactly these headers (fetch would not let us set Host).
function request(urlPath, headers = {}, { method = 'GET', port = server.port } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const assetNamed = (re) => fs.readdirSync(path.join(siteDir, 'assets')).find((f) => re.test(f));

before(async () => {
  assert.ok(fs.existsSync(path.join(siteDir, 'index.html')), 'site/ is missing: bash scripts/build.sh site');
  server = await startServe({ PORT: String(await freePort()) });
  assert.ok(server.port, `serve.mjs did not start: ${server.stderr}`);
});
after(() => stop(server.child));

test('prints exactly one URL and serves the site at it', async () => {
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(server.stdout.match(/https?:\/\//g).length, 1, server.stdout);
  const res = await request('/');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/html/);
  assert.match(res.body.toString(), /<lmul-digit-demo/);
});

test('Range: bytes=5-2 and malformed ranges get 416, the server stays up; valid ranges get 206', async () => {
  const size = fs.statSync(path.join(siteDir, 'robots.txt')).size;
  const bad = await request('/robots.txt', { Range: 'bytes=5-2' });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers['content-range'], `bytes */${size}`);
  for (const range of ['bytes=abc', 'items=0-1', 'bytes=-', 'bytes=1-2,x', `bytes=${size + 10}-`])
    assert.equal((await request('/robots.txt', { Range: range })).status, 416, range);
  const one = await request('/robots.txt', { Range: 'bytes=0-0' });
  assert.equal(one.status, 206);
  assert.equal(one.body.length, 1);
  const huge = await request('/robots.txt', { Range: 'bytes=0-18446744073709551615' });
  assert.equal(huge.status, 206);
  assert.equal(huge.body.length, size);
  assert.equal((await request('/')).status, 200, 'still serving');
});

test('no dotfiles, no source tree, no node_modules, nothing outside site/', async () => {
  for (const p of ['/.git/config', '/.git/index', '/.ci/run', '/.gitignore', '/node_modules/send/package.json',
    '/package.json', '/scripts/serve.mjs', '/wasm/index.js', '/dist/lmul.wasm', '/models/README.md',
    '/../package.json', '/%2e%2e/package.json', '/..%2f.git/config', '/assets/../../.git/config', '/%00']) {
    const res = await request(p);
    assert.ok([400, 403, 404].includes(res.status), `${p}: HTTP ${res.status}`);
    assert.doesNotMatch(res.body.toString(), /\[core\]|"name": "lmul-wasm"|bash|import /, p);
  }
});

test('a Host other than the bound name is refused (DNS rebinding)', async () => {
  for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, 'localhost'])
    assert.equal((await request('/', { Host: host })).status, 421, `Host: ${host}`);
  // HTTP/1.0 may omit Host altogether.
  const noHost = await new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.end('GET / HTTP/1.0\r\n\r\n'));
    let text = '';
    socket.on('data', (d) => (text += d)).on('end', () => resolve(text)).on('error', reject);
  });
  assert.match(noHost, /^HTTP\/1\.1 421 /);
  for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST:${server.port}`])
    assert.equal((await request('/', { Host: host })).status, 200, `Host: ${host}`);
});

test('only GET and HEAD', async () => {
  const head = await request('/', {}, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const res = await request('/', {}, { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.allow, 'GET, HEAD');
  }
});

test('/web, /web/ and old /web/... paths redirect to the site root', async () => {
  for (const p of ['/web', '/web/', '/web/index.html', '/web/main.js']) {
    const res = await request(p);
    assert.equal(res.status, 301, p);
    assert.equal(res.headers.location, '/', p);
  }
});

test('precompressed brotli and gzip with Vary; immutable hashed files, no-cache index.html; CSP', async () => {
  const js = `/assets/${assetNamed(/^index-.*\.js$/)}`;
  const wasm = `/assets/${assetNamed(/\.wasm$/)}`;
  const raw = fs.readFileSync(path.join(siteDir, js));
  const br = await request(js, { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers.vary, 'Accept-Encoding');
  assert.match(br.headers['content-type'], /^text\/javascript/);
  assert.deepEqual(zlib.brotliDecompressSync(br.body), raw);
  assert.ok(br.body.length < raw.length * 0.5, `brotli ${br.body.length} of ${raw.length} bytes`);
  assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  const gz = await request(wasm, { 'Accept-Encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers['content-type'], 'application/wasm');
  assert.deepEqual(zlib.gunzipSync(gz.body), fs.readFileSync(path.join(siteDir, wasm)));
  const plain = await request(js);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  assert.deepEqual(plain.body, raw);
  const page = await request('/', { 'Accept-Encoding': 'br' });
  assert.equal(page.headers['content-encoding'], 'br');
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(page.headers['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(page.headers['content-security-policy'], /'unsafe-(eval|inline)'/);
  const etag = page.headers.etag;
  assert.equal((await request('/', { 'Accept-Encoding': 'br', 'If-None-Match': etag })).status, 304);
});

test('a bad PORT ends with one clear line, no stack trace', async () => {
  for (const port of ['abc', '70000', '-1', '80.5']) {
    const r = await startServe({ PORT: port });
    assert.equal(r.code, 1, `PORT=${port}`);
    assert.equal(r.stderr, `serve: PORT must be an integer in 1..65535, got '${port}'\n`);
  }
});

test('a busy port moves to the next; no free port ends with one clear line', async () => {
  const first = await freePort();
  const blockers = [];
  const block = async (port) => {
    const s = net.createServer().listen(port, '127.0.0.1');
    await new Promise((resolve, reject) => s.once('listening', resolve).once('error', reject));
    blockers.push(s);
  };
  try {
    await block(first);
    const moved = await startServe({ PORT: String(first) });
    assert.ok(moved.port > first, moved.stderr);
    assert.equal((await request('/', {}, { port: moved.port })).status, 200);
    await stop(moved.child);
    for (let p = first + 1; p < first + 20; ++p) await block(p).catch(() => {});
    const none = await startServe({ PORT: String(first) });
    assert.equal(none.code, 1);
    assert.equal(none.stderr, `serve: ports ${first}..${first + 19} on 127.0.0.1 are all in use; set PORT to a free port\n`);
  } finally {
    for (const s of blockers) s.close();
  }
});

test('the demo works under its Content-Security-Policy: no violation, it predicts, sweeps and switches models', async () => {
  const browser = await launch();
  try {
    const r = await walkThrough(browser, `http://127.0.0.1:${server.port}/`, { product: false });
    console.log(`site via npm start's server: ${r.models} models, sweep ${r.sweepSeconds} s, ${r.requests} requests`);
  } finally {
    await browser.close();
  }
});
