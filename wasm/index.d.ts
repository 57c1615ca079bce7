// Types of the npm package `lmul-wasm` (hand-written: Emscripten 3.1.6 cannot emit them).
// The implementation is wasm/index.js; the numerics are specified in NUMERICS.md.

/**
 * The multipliers: exact fp32, ordinary multiplication in F(E, M), the two L-Mul variants, and
 * Mitchell's logarithmic multiplication (L-Mul's adder without its offset).
 */
export type Method = 'exact' | 'float' | 'lmul' | 'lmul-formula' | 'mitchell';

/** How operands are rounded to F(E, M): to nearest, ties to even (default), or toward zero. */
export type Rounding = 'nearest' | 'truncate';

/**
 * A multiplier and a float format F(E, M). Every field is optional; the defaults are
 * `{ method: 'lmul', M: 7, E: 8, rounding: 'nearest' }` (L-Mul on bfloat16 operands).
 * Unknown keys throw a TypeError (catches typos such as `{ mantissa: 3 }`).
 */
export interface MulOptions {
  /** Default 'lmul'. 'exact' ignores M, E and rounding. */
  method?: Method;
  /** Mantissa bits, an integer in 1..23. Default 7. */
  M?: number;
  /** Exponent bits, an integer in 2..8. Default 8 (the fp32 exponent range). */
  E?: number;
  /** Operand rounding. Default 'nearest'. */
  rounding?: Rounding;
}

/** One multiplier of a plan: a method, and the fields of MulOptions it changes. */
export interface PlanSpec extends MulOptions {
  method: Method;
}

/**
 * A multiplier per layer and per kind of product (NUMERICS.md 3b). Precedence: `layers[i]`, then
 * the layer's kind, then the top-level fields of the options (which also fill in what a PlanSpec
 * leaves out). Layers count from 0 in the order `model.describe()` lists them. A string is the
 * CLI's grammar: comma-separated `SPEC`, `all=SPEC`, `linear=SPEC`, `attention=SPEC`,
 * `layerN=SPEC` or `NAME=SPEC`, where SPEC is `method[:E<e>M<m>|M<m>|fp32|bf16|fp16|e5m2|e4m3]
 * [:nearest|truncate]`, e.g. `'linear=exact,attention=lmul:M3'` or `'layer0=lmul:E8M2,layer1=exact'`.
 */
export type Plan =
  | string
  | {
      /** Products of a weight and an activation (dense layers, projections, patch embedding). */
      linear?: PlanSpec;
      /**
       * Products of two activations (attention scores and the weighted sum of values). An MLP
       * has none, so there this entry changes nothing (a plan can be reused across models).
       */
      attention?: PlanSpec;
      layers?: { [layerIndex: number]: PlanSpec };
    };

/** Options of calls that run a model: a multiplier (the default for every product) and a plan. */
export interface ModelOptions extends MulOptions {
  plan?: Plan;
}

export interface PredictOptions extends ModelOptions {
  /**
   * Compute `errors`, `errorsByKind` and `layers` (statistics of every product of the forward
   * pass against exact fp32, and each layer's output against the exact network's). Default true;
   * false makes predict much faster and returns them empty.
   */
  errors?: boolean;
  /**
   * Also return the class token's attention maps (`attention`): one per block for a ViT, an
   * empty list for an MLP (it has no attention). Default false (then `attention` is absent).
   */
  attention?: boolean;
}

export interface EvaluateOptions extends ModelOptions {
  /** Cancels the evaluation: it then throws (or rejects with) `signal.reason`, an AbortError by default. */
  signal?: AbortSignal;
  /** Images per step between onProgress calls and cancellation checks, 1..1048576. Default 250. */
  chunkSize?: number;
  /** Also return every image's logits (`logits`), e.g. to see how close each call was. Default false. */
  logits?: boolean;
}

