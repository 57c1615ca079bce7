// Every kind of bad input throws a TypeError or RangeError whose message names the function,
// the parameter and what is allowed, and the instance keeps working afterwards.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';
import { createLMul } from '../../wasm/index.js';
import { seedModelPath, wasmPath, mnistTest, pixelsOf } from './helpers.mjs';

let lm, model, x, seed;
before(async () => {
  lm = await createLMul();
  model = await lm.defaultModel();
  x = pixelsOf(mnistTest().images, 0);
  seed = fs.readFileSync(seedModelPath);
});

// After any error the same instance and model still compute the right answers.
function stillWorks() {
  assert.equal(lm.mul(5, 8, { M: 23 }), 42);
  assert.deepEqual(lm.mulArray(new Float32Array([1.5]), new Float32Array([1.5]), { M: 3 }), new Float32Array([2.25]));
  assert.equal(model.predict(x, { errors: false }).digit, 7);
}

const f32 = (n) => new Float32Array(n);
const OPTION_CASES = [
  // [opts, error class, message pattern]
  [{ method: 'lmull' }, RangeError, /opts\.method must be one of 'exact', 'float', 'lmul', 'lmul-formula', 'mitchell', got 'lmull'/],
  [{ method: 'LMUL' }, RangeError, /opts\.method/],
  [{ method: 2 }, TypeError, /opts\.method must be one of .* got 2/],
  [{ M: 0 }, RangeError, /opts\.M must be an integer in 1\.\.23 \(mantissa bits\), got 0/],
  [{ M: 24 }, RangeError, /opts\.M must be an integer in 1\.\.23.*got 24/],
  [{ M: 7.5 }, RangeError, /opts\.M must be an integer in 1\.\.23.*got 7\.5/],
  [{ M: NaN }, RangeError, /opts\.M .*got NaN/],
  [{ M: Infinity }, RangeError, /opts\.M .*got Infinity/],
  [{ M: '7' }, TypeError, /opts\.M must be an integer in 1\.\.23.*got '7'/],
  [{ M: 7n }, TypeError, /opts\.M .*got 7n \(a BigInt\)/],
  [{ M: null }, TypeError, /opts\.M .*got null/],
  [{ E: 1 }, RangeError, /opts\.E must be an integer in 2\.\.8 \(exponent bits\), got 1/],
  [{ E: 9 }, RangeError, /opts\.E .*got 9/],
  [{ E: 4.2 }, RangeError, /opts\.E .*got 4\.2/],
  [{ E: [8] }, TypeError, /opts\.E .*got an Array\(1\)/],
  [{ rounding: 'round' }, RangeError, /opts\.rounding must be 'nearest' or 'truncate', got 'round'/],
  [{ rounding: true }, TypeError, /opts\.rounding .*got a boolean/],
  [{ mantissa: 3 }, TypeError, /unknown option "mantissa" in opts; allowed: method, M, E, rounding/],
  ['lmul', TypeError, /opts must be an object such as \{ method: 'lmul', M: 7, E: 8, rounding: 'nearest' \}, got 'lmul'/],
  [[1, 2], TypeError, /opts must be an object/],
  [7, TypeError, /opts must be an object.*got 7/],
];

test('options: every function rejects bad methods, M, E, rounding and unknown keys', () => {
  const calls = {
    'lm.mul': (o) => lm.mul(1, 2, o),
    'lm.mulArray': (o) => lm.mulArray(f32(3), f32(3), o),
    'lm.quantize': (o) => lm.quantize(1, o),
    'lm.errorStats': (o) => lm.errorStats(f32(3), f32(3), o),
    'model.predict': (o) => model.predict(x, o),
    'model.evaluate': (o) => model.evaluate(new Uint8Array(784), new Uint8Array(1), o),
  };
  for (const [name, call] of Object.entries(calls))
    for (const [opts, cls, pattern] of OPTION_CASES) {
      assert.throws(() => call(opts), (e) => {
        assert.equal(e.constructor, cls, `${name}(${String(opts)}): ${e}`);
        assert.ok(e.message.startsWith(`${name}: `), e.message);
        assert.match(e.message, pattern);
        return true;
      });
      stillWorks();
    }
});

