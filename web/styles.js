// Styles of <lmul-digit-demo>, injected into its shadow root (no stylesheet request, no flash of
// unstyled content, and nothing leaks into or out of the embedding page). Theme it from outside
// with the --lmd-* custom properties, or force a scheme with the theme="light|dark" attribute.

// uPlot's own stylesheet (uplot 1.6.32 dist/uPlot.min.css, MIT, (c) Leon Sorokin): the charts
// live in the shadow root, where the page's copy of it would not apply.
const UPLOT_CSS = `.uplot, .uplot *, .uplot *::before, .uplot *::after {box-sizing: border-box;}.uplot {font-family: inherit;line-height: 1.5;width: min-content;}.u-title {text-align: center;font-size: 18px;font-weight: bold;}.u-wrap {position: relative;user-select: none;}.u-over, .u-under {position: absolute;}.u-under {overflow: hidden;}.uplot canvas {display: block;position: relative;width: 100%;height: 100%;}.u-axis {position: absolute;}.u-legend {font-size: 14px;margin: auto;text-align: center;}.u-inline {display: block;}.u-inline * {display: inline-block;}.u-inline tr {margin-right: 16px;}.u-legend th {font-weight: 600;}.u-legend th > * {vertical-align: middle;display: inline-block;}.u-legend .u-marker {width: 1em;height: 1em;margin-right: 4px;background-clip: padding-box !important;}.u-inline.u-live th::after {content: ":";vertical-align: middle;}.u-inline:not(.u-live) .u-value {display: none;}.u-series > * {padding: 4px;}.u-series th {cursor: pointer;}.u-legend .u-off > * {opacity: 0.3;}.u-select {background: rgba(0,0,0,0.07);position: absolute;pointer-events: none;}.u-cursor-x, .u-cursor-y {position: absolute;left: 0;top: 0;pointer-events: none;will-change: transform;}.u-hz .u-cursor-x, .u-vt .u-cursor-y {height: 100%;border-right: 1px dashed #607D8B;}.u-hz .u-cursor-y, .u-vt .u-cursor-x {width: 100%;border-bottom: 1px dashed #607D8B;}.u-cursor-pt {position: absolute;top: 0;left: 0;border-radius: 50%;border: 0 solid;pointer-events: none;will-change: transform;background-clip: padding-box !important;}.u-axis.u-off, .u-select.u-off, .u-cursor-x.u-off, .u-cursor-y.u-off, .u-cursor-pt.u-off {display: none;}`;

const LIGHT = `
  --lmd-bg: #f5f6f8;
  --lmd-surface: #ffffff;
  --lmd-text: #16202b;
  --lmd-muted: #56616e;
  --lmd-border: #d5dae1;
  --lmd-grid: rgba(22, 32, 43, 0.1);
  --lmd-accent: #4338ca;
  --lmd-accent-text: #ffffff;
  --lmd-c-exact: #3d4853;
  --lmd-c-float: #1d64d8;
  --lmd-c-lmul: #c2410c;
  --lmd-bad: #b42318;
  --lmd-bad-bg: #fdecea;
  --lmd-paper: #ffffff;
  --lmd-ink: #101820;
  --lmd-track: #e7eaee;`;

const DARK = `
  --lmd-bg: #0f1318;
  --lmd-surface: #171c23;
  --lmd-text: #e5eaf0;
  --lmd-muted: #9ba7b4;
  --lmd-border: #2c3540;
  --lmd-grid: rgba(229, 234, 240, 0.12);
  --lmd-accent: #a5b4fc;
  --lmd-accent-text: #10131a;
  --lmd-c-exact: #c3ccd6;
  --lmd-c-float: #63a4ff;
  --lmd-c-lmul: #ff9447;
  --lmd-bad: #ff7b72;
  --lmd-bad-bg: #3a1d1d;
  --lmd-paper: #080a0d;
  --lmd-ink: #f3f5f7;
  --lmd-track: #252d37;`;

