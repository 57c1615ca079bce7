// lmul-wasm: L-Mul ("multiplication by addition", Luo & Sun 2024) and exact dense layers in
// WebAssembly SIMD. This file is the package's public API: it validates every argument (errors
// name the parameter and what is allowed), moves typed arrays in and out of the module, and
// owns the lifetime of Embind objects so callers never call .delete().
//
//   import { createLMul } from 'lmul-wasm';
//   const lm = await createLMul();
//   lm.mul(1.5, 1.5);                                  // 2.125 (L-Mul, E8M7)
//   const model = await lm.defaultModel();
//   const { digit, probs, errors } = model.predict(pixels, { method: 'lmul', M: 3 });
//   model.dispose();
//
// Types and documentation: index.d.ts next to this file.
import createLMulModule from '../dist/lmul.mjs';

export const VERSION = '0.1.0';

/** The multipliers of NUMERICS.md, in the order of the module's method codes. */
export const METHODS = Object.freeze(['exact', 'float', 'lmul', 'lmul-formula', 'mitchell']);
export const ROUNDINGS = Object.freeze(['nearest', 'truncate']);
export const DEFAULTS = Object.freeze({ method: 'lmul', M: 7, E: 8, rounding: 'nearest' });
/** Named formats F(E, M). E4M3 is the IEEE-style variant (max 240, with inf), not OCP E4M3FN. */
export const FORMATS = Object.freeze({
  fp32: Object.freeze({ E: 8, M: 23 }),
  bf16: Object.freeze({ E: 8, M: 7 }),
  fp16: Object.freeze({ E: 5, M: 10 }),
  e5m2: Object.freeze({ E: 5, M: 2 }),
  e4m3: Object.freeze({ E: 4, M: 3 }),
});

// Literal `new URL(..., import.meta.url)` so bundlers (Vite, webpack 5, Parcel, esbuild with
// the file loader) see and emit these assets.
const WASM_URL = new URL('../dist/lmul.wasm', import.meta.url);
const DEFAULT_MODEL_URL = new URL('../models/mlp-784-128-10.safetensors', import.meta.url);

const EVAL_CHUNK = 250; // images per module call in evaluate (progress and cancel granularity)
const MUL_CHUNK = 1 << 16; // elements per module call in mulArray (bounds the wasm heap)

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

// ---- argument checking --------------------------------------------------------------------

function describe(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `'${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v).slice(1, -1).replace(/'/g, "\\'")}'`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (typeof v === 'function') return 'a function';
  if (typeof v !== 'object') return `a ${typeof v}`;
  const name = v.constructor?.name;
  if (!name) return 'an object';
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}${ArrayBuffer.isView(v) ? `(${v.length ?? v.byteLength})` : Array.isArray(v) ? `(${v.length})` : ''}`;
}

function checkNumber(where, name, v) {
  if (typeof v !== 'number') throw new TypeError(`${where}: ${name} must be a number, got ${describe(v)}`);
  return v;
}

function checkInteger(where, name, v, lo, hi, what = '') {
  const range = `an integer in ${lo}..${hi}${what}`;
  if (typeof v !== 'number') throw new TypeError(`${where}: ${name} must be ${range}, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${where}: ${name} must be ${range}, got ${describe(v)}`);
  return v;
}

function checkFloat32Array(where, name, v) {
  if (!(v instanceof Float32Array))
    throw new TypeError(`${where}: ${name} must be a Float32Array, got ${describe(v)}` +
      (Array.isArray(v) || ArrayBuffer.isView(v) ? ` (convert it with Float32Array.from(${name}))` : ''));
  return v;
}

function checkBytes(where, name, v) {
  if (!(v instanceof Uint8Array || v instanceof Uint8ClampedArray))
    throw new TypeError(`${where}: ${name} must be a Uint8Array, got ${describe(v)}` +
      (Array.isArray(v) || ArrayBuffer.isView(v) ? ` (convert it with Uint8Array.from(${name}))` : ''));
  return v;
}

function checkOptionsObject(where, opts, allowed) {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts) || ArrayBuffer.isView(opts))
    throw new TypeError(`${where}: opts must be an object such as { method: 'lmul', M: 7, E: 8, rounding: 'nearest' }, got ${describe(opts)}`);
  for (const key of Object.keys(opts))
    if (!allowed.includes(key))
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)} in opts; allowed: ${allowed.join(', ')}`);
  return opts;
}