test('operands and arrays: types and lengths', () => {
  const cases = [
    [() => lm.mul('1', 2), TypeError, /lm\.mul: a must be a number, got '1'/],
    [() => lm.mul(1), TypeError, /lm\.mul: b must be a number, got undefined/],
    [() => lm.mul(1n, 2), TypeError, /a must be a number, got 1n/],
    [() => lm.quantize(), TypeError, /lm\.quantize: x must be a number, got undefined/],
    [() => lm.mulArray([1, 2], f32(2)), TypeError, /lm\.mulArray: a must be a Float32Array, got an Array\(2\) \(convert it with Float32Array\.from\(a\)\)/],
    [() => lm.mulArray(f32(2), new Float64Array(2)), TypeError, /b must be a Float32Array, got a Float64Array\(2\)/],
    [() => lm.mulArray(f32(2), f32(3)), RangeError, /a and b must have the same length, got 2 and 3/],
    [() => lm.mulArray(f32(2), f32(2), {}, f32(3)), RangeError, /out must have the length of a \(2\), got 3/],
    [() => lm.mulArray(f32(2), f32(2), {}, [0, 0]), TypeError, /out must be a Float32Array/],
    [() => lm.errorStats(f32(2), null), TypeError, /lm\.errorStats: b must be a Float32Array, got null/],
    [() => lm.errorStats(f32(1), f32(2)), RangeError, /same length, got 1 and 2/],
    [() => lm.preprocess([0, 0, 0, 0], 2, 2), TypeError, /lm\.preprocess: gray must be a Float32Array/],
    [() => lm.preprocess(f32(4), 2.5, 2), RangeError, /width must be an integer in 1\.\.16384, got 2\.5/],
    [() => lm.preprocess(f32(4), 0, 2), RangeError, /width must be an integer in 1\.\.16384, got 0/],
    [() => lm.preprocess(f32(4), 2, '2'), TypeError, /height must be an integer in 1\.\.16384, got '2'/],
    [() => lm.preprocess(f32(5), 2, 2), RangeError, /gray must hold width \* height = 2 \* 2 = 4 values, got 5/],
    [() => lm.preprocess(Float32Array.of(0, 2, 0, 0), 2, 2), RangeError, /lm\.preprocess: gray\[1\] must be a finite value in \[0, 1\], got 2/],
    [() => lm.preprocess(Float32Array.of(0, 0, NaN, 0), 2, 2), RangeError, /gray\[2\] .*got NaN/],
    [() => model.predict(Array.from(x)), TypeError, /model\.predict: pixels must be a Float32Array, got an Array\(784\)/],
    [() => model.predict(new Uint8Array(784)), TypeError, /pixels must be a Float32Array, got a Uint8Array\(784\)/],
    [() => model.predict(f32(783)), RangeError, /pixels must hold 784 values \(the model's input size\), got 783/],
    [() => model.predict(Float32Array.from(x).fill(NaN, 100, 101)), RangeError, /pixels\[100\] is NaN; inputs must be finite/],
    [() => model.predict(Float32Array.from(x).fill(-Infinity, 5, 6)), RangeError, /pixels\[5\] is -Infinity/],
    [() => model.predict(x, { errors: 'yes' }), TypeError, /opts\.errors must be a boolean, got 'yes'/],
    [() => model.predict(x, { signal: null }), TypeError, /unknown option "signal" in opts; allowed: method, M, E, rounding, plan, errors, attention/],
    [() => model.evaluate(Array.from({ length: 784 }), new Uint8Array(1)), TypeError, /model\.evaluate: images must be a Uint8Array, got an Array\(784\)/],
    [() => model.evaluate(new Float32Array(784), new Uint8Array(1)), TypeError, /images must be a Uint8Array, got a Float32Array\(784\) \(convert it with Uint8Array\.from\(images\)\)/],
    [() => model.evaluate(new Uint8Array(784), [7]), TypeError, /labels must be a Uint8Array/],
    [() => model.evaluate(new Uint8Array(784 * 2), new Uint8Array(1)), RangeError, /images must hold labels\.length \* 784 = 784 pixels \(one 784-pixel image per label\), got 1568/],
    [() => model.evaluate(new Uint8Array(784 * 2), Uint8Array.of(3, 10)), RangeError, /labels\[1\] is 10; labels must be class indices 0\.\.9/],
    [() => model.evaluate(new Uint8Array(784), new Uint8Array(1), { chunkSize: 0 }), RangeError, /opts\.chunkSize must be an integer in 1\.\.1048576, got 0/],
    [() => model.evaluate(new Uint8Array(784), new Uint8Array(1), { signal: {} }), TypeError, /opts\.signal must be an AbortSignal/],
    [() => model.evaluate(new Uint8Array(784), new Uint8Array(1), {}, 'progress'), TypeError, /onProgress must be a function \(done, total\) => void, got 'progress'/],
  ];
  for (const [call, cls, pattern] of cases) {
    assert.throws(call, (e) => {
      assert.equal(e.constructor, cls, String(e));
      assert.match(e.message, pattern);
      return true;
    });
    stillWorks();
  }
});

test('async entry points reject (never throw synchronously) with the same classes', async () => {
  const rejects = [
    [() => lm.loadModel('model.safetensors'), TypeError, /lm\.loadModel: bytes must be a Uint8Array or ArrayBuffer holding a \.safetensors file, got 'model\.safetensors'/],
    [() => lm.loadModel(), TypeError, /got undefined/],
    [() => lm.loadModel([1, 2, 3]), TypeError, /got an Array\(3\)/],
    [() => model.evaluateAsync(new Uint8Array(10), new Uint8Array(1)), RangeError, /model\.evaluateAsync: images must hold/],
    [() => createLMul('fast'), TypeError, /createLMul: options must be an object, got 'fast'/],
    [() => createLMul({ wasmURL: 'x' }), TypeError, /createLMul: unknown option "wasmURL"; allowed: wasmBinary, wasmModule, locateFile, defaultModelUrl/],
    [() => createLMul({ wasmBinary: [0, 97, 115, 109] }), TypeError, /options\.wasmBinary must be an ArrayBuffer or Uint8Array, got an Array\(4\)/],
    [() => createLMul({ wasmModule: new Uint8Array(4) }), TypeError, /options\.wasmModule must be a WebAssembly\.Module/],
    [() => createLMul({ locateFile: 'dist/lmul.wasm' }), TypeError, /options\.locateFile must be a function \(path, prefix\) => string/],
    [() => createLMul({ defaultModelUrl: 42 }), TypeError, /options\.defaultModelUrl must be a string or URL, got 42/],
  ];
  for (const [call, cls, pattern] of rejects) {
    let promise;
    assert.doesNotThrow(() => { promise = call(); });
    await assert.rejects(promise, (e) => {
      assert.equal(e.constructor, cls, String(e));
      assert.match(e.message, pattern);
      return true;
    });
    stillWorks();
  }
});

// A safetensors file from a header object and raw data.
function safetensors(header, data = new Uint8Array(0)) {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('malformed model bytes: RangeError naming the problem, instance unharmed', async () => {
  const floats = (...v) => new Uint8Array(Float32Array.from(v).buffer);
  const weight = (name, shape, begin, end, dtype = 'F32') => ({ [name]: { dtype, shape, data_offsets: [begin, end] } });
  const cases = [
    [new Uint8Array(0), /fewer than the 8-byte header length/],
    [new Uint8Array(7), /file has 7 bytes/],
    [safetensors('{"fc1.weight":'), /header is not valid JSON/],
    [safetensors('[1, 2]'), /header must be a JSON object, got array/],
    [safetensors({}), /no tensors/],
    [safetensors(weight('fc1.bias', [2], 0, 8, 'F16'), floats(1, 2)), /tensor 'fc1\.bias' has dtype F16; only F32/],
    [safetensors(weight('fc1.bias', [3], 0, 8), floats(1, 2)), /tensor 'fc1\.bias' has shape \[3\]/],
    [safetensors(weight('fc1.bias', [2], 0, 16), floats(1, 2)), /out of range/],
    [safetensors({ ...weight('fc1.weight', [1, 2], 0, 8), ...weight('fc1.bias', [1], 8, 12) }, floats(1, NaN, 0)), /non-finite value/],
    [safetensors(weight('fc1.weight', [2, 2], 0, 16), floats(1, 2, 3, 4)), /tensor 'fc1\.weight' has no bias 'fc1\.bias'/],
    [safetensors(weight('layer.gamma', [2], 0, 8), floats(1, 2)), /layer\.gamma/],
    [seed.subarray(0, 100), /goes beyond the end of the file/],
    [seed.subarray(0, seed.length - 4), /out of range/],
    [(() => { const b = Uint8Array.from(seed); b[7] = 0x7f; return b; })(), /header length .* goes beyond the end of the file/],
  ];
  for (const [bytes, pattern] of cases) {
    await assert.rejects(lm.loadModel(bytes), (e) => {
      assert.equal(e.constructor, RangeError, String(e));
      assert.ok(e.message.startsWith('lm.loadModel: safetensors: '), e.message);
      assert.match(e.message, pattern);
      return true;
    });
    stillWorks();
  }
  // Random garbage of many sizes never takes the instance down.
  let seedState = 1;
  for (let n = 0; n < 300; ++n) {
    const bytes = new Uint8Array(n * 7);
    for (let i = 0; i < bytes.length; ++i) bytes[i] = (seedState = (seedState * 1103515245 + 12345) >>> 0) >>> 24;
    if (n % 3 === 0 && bytes.length >= 8) bytes.set([Math.min(n, 255), 0, 0, 0, 0, 0, 0, 0], 0);
    await assert.rejects(lm.loadModel(bytes), RangeError);
  }
  stillWorks();
});

test('a model that is not 784 -> 10 still works with its own sizes', async () => {
  // 3 -> 2 -> 2: layers and predict follow the file, errors name the actual sizes.
  const w1 = [1, 0, 0, 0, 1, 0], b1 = [0, 0], w2 = [1, -1, -1, 1], b2 = [0.5, 0];
  const data = new Uint8Array(Float32Array.from([...w1, ...b1, ...w2, ...b2]).buffer);
  const header = {
    'fc1.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    'fc1.bias': { dtype: 'F32', shape: [2], data_offsets: [24, 32] },
    'fc2.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [32, 48] },
    'fc2.bias': { dtype: 'F32', shape: [2], data_offsets: [48, 56] },
    __metadata__: { note: 'tiny' },
  };
  const tiny = await lm.loadModel(safetensors(header, data));
  assert.deepEqual([...tiny.layers], [3, 2, 2]);
  assert.deepEqual(tiny.metadata.raw, { note: 'tiny' });
  const p = tiny.predict(Float32Array.of(2, 0, 0), { method: 'exact' });
  assert.deepEqual([...p.logits], [2.5, -2]);
  assert.equal(p.digit, 0);
  assert.throws(() => tiny.predict(x), { name: 'RangeError', message: /pixels must hold 3 values/ });
  assert.throws(() => tiny.evaluate(new Uint8Array(3), Uint8Array.of(2)), { name: 'RangeError', message: /labels\[0\] is 2; labels must be class indices 0\.\.1/ });
  tiny.dispose();
  stillWorks();
});

test('typed arrays from another realm (a vm context) are accepted by every function', async () => {
  const realm = vm.createContext({});
  const other = (Type, values) => {
    const v = vm.runInContext(`new ${Type}(${values.length})`, realm);
    v.set(values);
    return v;
  };
  const X = other('Float32Array', x);
  assert.notEqual(Object.getPrototypeOf(X), Float32Array.prototype, 'really another realm');
  assert.equal(X instanceof Float32Array, false);
  assert.deepEqual(model.predict(X, { M: 3 }).logits, model.predict(x, { M: 3 }).logits);
  const a = other('Float32Array', [1.5, 5]), b = other('Float32Array', [1.5, 8]), out = other('Float32Array', [0, 0]);
  assert.deepEqual(lm.mulArray(a, b, { M: 3 }), new Float32Array([2.25, 44]));
  assert.equal(lm.mulArray(a, b, { M: 23 }, out), out);
  assert.deepEqual(Array.from(out), [2.125, 42]);
  assert.equal(lm.errorStats(a, b, { M: 23 }).count, 2);
  assert.equal(lm.preprocess(other('Float32Array', [0, 1, 0, 0]), 2, 2).length, 784);
  const images = other('Uint8Array', Array.from(x, (v) => Math.round(v * 255)));
  assert.equal(model.evaluate(images, other('Uint8ClampedArray', [7])).correct, 1);
  const seedBytes = other('Uint8Array', seed);
  for (const bytes of [seedBytes, seedBytes.buffer]) {
    const m = await lm.loadModel(bytes);
    assert.equal(m.predict(X).digit, 7);
    m.dispose();
  }
  const other2 = await createLMul({ wasmBinary: other('Uint8Array', fs.readFileSync(wasmPath)) });
  assert.equal(other2.mul(5, 8, { M: 23 }), 42);
  // Still refused: another type from that realm, and objects that only claim to be typed arrays.
  assert.throws(() => model.predict(other('Float64Array', x)), { name: 'TypeError', message: /^model\.predict: pixels must be a Float32Array, got a Float64Array\(784\)/ });
  const fake = { [Symbol.toStringTag]: 'Float32Array', length: 784 };
  assert.throws(() => model.predict(fake), { name: 'TypeError', message: /pixels must be a Float32Array, got an Object/ });
  assert.throws(() => model.predict(Object.create(Float32Array.prototype)), { name: 'TypeError', message: /pixels must be a Float32Array/ });
  stillWorks();
});

test('an array whose ArrayBuffer was detached (transferred) is refused naming the function and parameter', async () => {
  const detached = (Type, n) => {
    const v = new Type(n);
    structuredClone(v, { transfer: [v.buffer] });
    assert.equal(v.buffer.byteLength, 0);
    return v;
  };
  const gone = (where, name) => new RegExp(`^${where.replace('.', '\\.')}: ${name} cannot be read: its ArrayBuffer was detached \\(transferred with postMessage or structuredClone\\); pass an array that still holds its memory`);
  const cases = [
    [() => model.predict(detached(Float32Array, 784)), 'model.predict', 'pixels'],
    [() => lm.mulArray(detached(Float32Array, 2), f32(0)), 'lm.mulArray', 'a'],
    [() => lm.mulArray(f32(0), detached(Float32Array, 2)), 'lm.mulArray', 'b'],
    [() => lm.mulArray(f32(0), f32(0), {}, detached(Float32Array, 2)), 'lm.mulArray', 'out'],
    [() => lm.errorStats(f32(0), detached(Float32Array, 2)), 'lm.errorStats', 'b'],
    [() => lm.preprocess(detached(Float32Array, 4), 2, 2), 'lm.preprocess', 'gray'],
    [() => model.evaluate(detached(Uint8Array, 784), new Uint8Array(1)), 'model.evaluate', 'images'],
    [() => model.evaluate(new Uint8Array(0), detached(Uint8Array, 1)), 'model.evaluate', 'labels'],
  ];
  for (const [call, where, name] of cases) {
    assert.throws(call, (e) => {
      assert.equal(e.constructor, TypeError, String(e));
      assert.match(e.message, gone(where, name));
      return true;
    });
    stillWorks();
  }
  const buffer = new ArrayBuffer(64), view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  for (const bytes of [buffer, view])
    await assert.rejects(lm.loadModel(bytes), (e) => e.constructor === TypeError && gone('lm.loadModel', 'bytes').test(e.message));
  await assert.rejects(createLMul({ wasmBinary: buffer }), (e) => e.constructor === TypeError && gone('createLMul', 'options.wasmBinary').test(e.message));
  stillWorks();
});