/** Histogram of relative errors: bin k is [edges[k], edges[k+1]). */
export interface Histogram {
  /**
   * Bin edges: 0, then 10^-8, 10^-7.75, ..., 1 (4 bins per decade), then Infinity. The first bin
   * holds errors below 1e-8 (exact results included), the last approximations off by 100 % or more.
   */
  readonly edges: readonly number[];
  /** Pairs per bin (edges.length - 1 entries). */
  counts: number[];
}

/** Relative error |approx - exact| / |exact| of products against exact fp32 products (NUMERICS.md 4). */
export interface ErrorStats {
  /** Pairs with a finite, nonzero exact product (the ones measured). */
  count: number;
  /** Pairs whose exact product is 0 (excluded from the statistics). */
  zeros: number;
  /** Pairs whose exact product is infinite or NaN (excluded). */
  nonfinite: number;
  /** Mean relative error (0 when count is 0). */
  mean: number;
  median: number;
  max: number;
  /** Mean signed relative error (approx - exact) / exact: positive when magnitudes come out too large. */
  bias: number;
  histogram: Histogram;
}

/** A layer that has products, as model.describe() lists it. */
export interface LayerInfo {
  /** Its position: the key of a plan's `layers` and of plan strings' `layerN`. */
  index: number;
  /**
   * PyTorch-style. MLPs: 'fc1', 'fc2', ... ViTs: 'patch_embed', then per block i
   * 'blocks.i.attn.qkv', 'blocks.i.attn.scores' (Q K^T), 'blocks.i.attn.mix' (softmax(S) V),
   * 'blocks.i.attn.proj', 'blocks.i.mlp.fc1', 'blocks.i.mlp.fc2', and 'head'.
   */
  name: string;
  /** 'attention' for scores and mix (an activation times an activation), else 'linear'. */
  kind: 'linear' | 'attention';
  /** Multiplications per forward pass of one input. */
  products: number;
}

/** Where the error of one prediction comes from, layer by layer. */
export interface LayerReport {
  name: string;
  kind: 'linear' | 'attention';
  /**
   * ||approx - exact|| / ||exact|| (L2) of this layer's output, against the exact network on the
   * same input: 0 when equal, Infinity when the exact output is zero and this one is not, or a
   * value is not finite.
   */
  activationError: number;
  /** This layer's products against exact fp32 products of the same operands. */
  products: ErrorStats;
}

/**
 * The class token's attention over the patches in one transformer block: its softmax weights
 * (under the plan's attention multiplier) on each patch token.
 */
export interface AttentionMap {
  /** Attention heads (4 for the shipped ViTs). */
  heads: number;
  /** Patch tokens, row by row over the image: 16 for 28 x 28 images in 7 x 7 patches (a 4 x 4 grid). */
  patches: number;
  /**
   * heads * patches weights, row-major: weights[h * patches + p] is head h's weight on patch p.
   * The class token's weight on itself is left out, so each head's row sums to at most 1 (1 minus
   * that weight).
   */
  weights: Float32Array;
}

export interface Prediction {
  /**
   * Index of the largest logit (the first one on ties), or null when the forward pass overflowed:
   * then `nonFinite` says where, and no digit is predicted (NUMERICS.md 3).
   */
  digit: number | null;
  /** Softmax of the logits. */
  probs: Float32Array;
  logits: Float32Array;
  /**
   * Statistics of every product of this forward pass against exact fp32; null with
   * `{ errors: false }` or when every product is exact under the plan.
   */
  errors: ErrorStats | null;
  /**
   * The same per kind of product: `linear` (weights times activations) and `attention` (Q K^T
   * and softmax(S) V). Null for a kind the model does not have (MLPs: attention), for a kind
   * whose products are all exact under the plan, and with `{ errors: false }`.
   */
  errorsByKind: { linear: ErrorStats | null; attention: ErrorStats | null };
  /** One entry per layer of describe() (empty when `errors` is null). */
  layers: LayerReport[];
  /** For a pass that overflowed: the first layer whose output held inf or NaN, and which logits are not finite. */
  nonFinite: { layer: number; name: string | null; logits: number[] } | null;
  /** With `{ attention: true }`: one map per block of a ViT, in forward order; [] for an MLP. */
  attention?: AttentionMap[];
}

