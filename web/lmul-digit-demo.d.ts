// Types for 'lmul-wasm/demo': the <lmul-digit-demo> custom element and mountDemo().

export interface DemoPrediction {
  digit: number;
  probs: Float32Array | number[];
  logits: Float32Array | number[];
  errors: {
    count: number;
    zeros: number;
    mean: number;
    median: number;
    max: number;
    bias: number;
    histogram: { edges: ArrayLike<number>; counts: ArrayLike<number> };
  };
}

export interface DemoSettings {
  /** mantissa bits, 1..23 */
  M: number;
  /** exponent bits, 2..8 */
  E: number;
  rounding: 'nearest' | 'truncate';
  variant: 'adder' | 'formula';
}

export interface MountDemoOptions {
  /** initial mantissa bits (default 3) */
  m?: number;
  /** initial exponent bits (default 8) */
  e?: number;
  /** id of a model in the manifest */
  model?: string;
  /**
   * URL of a models manifest ({ models: [{ id, name, src, finetuned? }] }); default: the
   * package's web/models.json. finetuned: { base, method, E, M, rounding } of an L-Mul-aware fine-tune.
   */
  models?: string;
  /** only the drawing pad, the controls and the three predictions */
  compact?: boolean;
  /** force a color scheme; default follows prefers-color-scheme */
  theme?: 'light' | 'dark';
  /** Ctrl/Cmd+Z undoes anywhere in the document, not only inside the element */
  globalShortcuts?: boolean;
}

export interface SweepOutcome {
  cancelled: boolean;
  seconds: number;
  /** index i is M = i + 1; for a fine-tuned model also its base model's exact and L-Mul accuracy */
  accuracy: {
    exact: number | null;
    float: (number | null)[];
    lmul: (number | null)[];
    baseExact: number | null;
    base: (number | null)[];
  };
}

export declare class LMulDigitDemo extends HTMLElement {
  /** resolves once the WebAssembly module and the first model are ready */
  readonly ready: Promise<void>;
  /** the last 28x28 network input (row-major, [0, 1]), or null when the pad is empty */
  readonly input: Float32Array | null;
  readonly predictions: { exact: DemoPrediction; float: DemoPrediction; lmul: DemoPrediction } | null;
  readonly settings: DemoSettings;
  clear(): void;
  undo(): boolean;
  /** puts MNIST test image `index` (0..9999) on the pad */
  showTestImage(index: number): Promise<{ index: number; label: number }>;
  /**
   * runs the test-set sweep on the first n test images (default 10000); for a fine-tuned model
   * of the manifest it also sweeps the model's base
   */
  runSweep(n?: number): Promise<SweepOutcome | null>;
  /** the page's lmul-wasm memory diagnostics (lm.memory()), null before the module is ready */
  memory(): { heapBytes: number; mallocBytes: number; valHandles: number } | null;
  /**
   * loads a .safetensors model (784 inputs, 10 outputs) as "Load .safetensors…" does: on failure
   * the element shows the error and keeps its model; resolves to whether the model was loaded
   */
  loadModelFile(file: File): Promise<boolean>;
}

export declare const PRESETS: Record<string, { label: string; E?: number; M?: number }>;
export declare function presetFor(E: number, M: number): string;
export declare function mountDemo(element: Element, options?: MountDemoOptions): LMulDigitDemo;

declare global {
  interface HTMLElementTagNameMap {
    'lmul-digit-demo': LMulDigitDemo;
  }
  interface HTMLElementEventMap {
    'lmul-predict': CustomEvent<{
      input: Float32Array;
      exact: DemoPrediction;
      float: DemoPrediction;
      lmul: DemoPrediction;
      settings: DemoSettings;
    }>;
  }
}