const SPEC_KEYS = ['method', 'M', 'E', 'rounding'];

// opts -> [method code, E, M, rounding code], defaults filled in.
function specOf(where, o) {
  let method = 2;
  if (o.method !== undefined) {
    const allowed = `one of ${METHODS.map((m) => `'${m}'`).join(', ')}`;
    if (typeof o.method !== 'string') throw new TypeError(`${where}: opts.method must be ${allowed}, got ${describe(o.method)}`);
    method = METHODS.indexOf(o.method);
    if (method < 0) throw new RangeError(`${where}: opts.method must be ${allowed}, got ${describe(o.method)}`);
  }
  const M = o.M === undefined ? DEFAULTS.M : checkInteger(where, 'opts.M', o.M, 1, 23, ' (mantissa bits)');
  const E = o.E === undefined ? DEFAULTS.E : checkInteger(where, 'opts.E', o.E, 2, 8, ' (exponent bits)');
  let rounding = 0;
  if (o.rounding !== undefined) {
    const allowed = "'nearest' or 'truncate'";
    if (typeof o.rounding !== 'string') throw new TypeError(`${where}: opts.rounding must be ${allowed}, got ${describe(o.rounding)}`);
    rounding = ROUNDINGS.indexOf(o.rounding);
    if (rounding < 0) throw new RangeError(`${where}: opts.rounding must be ${allowed}, got ${describe(o.rounding)}`);
  }
  return [method, E, M, rounding];
}

// Exact multiplication ignores the format: one prepared network serves every exact request.
const modelSpec = (s) => (s[0] === 0 ? [0, 8, 23, 0] : s);

function checkOnProgress(where, f) {
  if (f !== undefined && f !== null && typeof f !== 'function')
    throw new TypeError(`${where}: onProgress must be a function (done, total) => void, got ${describe(f)}`);
  return f ?? null;
}

function checkSignal(where, signal) {
  if (signal === undefined || signal === null) return null;
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean')
    throw new TypeError(`${where}: opts.signal must be an AbortSignal, got ${describe(signal)}`);
  return signal;
}

function throwIfAborted(signal) {
  if (!signal?.aborted) return;
  const reason = signal.reason;
  if (reason !== undefined) throw reason;
  throw new DOMException('The operation was aborted.', 'AbortError');
}

// ---- loading ------------------------------------------------------------------------------

// Imported only in Node; the indirection keeps bundlers from resolving node: modules for browsers.
const nodeModule = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ name);