export interface EvaluateResult {
  /** correct / total (0 when total is 0). */
  accuracy: number;
  correct: number;
  total: number;
  /** Wall-clock milliseconds of the whole evaluation. */
  ms: number;
  /** Forward passes that overflowed (inf or NaN logits); each counts as wrong. */
  nonFinite: number;
  /** The predicted class of every image, or 255 where the pass overflowed. */
  predictions: Uint8Array;
  /** With `{ logits: true }`: image k's logits at [k * outputSize, (k + 1) * outputSize). */
  logits?: Float32Array;
}

/** Called after every chunk with the number of images done so far. */
export type ProgressCallback = (done: number, total: number) => void;

/**
 * The multiplier a model was trained or fine-tuned with (its file's metadata keys method, E, M,
 * rounding, and plan when it was tuned for a plan).
 */
export interface TunedSetting {
  readonly method: Method;
  readonly E: number;
  readonly M: number;
  readonly rounding: Rounding;
  /** The plan (CLI grammar) it was tuned for, when not one multiplier everywhere. */
  readonly plan?: string;
}

/** How a model was trained (its file's metadata keys epochs, batch, lr, seed, train_images, holdout). */
export interface TrainingRecipe {
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly seed: number;
  readonly trainImages: number;
  /** The last N training images were kept out (0: none). */
  readonly holdout: number;
}

/**
 * What a model file says about itself, read by the core's one schema (the same code `lmul train`
 * writes it with), so a file dropped on a page and the same file from a list behave alike.
 */
export interface ModelMetadata {
  /** 'mlp' (files without an arch key) or 'vit' (a vision transformer). */
  readonly arch: 'mlp' | 'vit';
  /** The multiplier of the forward pass it was trained or fine-tuned with; null for ordinary (exact) training. */
  readonly tuned: TunedSetting | null;
  /** The file a fine-tune started from, as its metadata names it (`base_model`), or null. */
  readonly baseModel: string | null;
  /** `fnv1a64:` fingerprint of that base file, or null. */
  readonly baseFingerprint: string | null;
  readonly training: TrainingRecipe | null;
  /** The recipe in words, or null. */
  readonly recipe: string | null;
  /** Every `__metadata__` entry as written in the file (string values). */
  readonly raw: Readonly<Record<string, string>>;
  /**
   * Malformed groups of known keys (e.g. a `method` no multiplier has), left out of the fields
   * above and kept only in `raw`: why each was left out. Empty for files `lmul train` wrote.
   */
  readonly problems: readonly string[];
}

/**
 * A loaded model: a multilayer perceptron (Linear -> ReLU -> ... -> Linear, `metadata.arch`
 * 'mlp') or a vision transformer ('vit': 7 x 7 patches, a class token, pre-norm blocks of
 * multi-head attention and an MLP; models/README.md has the PyTorch module). Holds wasm memory: call
 * `dispose()` when done, or hold it with `using` (it has `[Symbol.dispose]`). A
 * FinalizationRegistry frees a forgotten model only when the JS engine happens to collect its
 * small wrapper, which wasm memory does not prompt: do not rely on it. Prepared weights are
 * cached per plan, least recently used first, within a byte budget (`prepared.budget`, 256 MiB;
 * a single copy larger than that is kept alone), so repeated calls are fast.
 */
