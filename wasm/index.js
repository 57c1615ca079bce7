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
const MUL_CHUNK = 1 << 16; // elements per module call in mulArray and errorStats (bounds the wasm heap)
// Scratch memory up to this size stays allocated between calls; a call that needed more gives it
// back afterwards (the wasm heap never shrinks, but malloc can reuse what was given back).
const SCRATCH_KEPT = 1 << 20;

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

// Types are told by the engine's internal slots, not instanceof, so arrays from another realm
// (an iframe, a vm context) are accepted: %TypedArray%.prototype's toStringTag getter returns a
// typed array's type name and undefined for anything else, and ArrayBuffer.prototype's
// byteLength getter throws for anything but an ArrayBuffer; neither can be faked by a property.
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
const viewBuffer = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'buffer').get;
const arrayBufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;

function isArrayBuffer(v) {
  try {
    arrayBufferByteLength.call(v);
    return true;
  } catch {
    return false;
  }
}

// Whether an ArrayBuffer was detached (its memory transferred by postMessage or structuredClone).
function isDetached(buffer) {
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer); // a view of a detached buffer cannot be made
    return false;
  } catch {
    return true;
  }
}

function checkNotDetached(where, name, buffer) {
  if (isDetached(buffer))
    throw new TypeError(`${where}: ${name} cannot be read: its ArrayBuffer was detached (transferred with postMessage or structuredClone); ` +
      'pass an array that still holds its memory, e.g. a copy made before the transfer');
}

// A typed array of one of `types` (the first named in the error), from any realm, not detached.
function checkTypedArray(where, name, v, types) {
  if (!types.includes(ArrayBuffer.isView(v) ? typedArrayName.call(v) : undefined))
    throw new TypeError(`${where}: ${name} must be a ${types[0]}, got ${describe(v)}` +
      (Array.isArray(v) || ArrayBuffer.isView(v) ? ` (convert it with ${types[0]}.from(${name}))` : ''));
  checkNotDetached(where, name, viewBuffer.call(v));
  return v;
}

const checkFloat32Array = (where, name, v) => checkTypedArray(where, name, v, ['Float32Array']);
const checkBytes = (where, name, v) => checkTypedArray(where, name, v, ['Uint8Array', 'Uint8ClampedArray']);

