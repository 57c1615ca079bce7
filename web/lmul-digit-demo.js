// <lmul-digit-demo>: draw a digit, change the mantissa width M, and watch an exact fp32
// network, the same network with M-bit floating-point multiplications, and with L-Mul
// ("multiplication by addition") disagree. Uses only the public API of lmul-wasm.
//
//   import { mountDemo } from 'lmul-wasm/demo';     // also defines <lmul-digit-demo>
//   mountDemo(document.querySelector('#here'), { m: 3, compact: false });
//
// Attributes: m (1..23, default 3), e (2..8, default 8), model (an id of the manifest; a
// fine-tune sets the controls to its tuned format unless m or e is given),
// models (manifest URL, default ./models.json next to this file), compact (only the drawing,
// the controls and the three predictions), theme ("light" | "dark"; default: the system's),
// global-shortcuts (Ctrl/Cmd+Z anywhere in the document, for full-page use).
// Properties: input (last network input, Float32Array(784) or null), predictions, settings,
// ready (Promise). Methods: clear(), undo(), showTestImage(index), runSweep(n), memory().
// Models: pick one from the manifest, load a .safetensors file with the button, or drop one on
// the element. Manifest entries with `finetuned: { base, method, E, M, rounding }` are L-Mul-aware
// fine-tunes: choosing one sets the controls to that setting, and the sweep also runs the base.
// Event: "lmul-predict" (detail: { input, exact, float, lmul, settings }).
import { createLMul } from '../wasm/index.js';
import { DrawingPad, RASTER_SIZE } from './drawing.js';
import { loadMnist } from './mnist.js';
import { energyPerInference, PJ } from './energy.js';
import { SweepRunner } from './sweep.js';
import { histogramChart, histogramData, logitChart, logitData, sweepChart } from './charts.js';
import { STYLES } from './styles.js';

export const PRESETS = {
  e8: { label: 'E8 · M from the slider', E: 8 },
  bf16: { label: 'bf16 (E8M7)', E: 8, M: 7 },
  fp16: { label: 'fp16 (E5M10)', E: 5, M: 10 },
  e4m3: { label: 'E4M3 (IEEE-style, max 240)', E: 4, M: 3 },
  e5m2: { label: 'E5M2', E: 5, M: 2 },
  custom: { label: 'Custom E and M' },
};
export function presetFor(E, M) {
  for (const [id, p] of Object.entries(PRESETS)) if (p.M !== undefined && p.E === E && p.M === M) return id;
  return E === 8 ? 'e8' : 'custom';
}

const SWEEP_MS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const DEFAULT_MANIFEST = new URL('./models.json', import.meta.url);

let lmPromise = null;
const getLMul = () => (lmPromise ??= createLMul());

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (v, digits = 2) => `${(v * 100).toFixed(digits)} %`;
function relErr(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1e-3 ? `${(a * 100).toPrecision(3)} %` : a.toExponential(2);
  return v < 0 ? `−${s}` : s;
}
const signed = (v) => (v > 0 ? '+' : '') + relErr(v);
const int = (v) => Number(v).toLocaleString('en-US');

const bars = (id) => `<ol class="bars" id="${id}-bars" aria-label="Probabilities of the ten digits">${Array.from(
  { length: 10 },
  (_, k) => `<li><span>${k}</span><span class="track"><span class="fill"></span></span><span class="v">0.00</span></li>`,
).join('')}</ol>`;

const column = (method, title, testid) => `
  <article class="card col" data-method="${method}" data-blank="true" aria-labelledby="${method}-title">
    <h3 id="${method}-title"><b>${title}</b><span class="fmt"></span></h3>
    <div class="verdict">
      <output class="digit" data-testid="${testid}">–</output>
      <span class="conf"></span>
      <span class="mark" hidden title="This column predicts a different digit than exact fp32">≠ exact</span>
    </div>
    ${bars(method)}
  </article>`;

// The sweep table's head and body. compare (a fine-tune against its base): { tunedM } or null.
const TUNED_TAG = '<span class="tag" title="The M this model was fine-tuned for">tuned</span>';
function sweepTableBody(compare) {
  const cols = compare
    ? [['f', 'Float'], ['b', 'L-Mul base'], ['l', 'L-Mul tuned'], ['g', 'Tuned − base', 'Fine-tuned L-Mul accuracy minus the base model’s, in percentage points']]
    : [['f', 'Float'], ['l', 'L-Mul'], ['d', 'L-Mul − Float', 'L-Mul accuracy minus Float accuracy, in percentage points']];
  const head = cols.map(([, t, title]) => `<th scope="col"${title ? ` title="${title}"` : ''}>${t}</th>`).join('');
  const rows = SWEEP_MS.map((m) => {
    const tuned = compare?.tunedM === m;
    return `<tr data-m="${m}"${tuned ? ' class="tuned"' : ''}><th scope="row">${m}${tuned ? ` ${TUNED_TAG}` : ''}</th>${cols.map(([c]) => `<td class="${c}">—</td>`).join('')}</tr>`;
  }).join('');
  return `<thead><tr><th scope="col">M</th>${head}</tr></thead><tbody>${rows}</tbody>`;
}
const METHOD_NAME = { lmul: 'L-Mul (adder)', 'lmul-formula': 'L-Mul (formula)' };
const variantOf = (method) => (method === 'lmul-formula' ? 'formula' : 'adder');
const lmulMethod = (variant) => (variant === 'formula' ? 'lmul-formula' : 'lmul');
const pts = (d) => `${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(2)}`;