async function readUrl(url) {
  if (isNode && url.protocol === 'file:') {
    const [{ readFile }, { fileURLToPath }] = await Promise.all([nodeModule('node:fs/promises'), nodeModule('node:url')]);
    return new Uint8Array(await readFile(fileURLToPath(url)));
  }
  if (typeof fetch !== 'function') throw new Error(`no fetch() to load ${url.href}`);
  const res = await fetch(url.href, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText} for ${url.href}`);
  return new Uint8Array(await res.arrayBuffer());
}

// A URL from a URL, an absolute or page-relative URL string, or (in Node) a file path.
async function toUrl(where, name, v) {
  if (v instanceof URL) return v;
  if (typeof v !== 'string') throw new TypeError(`${where}: ${name} must be a string or URL, got ${describe(v)}`);
  if (isNode && !/^[a-z][a-z0-9+.-]+:/i.test(v)) {
    const [{ pathToFileURL }, { resolve }] = await Promise.all([nodeModule('node:url'), nodeModule('node:path')]);
    return pathToFileURL(resolve(v));
  }
  try {
    return new URL(v, globalThis.location?.href);
  } catch {
    throw new RangeError(`${where}: ${name} is not a valid URL: ${describe(v)}`);
  }
}

const CREATE_KEYS = ['wasmBinary', 'wasmModule', 'locateFile', 'defaultModelUrl'];
let nodeWasmBytes = null; // Promise<Uint8Array>, shared by the instances of this process

/**
 * Loads and instantiates the WebAssembly module. Every call returns an independent instance
 * (its own memory); make one per worker.
 */
export async function createLMul(options) {
  const where = 'createLMul';
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options)))
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  const o = options ?? {};
  for (const key of Object.keys(o))
    if (!CREATE_KEYS.includes(key))
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)}; allowed: ${CREATE_KEYS.join(', ')}`);
  if (o.locateFile !== undefined && typeof o.locateFile !== 'function')
    throw new TypeError(`${where}: options.locateFile must be a function (path, prefix) => string, got ${describe(o.locateFile)}`);
  if (o.wasmModule !== undefined && !(o.wasmModule instanceof WebAssembly.Module))
    throw new TypeError(`${where}: options.wasmModule must be a WebAssembly.Module, got ${describe(o.wasmModule)}`);
  let wasmBinary;
  if (o.wasmBinary !== undefined) {
    if (o.wasmBinary instanceof ArrayBuffer) wasmBinary = new Uint8Array(o.wasmBinary);
    else if (o.wasmBinary instanceof Uint8Array) wasmBinary = o.wasmBinary;
    else throw new TypeError(`${where}: options.wasmBinary must be an ArrayBuffer or Uint8Array, got ${describe(o.wasmBinary)}`);
  }
  const modelUrl = o.defaultModelUrl === undefined ? DEFAULT_MODEL_URL : await toUrl(where, 'options.defaultModelUrl', o.defaultModelUrl);

  // Where the .wasm comes from, in order: wasmModule, wasmBinary, locateFile, next to dist/lmul.mjs.
  let wasmUrl = WASM_URL;
  if (o.locateFile) wasmUrl = await toUrl(where, "options.locateFile('lmul.wasm')", o.locateFile('lmul.wasm', new URL('.', WASM_URL).href));
  if (!o.wasmModule && !wasmBinary && isNode && wasmUrl.protocol === 'file:') {
    // Emscripten 3.1.6's web build cannot read files in Node: hand it the bytes.
    const read = () => readUrl(wasmUrl).catch((e) => {
      throw new Error(`${where}: cannot read the WebAssembly module ${wasmUrl.href}: ${e.message}`);
    });
    if (wasmUrl.href === WASM_URL.href) wasmBinary = await (nodeWasmBytes ??= read().catch((e) => { nodeWasmBytes = null; throw e; }));
    else wasmBinary = await read();
  }

  const messages = [];
  let failInstantiate;
  const instantiateFailed = new Promise((_, reject) => (failInstantiate = reject));
  const moduleArgs = {
    locateFile: () => wasmUrl.href,
    print: (s) => console.log(s),
    printErr: (s) => messages.push(s),
  };
  if (wasmBinary) moduleArgs.wasmBinary = wasmBinary;
  if (o.wasmModule) {
    moduleArgs.instantiateWasm = (imports, receiveInstance) => {
      WebAssembly.instantiate(o.wasmModule, imports).then(
        (instance) => receiveInstance(instance, o.wasmModule),
        (e) => failInstantiate(e),
      );
      return {};
    };
  }
  let mod;
  try {
    mod = await Promise.race([createLMulModule(moduleArgs), instantiateFailed]);
  } catch (e) {
    const source = o.wasmModule ? 'options.wasmModule' : wasmBinary ? 'the given bytes' : wasmUrl.href;
    const detail = [e?.message ?? String(e), ...messages].filter(Boolean).join('; ');
    throw new Error(`${where}: could not instantiate the WebAssembly module from ${source}: ${detail}. ` +
      'In a bundler, serve lmul-wasm/lmul.wasm and pass { locateFile: () => urlOfLmulWasm }, or pass { wasmBinary }.', { cause: e });
  }
  return new LMul(mod, modelUrl);
}

