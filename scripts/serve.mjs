#!/usr/bin/env node
// The static server of `npm start`: serves only the built site (site/, from `npm run build:site`)
// on 127.0.0.1 and prints its URL.
//   PORT=8080 HOST=127.0.0.1 node scripts/serve.mjs
//
// Files go out through `send` (Range, conditional GET, MIME types including application/wasm,
// dotfiles hidden, no path outside the root). Around it, what a local server on a developer's
// machine needs: requests for any Host but the bound one are refused (a DNS-rebinding page cannot
// read it), only GET and HEAD, unsatisfiable or malformed Range headers get 416, precompressed
// .br/.gz files next to a file are chosen by Accept-Encoding (with Vary), and a busy port moves
// on to the next one. The browser tests use the same server over the source tree.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mime from 'mime-types';
import send from 'send';
import { SITE_CSP } from './site-csp.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const siteDir = path.join(repoRoot, 'site');
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
const PORT_ATTEMPTS = 20;

// What every site response carries; hashed files (Vite writes them to assets/) never change
// under their name, everything else (index.html, robots.txt, favicon) is revalidated.
function siteHeaders(file) {
  const hashed = file.startsWith('/assets/');
  return {
    'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(file.endsWith('.html') ? { 'Content-Security-Policy': SITE_CSP } : {}),
  };
}

/**
 * An HTTP server for the files under `root`.
 *   site: the built site's rules: cache headers, the CSP, /web/... redirected to the root, and
 *         the .br/.gz twins found when the server started (site/ does not change under it).
 *   Without `site` (the browser tests): the source tree, revalidated on every request.
 */
export function createServer({ root = repoRoot, site = false } = {}) {
  root = path.resolve(root);
  const encoded = site ? precompressedFiles(root) : new Map();
  const server = http.createServer((req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const refused = refuseHost(req, server);
    if (refused) return plain(res, 421, refused);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, `405: ${req.method} is not allowed; this server only reads files`);
    }
    // send ignores a malformed Range (RFC 9110 allows it); refuse it like an unsatisfiable one.
    if (req.headers.range !== undefined && !wellFormedRange(req.headers.range))
      return plain(res, 416, `416: malformed Range header '${req.headers.range}'`);
    const urlPath = (req.url ?? '/').split('?')[0];
    if (site && /^\/web(\/|$)/.test(urlPath)) {
      res.writeHead(301, { Location: '/' }).end();
      return;
    }
    const file = urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath;
    const variants = encoded.get(file);
    const encoding = variants && chooseEncoding(req.headers['accept-encoding'], variants);
    const stream = send(req, encoding ? file + encoding.suffix : urlPath,
      { root, dotfiles: 'ignore', index: ['index.html'], cacheControl: !site });
    stream.on('headers', (r) => {
      if (variants) r.setHeader('Vary', 'Accept-Encoding');
      if (encoding) {
        r.setHeader('Content-Encoding', encoding.name);
        r.setHeader('Content-Type', mime.contentType(path.extname(file)) || 'application/octet-stream');
      }
      if (site) for (const [k, v] of Object.entries(siteHeaders(file))) r.setHeader(k, v);
    });
    stream.on('error', (err) => {
      const status = err.status ?? 500;
      for (const name of res.getHeaderNames()) if (name !== 'x-content-type-options') res.removeHeader(name);
      for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
      plain(res, status, status === 404 ? `404: ${urlPath} not found` : `${status}: ${err.message}`);
    });
    stream.pipe(res);
  });
  return server;
}

// "bytes=" and one or more "first-last", "first-" or "-suffix". Whether they fit the file (and
// first <= last) is send's check: it answers 416 with the file's size.
function wellFormedRange(header) {
  const m = /^bytes=(.+)$/.exec(header);
  return !!m && m[1].split(',').every((spec) => /^\s*(\d+-\d*|-\d+)\s*$/.test(spec));
}

const ENCODINGS = [{ name: 'br', suffix: '.br' }, { name: 'gzip', suffix: '.gz' }];