const TEMPLATE = `
<div class="lmd" part="root">
  <section class="card ctl-main" aria-label="Mantissa width and format">
    <div class="ctl ctl-m">
      <label for="m">Mantissa bits M</label>
      <div class="m-row">
        <input id="m" type="range" min="1" max="23" step="1" value="3" data-testid="m-slider" aria-describedby="m-out">
        <output id="m-out" for="m">E8M3</output>
      </div>
    </div>
    <div class="ctl">
      <label for="preset">Format preset</label>
      <select id="preset" data-testid="method-preset">
        ${Object.entries(PRESETS).map(([id, p]) => `<option value="${id}">${esc(p.label)}</option>`).join('')}
      </select>
    </div>
  </section>

  <section class="card ctl-more" aria-label="Arithmetic and model">
    <div class="ctl">
      <label for="e">Exponent bits E</label>
      <select id="e">${[8, 7, 6, 5, 4, 3, 2].map((e) => `<option value="${e}">${e}</option>`).join('')}</select>
    </div>
    <fieldset class="ctl">
      <legend>L-Mul variant</legend>
      <div>
        <label><input type="radio" name="variant" value="adder" checked>adder</label>
        <label><input type="radio" name="variant" value="formula">formula</label>
      </div>
    </fieldset>
    <fieldset class="ctl">
      <legend>Operand rounding</legend>
      <div>
        <label><input type="radio" name="rounding" value="nearest" checked>nearest</label>
        <label><input type="radio" name="rounding" value="truncate">truncate</label>
      </div>
    </fieldset>
    <div class="ctl ctl-model">
      <label for="model">Model</label>
      <div class="model-row">
        <select id="model" data-testid="model-select"></select>
        <button type="button" id="load-model" data-testid="load-model">Load .safetensors…</button>
        <input type="file" id="model-file" accept=".safetensors,application/octet-stream" hidden data-testid="model-file">
      </div>
      <p class="model-note" id="model-note" data-testid="model-note" data-state="none" hidden></p>
    </div>
    <p class="alert" role="alert" id="error" data-testid="error" hidden></p>
    <p class="small muted drop-tip">Or drop a .safetensors file anywhere on the demo.</p>
  </section>
  <div class="drop-veil" aria-hidden="true"><span>Drop a .safetensors model to load it</span></div>

  <section class="card pad" aria-label="Drawing">
    <div class="pad-wrap">
      <canvas class="draw" data-testid="draw-canvas" tabindex="0" role="img"
        aria-label="Drawing area. Draw a digit with mouse, pen or finger. Keyboard: use Random test digit; Ctrl+Z undoes."></canvas>
      <div class="pad-hint" id="hint">Draw a digit here</div>
    </div>
    <div class="pad-buttons">
      <button type="button" id="clear" data-testid="clear">Clear</button>
      <button type="button" id="undo" data-testid="undo" aria-keyshortcuts="Control+Z Meta+Z" disabled>Undo</button>
      <button type="button" id="random" data-testid="random-digit">Random test digit</button>
    </div>
    <div class="preview-row">
      <canvas class="preview" width="28" height="28" data-testid="input-preview" role="img" aria-label="The 28 by 28 network input"></canvas>
      <p class="preview-caption" id="preview-caption">Network input, 28×28: cropped, fit to 20×20, centered by mass, like MNIST.</p>
    </div>
  </section>

  <section class="preds" aria-label="Predictions">
    <p class="status" id="status" role="status">Loading the WebAssembly module…</p>
    ${column('exact', 'Exact fp32', 'pred-exact')}
    ${column('float', 'Float', 'pred-float')}
    ${column('lmul', 'L-Mul', 'pred-lmul')}
    <div class="card logits">
      <div class="chart-title"><h3 id="logit-title">Logit difference to exact, per class</h3>
        <span class="legend"><span class="f">Float − exact</span><span class="l">L-Mul − exact</span></span></div>
      <div class="chart" id="logit-chart" role="img" aria-labelledby="logit-title" data-testid="logit-chart"></div>
    </div>
  </section>
  <p class="sr-only" aria-live="polite" id="live"></p>

  <section class="card errors" aria-labelledby="errors-title">
    <h2 id="errors-title">Error of every multiplication in this forward pass</h2>
    <p class="muted small">Relative error |approx − exact| / |exact| of each product W·x against fp32, log-scale bins.
      Leftmost bar: below 10⁻⁸ (mostly exact); rightmost: off by 100 % or more. Products with an exact zero are counted separately.</p>
    <div class="errors-grid">
      <div class="hist float" data-testid="hist-float" data-count="0">
        <div class="chart-title"><h3 id="hist-float-title">Float</h3><span class="small muted" id="hist-float-note"></span></div>
        <div class="chart-box"><div class="chart" id="hist-float-chart" role="img" aria-labelledby="hist-float-title"></div>
          <p class="hist-empty" data-testid="hist-float-empty">No products to show yet: draw a digit (or pick a random test digit) and every multiplication of its forward pass lands here.</p></div>
        <dl class="stats" id="hist-float-stats"></dl>
      </div>
      <div class="hist lmul" data-testid="hist-lmul" data-count="0">
        <div class="chart-title"><h3 id="hist-lmul-title">L-Mul</h3><span class="small muted" id="hist-lmul-note"></span></div>
        <div class="chart-box"><div class="chart" id="hist-lmul-chart" role="img" aria-labelledby="hist-lmul-title"></div>
          <p class="hist-empty" data-testid="hist-lmul-empty">No products to show yet: draw a digit (or pick a random test digit) and every multiplication of its forward pass lands here.</p></div>
        <dl class="stats" id="hist-lmul-stats"></dl>
      </div>
    </div>
  </section>

  <section class="card energy" aria-labelledby="energy-title">
    <h2 id="energy-title">Energy per inference (estimate)</h2>
    <div class="energy-grid">
      <div><div class="small muted">Exact fp32</div><div class="energy-figure exact" id="energy-exact" data-testid="energy-exact">–</div></div>
      <div><div class="small muted">L-Mul</div><div class="energy-figure lmul" id="energy-lmul" data-testid="energy-lmul">–</div></div>
    </div>
    <code class="formula" id="energy-formula"></code>
    <p class="small muted">Per-operation energies at 45 nm as used by the L-Mul paper: fp32 multiply ${PJ.fp32Mul} pJ,
      fp32 add ${PJ.fp32Add} pJ, int32 add ${PJ.int32Add} pJ. L-Mul replaces each multiplication by one integer addition;
      accumulation stays fp32. Dense forward pass; activations, memory traffic and M-bit hardware are not modelled.</p>
  </section>

  <section class="card sweep" aria-labelledby="sweep-title">
    <h2 id="sweep-title">Test-set sweep</h2>
    <p class="small muted">Accuracy on the MNIST test images: exact fp32, then Float and L-Mul at M = 1…10 with the
      current E, rounding, L-Mul variant and model. Runs in Web Workers; the page stays responsive.</p>
    <div class="sweep-bar">
      <label>Images <select id="sweep-n" data-testid="sweep-n">
        <option value="1000">1000</option><option value="10000" selected>10000 (all)</option></select></label>
      <button type="button" class="primary" id="sweep-start" data-testid="sweep-start">Run sweep</button>
      <button type="button" id="sweep-cancel" data-testid="sweep-cancel" disabled>Cancel</button>
      <progress id="sweep-progress" data-testid="sweep-progress" max="1" value="0" aria-label="Sweep progress"></progress>
      <span class="sweep-status" id="sweep-status" role="status"></span>
    </div>
    <p class="sweep-compare" id="sweep-compare" data-testid="sweep-compare" hidden></p>
    <div class="sweep-grid">
      <div class="chart" id="sweep-chart" role="img" aria-label="Accuracy against M; the table has the same numbers"></div>
      <table data-testid="sweep-table" id="sweep-table" data-state="empty">
        <caption id="sweep-caption">Run the sweep to fill this table.</caption>
        ${sweepTableBody(null)}
      </table>
    </div>
  </section>

  <section class="card explainer" aria-labelledby="explain-title">
    <h2 id="explain-title">What am I looking at?</h2>
    <p>A floating-point number is (1 + m)·2<sup>e</sup> with a mantissa fraction m in [0, 1). Multiplying two of them
      multiplies the mantissas, which is the expensive part of the circuit. <strong>L-Mul</strong> drops the product
      term m<sub>x</sub>·m<sub>y</sub> and adds a small constant instead, so the whole multiplication becomes additions
      — with IEEE bit patterns, a single integer addition of the two numbers.</p>
    <code class="formula">exact:  (1 + xm)(1 + ym) · 2^(xe+ye) = (1 + xm + ym + xm·ym) · 2^(xe+ye)
L-Mul:  (1 + xm + ym + 2^-l(M)) · 2^(xe+ye)
        l(M) = M if M ≤ 3,  3 if M = 4,  4 if M > 4</code>
    <p>The three columns run the same trained network on the same input: <em>Exact fp32</em> multiplies normally;
      <em>Float</em> rounds both operands to a format with E exponent and M mantissa bits and rounds each product back
      (ordinary low-precision arithmetic, like bf16 or fp8); <em>L-Mul</em> rounds the operands the same way and
      multiplies by addition. Sums are always fp32. Slide M down and watch where the approximate columns start to
      disagree with exact, and how L-Mul's error compares with Float's at the same M.</p>
    <p class="small muted">Source: <cite>Hongyin Luo and Wei Sun, “Addition is All You Need for Energy-efficient
      Language Models”, arXiv:2410.00907, 2024.</cite></p>
  </section>
</div>`;