// The bytes of an ArrayBuffer or any view of one (any realm), as a Uint8Array; null for anything else.
function bytesOf(where, name, v) {
  if (isArrayBuffer(v)) {
    checkNotDetached(where, name, v);
    return new Uint8Array(v);
  }
  if (!ArrayBuffer.isView(v)) return null;
  checkNotDetached(where, name, v.buffer);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function checkOptionsObject(where, opts, allowed, name = 'opts') {
  if (opts === undefined || (opts === null && name === 'opts')) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts) || ArrayBuffer.isView(opts))
    throw new TypeError(`${where}: ${name} must be an object such as { method: 'lmul', M: 7, E: 8, rounding: 'nearest' }, got ${describe(opts)}`);
  for (const key of Object.keys(opts))
    if (!allowed.includes(key))
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)} in ${name}; allowed: ${allowed.join(', ')}`);
  return opts;
}

const SPEC_KEYS = ['method', 'M', 'E', 'rounding'];

// The multiplier fields of o, validated; only the fields given (the core fills in its defaults).
function specOf(where, o, name = 'opts', requireMethod = false) {
  const spec = {};
  if (o.method !== undefined || requireMethod) {
    const allowed = `one of ${METHODS.map((m) => `'${m}'`).join(', ')}`;
    if (typeof o.method !== 'string') throw new TypeError(`${where}: ${name}.method must be ${allowed}, got ${describe(o.method)}`);
    if (!METHODS.includes(o.method)) throw new RangeError(`${where}: ${name}.method must be ${allowed}, got ${describe(o.method)}`);
    spec.method = o.method;
  }
  if (o.M !== undefined) spec.M = checkInteger(where, `${name}.M`, o.M, 1, 23, ' (mantissa bits)');
  if (o.E !== undefined) spec.E = checkInteger(where, `${name}.E`, o.E, 2, 8, ' (exponent bits)');
  if (o.rounding !== undefined) {
    const allowed = "'nearest' or 'truncate'";
    if (typeof o.rounding !== 'string') throw new TypeError(`${where}: ${name}.rounding must be ${allowed}, got ${describe(o.rounding)}`);
    if (!ROUNDINGS.includes(o.rounding)) throw new RangeError(`${where}: ${name}.rounding must be ${allowed}, got ${describe(o.rounding)}`);
    spec.rounding = o.rounding;
  }
  return spec;
}

// opts.plan: a plan string (the CLI grammar, parsed by the core) or
// { linear?: Spec, attention?: Spec, layers?: { [index]: Spec } }, each Spec with a method.
const PLAN_KEYS = ['linear', 'attention', 'layers'];
function planOf(where, plan) {
  if (plan === undefined) return undefined;
  if (typeof plan === 'string') {
    if (plan.length === 0 || plan.length > 4096) throw new RangeError(`${where}: opts.plan must be a plan such as 'linear=exact,attention=lmul:M3' (1..4096 characters), got ${describe(plan)}`);
    return plan;
  }
  const shape = "a string such as 'lmul:M3' or an object { linear?, attention?, layers?: { [layerIndex]: { method, M?, E?, rounding? } } }";
  if (plan === null || typeof plan !== 'object' || Array.isArray(plan)) throw new TypeError(`${where}: opts.plan must be ${shape}, got ${describe(plan)}`);
  for (const key of Object.keys(plan))
    if (!PLAN_KEYS.includes(key)) throw new TypeError(`${where}: unknown key ${JSON.stringify(key)} in opts.plan; allowed: ${PLAN_KEYS.join(', ')}`);
  const out = {};
  const spec = (name, v) => specOf(where, checkOptionsObject(where, v, SPEC_KEYS, name), name, true);
  for (const kind of ['linear', 'attention'])
    if (plan[kind] !== undefined) out[kind] = spec(`opts.plan.${kind}`, plan[kind]);
  if (plan.layers !== undefined) {
    if (plan.layers === null || typeof plan.layers !== 'object' || Array.isArray(plan.layers))
      throw new TypeError(`${where}: opts.plan.layers must be an object { [layerIndex]: spec }, got ${describe(plan.layers)}`);
    out.layers = {};
    for (const key of Object.keys(plan.layers)) {
      if (!/^(0|[1-9][0-9]{0,5})$/.test(key)) throw new RangeError(`${where}: opts.plan.layers keys must be layer indices 0, 1, ... (see model.describe()), got ${JSON.stringify(key)}`);
      out.layers[key] = spec(`opts.plan.layers[${key}]`, plan.layers[key]);
    }
  }
  return out;
}

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

// The bytes at url. Its errors name the URL once: "HTTP 404 for https://…", "cannot read /path: …".
async function readUrl(url) {
  if (isNode && url.protocol === 'file:') {
    const [{ readFile }, { fileURLToPath }] = await Promise.all([nodeModule('node:fs/promises'), nodeModule('node:url')]);
    const path = fileURLToPath(url);
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      throw new Error(`cannot read ${path}: ${e.message.replace(/, \w+ '.*'$/, '')}`, { cause: e }); // Node repeats the path
    }
  }
  const res = await fetchUrl(url);
  return new Uint8Array(await res.arrayBuffer());
}

async function fetchUrl(url) {
  if (typeof fetch !== 'function') throw new Error(`no fetch() to load ${url.href}`);
  let res;
  try {
    res = await fetch(url.href, { credentials: 'same-origin' });
  } catch (e) {
    throw new Error(`cannot fetch ${url.href} (${e?.message ?? e})`, { cause: e });
  }
  if (!res.ok) throw new Error(`HTTP ${res.status} for ${url.href}`);
  return res;
}

// lmul.wasm fetched and compiled here rather than by the Emscripten loader, so that a missing or
// wrong file fails with one clear message (the loader's own text repeats itself several times).
async function compileWasm(where, url, hint) {
  let res;
  try {
    res = await fetchUrl(url);
  } catch (e) {
    throw new Error(`${where}: could not load the WebAssembly module: ${e.message}${hint}`, { cause: e });
  }
  const type = res.headers.get('content-type') ?? '';
  try {
    if (type.startsWith('application/wasm') && typeof WebAssembly.compileStreaming === 'function')
      return await WebAssembly.compileStreaming(res);
    return await WebAssembly.compile(await res.arrayBuffer());
  } catch (e) {
    throw new Error(`${where}: ${url.href} is not a WebAssembly module (served as ${type || 'no type'}: ${e.message})${hint}`, { cause: e });
  }
}

// options.assetsBase: the folder that holds the package's dist/ and models/, with a trailing slash.
async function assetsBaseUrl(where, v) {
  const url = new URL((await toUrl(where, 'options.assetsBase', v)).href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
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

const CREATE_KEYS = ['wasmBinary', 'wasmModule', 'locateFile', 'defaultModelUrl', 'assetsBase'];
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
    const isBytes = isArrayBuffer(o.wasmBinary) || (ArrayBuffer.isView(o.wasmBinary) && typedArrayName.call(o.wasmBinary) === 'Uint8Array');
    if (!isBytes) throw new TypeError(`${where}: options.wasmBinary must be an ArrayBuffer or Uint8Array, got ${describe(o.wasmBinary)}`);
    wasmBinary = bytesOf(where, 'options.wasmBinary', o.wasmBinary);
  }
  // assetsBase moves every file at once (bundlers that do not process new URL, e.g. esbuild);
  // locateFile and defaultModelUrl still win for their own file.
  const base = o.assetsBase === undefined ? null : await assetsBaseUrl(where, o.assetsBase);
  const modelUrl = o.defaultModelUrl !== undefined ? await toUrl(where, 'options.defaultModelUrl', o.defaultModelUrl)
    : base ? new URL('models/mlp-784-128-10.safetensors', base) : DEFAULT_MODEL_URL;

  // Where the .wasm comes from, in order: wasmModule, wasmBinary, locateFile, assetsBase, next to dist/lmul.mjs.
  let wasmUrl = base ? new URL('dist/lmul.wasm', base) : WASM_URL;
  if (o.locateFile) wasmUrl = await toUrl(where, "options.locateFile('lmul.wasm')", o.locateFile('lmul.wasm', new URL('.', wasmUrl).href));
  let wasmModule = o.wasmModule;
  if (!wasmModule && !wasmBinary && isNode && wasmUrl.protocol === 'file:') {
    // Emscripten 3.1.6's web build cannot read files in Node: hand it the bytes.
    const read = () => readUrl(wasmUrl).catch((e) => {
      throw new Error(`${where}: could not load the WebAssembly module: ${e.message}`, { cause: e });
    });
    if (wasmUrl.href === WASM_URL.href) wasmBinary = await (nodeWasmBytes ??= read().catch((e) => { nodeWasmBytes = null; throw e; }));
    else wasmBinary = await read();
  } else if (!wasmModule && !wasmBinary) {
    wasmModule = await compileWasm(where, wasmUrl, isNode ? '' : ' — serve node_modules/lmul-wasm/dist/ and set assetsBase');
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
  if (wasmModule) {
    moduleArgs.instantiateWasm = (imports, receiveInstance) => {
      WebAssembly.instantiate(wasmModule, imports).then(
        (instance) => receiveInstance(instance, wasmModule),
        (e) => failInstantiate(e),
      );
      return {};
    };
  }
  let mod;
  try {
    mod = await Promise.race([createLMulModule(moduleArgs), instantiateFailed]);
  } catch (e) {
    const source = o.wasmModule ? 'options.wasmModule' : wasmBinary && o.wasmBinary ? 'the given bytes' : wasmUrl.href;
    const detail = [e?.message ?? String(e), ...messages].filter(Boolean).join('; ');
    throw new Error(`${where}: could not instantiate the WebAssembly module from ${source}: ${detail}. ` +
      'In a bundler, serve lmul-wasm/lmul.wasm and pass { locateFile: () => urlOfLmulWasm }, or pass { wasmBinary }.', { cause: e });
  }
  // The constants of this file describe the module's registry: a stale dist/ would not match.
  const { methods, defaults } = mod.registry();
  if (methods.join() !== METHODS.join() || SPEC_KEYS.some((k) => defaults[k] !== DEFAULTS[k]))
    throw new Error(`${where}: the WebAssembly module (methods ${methods.join(', ')}) does not match this version of lmul-wasm's wrapper (${METHODS.join(', ')}); rebuild or reinstall the package`);
  return new LMul(mod, modelUrl);
}

