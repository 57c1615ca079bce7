// `npm run build:site`: the demo page (web/index.html) and every asset it loads, bundled by Vite
// into site/ — minified, content-hashed names under assets/, relative URLs only (base './'), so
// the folder works copied to any static host under any path (/, /lmul/, /<repo>/). Text assets
// and the .wasm get precompressed .br and .gz twins for servers that can send them (npm start's).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { SITE_CSP_META } from './scripts/site-csp.mjs';

const outDir = fileURLToPath(new URL('./site', import.meta.url));

export default defineConfig({
  root: 'web',
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir,
    emptyOutDir: true,
    // Never inline an asset as a data: URL: the code resolves models, data and the worker
    // relative to their own URLs, which a data: URL does not have.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // Precompressing runs after the bundle by design; no timing warning about it on npm start.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  worker: { format: 'es' },
  plugins: [pageForBundling(), robotsTxt(), precompress()],
});

// web/index.html is written to run unbundled from the source tree: an import map points the
// bare imports at ../wasm and ../node_modules. Bundled, Vite resolves them itself (the package
// imports itself by name through package.json "exports"), and the page must carry no inline
// script (the CSP forbids it). The policy goes in as a <meta> tag for static hosts.
function pageForBundling() {
  return {
    name: 'lmul-page-for-bundling',
    transformIndexHtml: {
      order: 'pre',
      handler(html) {
        const out = html
          .replace(/\s*<script type="importmap">[\s\S]*?<\/script>/, '')
          .replace(/\s*<link rel="modulepreload"[^>]*>/g, '')
          .replace('<meta charset="utf-8">',
            `<meta charset="utf-8">\n  <meta http-equiv="Content-Security-Policy" content="${SITE_CSP_META}">`);
        if (/<script(?![^>]*\bsrc=)[^>]*>/.test(out))
          throw new Error('web/index.html has an inline script left after bundling; the CSP forbids it');
        return out;
      },
    },
  };
}

function robotsTxt() {
  return {
    name: 'lmul-robots-txt',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'robots.txt', source: 'User-agent: *\nAllow: /\n' });
    },
  };
}

// Writes file.br and file.gz next to every file they make at least 10 % smaller. Maximum
// compression for the page's code and the .wasm (under 256 KB); for the models a fast setting,
// which compresses the fine-tunes' quantized weights within 3 % of the maximum, 50x sooner.
function precompress() {
  const skip = /\.(png|jpe?g|webp|avif|gif|br|gz)$/;
  const { BROTLI_PARAM_QUALITY, BROTLI_PARAM_SIZE_HINT } = zlib.constants;
  return {
    name: 'lmul-precompress',
    apply: 'build',
    closeBundle() {
      for (const rel of fs.readdirSync(outDir, { recursive: true })) {
        const file = path.join(outDir, rel);
        if (skip.test(rel) || !fs.statSync(file).isFile()) continue;
        const raw = fs.readFileSync(file);
        const small = raw.length < 256 * 1024;
        const variants = {
          '.br': zlib.brotliCompressSync(raw, { params: { [BROTLI_PARAM_QUALITY]: small ? 11 : 5, [BROTLI_PARAM_SIZE_HINT]: raw.length } }),
          '.gz': zlib.gzipSync(raw, { level: small ? 9 : 6 }),
        };
        for (const [suffix, bytes] of Object.entries(variants))
          if (bytes.length <= raw.length * 0.9) fs.writeFileSync(file + suffix, bytes);
      }
    },
  };
}