// ---- the instance -------------------------------------------------------------------------

// The module's raw interface (wasm/bindings.cpp): numbers in and out, arrays through memory.
class Wasm {
  constructor(mod) {
    this.mod = mod;
    this.edges = null;
  }

  // The pending C++ error ("Type\tmessage") as a JS error of that class, or null; clears it.
  pendingError(where) {
    const e = this.mod.takeError();
    const tab = e.indexOf('\t');
    if (tab < 0) return null;
    const type = e.slice(0, tab);
    const Cls = type === 'RangeError' ? RangeError : type === 'TypeError' ? TypeError : Error;
    return new Cls(`${where}: ${e.slice(tab + 1)}`);
  }

  // The error of a call that returned its failure marker.
  error(where) {
    return this.pendingError(where) ?? new Error(`${where}: the WebAssembly module failed without a message`);
  }

  // Scratch memory for `bytes` bytes of input; its address.
  buffer(bytes, where) {
    const p = this.mod.buffer(bytes);
    if (!p) throw this.error(where);
    return p;
  }

  // Fresh views: memory can grow during any call, which detaches older views.
  f32(p, n) {
    return new Float32Array(this.mod.HEAPU8.buffer, p, n);
  }
  f64(p, n) {
    return new Float64Array(this.mod.HEAPU8.buffer, p, n);
  }
  u8(p, n) {
    return new Uint8Array(this.mod.HEAPU8.buffer, p, n);
  }

  histogramEdges() {
    if (!this.edges) {
      const p = this.mod.histogramEdges();
      const n = this.f64(p, 1)[0];
      this.edges = Object.freeze(Array.from(this.f64(p + 8, n)));
    }
    return this.edges;
  }

  // An error statistics block (bindings.cpp append_stats) at address p as an object.
  stats(p) {
    const edges = this.histogramEdges();
    const v = this.f64(p, 7 + edges.length - 1);
    return {
      count: v[0],
      zeros: v[1],
      nonfinite: v[2],
      mean: v[3],
      median: v[4],
      max: v[5],
      bias: v[6],
      histogram: { edges, counts: Array.from(v.subarray(7)) },
    };
  }
}

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((handle) => { try { handle.delete(); } catch { /* instance gone */ } })
  : null;

class LMul {
  #w;
  #modelUrl;
  #defaultBytes = null;

  constructor(mod, modelUrl) {
    this.#w = new Wasm(mod);
    this.#modelUrl = modelUrl;
  }

  get version() {
    return VERSION;
  }

  mul(a, b, opts) {
    const where = 'lm.mul';
    checkNumber(where, 'a', a);
    checkNumber(where, 'b', b);
    const s = specOf(where, checkOptionsObject(where, opts, SPEC_KEYS));
    const r = this.#w.mod.mul(a, b, s[0], s[1], s[2], s[3]);
    if (r !== r) { // NaN: a product, or the marker of an error
      const e = this.#w.pendingError(where);
      if (e) throw e;
    }
    return r;
  }