// ---- the instance -------------------------------------------------------------------------

// The module's raw interface (wasm/bindings.cpp): named values in and out, arrays through memory.
class Wasm {
  constructor(mod) {
    this.mod = mod;
    this.edges = null;
    this.liveModels = 0;
  }

  // The pending C++ error ("Type\tmessage") as a JS error of that class, or null; clears it.
  pendingError(where) {
    const e = this.mod.takeError();
    const tab = e.indexOf('\t');
    if (tab < 0) return null;
    const type = e.slice(0, tab), message = `${where}: ${e.slice(tab + 1)}`;
    if (type === 'OutOfMemory') return new RangeError(message + this.#aliveHint());
    const Cls = type === 'RangeError' ? RangeError : type === 'TypeError' ? TypeError : Error;
    return new Cls(message);
  }

  // What to do when memory runs out while models are alive: a FinalizationRegistry frees a
  // forgotten model only when the JS engine collects its wrapper, and wasm memory does not make
  // the engine collect.
  #aliveHint() {
    const n = this.liveModels;
    if (n === 0) return '';
    return `; ${n} model${n === 1 ? ' is' : 's are'} alive in this instance: call dispose() on those you no longer need ` +
      '(or hold them with `using`), which frees their memory at once';
  }

  // The error of a call that returned its failure marker.
  error(where) {
    return this.pendingError(where) ?? new Error(`${where}: the WebAssembly module failed without a message`);
  }