export interface LMulModel {
  /**
   * MLPs: layer widths, input first, e.g. [784, 128, 10]. Other architectures (ViT): the input
   * and output sizes, [784, 10]; `describe()` lists their layers.
   */
  readonly layers: readonly number[];
  readonly inputSize: number;
  readonly outputSize: number;
  /** What the model file says about itself (its safetensors `__metadata__`). */
  readonly metadata: ModelMetadata;
  readonly disposed: boolean;
  /**
   * Bytes of prepared (quantized, packed) weights held for the plans used lately, how many plans,
   * and the budget they are kept within.
   */
  readonly prepared: { bytes: number; plans: number; budget: number };

  /** The layers that have products, in forward order (the numbering of plans). */
  describe(): readonly LayerInfo[];

  /**
   * One forward pass. `pixels`: `inputSize` finite values (MNIST models: 28 x 28 row-major,
   * 0 = background, 1 = ink, i.e. byte / 255).
   * @throws {TypeError} pixels is not a Float32Array, bad option types, or the model is disposed
   * @throws {RangeError} wrong length, a non-finite pixel, an option out of range, a plan
   *   that does not parse or names a layer the model does not have, error statistics that
   *   cannot fit in the 2 GiB wasm heap for a model this large (pass `{ errors: false }`), or
   *   out of memory (the message says how many models are alive)
   */
  predict(pixels: Float32Array, opts?: PredictOptions): Prediction;

  /**
   * Accuracy over `labels.length` images. Runs synchronously in chunks, calling onProgress
   * after each; in a page's main thread prefer evaluateAsync or a Worker.
   * @param images `labels.length * inputSize` bytes, pixel values 0..255 (scaled by 1/255 like MNIST)
   * @param labels class indices 0..outputSize-1
   */
  evaluate(images: Uint8Array | Uint8ClampedArray, labels: Uint8Array | Uint8ClampedArray,
    opts?: EvaluateOptions, onProgress?: ProgressCallback): EvaluateResult;

  /**
   * As evaluate, but yields to the event loop between chunks so the page stays responsive and
   * `opts.signal` can cancel it. The arrays are copied first.
   */
  evaluateAsync(images: Uint8Array | Uint8ClampedArray, labels: Uint8Array | Uint8ClampedArray,
    opts?: EvaluateOptions, onProgress?: ProgressCallback): Promise<EvaluateResult>;

  /** Frees the model. Idempotent; afterwards every method throws a TypeError. */
  dispose(): void;
}

/**
 * One instance of the WebAssembly module (its own memory). Never needs disposing itself.
 *
 * Typed arrays are recognised by their type, not `instanceof`: a Float32Array from another
 * realm (an iframe, a Node `vm` context) is fine. An array whose ArrayBuffer was detached
 * (transferred with postMessage or structuredClone) is refused with a TypeError naming the
 * function and the parameter.
 */
export interface LMul {
  readonly version: string;

  /**
   * a * b with the chosen multiplier. a and b are rounded to fp32 first (Math.fround), then
   * quantized to F(E, M) (except for 'exact'). Bit-identical to the native core.
   * @example lm.mul(1.5, 1.5, { M: 23 }) // 2.125 (exact: 2.25)
   */
  mul(a: number, b: number, opts?: MulOptions): number;

  /**
   * Element-wise a[i] * b[i] (SIMD); equal to mul() element by element.
   * @param out optional destination of the same length (may be a or b)
   * @returns out, or a new Float32Array
   */
  mulArray(a: Float32Array, b: Float32Array, opts?: MulOptions, out?: Float32Array): Float32Array;

  /** x rounded to fp32, then to F(E, M) with opts.rounding (opts.method is ignored). */
  quantize(x: number, opts?: MulOptions): number;

  /** Error statistics of every a[i] * b[i] under opts against exact fp32 products. */
  errorStats(a: Float32Array, b: Float32Array, opts?: MulOptions): ErrorStats;

  /**
   * A drawing -> the 28 x 28 MNIST-style model input: crop to the ink, fit 20 x 20 keeping the
   * aspect ratio (area-averaged), center the mass in 28 x 28.
   * @param gray width * height values in [0, 1], row-major, ink = 1, background = 0
   * @returns Float32Array(784), all zeros for a blank drawing
   */
  preprocess(gray: Float32Array, width: number, height: number): Float32Array;

