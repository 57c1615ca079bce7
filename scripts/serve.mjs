#!/usr/bin/env node
// Serves the demo and the package files on localhost (sirv: correct MIME types, including
// application/wasm, ETags, no directory listings) and prints the URL.
//   PORT=8080 HOST=127.0.0.1 node scripts/serve.mjs
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const host = process.env.HOST || '127.0.0.1';
const firstPort = Number(process.env.PORT || 8080);

export function createServer() {
  const files = sirv(root, { dev: true, dotfiles: false });
  return http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(302, { Location: '/web/' });
      res.end();
      return;
    }
    files(req, res, () => {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`404: ${req.url} not found\n`);
    });
  });
}

// Listens on the first free port from `port` upward; resolves to the bound port.
export function listen(server, port = firstPort, attempts = 20) {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      if (err.code === 'EADDRINUSE' && attempts > 1) resolve(listen(server, port + 1, attempts - 1));
      else reject(err);
    });
    server.listen(port, host, () => resolve(server.address().port));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = createServer();
  const port = await listen(server);
  console.log(`lmul-wasm demo: http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/web/`);
  console.log('Press Ctrl+C to stop.');
}
