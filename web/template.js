// The element's shadow tree: markup (static text only: everything that depends on a model, a
// file or a setting is filled in later with textContent and attributes), its ::parts, and the
// named references the element and its views use. Styles come from styles.js.
import { PRESETS } from './presets.js';
import { PJ } from './energy.js';
import { STYLES } from './styles.js';

const bars = (id) => `<ol class="bars" id="${id}-bars" aria-label="Probabilities of the ten digits">${Array.from(
  { length: 10 },
  (_, k) => `<li><span>${k}</span><span class="track"><span class="fill"></span></span><span class="v">0.00</span></li>`,
).join('')}</ol>`;

const column = (method, title, testid) => `
  <article class="card col" part="column column-${method}" data-method="${method}" data-blank="true" aria-labelledby="${method}-title">
    <h3 id="${method}-title"><b>${title}</b><span class="fmt"></span></h3>
    <div class="verdict">
      <output class="digit" data-testid="${testid}">–</output>
      <span class="conf"></span>
      <span class="mark" hidden title="This column predicts a different digit than exact fp32">≠ exact</span>
    </div>
    ${bars(method)}
  </article>`;

const TEMPLATE = `
<div class="lmd" part="root">
  <section class="card ctl-main" part="controls" aria-label="Mantissa width and format">
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
        ${Object.entries(PRESETS).map(([id, p]) => `<option value="${id}">${p.label}</option>`).join('')}
      </select>
    </div>
  </section>

  <section class="card ctl-more" part="options" aria-label="Arithmetic and model">
    <div class="ctl">
      <label for="e">Exponent bits E</label>
      <select id="e">${[8, 7, 6, 5, 4, 3, 2].map((e) => `<option value="${e}">${e}</option>`).join('')}</select>
    </div>
    <fieldset class="ctl">
      <legend>L-Mul variant</legend>
      <div>
        <label><input type="radio" name="variant" value="adder" checked>adder</label>
        <label><input type="radio" name="variant" value="formula">formula</label>
        <label><input type="radio" name="variant" value="mitchell">mitchell (no offset)</label>
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

  <section class="card pad" part="pad" aria-label="Drawing">
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

  <section class="preds" part="predictions" aria-label="Predictions">
    <p class="status" id="status" role="status">Loading the WebAssembly module…</p>
    <p class="alert" role="alert" id="pred-error" data-testid="pred-error" hidden></p>
    ${column('exact', 'Exact fp32', 'pred-exact')}
    ${column('float', 'Float', 'pred-float')}
    ${column('lmul', 'L-Mul', 'pred-lmul')}
    <div class="card logits">
      <div class="chart-title"><h3 id="logit-title">Logit difference to exact, per class</h3>
        <span class="legend"><span class="f">Float − exact</span><span class="l">L-Mul − exact</span></span></div>
      <div class="chart" part="chart chart-logits" id="logit-chart" role="img" aria-labelledby="logit-title" data-testid="logit-chart"></div>
    </div>
  </section>
  <p class="sr-only" aria-live="polite" id="live"></p>

  <section class="card errors" part="histograms" aria-labelledby="errors-title">
    <h2 id="errors-title">Error of every multiplication in this forward pass</h2>
    <p class="muted small">Relative error |approx − exact| / |exact| of each product W·x against fp32, log-scale bins.
      Leftmost bar: below 10⁻⁸ (mostly exact); rightmost: off by 100 % or more. Products with an exact zero are counted separately.</p>
    <div class="errors-grid">
      <div class="hist float" data-testid="hist-float" data-count="0">
        <div class="chart-title"><h3 id="hist-float-title">Float</h3><span class="small muted" id="hist-float-note"></span></div>
        <div class="chart-box"><div class="chart" part="chart chart-hist-float" id="hist-float-chart" role="img" aria-labelledby="hist-float-title"></div>
          <p class="hist-empty" data-testid="hist-float-empty">No products to show yet: draw a digit (or pick a random test digit) and every multiplication of its forward pass lands here.</p></div>
        <dl class="stats" id="hist-float-stats"></dl>
      </div>
      <div class="hist lmul" data-testid="hist-lmul" data-count="0">
        <div class="chart-title"><h3 id="hist-lmul-title">L-Mul</h3><span class="small muted" id="hist-lmul-note"></span></div>
        <div class="chart-box"><div class="chart" part="chart chart-hist-lmul" id="hist-lmul-chart" role="img" aria-labelledby="hist-lmul-title"></div>
          <p class="hist-empty" data-testid="hist-lmul-empty">No products to show yet: draw a digit (or pick a random test digit) and every multiplication of its forward pass lands here.</p></div>
        <dl class="stats" id="hist-lmul-stats"></dl>
      </div>
    </div>
  </section>

  <section class="card energy" part="energy" aria-labelledby="energy-title">
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

  <section class="card sweep" part="sweep" aria-labelledby="sweep-title">
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
      <div class="chart" part="chart chart-sweep" id="sweep-chart" role="img" aria-label="Accuracy against M; the table has the same numbers"></div>
      <table data-testid="sweep-table" id="sweep-table" data-state="empty">
        <caption id="sweep-caption">Run the sweep to fill this table.</caption>
      </table>
    </div>
  </section>

  <section class="card explainer" part="explainer" aria-labelledby="explain-title">
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


// One stylesheet shared by every instance (constructable, so a strict Content-Security-Policy
// without 'unsafe-inline' styles allows it); a <style> element where that is not supported.
let sheet = null;

// Fills a shadow root and returns its references: every element with an id, by camelCased id
// ('sweep-table' -> refs.sweepTable), plus the pad's canvases, the three prediction columns and the two histograms.
export function renderTemplate(shadow) {
  if (typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype && 'adoptedStyleSheets' in shadow) {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLES);
    }
    shadow.adoptedStyleSheets = [sheet];
    shadow.innerHTML = TEMPLATE;
  } else {
    shadow.innerHTML = `<style>${STYLES}</style>${TEMPLATE}`;
  }
  const refs = {};
  for (const el of shadow.querySelectorAll('[id]')) refs[el.id.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = el;
  refs.root = shadow.querySelector('.lmd');
  refs.canvas = shadow.querySelector('canvas.draw');
  refs.preview = shadow.querySelector('canvas.preview');
  refs.cols = {};
  for (const method of ['exact', 'float', 'lmul']) {
    const el = shadow.querySelector(`.col[data-method="${method}"]`);
    refs.cols[method] = {
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
  refs.hists = {};
  for (const name of ['float', 'lmul']) {
    const id = (part) => shadow.getElementById(`hist-${name}-${part}`);
    refs.hists[name] = { el: shadow.querySelector(`[data-testid="hist-${name}"]`), title: id('title'), note: id('note'), chart: id('chart'), stats: id('stats') };
  }
  return refs;
}
