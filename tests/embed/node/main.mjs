// Node, ES module: the package by name; an MNIST test image (a 7) from seven.bin.
import { readFileSync } from 'node:fs';
import { createLMul } from 'lmul-wasm';

const lm = await createLMul();
const model = await lm.defaultModel();
const pixels = Float32Array.from(readFileSync(new URL('./seven.bin', import.meta.url)), (p) => p / 255);
console.log(JSON.stringify({ product: lm.mul(5, 8, { M: 23 }), digit: model.predict(pixels, { method: 'lmul', M: 3 }).digit }));
model.dispose();