class LMulDigitDemo extends HTMLElement {
  static get observedAttributes() {
    return ['m', 'e', 'theme'];
  }

  #root;
  #$ = {};
  #pad = null;
  #lm = null;
  #model = null; // { entry, handle, bytes }
  #entries = [];
  #settings = { M: 3, E: 8, rounding: 'nearest', variant: 'adder' };
  #raf = 0;
  #announceTimer = 0;
  #charts = null;
  #sweep = null;
  #dataset = null;
  #input = null;
  #predictions = null;
  #initialized = false;
  #readyResolve;
  #onDocKey = (e) => this.#onKey(e);
  #schemeQuery = null;
  #onScheme = () => this.#retheme();

  constructor() {
    super();
    this.ready = new Promise((r) => (this.#readyResolve = r));
  }

  get input() {
    return this.#input ? Float32Array.from(this.#input) : null;
  }
  get predictions() {
    return this.#predictions;
  }
  get settings() {
    return { ...this.#settings };
  }
  // Diagnostics: the page's lmul-wasm memory (lm.memory()), null before the module is ready.
  memory() {
    return this.#lm?.memory() ?? null;
  }

  // The same as picking the file with "Load .safetensors…": on failure the element shows the
  // error and keeps its model. Resolves to whether the model was loaded.
  async loadModelFile(file) {
    if (!(file instanceof Blob) || typeof file.name !== 'string')
      throw new TypeError(`loadModelFile: file must be a File (from an <input type=file> or a drop), got ${file === null ? 'null' : typeof file}`);
    await this.ready;
    return this.#loadFile(file);
  }

  connectedCallback() {
    if (!this.#root) this.#build();
    if (this.hasAttribute('global-shortcuts')) document.addEventListener('keydown', this.#onDocKey);
    this.#schemeQuery = matchMedia('(prefers-color-scheme: dark)');
    this.#schemeQuery.addEventListener('change', this.#onScheme);
    if (!this.#initialized) {
      this.#initialized = true;
      this.#init().catch((err) => this.#fatal(err));
    }
  }

  disconnectedCallback() {
    document.removeEventListener('keydown', this.#onDocKey);
    this.#schemeQuery?.removeEventListener('change', this.#onScheme);
    cancelAnimationFrame(this.#raf);
    this.#raf = 0;
    this.#sweep?.terminate();
    this.#sweep = null;
  }

  attributeChangedCallback(name, _old, value) {
    if (!this.#root) return;
    if (name === 'theme') this.#retheme();
    if (name === 'm' && value !== null) this.#setFormat(this.#settings.E, Number(value));
    if (name === 'e' && value !== null) this.#setFormat(Number(value), this.#settings.M);
  }

  // ---- construction ----------------------------------------------------------------------
  #build() {
    this.#root = this.attachShadow({ mode: 'open' });
    this.#root.innerHTML = `<style>${STYLES}</style>${TEMPLATE}`;
    const q = (sel) => this.#root.querySelector(sel);
    const $ = this.#$;
    for (const id of ['m', 'm-out', 'preset', 'e', 'model', 'load-model', 'model-file', 'error', 'hint', 'clear', 'undo',
      'random', 'preview-caption', 'status', 'live', 'hist-float-note', 'hist-lmul-note', 'hist-float-stats', 'hist-lmul-stats',
      'hist-float-title', 'hist-lmul-title', 'energy-exact', 'energy-lmul', 'energy-formula', 'sweep-n', 'sweep-start',
      'sweep-cancel', 'sweep-progress', 'sweep-status', 'sweep-table', 'sweep-caption', 'model-note', 'sweep-compare'])
      $[id] = q(`#${id}`);
    $.canvas = q('canvas.draw');
    $.preview = q('canvas.preview');
    $.cols = {};
    for (const method of ['exact', 'float', 'lmul']) {
      const el = q(`.col[data-method="${method}"]`);
      $.cols[method] = {
        el,
        fmt: el.querySelector('.fmt'),
        digit: el.querySelector('.digit'),
        conf: el.querySelector('.conf'),
        mark: el.querySelector('.mark'),
        rows: [...el.querySelectorAll('.bars li')],
        fills: [...el.querySelectorAll('.bars .fill')],
        vals: [...el.querySelectorAll('.bars .v')],
      };
    }
    $.root = q('.lmd');
    $.histFloat = q('[data-testid="hist-float"]');
    $.histLmul = q('[data-testid="hist-lmul"]');

    const M = clampInt(this.getAttribute('m'), 1, 23, 3);
    const E = clampInt(this.getAttribute('e'), 2, 8, 8);
    this.#settings.M = M;
    this.#settings.E = E;
    this.#syncControls();

    this.#pad = new DrawingPad($.canvas, { colors: () => this.#inkColors() });
    this.#pad.addEventListener('change', (e) => {
      this.#schedule();
      if (e.detail.final) this.#scheduleAnnounce();
    });

    $.m.addEventListener('input', () => this.#setFormat(this.#settings.E, Number($.m.value)));
    $.e.addEventListener('change', () => this.#setFormat(Number($.e.value), this.#settings.M));
    $.preset.addEventListener('change', () => {
      const p = PRESETS[$.preset.value];
      if (p.E !== undefined) this.#setFormat(p.E, p.M ?? this.#settings.M);
      else $.e.focus();
    });
    for (const r of this.#root.querySelectorAll('input[name="variant"], input[name="rounding"]'))
      r.addEventListener('change', () => {
        this.#settings[r.name] = r.value;
        this.#syncControls();
        this.#schedule();
        this.#scheduleAnnounce();
      });
    $.clear.addEventListener('click', () => this.clear());
    $.undo.addEventListener('click', () => this.undo());
    $.random.addEventListener('click', () => this.#randomDigit());
    $.model.addEventListener('change', () => this.#selectModel($.model.value, { tune: true }));
    // Both notes about a fine-tune may offer "Back to its tuned setting".
    for (const note of [$['model-note'], $['sweep-compare']])
      note.addEventListener('click', (e) => {
        if (e.target.closest('button[data-action="tune"]')) this.#applyTuned();
      });
    this.#listenForDrops();
    $.loadModel = $['load-model'];
    $.loadModel.addEventListener('click', () => $['model-file'].click());
    $['model-file'].addEventListener('change', () => {
      const file = $['model-file'].files?.[0];
      $['model-file'].value = '';
      if (file) this.#loadFile(file);
    });
    $['sweep-start'].addEventListener('click', () => this.runSweep(Number($['sweep-n'].value)));
    $['sweep-cancel'].addEventListener('click', () => this.#sweep?.cancel());
    this.#root.addEventListener('keydown', (e) => {
      if (!this.hasAttribute('global-shortcuts')) this.#onKey(e);
    });
  }

  #inkColors() {
    const cs = getComputedStyle(this);
    return { ink: cs.getPropertyValue('--lmd-ink').trim() || '#000', paper: cs.getPropertyValue('--lmd-paper').trim() || '#fff' };
  }

  #onKey(e) {
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      this.undo();
    }
  }

  async #init() {
    const lm = await getLMul();
    this.#lm = lm;
    this.#entries = await this.#readManifest();
    const wanted = this.getAttribute('model');
    const first = this.#entries.find((m) => m.id === wanted) ?? this.#entries.find((m) => m.default) ?? this.#entries[0];
    this.#renderModelOptions(first.id);
    await this.#selectModel(first.id, { tune: !this.hasAttribute('m') && !this.hasAttribute('e') });
    // After the first model: its successful load clears the alert, and this must stay visible.
    if (this.#manifestError) this.#showError(this.#manifestError);
    this.#charts = {
      float: histogramChart(this.#root.querySelector('#hist-float-chart'), this, 'float'),
      lmul: histogramChart(this.#root.querySelector('#hist-lmul-chart'), this, 'lmul'),
      logit: logitChart(this.#root.querySelector('#logit-chart'), this),
      sweep: sweepChart(this.#root.querySelector('#sweep-chart'), this, SWEEP_MS),
    };
    this.#$.status.hidden = true;
    this.#schedule();
    this.#readyResolve();
  }

  #manifestError = '';
  async #readManifest() {
    const url = this.getAttribute('models') ? new URL(this.getAttribute('models'), document.baseURI) : DEFAULT_MANIFEST;
    const fallback = [{ id: 'default', name: 'Package default model', src: 'package:default', default: true }];
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const json = await res.json();
      const list = (json.models ?? []).filter((m) => m && m.id && m.name && m.src);
      if (!list.length) throw new Error('no models listed');
      return list.map((m) => ({ ...m, url: m.src === 'package:default' ? null : new URL(m.src, url) }));
    } catch (err) {
      if (this.getAttribute('models')) this.#manifestError = `Could not read the model list ${url}: ${err.message}. Using the package's default model.`;
      return fallback;
    }
  }

  #renderModelOptions(selectedId) {
    const option = (m) => `<option value="${esc(m.id)}"${m.id === selectedId ? ' selected' : ''}>${esc(m.name)}</option>`;
    const groups = [
      ['Trained with exact math', this.#entries.filter((m) => !m.finetuned && !m.bytes)],
      ['L-Mul-aware fine-tunes', this.#entries.filter((m) => m.finetuned && !m.bytes)],
      ['From a file', this.#entries.filter((m) => m.bytes)],
    ].filter(([, list]) => list.length);
    // One plain list when there is nothing to group.
    this.#$.model.innerHTML = groups.length === 1
      ? groups[0][1].map(option).join('')
      : groups.map(([label, list]) => `<optgroup label="${esc(label)}">${list.map(option).join('')}</optgroup>`).join('');
  }

  // ---- fine-tuned models -----------------------------------------------------------------
  // The manifest's `finetuned` of the current model, with its base entry (null if not listed).
  #tuning() {
    const ft = this.#model?.entry.finetuned;
    if (!ft) return null;
    return { ...ft, variant: variantOf(ft.method), baseEntry: this.#entries.find((m) => m.id === ft.base && !m.finetuned) ?? null };
  }

  #atTuned(t, s = this.#settings) {
    return s.E === t.E && s.M === t.M && s.rounding === t.rounding && s.variant === t.variant;
  }

  #applyTuned() {
    const t = this.#tuning();
    if (!t) return;
    this.#settings.variant = t.variant;
    this.#settings.rounding = t.rounding;
    this.#setFormat(t.E, t.M);
  }

  #renderModelNote() {
    const note = this.#$['model-note'];
    const t = this.#tuning();
    if (!t) {
      note.hidden = true;
      note.dataset.state = 'none';
      note.textContent = '';
      return;
    }
    const s = this.#settings;
    const tuned = `${METHOD_NAME[t.method] ?? t.method} E${t.E}M${t.M}, ${t.rounding} rounding`;
    const base = t.baseEntry
      ? `The sweep also runs its base model, “${esc(t.baseEntry.name)}”, for comparison.`
      : `Its base model (“${esc(t.base)}”) is not in the model list, so the sweep shows this model alone.`;
    if (this.#atTuned(t)) {
      note.dataset.state = 'tuned';
      note.innerHTML = `<strong>Fine-tuned for ${tuned}</strong>; the controls are set to that. ${base}`;
    } else {
      note.dataset.state = 'away';
      note.innerHTML = `<strong>Away from its tuned setting:</strong> fine-tuned for ${tuned}, now used at ` +
        `E${s.E}M${s.M}, L-Mul ${s.variant}, ${s.rounding}. <button type="button" class="link" data-action="tune">Back to E${t.E}M${t.M}</button>`;
    }
    note.hidden = false;
  }

  // ---- dropping a model file on the element --------------------------------------------------
  #listenForDrops() {
    const root = this.#$.root;
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    const veil = (on) => root.classList.toggle('dropping', on);
    root.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      ++depth;
      veil(true);
    });
    root.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault(); // accept the drop (and keep the browser from opening the file)
      e.dataTransfer.dropEffect = 'copy';
    });
    root.addEventListener('dragleave', (e) => {
      if (!hasFiles(e)) return;
      if (--depth <= 0) {
        depth = 0;
        veil(false);
      }
    });
    root.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      veil(false);
      const files = [...(e.dataTransfer.files ?? [])];
      if (files.length !== 1) {
        this.#showError(`Drop one .safetensors file at a time (got ${files.length} files). The current model stays active.`);
        return;
      }
      this.#loadFile(files[0]);
    });
  }

  #fatal(err) {
    console.error(err);
    this.#$.status.hidden = false;
    this.#$.status.textContent = `The demo could not start: ${err.message ?? err}`;
    this.#readyResolve();
  }

  #showError(message) {
    const el = this.#$.error;
    el.textContent = message;
    el.hidden = !message;
  }

  // ---- models ----------------------------------------------------------------------------
  #selection = 0;

  async #selectModel(id, { tune = false } = {}) {
    const entry = this.#entries.find((m) => m.id === id);
    if (!entry) return;
    if (this.#model?.entry === entry) return;
    const selection = ++this.#selection; // a later choice wins over a slower earlier load
    try {
      const bytes = await this.#entryBytes(entry);
      const handle = bytes ? await this.#lm.loadModel(new Uint8Array(bytes)) : await this.#lm.defaultModel();
      if (selection !== this.#selection) {
        handle.dispose();
        return;
      }
      this.#checkShape(handle, entry.name);
      this.#useModel({ entry, handle, bytes });
      if (tune && entry.finetuned) this.#applyTuned();
      this.#renderModelNote();
      this.#showError('');
    } catch (err) {
      if (selection !== this.#selection) return;
      this.#showError(`Could not load the model “${entry.name}”: ${err.message ?? err}`);
      if (this.#model) this.#$.model.value = this.#model.entry.id;
      if (!this.#model && entry.url) {
        // Fall back to the package's own model so the page still works.
        const fallback = { id: 'default', name: 'Package default model', src: 'package:default' };
        this.#entries.unshift(fallback);
        this.#renderModelOptions('default');
        await this.#selectModel('default');
      }
    }
  }

  // The bytes of a manifest entry (null: the package's default model), fetched once.
  #bytesCache = new Map();
  #entryBytes(entry) {
    if (entry.bytes) return Promise.resolve(entry.bytes);
    if (!entry.url) return Promise.resolve(null);
    const key = String(entry.url);
    if (!this.#bytesCache.has(key)) {
      const p = fetch(entry.url).then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status} for ${entry.url}`);
        return res.arrayBuffer();
      });
      p.catch(() => this.#bytesCache.delete(key)); // allow a retry
      this.#bytesCache.set(key, p);
    }
    return this.#bytesCache.get(key);
  }

  #checkShape(handle, name) {
    const layers = Array.from(handle.layers);
    const inputs = layers[0], outputs = layers[layers.length - 1];
    const wrong = [];
    if (inputs !== 784) wrong.push(`${inputs} inputs where the demo needs 784 (28×28 pixels)`);
    if (outputs !== 10) wrong.push(`${outputs} outputs where the demo needs 10 (one per digit)`);
    if (wrong.length) {
      handle.dispose();
      throw new Error(`${name} has ${wrong.join(' and ')} (layers [${layers.join(', ')}])`);
    }
  }

  #useModel(model) {
    const old = this.#model;
    this.#model = model;
    if (old && old.handle !== model.handle) old.handle.dispose();
    if (old && old.entry !== model.entry) this.#resetSweep(); // its numbers were another model's
    this.#renderEnergy();
    this.#schedule();
    this.#scheduleAnnounce();
  }

  async #loadFile(file) {
    ++this.#selection;
    try {
      if (!/\.safetensors$/i.test(file.name))
        throw new Error(`not a model: expected a .safetensors file (an MLP with 784 inputs and 10 outputs)${file.type ? `, got ${file.type}` : ''}`);
      const bytes = await file.arrayBuffer();
      const handle = await this.#lm.loadModel(new Uint8Array(bytes));
      const entry = { id: `file:${file.name}:${file.size}:${Date.now()}`, name: `File: ${file.name}`, src: 'file', bytes };
      this.#checkShape(handle, file.name);
      this.#entries = this.#entries.filter((m) => !m.bytes).concat(entry);
      this.#renderModelOptions(entry.id);
      this.#useModel({ entry, handle, bytes });
      this.#renderModelNote();
      this.#showError('');
      return true;
    } catch (err) {
      this.#showError(`Could not load ${file.name}: ${err.message ?? err}. The previous model stays active.`);
      if (this.#model) this.#$.model.value = this.#model.entry.id;
      return false;
    }
  }

  // ---- settings --------------------------------------------------------------------------
  #setFormat(E, M) {
    this.#settings.E = clampInt(E, 2, 8, this.#settings.E);
    this.#settings.M = clampInt(M, 1, 23, this.#settings.M);
    this.#syncControls();
    this.#schedule();
    this.#scheduleAnnounce();
  }

  #fmt() {
    return `E${this.#settings.E}M${this.#settings.M}`;
  }

  #syncControls() {
    const $ = this.#$, s = this.#settings;
    $.m.value = String(s.M);
    $.m.setAttribute('aria-valuetext', `${s.M} mantissa bits (${this.#fmt()})`);
    $['m-out'].value = this.#fmt();
    $.e.value = String(s.E);
    $.preset.value = presetFor(s.E, s.M);
    for (const r of this.#root.querySelectorAll('input[name="variant"]')) r.checked = r.value === s.variant;
    for (const r of this.#root.querySelectorAll('input[name="rounding"]')) r.checked = r.value === s.rounding;
    $.cols.exact.fmt.textContent = 'reference';
    $.cols.float.fmt.textContent = `${this.#fmt()} · ${s.rounding}`;
    $.cols.lmul.fmt.textContent = `${this.#fmt()} · ${s.variant} · ${s.rounding}`;
    $['hist-float-title'].textContent = `Float ${this.#fmt()}`;
    $['hist-lmul-title'].textContent = `L-Mul ${this.#fmt()} (${s.variant})`;
    this.#renderModelNote();
  }

  #opts(method) {
    const s = this.#settings;
    return { method: method === 'lmul' ? lmulMethod(s.variant) : method, M: s.M, E: s.E, rounding: s.rounding };
  }

  // ---- drawing -> predictions ------------------------------------------------------------
  clear() {
    this.#pad?.clear();
  }
  undo() {
    return this.#pad?.undo() ?? false;
  }

  async #dataset_() {
    if (!this.#dataset) this.#dataset = await loadMnist();
    return this.#dataset;
  }

  async showTestImage(index) {
    const d = await this.#dataset_();
    const i = clampInt(index, 0, d.n - 1, 0);
    this.#pad.setImage(d.images.subarray(i * 784, (i + 1) * 784), { index: i, label: d.labels[i] });
    return { index: i, label: d.labels[i] };
  }

  async #randomDigit() {
    const btn = this.#$.random;
    btn.disabled = true;
    const label = btn.textContent;
    if (!this.#dataset) btn.textContent = 'Loading test images…';
    try {
      const d = await this.#dataset_();
      await this.showTestImage(Math.floor(Math.random() * d.n));
    } catch (err) {
      this.#showError(`Could not load the MNIST test images: ${err.message ?? err}`);
    } finally {
      btn.textContent = label;
      btn.disabled = false;
    }
  }

  #schedule() {
    if (!this.#raf && this.isConnected) this.#raf = requestAnimationFrame(() => {
      this.#raf = 0;
      this.#update();
    });
  }

  #computeInput() {
    const pad = this.#pad;
    if (pad.isEmpty) return null;
    const sole = pad.soleImage;
    if (sole) return Float32Array.from(sole.pixels, (p) => p / 255); // the test image itself
    const x = this.#lm.preprocess(pad.rasterize(), RASTER_SIZE, RASTER_SIZE);
    return x.some((v) => v > 0) ? x : null;
  }

  #update() {
    const $ = this.#$;
    $.undo.disabled = !this.#pad.canUndo;
    $.hint.hidden = !this.#pad.isEmpty;
    const sole = this.#pad.soleImage;
    $['preview-caption'].textContent = sole
      ? `MNIST test image #${sole.index}, label ${sole.label} (used as is).`
      : 'Network input, 28×28: cropped, fit to 20×20, centered by mass, like MNIST.';
    if (!this.#lm || !this.#model) return;
    let input;
    try {
      input = this.#computeInput();
    } catch (err) {
      this.#showError(`Preprocessing failed: ${err.message ?? err}`);
      return;
    }
    this.#input = input;
    this.#drawPreview(input);
    if (!input) {
      this.#predictions = null;
      this.#renderBlank();
      return;
    }
    const model = this.#model.handle;
    const exact = model.predict(input, { ...this.#opts('exact'), errors: false }); // exact vs exact: no errors
    const float = model.predict(input, this.#opts('float'));
    const lmul = model.predict(input, this.#opts('lmul'));
    this.#predictions = { exact, float, lmul };
    this.#renderColumn('exact', exact, exact.digit);
    this.#renderColumn('float', float, exact.digit);
    this.#renderColumn('lmul', lmul, exact.digit);
    this.#renderErrors(float, lmul, exact);
    this.dispatchEvent(new CustomEvent('lmul-predict', { detail: { input, exact, float, lmul, settings: this.settings } }));
  }

  #drawPreview(input) {
    const ctx = this.#$.preview.getContext('2d');
    const { ink, paper } = this.#inkColors();
    ctx.fillStyle = paper;
    ctx.fillRect(0, 0, 28, 28);
    if (!input) return;
    const img = ctx.getImageData(0, 0, 28, 28);
    ctx.fillStyle = ink;
    ctx.fillRect(0, 0, 1, 1);
    const inkRGB = ctx.getImageData(0, 0, 1, 1).data;
    for (let i = 0; i < 784; ++i) {
      const a = input[i];
      for (let c = 0; c < 3; ++c) img.data[4 * i + c] = Math.round(img.data[4 * i + c] * (1 - a) + inkRGB[c] * a);
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  #renderBlank() {
    for (const col of Object.values(this.#$.cols)) {
      col.digit.textContent = '–';
      col.el.dataset.blank = 'true';
      col.conf.textContent = '';
      col.mark.hidden = true;
      col.el.dataset.disagrees = 'false';
      col.rows.forEach((r, k) => {
        r.classList.remove('top');
        col.fills[k].style.setProperty('--p', 0);
        col.vals[k].textContent = '0.00';
      });
    }
    for (const [name, el] of [['float', this.#$.histFloat], ['lmul', this.#$.histLmul]]) {
      el.dataset.count = '0';
      this.#$[`hist-${name}-stats`].innerHTML = '';
      this.#$[`hist-${name}-note`].textContent = 'draw a digit';
      this.#charts?.[name].setData([[], []]);
    }
    this.#charts?.logit.setData(logitData(new Array(10).fill(0), new Array(10).fill(0), new Array(10).fill(0)));
  }

  #renderColumn(method, r, exactDigit) {
    const col = this.#$.cols[method];
    const probs = r.probs;
    col.digit.textContent = String(r.digit);
    col.el.dataset.blank = 'false';
    col.conf.textContent = pct(probs[r.digit], 1);
    const disagrees = r.digit !== exactDigit;
    col.mark.hidden = !disagrees;
    col.el.dataset.disagrees = String(disagrees);
    for (let k = 0; k < 10; ++k) {
      col.fills[k].style.setProperty('--p', Math.max(0, Math.min(1, probs[k])).toFixed(4));
      col.vals[k].textContent = probs[k].toFixed(2);
      col.rows[k].classList.toggle('top', k === r.digit);
    }
  }

  #renderErrors(float, lmul, exact) {
    for (const [name, r, el] of [['float', float, this.#$.histFloat], ['lmul', lmul, this.#$.histLmul]]) {
      const e = r.errors;
      el.dataset.count = String(e.count);
      this.#$[`hist-${name}-note`].textContent = `${int(e.count)} products + ${int(e.zeros)} with an exact zero`;
      this.#$[`hist-${name}-stats`].innerHTML = [
        ['count', int(e.count)],
        ['mean', relErr(e.mean)],
        ['median', relErr(e.median)],
        ['max', relErr(e.max)],
        ['bias', signed(e.bias)],
        ['zeros', int(e.zeros)],
      ].map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('');
      this.#charts?.[name].setData(histogramData(e));
      this.#root.querySelector(`#hist-${name}-chart`).setAttribute('aria-label',
        `Histogram of ${int(e.count)} relative errors: mean ${relErr(e.mean)}, median ${relErr(e.median)}, max ${relErr(e.max)}`);
    }
    this.#charts?.logit.setData(logitData(exact.logits, float.logits, lmul.logits));
  }

  #scheduleAnnounce() {
    clearTimeout(this.#announceTimer);
    this.#announceTimer = setTimeout(() => this.#announce(), 600);
  }

  #announce() {
    const p = this.#predictions, live = this.#$.live;
    if (!p) {
      live.textContent = this.#pad?.isEmpty ? '' : 'No ink detected.';
      return;
    }
    const say = (name, r) => `${name} predicts ${r.digit} (${Math.round(r.probs[r.digit] * 100)} %)` +
      (r.digit !== p.exact.digit ? ', disagrees with exact' : '');
    live.textContent = `${say('Exact fp32', p.exact)}. ${say(`Float ${this.#fmt()}`, p.float)}. ${say(`L-Mul ${this.#fmt()}`, p.lmul)}.`;
  }

  #renderEnergy() {
    const layers = Array.from(this.#model.handle.layers);
    const e = energyPerInference(layers);
    const nJ = (pj) => `${(pj / 1000).toFixed(1)} nJ`;
    this.#$['energy-exact'].textContent = nJ(e.exactPJ);
    this.#$['energy-lmul'].textContent = `${nJ(e.lmulPJ)} (${e.ratio.toFixed(1)}× less)`;
    const n = int(e.macs);
    this.#$['energy-formula'].textContent =
      `multiply-adds N = Σ in·out over layers [${layers.join(', ')}] = ${n}\n` +
      `exact = N × (${PJ.fp32Mul} pJ fp32 mul + ${PJ.fp32Add} pJ fp32 add) = ${nJ(e.exactPJ)}\n` +
      `L-Mul = N × (${PJ.int32Add} pJ int32 add + ${PJ.fp32Add} pJ fp32 add) = ${nJ(e.lmulPJ)}\n` +
      `multiplications alone: ${PJ.fp32Mul} / ${PJ.int32Add} = ${e.mulRatio.toFixed(0)}× less energy`;
  }

  #retheme() {
    this.#pad?.render();
    if (this.#charts) for (const c of Object.values(this.#charts)) c.build();
    this.#drawPreview(this.#input);
  }

  // ---- sweep -----------------------------------------------------------------------------
  async runSweep(n = 10000) {
    const $ = this.#$;
    if (!this.#model || this.#sweep?.running) return null;
    const count = clampInt(n, 1, 10000, 10000);
    const s = this.settings, fmtE = `E${s.E}`;
    const variant = lmulMethod(s.variant);
    const modelEntry = this.#model.entry;
    // A fine-tune is swept next to its base model; its tuned M is marked when this sweep's E,
    // variant and rounding are the ones it was tuned for (otherwise no M on this axis is).
    const t = this.#tuning();
    const compare = t?.baseEntry ? { t, base: t.baseEntry, tunedM: this.#atTuned(t, { ...s, M: t.M }) ? t.M : null } : null;
    this.#prepareSweepView(compare);
    $['sweep-start'].disabled = true;
    $['sweep-cancel'].disabled = false;
    $['sweep-table'].dataset.state = 'running';
    $['sweep-progress'].value = 0;
    $['sweep-status'].textContent = this.#dataset ? 'Starting workers…' : 'Loading the test images (1.4 MB)…';
    $['sweep-caption'].textContent = 'Running…';
    const exactOpts = { method: 'exact', M: 23, E: 8, rounding: s.rounding };
    const optsAt = (method, M) => ({ method, M, E: s.E, rounding: s.rounding });
    const jobs = [{ key: 'exact', opts: exactOpts }];
    for (const M of SWEEP_MS) {
      jobs.push({ key: `float:${M}`, opts: optsAt('float', M) });
      jobs.push({ key: `lmul:${M}`, opts: optsAt(variant, M) });
    }
    if (compare) {
      jobs.push({ key: 'base:exact', model: compare.base.id, opts: exactOpts });
      for (const M of SWEEP_MS) jobs.push({ key: `base:${M}`, model: compare.base.id, opts: optsAt(variant, M) });
    }
    const blank = () => SWEEP_MS.map(() => null);
    const acc = { exact: null, float: blank(), lmul: blank(), baseExact: null, base: blank() };
    const p100 = (v) => (v == null ? null : v * 100);
    const redraw = () => {
      const series = [SWEEP_MS, SWEEP_MS.map(() => p100(acc.exact)), acc.float.map(p100), acc.lmul.map(p100)];
      if (compare) series.push(acc.base.map(p100));
      this.#charts.sweep.setData(series);
    };
    redraw();
    const cell = (m, cls) => $['sweep-table'].querySelector(`tr[data-m="${m}"] td.${cls}`);
    const caption = () => {
      if (acc.exact == null) return;
      const where = `Accuracy at ${fmtE}, ${s.rounding}, L-Mul ${s.variant}`;
      $['sweep-caption'].textContent = compare
        ? `Exact fp32: fine-tuned ${pct(acc.exact)}, base ${acc.baseExact == null ? '…' : pct(acc.baseExact)} on ${int(count)} images. ${where}; “${modelEntry.name}” against its base “${compare.base.name}”.`
        : `Exact fp32: ${pct(acc.exact)} on ${int(count)} images. ${where}, model “${modelEntry.name}”.`;
    };
    try {
      const data = await this.#dataset_();
      this.#sweep ??= new SweepRunner();
      const models = [{ key: modelEntry.id, bytes: this.#model.bytes }];
      if (compare) models.push({ key: compare.base.id, bytes: await this.#entryBytes(compare.base) });
      $['sweep-status'].textContent = `Evaluating ${int(count)} images × ${jobs.length} configurations on ${this.#sweep.size} workers…`;
      const t0 = performance.now();
      const out = await this.#sweep.run({
        dataset: data,
        models,
        jobs,
        n: count,
        onProgress: (done, total) => {
          $['sweep-progress'].value = done / total;
        },
        onResult: (key, r) => {
          const [kind, m] = key.split(':');
          const i = Number(m) - 1;
          if (kind === 'exact') acc.exact = r.accuracy;
          else if (kind === 'base' && m === 'exact') acc.baseExact = r.accuracy;
          else acc[kind][i] = r.accuracy;
          if (kind !== 'exact' && m !== 'exact') {
            cell(m, { float: 'f', lmul: 'l', base: 'b' }[kind]).textContent = pct(r.accuracy);
            const f = acc.float[i], l = acc.lmul[i], b = acc.base[i];
            if (!compare && f != null && l != null) cell(m, 'd').textContent = pts(l - f);
            if (compare && b != null && l != null) cell(m, 'g').textContent = pts(l - b);
          }
          caption();
          redraw();
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      if (out.cancelled) {
        $['sweep-status'].textContent = 'Cancelled.';
        $['sweep-table'].dataset.state = 'cancelled';
      } else {
        $['sweep-progress'].value = 1;
        $['sweep-status'].textContent = `Done: ${jobs.length} configurations × ${int(count)} images in ${seconds.toFixed(2)} s (${this.#sweep.size} workers).`;
        $['sweep-table'].dataset.state = 'done';
        $['sweep-table'].dataset.seconds = seconds.toFixed(3);
        if (compare) this.#renderSweepComparison(compare, s, acc, count);
      }
      return { ...out, seconds, accuracy: acc };
    } catch (err) {
      $['sweep-status'].textContent = `Sweep failed: ${err.message ?? err}`;
      $['sweep-table'].dataset.state = 'error';
      this.#sweep?.terminate();
      this.#sweep = null;
      return null;
    } finally {
      $['sweep-start'].disabled = false;
      $['sweep-cancel'].disabled = true;
    }
  }

  #resetSweep() {
    const $ = this.#$;
    if (!this.#charts) return;
    this.#sweep?.cancel();
    this.#prepareSweepView(null);
    this.#charts.sweep.setData([SWEEP_MS, ...[1, 2, 3].map(() => SWEEP_MS.map(() => null))]);
    $['sweep-table'].dataset.state = 'empty';
    delete $['sweep-table'].dataset.seconds;
    $['sweep-caption'].textContent = 'Run the sweep to fill this table.';
    $['sweep-status'].textContent = '';
    $['sweep-progress'].value = 0;
  }

  // Table columns, chart series and the comparison line for a plain sweep or a fine-tune's.
  #sweepView = 'plain';
  #prepareSweepView(compare) {
    const $ = this.#$, table = $['sweep-table'];
    const view = compare ? `compare:${compare.base.name}:${compare.tunedM}` : 'plain';
    for (const el of [table.tHead, ...table.tBodies]) el?.remove();
    table.insertAdjacentHTML('beforeend', sweepTableBody(compare && { tunedM: compare.tunedM }));
    table.dataset.compare = String(!!compare);
    $['sweep-compare'].hidden = true;
    $['sweep-compare'].textContent = '';
    if (view !== this.#sweepView) {
      this.#sweepView = view;
      this.#charts.sweep.destroy();
      const box = this.#root.querySelector('#sweep-chart');
      box.textContent = '';
      this.#charts.sweep = sweepChart(box, this, SWEEP_MS, compare && { tunedM: compare.tunedM, baseName: compare.base.name });
      box.setAttribute('aria-label', compare
        ? 'Accuracy against M for the fine-tuned model and its base; the table has the same numbers'
        : 'Accuracy against M; the table has the same numbers');
    }
  }

  #renderSweepComparison({ t, tunedM }, s, acc, count) {
    const el = this.#$['sweep-compare'];
    const images = `${int(count)} test images`;
    const method = lmulMethod(s.variant);
    const at = (M) => {
      const b = acc.base[M - 1], f = acc.lmul[M - 1];
      return `At M=${M} (${method}, E${s.E}): base <b>${pct(b)}</b> → fine-tuned <b>${pct(f)}</b> (${pts(f - b)} points)`;
    };
    if (tunedM != null) {
      el.dataset.state = 'tuned';
      el.innerHTML = `${at(tunedM)}, on ${images}.`;
    } else {
      el.dataset.state = 'away';
      el.innerHTML = `This model was tuned for ${t.method} E${t.E}M${t.M}, ${t.rounding}; this sweep ran at E${s.E}, ` +
        `${method}, ${s.rounding}, so no M here is its tuned setting. ${at(Math.min(t.M, SWEEP_MS.length))}, on ${images}. ` +
        `<button type="button" class="link" data-action="tune">Back to E${t.E}M${t.M}</button> and run again to compare there.`;
    }
    el.hidden = false;
  }
}

function clampInt(v, lo, hi, fallback) {
  const n = Number(v);
  if (v === null || v === '' || !Number.isFinite(n)) return fallback;
  return Math.min(hi, Math.max(lo, Math.round(n)));
}

if (!customElements.get('lmul-digit-demo')) customElements.define('lmul-digit-demo', LMulDigitDemo);

// Creates a <lmul-digit-demo> inside `element` and returns it.
// options: { m, e, model, models, compact, theme, globalShortcuts }
export function mountDemo(element, options = {}) {
  if (!element || typeof element.appendChild !== 'function') throw new TypeError('mountDemo: element must be a DOM element');
  const demo = document.createElement('lmul-digit-demo');
  const attrs = { m: options.m, e: options.e, model: options.model, models: options.models, theme: options.theme };
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) demo.setAttribute(k, String(v));
  if (options.compact) demo.setAttribute('compact', '');
  if (options.globalShortcuts) demo.setAttribute('global-shortcuts', '');
  element.appendChild(demo);
  return demo;
}

export { LMulDigitDemo };
