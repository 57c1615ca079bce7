// The element's shadow tree: markup (static text only: everything that depends on a model, a
// file or a setting is filled in later with textContent and attributes), its ::parts, the inline
// help next to the controls, and the named references the element and its views use. Styles
// come from styles.js.
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

// A "?" button that shows and hides the help paragraph `help-${id}` (see wireHelp).
const helpButton = (id, about) =>
  `<button type="button" class="help" aria-expanded="false" aria-controls="help-${id}" data-testid="help-${id}" aria-label="About ${about}">?</button>`;
const helpText = (id, html) => `<p class="help-text" id="help-${id}" hidden>${html}</p>`;

// Export buttons of one chart (data-chart names it for the element).
const exportButtons = (chart, what) => `<span class="exports">
  <button type="button" class="mini" data-export="png" data-chart="${chart}" aria-label="Download the ${what} as PNG">PNG</button>
  <button type="button" class="mini" data-export="svg" data-chart="${chart}" aria-label="Download the ${what} as SVG">SVG</button></span>`;

const histogram = (name, title) => `
      <div class="hist ${name}" data-testid="hist-${name}" data-count="0">
        <div class="chart-title"><h3 id="hist-${name}-title">${title}</h3><span class="small muted" id="hist-${name}-note"></span>
          ${exportButtons(`hist-${name}`, `${title} error histogram`)}</div>
        <div class="chart-box"><div class="chart hist-chart" part="chart chart-hist-${name}" id="hist-${name}-chart" role="img" aria-labelledby="hist-${name}-title"></div>
          <p class="hist-empty" data-testid="hist-${name}-empty">No products to show yet: draw a digit (or pick a random test digit) and every multiplication of its forward pass lands here.</p></div>
        <dl class="stats" id="hist-${name}-stats"></dl>
      </div>`;