  // f(address of `bytes` bytes of scratch memory for the inputs of one call), returned.
  scratch(bytes, where, f) {
    const p = this.mod.buffer(bytes);
    if (!p) throw this.error(where);
    try {
      return f(p);
    } finally {
      if (bytes > SCRATCH_KEPT) this.mod.releaseBuffer();
    }
  }

  // Fresh views: memory can grow during any call, which detaches older views.
  f32(p, n) {
    return new Float32Array(this.mod.HEAPU8.buffer, p, n);
  }
  u8(p, n) {
    return new Uint8Array(this.mod.HEAPU8.buffer, p, n);
  }

  histogramEdges() {
    this.edges ??= Object.freeze(this.mod.histogramEdges());
    return this.edges;
  }

  // An error statistics object of the module (bindings.cpp stats_object) as the API's ErrorStats.
  stats(s) {
    const { counts, ...rest } = s;
    return { ...rest, histogram: { edges: this.histogramEdges(), counts: Array.from(counts) } };
  }
}

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(({ handle, w }) => {
    try {
      handle.delete();
      --w.liveModels;
    } catch { /* instance gone */ }
  })
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
    const r = this.#w.mod.mul(a, b, s);
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
      w.scratch(12 * n, where, (p) => {
        w.f32(p, n).set(a.subarray(i, i + n));
        w.f32(p + 4 * n, n).set(b.subarray(i, i + n));
        if (!w.mod.mulInto(p, p + 4 * n, p + 8 * n, n, s)) throw w.error(where);
        out.set(w.f32(p + 8 * n, n), i);
      });
    }
    return out;
  }

  quantize(x, opts) {
    const where = 'lm.quantize';
    checkNumber(where, 'x', x);
    const s = specOf(where, checkOptionsObject(where, opts, SPEC_KEYS));
    const r = this.#w.mod.quantize(x, s);
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
    const w = this.#w;
    const run = new w.mod.ErrorStatsRun();
    try {
      if (!run.start(s)) throw w.error(where);
      for (let i = 0; i < a.length; i += MUL_CHUNK) {
        const n = Math.min(a.length, i + MUL_CHUNK) - i;
        w.scratch(8 * n, where, (p) => {
          w.f32(p, n).set(a.subarray(i, i + n));
          w.f32(p + 4 * n, n).set(b.subarray(i, i + n));
          if (!run.add(p, p + 4 * n, n)) throw w.error(where);
        });
      }
      const r = run.finish();
      if (!r) throw w.error(where);
      return w.stats(r);
    } finally {
      run.delete();
    }
  }

  preprocess(gray, width, height) {
    const where = 'lm.preprocess';
    checkFloat32Array(where, 'gray', gray);
    checkInteger(where, 'width', width, 1, 16384);
    checkInteger(where, 'height', height, 1, 16384);
    if (gray.length !== width * height)
      throw new RangeError(`${where}: gray must hold width * height = ${width} * ${height} = ${width * height} values, got ${gray.length}`);
    const w = this.#w, n = gray.length;
    return w.scratch(4 * (n + 784), where, (p) => {
      w.f32(p, n).set(gray);
      if (!w.mod.preprocess(p, width, height, p + 4 * n)) throw w.error(where);
      return w.f32(p + 4 * n, 784).slice();
    });
  }

  async loadModel(bytes) {
    const where = 'lm.loadModel';
    const view = bytesOf(where, 'bytes', bytes);
    if (!view) throw new TypeError(`${where}: bytes must be a Uint8Array or ArrayBuffer holding a .safetensors file, got ${describe(bytes)}`);
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
      const serve = isNode ? '' : 'serve node_modules/lmul-wasm/models/ and set assetsBase, or ';
      throw new Error(`${where}: could not load the default model: ${e.message} — ${serve}pass { defaultModelUrl } to createLMul(), ` +
        'or fetch the file yourself and call lm.loadModel(bytes)', { cause: e });
    }
    return this.#load(bytes, where);
  }

  /** Diagnostics: wasm memory size, bytes malloc has handed out, models alive in this instance. */
  memory() {
    const w = this.#w;
    return { ...w.mod.memory(), liveModels: w.liveModels };
  }

  #load(view, where) {
    const w = this.#w;
    const handle = new w.mod.Model();
    try {
      const loaded = w.scratch(view.length, where, (p) => {
        w.u8(p, view.length).set(view);
        return handle.load(p, view.length);
      });
      if (!loaded) throw w.error(where);
    } catch (e) {
      handle.delete();
      throw e;
    }
    return new LMulModel(w, handle);
  }
}