  mulArray(a, b, opts, out) {
    const where = 'lm.mulArray';
    checkFloat32Array(where, 'a', a);
    checkFloat32Array(where, 'b', b);
    if (a.length !== b.length) throw new RangeError(`${where}: a and b must have the same length, got ${a.length} and ${b.length}`);
    const s = specOf(where, checkOptionsObject(where, opts, SPEC_KEYS));
    if (out === undefined) out = new Float32Array(a.length);
    else {
      checkFloat32Array(where, 'out', out);
      if (out.length !== a.length) throw new RangeError(`${where}: out must have the length of a (${a.length}), got ${out.length}`);
    }
    const w = this.#w;
    for (let i = 0; i < a.length; i += MUL_CHUNK) {
      const n = Math.min(a.length, i + MUL_CHUNK) - i;
      const p = w.buffer(12 * n, where);
      w.f32(p, n).set(a.subarray(i, i + n));
      w.f32(p + 4 * n, n).set(b.subarray(i, i + n));
      if (!w.mod.mulInto(p, p + 4 * n, p + 8 * n, n, s[0], s[1], s[2], s[3])) throw w.error(where);
      out.set(w.f32(p + 8 * n, n), i);
    }
    return out;
  }

  quantize(x, opts) {
    const where = 'lm.quantize';
    checkNumber(where, 'x', x);
    const s = specOf(where, checkOptionsObject(where, opts, SPEC_KEYS));
    const r = this.#w.mod.quantize(x, s[1], s[2], s[3]);
    if (r !== r) {
      const e = this.#w.pendingError(where);
      if (e) throw e;
    }
    return r;
  }

  errorStats(a, b, opts) {
    const where = 'lm.errorStats';
    checkFloat32Array(where, 'a', a);
    checkFloat32Array(where, 'b', b);
    if (a.length !== b.length) throw new RangeError(`${where}: a and b must have the same length, got ${a.length} and ${b.length}`);
    const s = specOf(where, checkOptionsObject(where, opts, SPEC_KEYS));
    const w = this.#w, n = a.length;
    const p = w.buffer(8 * n, where);
    w.f32(p, n).set(a);
    w.f32(p + 4 * n, n).set(b);
    const r = w.mod.errorStats(p, p + 4 * n, n, s[0], s[1], s[2], s[3]);
    if (!r) throw w.error(where);
    return w.stats(r);
  }

  preprocess(gray, width, height) {
    const where = 'lm.preprocess';
    checkFloat32Array(where, 'gray', gray);
    checkInteger(where, 'width', width, 1, 16384);
    checkInteger(where, 'height', height, 1, 16384);
    if (gray.length !== width * height)
      throw new RangeError(`${where}: gray must hold width * height = ${width} * ${height} = ${width * height} values, got ${gray.length}`);
    const w = this.#w, n = gray.length;
    const p = w.buffer(4 * (n + 784), where);
    w.f32(p, n).set(gray);
    if (!w.mod.preprocess(p, width, height, p + 4 * n)) throw w.error(where);
    return w.f32(p + 4 * n, 784).slice();
  }

  async loadModel(bytes) {
    const where = 'lm.loadModel';
    let view;
    if (bytes instanceof ArrayBuffer) view = new Uint8Array(bytes);
    else if (ArrayBuffer.isView(bytes)) view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    else throw new TypeError(`${where}: bytes must be a Uint8Array or ArrayBuffer holding a .safetensors file, got ${describe(bytes)}`);
    return this.#load(view, where);
  }

  async defaultModel() {
    const where = 'lm.defaultModel';
    if (!this.#defaultBytes) {
      this.#defaultBytes = readUrl(this.#modelUrl);
      this.#defaultBytes.catch(() => { this.#defaultBytes = null; }); // let a later call retry
    }
    let bytes;
    try {
      bytes = await this.#defaultBytes;
    } catch (e) {
      throw new Error(`${where}: cannot load the default model from ${this.#modelUrl.href}: ${e.message}. ` +
        'Pass { defaultModelUrl } to createLMul(), or fetch the file yourself and call lm.loadModel(bytes).', { cause: e });
    }
    return this.#load(bytes, where);
  }