const TEMPLATE = `
<div class="lmd" part="root" data-starting>
  <section class="card ctl-main" part="controls" aria-label="Mantissa width and format">
    <div class="ctl ctl-m">
      <div class="label-row"><label for="m">Mantissa bits M</label>${helpButton('m', 'the mantissa bits M')}</div>
      <div class="m-row">
        <input id="m" type="range" min="1" max="23" step="1" value="3" data-testid="m-slider" aria-describedby="m-out">
        <output id="m-out" for="m">E8M3</output>
      </div>
      ${helpText('m', `How many fraction bits each operand keeps before it is multiplied: fp32 has 23, bfloat16 7,
        fp16 10, the 8-bit E4M3 3. Fewer bits make a cheaper multiplier and a larger error per product; L-Mul's
        offset 2<sup>−l(M)</sup> also depends on M.`)}
    </div>
    <div class="ctl">
      <label for="preset">Format preset</label>
      <select id="preset" data-testid="method-preset">
        ${Object.entries(PRESETS).map(([id, p]) => `<option value="${id}">${p.label}</option>`).join('')}
      </select>
    </div>
    <div class="share" id="share" hidden>
      <button type="button" id="copy-link" data-testid="copy-link">Copy link</button>
      <span class="small muted" id="share-status" role="status"></span>
      <input type="text" id="share-url" class="share-url" readonly hidden aria-label="Link to this state">
    </div>
  </section>

  <section class="card ctl-more" part="options" aria-label="Arithmetic and model">
    <div class="ctl">
      <div class="label-row"><label for="e">Exponent bits E</label>${helpButton('e', 'the exponent bits E')}</div>
      <select id="e">${[8, 7, 6, 5, 4, 3, 2].map((e) => `<option value="${e}">${e}</option>`).join('')}</select>
    </div>
    <fieldset class="ctl">
      <legend>L-Mul variant ${helpButton('variant', 'the L-Mul variants')}</legend>
      <div>
        <label><input type="radio" name="variant" value="adder" checked>adder</label>
        <label><input type="radio" name="variant" value="formula">formula</label>
        <label><input type="radio" name="variant" value="mitchell">mitchell (no offset)</label>
      </div>
    </fieldset>
    <fieldset class="ctl">
      <legend>Operand rounding ${helpButton('rounding', 'operand rounding')}</legend>
      <div>
        <label><input type="radio" name="rounding" value="nearest" checked>nearest</label>
        <label><input type="radio" name="rounding" value="truncate">truncate</label>
      </div>
    </fieldset>
    ${helpText('e', `How many exponent bits: the range of the numbers. E = 8 is fp32's and bfloat16's range; with fewer
      bits, products too large for the format saturate to its largest finite value and tiny ones flush to zero.`)}
    ${helpText('variant', `<b>adder</b>: the paper's L-Mul as its own simulation computes it: the two numbers' bit patterns
      added as integers, plus the offset 2<sup>−l(M)</sup>; a mantissa carry moves into the exponent.
      <b>formula</b>: the paper's formula (1 + x<sub>m</sub> + y<sub>m</sub> + 2<sup>−l(M)</sup>)·2<sup>x<sub>e</sub>+y<sub>e</sub></sup>
      computed exactly, without that carry. <b>mitchell</b>: the adder without the offset (Mitchell's 1962 logarithmic
      multiplication). Without the offset every product comes out too small: at E8M7 with rounded operands mitchell is off
      by 3.83 % on average, all of it bias (−3.82 %), where the offset brings L-Mul to 2.70 % with +0.44 % bias; at M ≤ 4
      the fixed offset over-corrects (L-Mul +14.1 % bias at M = 2, mitchell −4.1 %). Figures: <code>lmul errors</code>,
      10⁷ standard-normal pairs.`)}
    ${helpText('rounding', `How each operand is rounded to M mantissa bits before it is multiplied: to the nearest value
      (ties to even), or truncated toward zero as dropping bits in hardware does. Truncation makes operands smaller,
      which cancels part of L-Mul's positive bias at low M.`)}
    <div class="ctl ctl-model">
      <label for="model">Model</label>
      <div class="model-row">
        <select id="model" data-testid="model-select"></select>
        <button type="button" id="load-model" data-testid="load-model">Load .safetensors…</button>
        <input type="file" id="model-file" accept=".safetensors,application/octet-stream" hidden data-testid="model-file">
      </div>
      <p class="model-note" id="model-note" data-testid="model-note" data-state="none" hidden></p>
    </div>
    <div class="alert" role="alert" id="error" data-testid="error" hidden><p class="alert-summary" id="error-summary"></p><p class="alert-detail" id="error-detail" hidden></p></div>
    <p class="small muted drop-tip">Or drop a .safetensors file anywhere on the demo.</p>
  </section>
  <div class="drop-veil" aria-hidden="true"><span>Drop a .safetensors model to load it</span></div>

  <section class="card pad" part="pad" aria-label="Drawing">
    <div class="pad-wrap">
      <canvas class="draw" data-testid="draw-canvas" tabindex="0" role="img"
        aria-label="Drawing area. Draw a digit with mouse, pen or finger. Keyboard: pick a test image below; Ctrl+Z undoes."></canvas>
      <div class="pad-hint" id="hint">Draw a digit here</div>
    </div>
    <div class="strip" id="strip" aria-hidden="true" data-testid="strip">
      <span data-method="exact">Exact <b>–</b></span><span data-method="float">Float <b>–</b></span><span data-method="lmul">L-Mul <b>–</b></span>
    </div>
    <div class="pad-buttons">
      <button type="button" id="clear" data-testid="clear">Clear</button>
      <button type="button" id="undo" data-testid="undo" aria-keyshortcuts="Control+Z Meta+Z" aria-disabled="true">Undo</button>
    </div>
    <div class="test-pick" role="group" aria-label="MNIST test images">
      <div class="pick-row">
        <button type="button" id="random" data-testid="random-digit">Random test digit</button>
        <label class="small">of <select id="random-label" data-testid="random-label">
          <option value="">any digit</option>${Array.from({ length: 10 }, (_, k) => `<option value="${k}">a ${k}</option>`).join('')}
        </select></label>
      </div>
      <form class="pick-row" id="index-form">
        <label class="small" for="test-index">Test image #</label>
        <input type="number" id="test-index" data-testid="test-index" min="0" max="9999" step="1" inputmode="numeric" placeholder="0–9999">
        <button type="submit" data-testid="show-test">Show</button>
      </form>
    </div>
    <div class="preview-row">
      <canvas class="preview" width="28" height="28" data-testid="input-preview" role="img" aria-label="The 28 by 28 network input"></canvas>
      <p class="preview-caption" id="preview-caption">Network input, 28×28: cropped, fit to 20×20, centered by mass, like MNIST.</p>
    </div>
  </section>

  <section class="preds" part="predictions" aria-labelledby="preds-title">
    <h2 class="sr-only" id="preds-title">Predictions</h2>
    <p class="status" id="status" role="status">Loading the WebAssembly module…</p>
    <p class="alert" role="alert" id="pred-error" data-testid="pred-error" hidden></p>
    ${column('exact', 'Exact fp32', 'pred-exact')}
    ${column('float', 'Float', 'pred-float')}
    ${column('lmul', 'L-Mul', 'pred-lmul')}
  </section>
  <p class="sr-only" aria-live="polite" id="live"></p>

  <section class="card attention" id="attention" part="attention" data-testid="attention-map" aria-labelledby="attn-title" hidden>
    <h2 id="attn-title">Where the class token looks</h2>
    <p class="small muted">The transformer's class-token attention over the 16 patches of the input, for the exact network
      and for the L-Mul column (its multiplier and plan); darker is more attention, each map on its own scale.</p>
    <div class="attn-bar">
      <label>Block <select id="attn-block" data-testid="attention-block"></select></label>
      <label>Head <select id="attn-head" data-testid="attention-head"></select></label>
    </div>
    <div class="attn-grid">
      <figure><canvas id="attn-exact" width="28" height="28" role="img" aria-labelledby="attn-exact-caption" data-testid="attention-exact"></canvas>
        <figcaption id="attn-exact-caption">Exact fp32</figcaption></figure>
      <figure><canvas id="attn-approx" width="28" height="28" role="img" aria-labelledby="attn-approx-caption" data-testid="attention-approx"></canvas>
        <figcaption id="attn-approx-caption">L-Mul, this plan</figcaption></figure>
    </div>
  </section>

  <section class="card errors" part="histograms" aria-labelledby="errors-title">
    <h2 id="errors-title">Error of every multiplication in this forward pass</h2>
    <p class="muted small">|approx − exact| / |exact| of each product W·x against fp32, log bins, one scale for both.
      ${helpButton('hist', 'the histograms')}</p>
    ${helpText('hist', `Each bar counts the products of this forward pass whose relative error falls in its bin. The
      leftmost bar holds errors below 10⁻⁸ (mostly exact products), the rightmost products off by 100 % or more.
      Products with an exact zero (a zero pixel or activation) are counted separately, and under a plan the exact layers'
      products (error 0) land in the leftmost bar.`)}
    <div class="errors-grid">${histogram('float', 'Float')}${histogram('lmul', 'L-Mul')}
    </div>
  </section>

  <section class="card find" part="disagreements" aria-labelledby="find-title">
    <h2 id="find-title">Where do they disagree?</h2>
    <p class="small muted">Scans all 10,000 MNIST test images with the current model, plan and settings (in a Web Worker) and
      lists those where L-Mul picks another digit than exact fp32; when none flips, the closest calls: the images whose
      winning margin L-Mul shrank the most. Pick one to load it into the pad.</p>
    <div class="find-bar">
      <button type="button" class="primary" id="find-start" data-testid="find-disagreements">Find disagreements</button>
      <span class="small" id="find-status" role="status" data-testid="find-status"></span>
    </div>
    <p class="alert" role="alert" id="find-error" data-testid="find-error" hidden></p>
    <ol class="find-list" id="find-list" data-testid="disagreements" aria-labelledby="find-title"></ol>
    <button type="button" id="find-more" data-testid="find-more" hidden>Show more</button>
  </section>

  <section class="card layers" part="layers" aria-labelledby="layers-title">
    <h2 id="layers-title">Which layers multiply approximately, and where the error comes from</h2>
    <div class="plan-editor" data-testid="plan-editor" role="group" aria-labelledby="layers-title">
      <div class="plan-bar">
        <label for="plan-preset">Approximate multiplier in</label>
        <select id="plan-preset" data-testid="plan-preset"></select>
        <span class="small muted">Plan, as <code>lmul eval --plan</code> reads it: <code id="plan-text" data-testid="plan-text"></code></span>
      </div>
      <div class="table-scroll" tabindex="0" role="region" aria-label="Layers">
      <table id="layer-table" data-testid="layer-errors">
        <caption id="layer-caption">Each layer's output against the exact network's (relative L2 error), and its own products' mean error.</caption>
        <thead><tr><th scope="col">Approx&shy;imate</th><th scope="col">Layer</th><th scope="col" class="wide">Products</th>
          <th scope="col" class="f">Output error, Float</th><th scope="col" class="l">Output error, L-Mul</th><th scope="col" class="l wide">Product error, L-Mul</th></tr></thead>
        <tbody id="layer-rows"></tbody>
      </table>
      </div>
      <dl class="kinds small" id="kind-errors" data-testid="kind-errors" hidden></dl>
    </div>
    <div class="logits">
      <div class="chart-title"><h3 id="logit-title">Logit difference to exact, per class</h3>${helpButton('logits', 'the logit chart')}
        <span class="legend"><span class="f">Float − exact</span><span class="l">L-Mul − exact</span></span>${exportButtons('logits', 'logit chart')}</div>
      ${helpText('logits', `Logits are the network's scores for the ten digits before softmax turns them into
        probabilities; the prediction is the digit with the largest. Each bar is how far a digit's score moved under Float
        (left) and L-Mul (right) from the exact network's. A prediction flips when the runner-up gains more than the
        winner's margin.`)}
      <div class="chart logit-chart" part="chart chart-logits" id="logit-chart" role="img" aria-labelledby="logit-title" data-testid="logit-chart"></div>
    </div>
  </section>

  <section class="card sweep" part="sweep" aria-labelledby="sweep-title">
    <h2 id="sweep-title">Test-set sweep</h2>
    <p class="small muted">Accuracy on the MNIST test images: exact fp32, then Float and L-Mul at M = 1…10 with the
      current E, rounding, L-Mul variant, plan and model. Runs in Web Workers; the page stays responsive.</p>
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
      <div>
        <div class="chart-title"><span class="legend-buttons" id="sweep-legend" role="group" aria-label="Lines shown in the chart"></span>
          ${exportButtons('sweep', 'sweep chart')}</div>
        <div class="chart sweep-chart" part="chart chart-sweep" id="sweep-chart" role="img" aria-label="Accuracy against M; the table has the same numbers"></div>
      </div>
      <div>
        <p class="alert" role="alert" id="sweep-error" data-testid="sweep-error" hidden></p>
        <table data-testid="sweep-table" id="sweep-table" data-state="empty">
          <caption id="sweep-caption">Run the sweep to fill this table.</caption>
        </table>
        <div class="sweep-exports">
          <button type="button" id="sweep-csv" data-testid="sweep-csv" disabled>Download CSV</button>
          <button type="button" id="sweep-json" data-testid="sweep-json" disabled>Download JSON</button>
        </div>
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
      accumulation stays fp32. Dense forward pass with L-Mul in every layer; activations, memory traffic and M-bit
      hardware are not modelled.</p>
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
      multiplies by addition. Sums are always fp32. The plan chooses which layers use the approximate multiplier (the
      others multiply exactly). Slide M down and watch where the approximate columns start to disagree with exact, or
      let “Find disagreements” show you the test images where they do.</p>
    <p class="small muted">Source: <cite>Hongyin Luo and Wei Sun, “Addition is All You Need for Energy-efficient
      Language Models”, arXiv:2410.00907, 2024.</cite></p>
  </section>
</div>`;

// One stylesheet shared by every instance (constructable, so a strict Content-Security-Policy
// without 'unsafe-inline' styles allows it); a <style> element where that is not supported.
let sheet = null;

// Fills a shadow root and returns its references: every element with an id, by camelCased id
// ('sweep-table' -> refs.sweepTable), plus the pad's canvases, the three prediction columns,
// the phone strip's digits and the two histograms.
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
      strip: shadow.querySelector(`.strip [data-method="${method}"]`),
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

// The "?" toggles: each shows or hides its help paragraph and says so (aria-expanded).
export function wireHelp(shadow) {
  shadow.addEventListener('click', (e) => {
    const button = e.target.closest?.('button.help');
    if (!button) return;
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    shadow.getElementById(button.getAttribute('aria-controls')).hidden = !open;
  });
}
