// The demo site's Content-Security-Policy, in one place: `npm start`'s server sends it as a
// header, and the site build writes it into index.html as a <meta> tag so that any static host
// (GitHub Pages, a bucket) applies it too.
//   script-src: the page's own modules only (no inline script, no eval; the Emscripten module is
//     linked with -sDYNAMIC_EXECUTION=0), plus 'wasm-unsafe-eval' to compile WebAssembly.
//   style-src 'self': the element adopts a constructed stylesheet, which needs no inline style.
const DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};
// Only a header can carry frame-ancestors (a <meta> policy ignores it, with a console error).
const HEADER_ONLY = { 'frame-ancestors': ["'none'"] };

const serialize = (d) => Object.entries(d).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');
export const SITE_CSP = serialize({ ...DIRECTIVES, ...HEADER_ONLY });
export const SITE_CSP_META = serialize(DIRECTIVES);