// The model file's metadata as the core reads it (bindings.cpp metadata_object), frozen.
function deepFreeze(o) {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

const PREDICT_KEYS = [...SPEC_KEYS, 'plan', 'errors', 'attention'];
const EVALUATE_KEYS = [...SPEC_KEYS, 'plan', 'signal', 'chunkSize', 'logits'];

// The multiplier of a model call: the top-level fields and the plan, validated.
function modelRequest(where, o) {
  const request = specOf(where, o);
  const plan = planOf(where, o.plan);
  if (plan !== undefined) request.plan = plan;
  return request;
}

function checkBoolean(where, name, v) {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${where}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

class LMulModel {
  #w;
  #handle;
  #layers;
  #metadata;
  #describe;

  constructor(w, handle) {
    this.#w = w;
    this.#handle = handle;
    this.#layers = Object.freeze(handle.sizes());
    this.#metadata = deepFreeze(handle.metadata());
    this.#describe = Object.freeze(handle.describe().map((l) => Object.freeze(l)));
    ++w.liveModels;
    registry?.register(this, { handle, w }, this);
  }

  /**
   * The layers that have products, in forward order: [{ index, name, kind, products }]. A plan's
   * `layers` entries and plan strings' layerN count in this order.
   */
  describe() {
    this.#live('model.describe');
    return this.#describe;
  }

  /** Bytes of prepared weights this model holds, and for how many plans. */
  get prepared() {
    return this.#live('model.prepared').prepared();
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
  /** What the model file says about itself, read by the core (index.d.ts ModelMetadata). */
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
    const request = modelRequest(where, o);
    request.errors = checkBoolean(where, 'opts.errors', o.errors) !== false;
    request.attention = checkBoolean(where, 'opts.attention', o.attention) === true;
    const w = this.#w;
    const r = w.scratch(4 * n, where, (p) => {
      w.f32(p, n).set(pixels);
      return handle.predict(p, request);
    });
    if (!r) throw w.error(where);
    const stats = (e) => (e ? w.stats(e) : null);
    r.errors = stats(r.errors);
    r.errorsByKind = { linear: stats(r.errorsByKind.linear), attention: stats(r.errorsByKind.attention) };
    for (const l of r.layers) l.products = w.stats(l.products);
    if (r.nonFinite) r.nonFinite.name = this.#describe[r.nonFinite.layer]?.name ?? null;
    return r;
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
    const s = modelRequest(where, o);
    const chunk = o.chunkSize === undefined ? EVAL_CHUNK : checkInteger(where, 'opts.chunkSize', o.chunkSize, 1, 1 << 20);
    const logits = checkBoolean(where, 'opts.logits', o.logits) === true;
    return { s, chunk, logits, signal: checkSignal(where, o.signal), onProgress: checkOnProgress(where, onProgress) };
  }

  // What evaluate and evaluateAsync fill in, image by image.
  #evalAccumulator(total, logits) {
    const acc = { correct: 0, nonFinite: 0, predictions: new Uint8Array(total) };
    if (logits) acc.logits = new Float32Array(total * this.outputSize);
    return acc;
  }

  // Images [start, end): adds to acc.
  #evalChunk(where, images, labels, s, start, end, acc) {
    const handle = this.#live(where);
    const w = this.#w, per = this.inputSize, classes = this.outputSize, n = end - start;
    // [logits (floats first, aligned)] images, labels, predictions
    const logitBytes = acc.logits ? 4 * n * classes : 0;
    w.scratch(logitBytes + n * (per + 2), where, (p) => {
      const q = p + logitBytes;
      w.u8(q, n * per).set(images.subarray(start * per, end * per));
      w.u8(q + n * per, n).set(labels.subarray(start, end));
      const r = handle.evaluate(q, q + n * per, n, q + n * (per + 1), acc.logits ? p : 0, s);
      if (!r) throw w.error(where);
      acc.correct += r.correct;
      acc.nonFinite += r.nonfinite;
      acc.predictions.set(w.u8(q + n * (per + 1), n), start);
      acc.logits?.set(w.f32(p, n * classes), start * classes);
    });
  }

  evaluate(images, labels, opts, onProgress) {
    const where = 'model.evaluate';
    const { s, chunk, logits, signal, onProgress: progress } = this.#evalArgs(where, images, labels, opts, onProgress);
    const t0 = performance.now();
    const total = labels.length;
    const acc = this.#evalAccumulator(total, logits);
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
    const { s, chunk, logits, signal, onProgress: progress } = this.#evalArgs(where, images, labels, opts, onProgress);
    // Copies, so callers may reuse their arrays while this runs.
    images = images.slice();
    labels = labels.slice();
    const t0 = performance.now();
    const total = labels.length;
    const acc = this.#evalAccumulator(total, logits);
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
    --this.#w.liveModels;
  }
}

if (typeof Symbol.dispose === 'symbol') LMulModel.prototype[Symbol.dispose] = LMulModel.prototype.dispose;

function result(acc, total, t0) {
  const r = {
    accuracy: total ? acc.correct / total : 0,
    correct: acc.correct,
    total,
    nonFinite: acc.nonFinite,
    ms: performance.now() - t0,
    predictions: acc.predictions,
  };
  if (acc.logits) r.logits = acc.logits;
  return r;
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