  /** Diagnostics: wasm memory size, bytes malloc has handed out, live Embind value handles. */
  memory() {
    const w = this.#w;
    const v = w.f64(w.mod.memory(), 2);
    return { heapBytes: v[0], mallocBytes: v[1], valHandles: w.mod.count_emval_handles() };
  }

  #load(view, where) {
    const w = this.#w;
    const p = w.buffer(view.length, where);
    w.u8(p, view.length).set(view);
    const handle = new w.mod.Model();
    if (!handle.load(p, view.length)) {
      const e = w.error(where);
      handle.delete();
      throw e;
    }
    return new LMulModel(w, handle);
  }
}

const PREDICT_KEYS = [...SPEC_KEYS, 'errors'];
const EVALUATE_KEYS = [...SPEC_KEYS, 'signal', 'chunkSize'];

class LMulModel {
  #w;
  #handle;
  #layers;
  #metadata;

  constructor(w, handle) {
    this.#w = w;
    this.#handle = handle;
    const p = handle.sizes();
    const n = w.f64(p, 1)[0];
    this.#layers = Object.freeze(Array.from(w.f64(p + 8, n)));
    this.#metadata = Object.freeze(handle.metadata());
    registry?.register(this, handle, this);
  }

  /** Layer widths, input first: [784, 128, 10] for the default model. */
  get layers() {
    return this.#layers;
  }
  get inputSize() {
    return this.#layers[0];
  }
  get outputSize() {
    return this.#layers[this.#layers.length - 1];
  }
  /** The safetensors header's __metadata__ (string values). */
  get metadata() {
    return this.#metadata;
  }
  get disposed() {
    return this.#handle === null;
  }

  #live(where) {
    if (this.#handle === null)
      throw new TypeError(`${where}: this model was disposed; load it again with lm.loadModel() or lm.defaultModel()`);
    return this.#handle;
  }

  predict(pixels, opts) {
    const where = 'model.predict';
    const handle = this.#live(where);
    checkFloat32Array(where, 'pixels', pixels);
    const n = this.inputSize, classes = this.outputSize;
    if (pixels.length !== n)
      throw new RangeError(`${where}: pixels must hold ${n} values (the model's input size), got ${pixels.length}`);
    for (let i = 0; i < n; ++i)
      if (!Number.isFinite(pixels[i])) throw new RangeError(`${where}: pixels[${i}] is ${pixels[i]}; inputs must be finite (MNIST models expect 0..1)`);
    const o = checkOptionsObject(where, opts, PREDICT_KEYS);
    const s = modelSpec(specOf(where, o));
    if (o.errors !== undefined && typeof o.errors !== 'boolean')
      throw new TypeError(`${where}: opts.errors must be a boolean, got ${describe(o.errors)}`);
    const withErrors = o.errors !== false;
    const w = this.#w;
    const p = w.buffer(4 * n, where);
    w.f32(p, n).set(pixels);
    const r = handle.predict(p, s[0], s[1], s[2], s[3], withErrors);
    if (!r) throw w.error(where);
    const v = w.f64(r, 1 + 2 * classes);
    return {
      digit: v[0],
      probs: Float32Array.from(v.subarray(1 + classes)),
      logits: Float32Array.from(v.subarray(1, 1 + classes)),
      errors: withErrors ? w.stats(r + 8 * (1 + 2 * classes)) : null,
    };
  }

