// Node, CommonJS: require() of the ES-module package (Node >= 20.19 and >= 22.12: require(esm)).
// Its entry has no top-level await, so require() returns the module namespace synchronously.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { createLMul } = require('lmul-wasm');

createLMul().then(async (lm) => {
  const model = await lm.defaultModel();
  const pixels = Float32Array.from(readFileSync(path.join(__dirname, 'seven.bin')), (p) => p / 255);
  console.log(JSON.stringify({ product: lm.mul(5, 8, { M: 23 }), digit: model.predict(pixels, { method: 'lmul', M: 3 }).digit }));
  model.dispose();
});