  /**
   * Loads a model from a .safetensors file, the architecture chosen by its `__metadata__` key
   * `arch`. Absent or 'mlp': an MLP (fp32 tensors PREFIX<N>.weight [out, in] and PREFIX<N>.bias
   * [out], e.g. fc1.weight, fc1.bias, fc2.weight, ...). 'vit': a vision transformer (PyTorch
   * names patch_embed.weight, cls_token, pos_embed, blocks.0.attn.qkv.weight, ..., head.bias;
   * its size in the metadata keys image, patch, width, depth, heads, mlp_hidden, classes,
   * activation, norm_eps; every tensor's shape is checked against them), e.g. the package's
   * models/vit-p7-w48-d3.safetensors.
   * @throws {TypeError} bytes is not a Uint8Array / ArrayBuffer, or was transferred away (the promise rejects)
   * @throws {RangeError} malformed file, naming the tensor or field; a model too large for the
   *   2 GiB wasm heap, with the size it needs; out of memory, with how many models are alive
   *   (the promise rejects)
   */
  loadModel(bytes: ArrayBuffer | ArrayBufferView): Promise<LMulModel>;

  /** The seed MLP 784-128-10 shipped with the package (97.05 % on MNIST with exact fp32). */
  defaultModel(): Promise<LMulModel>;

  /**
   * Diagnostics: the size of the wasm memory (it grows up to 2 GiB, never shrinks), the bytes
   * malloc has currently handed out, and how many models of this instance are not disposed. They
   * stay flat over repeated calls of any API function; a call's scratch memory beyond 1 MiB is
   * given back after it.
   */
  memory(): { heapBytes: number; mallocBytes: number; liveModels: number };
}

export interface CreateLMulOptions {
  /** The bytes of lmul.wasm (skips fetching/reading it). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** A compiled lmul.wasm, e.g. posted to a Worker so it is not compiled twice. */
  wasmModule?: WebAssembly.Module;
  /**
   * Where lmul.wasm is: called as locateFile('lmul.wasm', defaultDirectoryUrl) and must return
   * a URL (in Node also a file path). Default: `new URL('../dist/lmul.wasm', import.meta.url)`
   * of the package, which Vite and webpack 5 resolve and emit by themselves.
   */
  locateFile?: (path: string, prefix: string) => string;
  /** Where defaultModel() loads the seed model from (URL, or in Node a file path). */
  defaultModelUrl?: string | URL;
  /**
   * One folder that holds the package's files as `dist/lmul.wasm` and `models/…` (a copy of
   * `node_modules/lmul-wasm/`), for bundlers that do not process `new URL(…, import.meta.url)`
   * (esbuild). A URL (relative to the page) or, in Node, a path. locateFile and defaultModelUrl
   * still take precedence for their own file.
   */
  assetsBase?: string | URL;
}

/**
 * Loads the WebAssembly module (SIMD; needs WebAssembly SIMD and exception handling: Chrome 95+,
 * Firefox 100+, Safari 16.4+, Node 18+). Each call makes an independent instance.
 * @throws {TypeError} bad options (the promise rejects)
 * @throws {Error} the module could not be fetched or instantiated
 */
export function createLMul(options?: CreateLMulOptions): Promise<LMul>;

export const VERSION: string;
export const METHODS: readonly Method[];
export const ROUNDINGS: readonly Rounding[];
export const DEFAULTS: Readonly<Required<MulOptions>>;
/** Named formats: fp32 (E8M23), bf16 (E8M7), fp16 (E5M10), e5m2, e4m3 (IEEE-style, max 240). */
export const FORMATS: Readonly<Record<'fp32' | 'bf16' | 'fp16' | 'e5m2' | 'e4m3', Readonly<{ E: number; M: number }>>>;