  #evalArgs(where, images, labels, opts, onProgress) {
    this.#live(where);
    checkBytes(where, 'images', images);
    checkBytes(where, 'labels', labels);
    const per = this.inputSize;
    if (images.length !== labels.length * per)
      throw new RangeError(`${where}: images must hold labels.length * ${per} = ${labels.length * per} pixels (one ${per}-pixel image per label), got ${images.length}`);
    const classes = this.outputSize;
    for (let i = 0; i < labels.length; ++i)
      if (labels[i] >= classes) throw new RangeError(`${where}: labels[${i}] is ${labels[i]}; labels must be class indices 0..${classes - 1}`);
    const o = checkOptionsObject(where, opts, EVALUATE_KEYS);
    const s = modelSpec(specOf(where, o));
    const chunk = o.chunkSize === undefined ? EVAL_CHUNK : checkInteger(where, 'opts.chunkSize', o.chunkSize, 1, 1 << 20);
    return { s, chunk, signal: checkSignal(where, o.signal), onProgress: checkOnProgress(where, onProgress) };
  }

  // Images [start, end): adds to acc.
  #evalChunk(where, images, labels, s, start, end, acc) {
    const handle = this.#live(where);
    const w = this.#w, per = this.inputSize, n = end - start;
    const p = w.buffer(n * (per + 2), where); // images, labels, predictions
    w.u8(p, n * per).set(images.subarray(start * per, end * per));
    w.u8(p + n * per, n).set(labels.subarray(start, end));
    const correct = handle.evaluate(p, p + n * per, n, p + n * (per + 1), s[0], s[1], s[2], s[3]);
    if (correct < 0) throw w.error(where);
    acc.correct += correct;
    acc.predictions.set(w.u8(p + n * (per + 1), n), start);
  }

  evaluate(images, labels, opts, onProgress) {
    const where = 'model.evaluate';
    const { s, chunk, signal, onProgress: progress } = this.#evalArgs(where, images, labels, opts, onProgress);
    const t0 = performance.now();
    const total = labels.length;
    const acc = { correct: 0, predictions: new Uint8Array(total) };
    throwIfAborted(signal);
    for (let start = 0; start < total; start += chunk) {
      const end = Math.min(total, start + chunk);
      this.#evalChunk(where, images, labels, s, start, end, acc);
      progress?.(end, total);
      throwIfAborted(signal);
    }
    return result(acc, total, t0);
  }

  async evaluateAsync(images, labels, opts, onProgress) {
    const where = 'model.evaluateAsync';
    const { s, chunk, signal, onProgress: progress } = this.#evalArgs(where, images, labels, opts, onProgress);
    // Copies, so callers may reuse their arrays while this runs.
    images = images.slice();
    labels = labels.slice();
    const t0 = performance.now();
    const total = labels.length;
    const acc = { correct: 0, predictions: new Uint8Array(total) };
    const tick = ticker();
    try {
      throwIfAborted(signal);
      for (let start = 0; start < total; start += chunk) {
        const end = Math.min(total, start + chunk);
        this.#evalChunk(where, images, labels, s, start, end, acc);
        progress?.(end, total);
        if (end < total) await tick.next();
        throwIfAborted(signal);
      }
    } finally {
      tick.close();
    }
    return result(acc, total, t0);
  }

  /** Frees the model's wasm memory. Idempotent; any later call on this model throws a TypeError. */
  dispose() {
    if (this.#handle === null) return;
    registry?.unregister(this);
    this.#handle.delete();
    this.#handle = null;
  }
}

if (typeof Symbol.dispose === 'symbol') LMulModel.prototype[Symbol.dispose] = LMulModel.prototype.dispose;

function result(acc, total, t0) {
  return {
    accuracy: total ? acc.correct / total : 0,
    correct: acc.correct,
    total,
    ms: performance.now() - t0,
    predictions: acc.predictions,
  };
}

// Yields to the event loop (a macrotask, so timers, messages and UI events run) without the
// 4 ms clamp of nested setTimeout.
function ticker() {
  if (typeof setImmediate === 'function') return { next: () => new Promise((r) => setImmediate(r)), close() {} };
  if (typeof MessageChannel === 'function') {
    const ch = new MessageChannel();
    let wake = null;
    ch.port1.onmessage = () => wake?.();
    return {
      next: () => new Promise((r) => { wake = r; ch.port2.postMessage(0); }),
      close() { ch.port1.close(); ch.port2.close(); },
    };
  }
  return { next: () => new Promise((r) => setTimeout(r, 0)), close() {} };
}
