// A webpack 5 project with no configuration (entry src/index.js, output dist/main.js): the
// library and the demo element by package name.
import { createLMul } from 'lmul-wasm';
import { mountDemo } from 'lmul-wasm/demo';

const lm = await createLMul();
document.querySelector('#product').textContent = String(lm.mul(5, 8, { M: 23 }));
mountDemo(document.querySelector('#demo'), { lm });
