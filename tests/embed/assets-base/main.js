// An esbuild or Rollup bundle: neither processes new URL(…, import.meta.url), so the package's
// files are copied to public/static/lmul/ (npm run copy-lmul) and both the library and the demo
// element are told where they are.
import { createLMul } from 'lmul-wasm';
import { mountDemo } from 'lmul-wasm/demo';

const assetsBase = './static/lmul/'; // relative to the page
const lm = await createLMul({ assetsBase });
document.querySelector('#product').textContent = String(lm.mul(5, 8, { M: 23 }));
mountDemo(document.querySelector('#demo'), { lm, assetsBase });