// The cards that start below the fold, in the desktop and in the phone layout.
const BELOW_FOLD = '.find, .layers, .sweep, .energy, .explainer';

export const STYLES = `
${UPLOT_CSS}
:host {
  ${LIGHT}
  --lmd-font: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  --lmd-mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  --lmd-radius: 10px;
  display: block;
  color-scheme: light;
  container-type: inline-size;
  font-family: var(--lmd-font);
  font-size: 15px;
  line-height: 1.45;
  color: var(--lmd-text);
  background: var(--lmd-bg);
  -webkit-text-size-adjust: 100%;
}
@media (prefers-color-scheme: dark) {
  :host(:not([theme="light"])) { ${DARK} color-scheme: dark; }
}
:host([theme="dark"]) { ${DARK} color-scheme: dark; }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.lmd { display: grid; gap: 14px; padding: 14px; align-items: start; position: relative; }
h2 { font-size: 1.05rem; margin: 0 0 8px; letter-spacing: 0.01em; }
h3 { font-size: 0.95rem; margin: 0; }
p { margin: 0 0 8px; }
.card {
  background: var(--lmd-surface);
  border: 1px solid var(--lmd-border);
  border-radius: var(--lmd-radius);
  padding: 12px 14px;
  min-width: 0;
}
.muted { color: var(--lmd-muted); }
.small { font-size: 0.85rem; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
[hidden] { display: none !important; }

/* ---- controls ---- */
button, select, input { font: inherit; color: inherit; }
button {
  min-height: 36px;
  padding: 6px 12px;
  border-radius: 8px;
  border: 1px solid var(--lmd-border);
  background: var(--lmd-bg);
  cursor: pointer;
  touch-action: manipulation;
}
button:hover:not(:disabled):not([aria-disabled="true"]) { border-color: var(--lmd-muted); }
button:disabled, button[aria-disabled="true"] { opacity: 0.55; cursor: default; }
button.primary { background: var(--lmd-accent); color: var(--lmd-accent-text); border-color: var(--lmd-accent); font-weight: 600; }
button.mini { min-height: 26px; min-width: 34px; padding: 1px 6px; font-size: 0.75rem; border-radius: 6px; }
button.help {
  min-height: 24px; min-width: 24px; width: 24px; height: 24px; padding: 0;
  border-radius: 50%; font-size: 0.8rem; font-weight: 700; line-height: 1;
  color: var(--lmd-accent); vertical-align: middle; text-transform: none;
}
button.help[aria-expanded="true"] { background: var(--lmd-accent); color: var(--lmd-accent-text); border-color: var(--lmd-accent); }
.help-text {
  flex-basis: 100%;
  margin: 0;
  padding: 8px 10px;
  border-radius: 8px;
  background: var(--lmd-bg);
  border-left: 3px solid var(--lmd-accent);
  font-size: 0.85rem;
  max-width: 60em;
}
select, input[type="number"], input[type="text"] {
  min-height: 36px;
  padding: 4px 8px;
  border-radius: 8px;
  border: 1px solid var(--lmd-border);
  background: var(--lmd-surface);
  max-width: 100%;
}
:focus-visible { outline: 3px solid var(--lmd-accent); outline-offset: 2px; }
input[type="range"] { accent-color: var(--lmd-accent); }
input[type="radio"], input[type="checkbox"] { accent-color: var(--lmd-accent); margin: 0 6px 0 0; width: 18px; height: 18px; }
.ctl-main, .ctl-more { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 10px 20px; }
.ctl { display: grid; gap: 4px; min-width: 0; }
.label-row { display: flex; align-items: center; gap: 8px; }
.ctl label[for], .ctl > legend { font-size: 0.8rem; font-weight: 600; color: var(--lmd-muted); text-transform: uppercase; letter-spacing: 0.04em; padding: 0; }
fieldset.ctl { border: 0; margin: 0; padding: 0; }
fieldset.ctl > div { display: flex; gap: 4px 14px; min-height: 36px; align-items: center; flex-wrap: wrap; }
fieldset.ctl label { display: inline-flex; align-items: center; cursor: pointer; min-height: 32px; }
.ctl-m { flex: 1 1 220px; }
.ctl-main .ctl:not(.ctl-m) { flex: 1 1 180px; }
.ctl-main select { width: 100%; }
.m-row { display: flex; align-items: center; gap: 10px; min-height: 36px; }
.m-row input { flex: 1; min-width: 120px; }
.m-row output { font: 600 1.05rem var(--lmd-mono); min-width: 5.2ch; text-align: right; }
.share { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; }
.share-url { flex: 1 1 100%; font: 0.8rem var(--lmd-mono); }
.ctl-model { flex: 1 1 100%; }
.model-row { display: flex; gap: 8px; flex-wrap: wrap; min-width: 0; }
/* An explicit width so the select's intrinsic size is not its longest option: it fills the row
   and shrinks with it on phones instead of widening the page. */
.model-row select { flex: 0 1 26em; width: 26em; min-width: 0; max-width: 100%; text-overflow: ellipsis; }
.alert {
  margin: 0;
  padding: 8px 12px;
  border-radius: 8px;
  background: var(--lmd-bad-bg);
  color: var(--lmd-bad);
  border: 1px solid currentColor;
  flex-basis: 100%;
  overflow-wrap: anywhere;
}
.alert p { margin: 0; }
.alert-summary { font-weight: 600; }
.alert-detail { font-size: 0.82rem; margin-top: 4px !important; }
.model-note {
  margin: 2px 0 0;
  padding: 6px 10px;
  border-radius: 8px;
  border-left: 3px solid var(--lmd-c-lmul);
  background: var(--lmd-bg);
  font-size: 0.85rem;
  max-width: 46em;
}
.model-note[data-state="away"] { border-left-color: var(--lmd-muted); }
button.link {
  min-height: 24px;
  padding: 0;
  border: 0;
  background: none;
  color: var(--lmd-accent);
  text-decoration: underline;
  text-underline-offset: 2px;
  font-weight: 600;
}
.drop-tip { margin: 0; flex-basis: 100%; }
@media (hover: none) { .drop-tip { display: none; } }
.drop-veil {
  display: none;
  position: absolute; inset: 0;
  z-index: 5;
  border: 3px dashed var(--lmd-accent);
  border-radius: var(--lmd-radius);
  background: color-mix(in srgb, var(--lmd-surface) 80%, transparent);
  pointer-events: none;
  place-items: start center;
  padding-top: 120px;
  font-weight: 600;
  font-size: 1.1rem;
}
.drop-veil span { background: var(--lmd-surface); padding: 10px 16px; border-radius: 8px; border: 1px solid var(--lmd-border); }
.lmd.dropping .drop-veil { display: grid; }

/* ---- layout: phones put the pad (with a strip of the three digits under it) first, then M,
   the predictions and the disagreements; wider screens keep pad and predictions side by side
   with the histograms under the predictions ---- */
.lmd {
  grid-template-columns: minmax(0, 1fr);
  grid-template-areas: "pad" "m" "preds" "attn" "find" "more" "layers" "errors" "sweep" "energy" "explain";
}
@container (min-width: 760px) {
  .lmd {
    grid-template-columns: minmax(250px, 320px) minmax(0, 1fr);
    grid-template-areas: "m more" "pad preds" "pad attn" "pad errors" "find find" "layers layers" "sweep sweep" "energy energy" "explain explain";
  }
  .ctl-main { flex-direction: column; align-items: stretch; align-self: stretch; justify-content: flex-start; }
  .ctl-main .ctl, .ctl-main .ctl:not(.ctl-m) { flex: 0 0 auto; }
  .ctl-more { align-self: stretch; align-content: flex-end; }
  .strip { display: none !important; }
}
.ctl-main { grid-area: m; }
.ctl-more { grid-area: more; }
.pad { grid-area: pad; }
.preds { grid-area: preds; }
.attention { grid-area: attn; }
.attn-bar { display: flex; gap: 6px 16px; flex-wrap: wrap; margin-bottom: 8px; }
.attn-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 180px)); gap: 12px; }
.attn-grid figure { margin: 0; }
.attn-grid canvas { display: block; width: 100%; aspect-ratio: 1; image-rendering: pixelated; border: 1px solid var(--lmd-border); border-radius: 6px; }
.attn-grid figcaption { font-size: 0.85rem; text-align: center; margin-top: 4px; }
.errors { grid-area: errors; }
.find { grid-area: find; }
.layers { grid-area: layers; }
.energy { grid-area: energy; }
.sweep { grid-area: sweep; }
.explainer { grid-area: explain; }
/* The cards that start below the fold are laid out and painted only near the viewport (a large
   share of the page's first layout otherwise); the reserved height, then their last real one,
   keeps the page's length steady. Until the start has shown its first prediction they are
   skipped altogether: "auto" styles and lays out every card once to find out which are near
   the viewport, ~30 ms of a cold start's way to its first prediction. */
${BELOW_FOLD} { content-visibility: auto; contain-intrinsic-size: auto 480px; }
.lmd[data-starting] :is(${BELOW_FOLD}) { content-visibility: hidden; }
.pad { display: grid; gap: 10px; align-content: start; }
.pad-wrap { position: relative; width: 100%; max-width: 320px; justify-self: center; }
.pad canvas.draw {
  display: block;
  width: 100%;
  aspect-ratio: 1;
  border-radius: 8px;
  border: 1px solid var(--lmd-border);
  touch-action: none;
  cursor: crosshair;
  background: var(--lmd-paper);
}
.pad-hint {
  position: absolute; inset: 0;
  display: grid; place-items: center;
  color: var(--lmd-muted);
  pointer-events: none;
  font-size: 0.95rem;
}
.strip { display: flex; gap: 6px; justify-content: center; flex-wrap: wrap; }
.strip span {
  display: inline-flex; align-items: baseline; gap: 6px;
  padding: 2px 10px; border-radius: 999px;
  border: 1px solid var(--lmd-border); border-top: 3px solid var(--c);
  font-size: 0.8rem; color: var(--lmd-muted);
}
.strip b { font: 700 1.3rem/1.1 var(--lmd-mono); color: var(--c); }
.strip [data-method="exact"] { --c: var(--lmd-c-exact); }
.strip [data-method="float"] { --c: var(--lmd-c-float); }
.strip [data-method="lmul"] { --c: var(--lmd-c-lmul); }
.strip [data-disagrees="true"] { border-color: var(--lmd-bad); background: var(--lmd-bad-bg); }
.strip [data-disagrees="true"]::after { content: "≠"; font-weight: 700; color: var(--lmd-bad); }
.pad-buttons, .pick-row { display: flex; gap: 8px; flex-wrap: wrap; justify-content: center; align-items: center; }
.test-pick { display: grid; gap: 6px; }
.pick-row label { display: inline-flex; gap: 6px; align-items: center; }
.pick-row input[type="number"] { width: 7.5em; }
.preview-row { display: flex; gap: 12px; align-items: center; justify-content: center; }
canvas.preview {
  width: 84px; height: 84px;
  image-rendering: pixelated;
  border-radius: 6px;
  border: 1px solid var(--lmd-border);
  background: var(--lmd-paper);
}
.preview-caption { font-size: 0.85rem; color: var(--lmd-muted); max-width: 18em; }

.preds { position: relative; display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; align-content: start; align-self: stretch; }
.col { position: relative; border-top: 4px solid var(--c); padding: 10px 10px 8px; display: flex; flex-direction: column; }
.col .verdict { margin-top: auto; }
.col[data-method="exact"] { --c: var(--lmd-c-exact); }
.col[data-method="float"] { --c: var(--lmd-c-float); }
.col[data-method="lmul"] { --c: var(--lmd-c-lmul); }
.col h3 { font-size: 0.8rem; color: var(--lmd-muted); font-weight: 600; }
.col h3 b { display: block; color: var(--lmd-text); font-size: 0.95rem; }
.verdict { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; margin: 4px 0 6px; }
.digit { font: 700 2.6rem/1 var(--lmd-mono); color: var(--c); min-width: 1ch; }
.conf { font: 0.9rem var(--lmd-mono); color: var(--lmd-muted); }
.mark {
  display: inline-block;
  font-weight: 700;
  font-size: 0.78rem;
  padding: 1px 7px;
  border-radius: 999px;
  color: var(--lmd-bad);
  background: var(--lmd-bad-bg);
  border: 1px solid currentColor;
  white-space: nowrap;
}
.col[data-disagrees="true"] { box-shadow: inset 0 0 0 2px var(--lmd-bad); }
.col[data-blank="true"] .digit { color: var(--lmd-muted); }
.bars { list-style: none; margin: 0; padding: 0; display: grid; gap: 1px; }
.bars li { display: grid; grid-template-columns: 1.3ch minmax(0, 1fr) 3.6ch; gap: 6px; align-items: center; font: 0.76rem/1.2 var(--lmd-mono); }
.bars .track { height: 9px; border-radius: 3px; background: var(--lmd-track); overflow: hidden; }
.bars .fill { display: block; height: 100%; width: 100%; background: var(--c); opacity: 0.55; transform-origin: left; transform: scaleX(var(--p, 0)); }
.bars li.top .fill { opacity: 1; }
.bars li.top { font-weight: 700; }
.bars .v { text-align: right; color: var(--lmd-muted); }
/* Loading and failure notes lie over the columns: their coming and going moves nothing. */
.status {
  position: absolute; z-index: 2; left: 50%; top: 40%; transform: translate(-50%, -50%);
  margin: 0; padding: 8px 14px; max-width: 90%;
  border-radius: 8px; border: 1px solid var(--lmd-border);
  background: var(--lmd-surface); color: var(--lmd-muted);
}
.preds .alert { position: absolute; z-index: 2; left: 8px; right: 8px; top: 48px; }
@container (max-width: 480px) {
  .lmd { padding: 10px; gap: 10px; }
  .col { padding: 8px 6px 6px; }
  .col h3 { font-size: 0.75rem; }
  .col h3 b { font-size: 0.85rem; }
  .digit { font-size: 2rem; }
  .conf { font-size: 0.75rem; }
  .bars li { grid-template-columns: 1.1ch minmax(0, 1fr); gap: 4px; font-size: 0.72rem; }
  .bars .v { display: none; }
  .preds { gap: 6px; }
}

/* ---- charts ---- */
.chart-title { display: flex; gap: 6px 10px; align-items: center; justify-content: space-between; flex-wrap: wrap; }
.chart-title h3 { color: var(--c, var(--lmd-text)); }
.exports { display: inline-flex; gap: 4px; margin-left: auto; }
/* Fixed heights, so a chart drawn later (they are built when the browser is idle) moves nothing. */
.chart { width: 100%; }
.hist-chart { height: 170px; }
.logit-chart { height: 170px; }
.sweep-chart { height: 240px; }
.chart-box { position: relative; }
.errors-grid { display: grid; gap: 14px; grid-template-columns: minmax(0, 1fr); }
@container (min-width: 700px) { .errors-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.hist { --c: var(--lmd-c-float); }
.hist.lmul { --c: var(--lmd-c-lmul); }
.hist-empty {
  display: none;
  position: absolute; inset: 8px 8px 40px 56px;
  place-items: center;
  text-align: center;
  margin: 0;
  padding: 8px;
  color: var(--lmd-muted);
  font-size: 0.85rem;
  background: color-mix(in srgb, var(--lmd-surface) 85%, transparent);
}
.hist[data-count="0"] .hist-empty { display: grid; }
.stats { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 2px 12px; margin: 6px 0 0; font-size: 0.82rem; }
.stats div { display: flex; justify-content: space-between; gap: 6px; border-bottom: 1px dotted var(--lmd-border); }
.stats dt { color: var(--lmd-muted); }
.stats dd { margin: 0; font-family: var(--lmd-mono); }
.legend { display: flex; gap: 14px; font-size: 0.82rem; color: var(--lmd-muted); flex-wrap: wrap; }
.legend span::before, .legend-buttons button::before {
  content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; background: var(--c); vertical-align: -1px;
}
.legend .f { --c: var(--lmd-c-float); }
.legend .l { --c: var(--lmd-c-lmul); }
.legend-buttons { display: flex; gap: 6px; flex-wrap: wrap; }
.legend-buttons button { min-height: 28px; padding: 2px 8px; font-size: 0.8rem; }
.legend-buttons button[aria-pressed="false"] { opacity: 0.6; text-decoration: line-through; }
.legend-buttons button[data-dash]::before { background: none; border-top: 2px dashed var(--c); height: 0; vertical-align: 3px; }

/* ---- disagreements ---- */
.find-bar { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; }
.find-list { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; grid-template-columns: repeat(auto-fill, minmax(148px, 1fr)); }
.find-list button {
  width: 100%; display: grid; grid-template-columns: 56px minmax(0, 1fr); gap: 8px; align-items: center;
  text-align: left; padding: 6px; background: var(--lmd-surface);
}
.find-list canvas { width: 56px; height: 56px; image-rendering: pixelated; border-radius: 4px; background: var(--lmd-paper); border: 1px solid var(--lmd-border); }
.find-list .calls { font: 0.85rem var(--lmd-mono); line-height: 1.35; }
.find-list .calls b { font-size: 1rem; }
.find-list .e { color: var(--lmd-c-exact); }
.find-list .a { color: var(--lmd-c-lmul); }
.find-list .why { display: block; font: 0.75rem var(--lmd-font); color: var(--lmd-muted); }
#find-more { margin-top: 10px; }

/* ---- layers and plan ---- */
.plan-bar { display: flex; gap: 6px 10px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
.plan-bar label { font-weight: 600; }
.plan-bar code { overflow-wrap: anywhere; }
.table-scroll { overflow-x: auto; }
#layer-table td:first-child, #layer-table th:first-child { text-align: center; }
#layer-table tr[data-approx="false"] td { color: var(--lmd-muted); }
#layer-table th[scope="row"] { white-space: normal; overflow-wrap: anywhere; }
#layer-table .kind { color: var(--lmd-muted); font-size: 0.78rem; margin-left: 4px; }
#layer-table .err { display: inline-grid; grid-template-columns: 5.4em 60px; gap: 6px; align-items: center; justify-content: end; }
/* Narrow (after the rules it overrides): the two errors per layer only (products and product error are in the histograms). */
@container (max-width: 600px) {
  #layer-table .wide, #layer-table .bar { display: none; }
  #layer-table .err { display: inline; }
  #layer-table th, #layer-table td { white-space: normal; }
}
#layer-table .bar { height: 8px; border-radius: 2px; background: var(--lmd-track); overflow: hidden; }
#layer-table .bar i { display: block; height: 100%; background: var(--c); transform-origin: left; transform: scaleX(var(--p, 0)); }
#layer-table td.f { --c: var(--lmd-c-float); }
#layer-table td.l { --c: var(--lmd-c-lmul); }
.kinds { display: flex; gap: 4px 18px; flex-wrap: wrap; margin: 8px 0 0; }
.kinds div { display: flex; gap: 6px; }
.kinds dt { color: var(--lmd-muted); }
.kinds dd { margin: 0; font-family: var(--lmd-mono); }
.logits { margin-top: 14px; }
.logits .chart-title h3 { font-size: 0.9rem; }

/* ---- energy, sweep, explainer ---- */
.energy-grid { display: grid; gap: 6px 16px; grid-template-columns: minmax(0, 1fr); }
@container (min-width: 700px) { .energy-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.energy-figure { font: 600 1.4rem var(--lmd-mono); }
.energy-figure.exact { color: var(--lmd-c-exact); }
.energy-figure.lmul { color: var(--lmd-c-lmul); }
code, .formula { font-family: var(--lmd-mono); font-size: 0.86rem; }
.formula {
  display: block;
  overflow-x: auto;
  padding: 8px 10px;
  border-radius: 6px;
  background: var(--lmd-bg);
  border: 1px solid var(--lmd-border);
  white-space: pre;
  margin: 6px 0 8px;
}
.sweep-bar { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; }
.sweep-bar label { display: inline-flex; gap: 6px; align-items: center; }
progress { flex: 1 1 140px; height: 12px; accent-color: var(--lmd-accent); }
.sweep-status { font-size: 0.85rem; color: var(--lmd-muted); flex-basis: 100%; min-height: 1.3em; }
.sweep-compare {
  margin: 0 0 10px;
  padding: 8px 12px;
  border-radius: 8px;
  border-left: 3px solid var(--lmd-c-lmul);
  background: var(--lmd-bg);
  font-variant-numeric: tabular-nums;
}
.sweep-compare b { color: var(--lmd-c-lmul); white-space: nowrap; }
.tag {
  display: inline-block;
  font-size: 0.7rem;
  font-weight: 700;
  padding: 0 6px;
  margin-left: 4px;
  border-radius: 999px;
  color: var(--lmd-c-lmul);
  border: 1px solid currentColor;
  vertical-align: 1px;
}
.tag.partial { color: var(--lmd-muted); }
tr.tuned th, tr.tuned td { background: color-mix(in srgb, var(--lmd-c-lmul) 10%, transparent); }
tr.partial th, tr.partial td { background: repeating-linear-gradient(135deg, transparent 0 6px, color-mix(in srgb, var(--lmd-muted) 12%, transparent) 6px 12px); }
td.b { color: var(--lmd-c-lmul); }
td.l { font-weight: 600; }
table[data-compare="false"] td.l { font-weight: inherit; }
.sweep-grid { display: grid; gap: 14px; grid-template-columns: minmax(0, 1fr); }
@container (min-width: 760px) { .sweep-grid { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); } }
.sweep-exports { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 8px; }
#sweep-error { margin-bottom: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--lmd-muted); font-size: 0.82rem; padding-bottom: 4px; }
th, td { padding: 3px 8px; text-align: right; border-bottom: 1px solid var(--lmd-border); white-space: nowrap; }
thead th { white-space: normal; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
thead th { font-weight: 600; color: var(--lmd-muted); }
td.f { color: var(--lmd-c-float); }
td.l { color: var(--lmd-c-lmul); }
.explainer p, .explainer li { max-width: 72ch; }
.explainer cite { font-style: normal; }
:host([compact]) .errors, :host([compact]) .find, :host([compact]) .layers, :host([compact]) .energy, :host([compact]) .sweep, :host([compact]) .explainer { display: none; }
:host([compact]) .lmd { grid-template-areas: "pad" "m" "preds" "more"; }
@container (min-width: 760px) {
  :host([compact]) .lmd { grid-template-areas: "m more" "pad preds"; }
}
@container (max-width: 480px) {
  .stats { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .formula { white-space: pre-wrap; font-size: 0.8rem; }
  th, td { padding: 3px 4px; }
  table { font-size: 0.8rem; }
}
/* The smallest phones (320 px): a fine-tune's comparison table has six columns of percentages. */
@container (max-width: 330px) {
  #sweep-table { font-size: 0.72rem; }
  #sweep-table th, #sweep-table td { padding: 3px 2px; }
}
@media (prefers-reduced-motion: no-preference) {
  .bars .fill { transition: transform 90ms linear; }
}
`;
