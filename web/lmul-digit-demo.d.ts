// Types for 'lmul-wasm/demo': the <lmul-digit-demo> custom element and mountDemo().
// Reference (attributes, properties, methods, events, parts, CSS properties): the package README.
import type { LMul, Prediction, TunedSetting } from '../wasm/index.js';

/** One column's prediction: model.predict's result (the exact column has `errors: null`). */
export type DemoPrediction = Prediction;

export interface DemoPredictions {
  exact: DemoPrediction;
  float: DemoPrediction;
  lmul: DemoPrediction;
}

export interface DemoSettings {
  /** mantissa bits, 1..23 */
  M: number;
  /** exponent bits, 2..8 */
  E: number;
  rounding: 'nearest' | 'truncate';
  /** the L-Mul column's multiplier: 'adder' is method 'lmul', 'formula' is 'lmul-formula', 'mitchell' is 'mitchell' (the adder without the offset) */
  variant: 'adder' | 'formula' | 'mitchell';
}

export interface MountDemoOptions {
  /** mantissa bits, 1..23 (default 3) */
  m?: number;
  /** exponent bits, 2..8 (default 8) */
  e?: number;
  /** id of a model in the menu; a fine-tune sets E, M, variant and rounding to its tuned setting unless m or e is given */
  model?: string;
  /** URL of a model list ({ models: [{ id, name, src, group?, default? }] }); default: the package's models */
  models?: string;
  /** only the drawing pad, the controls and the three predictions */
  compact?: boolean;
  /** force a color scheme; default follows prefers-color-scheme */
  theme?: 'light' | 'dark';
  /** Ctrl/Cmd+Z undoes anywhere in the document, not only inside the element */
  globalShortcuts?: boolean;
  /** one folder holding a copy of the package's files (dist/, models/, wasm/, web/), for esbuild and copied deployments */
  assetsBase?: string;
  /** keep the state (model, plan, E, M, variant, rounding, input) in the page's URL fragment and offer "Copy link" */
  urlState?: boolean;
  /** an lmul-wasm instance to use (the page's own, so the .wasm is fetched once) */
  lm?: LMul;
}

/** Which layers use the approximate multiplier of the Float and L-Mul columns (the others are exact). */
export interface DemoPlan {
  /** the exact layers, as indices of model.describe() (empty: the approximate multiplier everywhere) */
  exact: number[];
  /** the L-Mul column's plan in the CLI's grammar (`lmul eval --plan`), e.g. 'lmul:E8M3:nearest,fc1=exact' */
  text: string;
}

/** what findDisagreements() resolves to */
export interface FindOutcome {
  /** from the start of the scan to the list on screen */
  seconds: number;
  /** the longest of the workers' passes over the test set (exact, L-Mul), in milliseconds */
  scanMs: number;
  /** test images whose L-Mul prediction differs from exact */
  flips: number;
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

/** detail of the `lmul-predict` event, dispatched after every prediction */
export interface DemoPredictDetail extends DemoPredictions {
  /** the 28x28 network input (a copy) */
  input: Float32Array;
  settings: DemoSettings;
}

/** detail of the `lmul-change` event, dispatched when the settings or the model change */
export interface DemoChangeDetail {
  settings: DemoSettings;
  plan: DemoPlan;
  model: {
    id: string;
    name: string;
    /** layer widths, input first */
    layers: number[];
    /** what a fine-tune was tuned for (from its file), with the matching L-Mul variant; else null */
    tuned: (TunedSetting & { variant: DemoSettings['variant'] }) | null;
  };
}

export declare class LMulDigitDemo extends HTMLElement {
  static readonly observedAttributes: string[];
  /** resolves once the WebAssembly module and the first model are ready; rejects when the demo cannot start */
  readonly ready: Promise<void>;
  /** mantissa bits (attribute m, reflected); 1..23, other values throw a RangeError */
  m: number;
  /** exponent bits (attribute e, reflected); 2..8 */
  e: number;
  /** id of the current model (attribute model, reflected); null before a model is chosen */
  model: string | null;
  /** URL of the model list (attribute models); null: the package's models */
  models: string | null;
  /** attribute compact */
  compact: boolean;
  /** attribute theme (reflected); null follows the system */
  theme: 'light' | 'dark' | null;
  /** attribute global-shortcuts */
  globalShortcuts: boolean;
  /** attribute assets-base */
  assetsBase: string | null;
  /** attribute url-state */
  urlState: boolean;
  /** the lmul-wasm instance in use; set one to share it (not an attribute) */
  lm: LMul | null;
  /** the last 28x28 network input (row-major, [0, 1]), or null when the pad is empty */
  readonly input: Float32Array | null;
  /** the last predictions, or null (empty pad, or the last predict failed) */
  readonly predictions: DemoPredictions | null;
  readonly settings: DemoSettings;
  /** the plan: which layers multiply exactly */
  readonly plan: DemoPlan;
  clear(): void;
  undo(): boolean;
  /** puts MNIST test image `index` (0..9999) on the pad */
  showTestImage(index: number): Promise<{ index: number; label: number }>;
  /**
   * puts a random MNIST test image on the pad; with a label 0..9, a random image of that digit.
   * With `sample: true` it is one of the first 256 test images (a 37 KB file instead of the
   * 1.4 MB test set) unless the whole set is loaded already: what the demo page opens on.
   */
  showRandomTestImage(label?: number | null, options?: { sample?: boolean }): Promise<{ index: number; label: number }>;
  /**
   * runs the test-set sweep on the first n test images (default 10000); for a fine-tune whose
   * base model is in the menu it also sweeps the base. Resolves to null when a sweep is already
   * running; rejects (and shows why) when it fails.
   */
  runSweep(n?: number): Promise<SweepOutcome | null>;
  /** stops a running sweep after its current chunk; runSweep then resolves with cancelled: true */
  cancelSweep(): void;
  /**
   * scans all test images for those where L-Mul (current model, plan and settings) disagrees with
   * exact, and lists them ("Find disagreements"); resolves to null when a newer scan took over
   */
  findDisagreements(): Promise<FindOutcome | null>;
  /** the lmul-wasm instance's memory diagnostics (lm.memory()), null while not started */
  memory(): { heapBytes: number; mallocBytes: number; liveModels: number } | null;
  /**
   * loads a .safetensors model (784 inputs, 10 outputs) as "Load .safetensors…" does: on failure
   * the element shows the error and keeps its model; resolves to whether the model was loaded
   */
  loadModelFile(file: File): Promise<boolean>;
  connectedCallback(): void;
  disconnectedCallback(): void;
  attributeChangedCallback(name: string, old: string | null, value: string | null): void;
}

export declare const PRESETS: Readonly<Record<string, Readonly<{ label: string; E?: number; M?: number }>>>;
export declare function presetFor(E: number, M: number): string;
export declare function mountDemo(element: Element, options?: MountDemoOptions): LMulDigitDemo;

declare global {
  interface HTMLElementTagNameMap {
    'lmul-digit-demo': LMulDigitDemo;
  }
  // Both events bubble and are composed: they reach the document and the window too.
  interface HTMLElementEventMap {
    'lmul-predict': CustomEvent<DemoPredictDetail>;
    'lmul-change': CustomEvent<DemoChangeDetail>;
  }
  interface DocumentEventMap {
    'lmul-predict': CustomEvent<DemoPredictDetail>;
    'lmul-change': CustomEvent<DemoChangeDetail>;
  }
  interface WindowEventMap {
    'lmul-predict': CustomEvent<DemoPredictDetail>;
    'lmul-change': CustomEvent<DemoChangeDetail>;
  }
}