// url path -> the encodings present next to it (site/ is small and fixed while serving).
function precompressedFiles(root) {
  const found = new Map();
  for (const rel of fs.readdirSync(root, { recursive: true })) {
    const enc = ENCODINGS.find((e) => rel.endsWith(e.suffix));
    if (!enc) continue;
    const url = '/' + rel.slice(0, -enc.suffix.length).split(path.sep).join('/');
    found.set(url, [...(found.get(url) ?? []), enc]);
  }
  return found;
}

function chooseEncoding(acceptEncoding = '', available = []) {
  const accepted = new Set(acceptEncoding.split(',').map((s) => s.split(';')[0].trim().toLowerCase())
    .filter((s, _, all) => !all.includes(`${s};q=0`)));
  return ENCODINGS.find((e) => available.includes(e) && accepted.has(e.name)) ?? null;
}

// The names this server answers to: the loopback names and the bound host, with the port. Bound
// to every interface (HOST=0.0.0.0), it also answers to any IP address: DNS rebinding needs a name.
function refuseHost(req, server) {
  const { port } = server.address();
  const bound = server.boundHost ?? DEFAULT_HOST;
  const host = (req.headers.host ?? '').toLowerCase();
  const m = /^(.+?)(?::(\d+))?$/.exec(host);
  const name = m?.[1], hostPort = Number(m?.[2] ?? 80);
  const names = ['localhost', '127.0.0.1', '[::1]', urlHost(bound)];
  const wildcard = bound === '0.0.0.0' || bound === '::';
  const ipLiteral = /^(\d{1,3}\.){3}\d{1,3}$|^\[[0-9a-f:.]+\]$/.test(name ?? '');
  if (hostPort === port && (names.includes(name) || (wildcard && ipLiteral))) return null;
  return `421: this server answers only to http://${urlHost(bound)}:${port}/ and http://localhost:${port}/ (Host '${req.headers.host ?? ''}' refused)`;
}

function plain(res, status, text) {
  if (res.headersSent) return res.destroy();
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`${text}\n`);
}

/**
 * Listens on the first free port from `port` upward (PORT_ATTEMPTS ports); resolves to the bound
 * port. Rejects with an Error whose message is one line for the user.
 */
export function listen(server, port = DEFAULT_PORT, host = DEFAULT_HOST, attempts = PORT_ATTEMPTS) {
  server.boundHost = host;
  const last = port + attempts - 1;
  return new Promise((resolve, reject) => {
    const tryPort = (p) => {
      const onError = (err) => {
        server.off('listening', onListening);
        if (err.code === 'EADDRINUSE' && p < last && p < 65535) tryPort(p + 1);
        else if (err.code === 'EADDRINUSE') reject(new Error(`ports ${port}..${p} on ${host} are all in use; set PORT to a free port`));
        else reject(new Error(`cannot listen on ${host}:${p}: ${err.code ?? err.message}`));
      };
      const onListening = () => {
        server.off('error', onError);
        resolve(server.address().port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(p, host);
    };
    tryPort(port);
  });
}

export function parsePort(text) {
  if (text === undefined || text === '') return DEFAULT_PORT;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new Error(`PORT must be an integer in 1..65535, got '${text}'`);
  return Number(text);
}

function urlHost(host) {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const port = parsePort(process.env.PORT);
    const host = process.env.HOST || DEFAULT_HOST;
    if (!fs.existsSync(path.join(siteDir, 'index.html')))
      throw new Error(`${path.relative(process.cwd(), siteDir) || 'site'}/index.html is missing: run npm run build:site first`);
    const server = createServer({ root: siteDir, site: true });
    const bound = await listen(server, port, host);
    console.log(`lmul-wasm demo: http://${urlHost(host)}:${bound}/`);
    console.log('Press Ctrl+C to stop.');
  } catch (err) {
    console.error(`serve: ${err.message}`);
    process.exit(1);
  }
}
