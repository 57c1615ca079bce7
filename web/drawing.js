// The drawing pad: pointer events -> a list of strokes (normalized coordinates, so undo and
// resizing are exact) -> the visible canvas and a fixed-size grayscale raster for the model.
//
// Items are { type: 'stroke', points: [[x, y], ...] } (x, y in [0, 1]) or
// { type: 'image', pixels: Uint8Array(784), index, label } (a 28x28 MNIST test image that
// fills the pad). Every change pushes the previous item list on a history stack, so Undo
// also undoes Clear and "Random test digit".
//
// Drawing is incremental: the finished items are kept painted on two canvases (the visible
// size with paper and ink, and the model's raster), a finished stroke is painted onto them
// alone, and the stroke in progress is drawn over a copy of them. Only undo, clear, a test
// image, a resize or new colors paint every item again, so a stroke costs the same after 2,000
// strokes as after 10. Painting an item onto a canvas that holds the ones before it gives the
// same pixels as painting them all at once.

// MNIST-like stroke: a digit drawn over ~2/3 of the pad becomes 20 px high in the network
// input, and MNIST strokes are ~2.5 px wide there, so the pen is 8 % of the pad's side.
export const STROKE_WIDTH = 0.08;
export const RASTER_SIZE = 280;

// The ink and paper colors of host (its --lmd-ink and --lmd-paper): the pad's, and of every
// image drawn like it.
export function inkColors(host) {
  const cs = getComputedStyle(host);
  return { ink: cs.getPropertyValue('--lmd-ink').trim() || '#000', paper: cs.getPropertyValue('--lmd-paper').trim() || '#fff' };
}

function makeCanvas(size) {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(size, size);
  const c = document.createElement('canvas');
  c.width = c.height = size;
  return c;
}

// Draws items into ctx scaled to a size x size square with the given ink color. MNIST images
// are drawn from a 28x28 canvas without smoothing (their real pixels).
function paint(ctx, items, size, ink, strokeWidth) {
  ctx.save();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = strokeWidth * size;
  ctx.strokeStyle = ink;
  ctx.fillStyle = ink;
  for (const item of items) {
    if (item.type === 'image') {
      const tile = makeCanvas(28);
      const tctx = tile.getContext('2d');
      const img = tctx.createImageData(28, 28);
      const rgb = parseColor(ink);
      for (let i = 0; i < 784; ++i) {
        img.data[4 * i] = rgb[0];
        img.data[4 * i + 1] = rgb[1];
        img.data[4 * i + 2] = rgb[2];
        img.data[4 * i + 3] = item.pixels[i];
      }
      tctx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tile, 0, 0, size, size);
      continue;
    }
    const p = item.points;
    if (p.length === 1) {
      ctx.beginPath();
      ctx.arc(p[0][0] * size, p[0][1] * size, (strokeWidth * size) / 2, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    // Quadratic curves through the midpoints: smooth, and exact at both ends.
    ctx.beginPath();
    ctx.moveTo(p[0][0] * size, p[0][1] * size);
    for (let i = 1; i < p.length - 1; ++i) {
      const mx = (p[i][0] + p[i + 1][0]) / 2, my = (p[i][1] + p[i + 1][1]) / 2;
      ctx.quadraticCurveTo(p[i][0] * size, p[i][1] * size, mx * size, my * size);
    }
    const last = p[p.length - 1];
    ctx.lineTo(last[0] * size, last[1] * size);
    ctx.stroke();
  }
  ctx.restore();
}

let colorProbe;
// Any CSS color as [r, g, b], resolved on a 1x1 canvas of its own (read back from memory, never
// from a canvas on screen).
export function parseColor(css) {
  colorProbe ??= makeCanvas(1).getContext('2d', { willReadFrequently: true });
  colorProbe.clearRect(0, 0, 1, 1);
  colorProbe.fillStyle = '#000';
  colorProbe.fillStyle = css;
  colorProbe.fillRect(0, 0, 1, 1);
  const d = colorProbe.getImageData(0, 0, 1, 1).data;
  return [d[0], d[1], d[2]];
}

export class DrawingPad extends EventTarget {
  constructor(canvas, { strokeWidth = STROKE_WIDTH, colors = () => ({ ink: '#000', paper: '#fff' }) } = {}) {
    super();
    this.canvas = canvas;
    this.strokeWidth = strokeWidth;
    this.colors = colors;
    this.items = [];
    this.history = [];
    this.active = null; // { pointerId, stroke }
    // The finished items, painted: on paper at the visible size, and as ink alone on the raster.
    this.done = makeCanvas(1);
    this.doneRaster = makeCanvas(RASTER_SIZE);
    // The raster with the stroke in progress, read by rasterize().
    this.raster = makeCanvas(RASTER_SIZE);
    this.rasterCtx = this.raster.getContext('2d', { willReadFrequently: true });

    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    canvas.addEventListener('pointerup', (e) => this.#up(e));
    canvas.addEventListener('pointercancel', (e) => this.#up(e));
    // Touch: no scrolling or zooming while drawing (CSS touch-action: none does the rest).
    canvas.addEventListener('touchstart', (e) => e.preventDefault(), { passive: false });
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    this.resizeObserver = null;
  }

  // Redraws at the canvas's size whenever it changes, until disconnect().
  connect() {
    this.resizeObserver ??= new ResizeObserver(() => this.render());
    this.resizeObserver.observe(this.canvas);
  }
  disconnect() {
    this.resizeObserver?.disconnect();
    this.active = null; // a stroke cut short by removal is dropped, not left half-open
  }

  get isEmpty() {
    return this.items.length === 0 && !this.active;
  }
  get canUndo() {
    return this.history.length > 0;
  }
  // The MNIST test image on the pad when it holds nothing else, else null.
  get soleImage() {
    return this.items.length === 1 && this.items[0].type === 'image' && !this.active ? this.items[0] : null;
  }

  // A new item list; `added` is the one item it adds to the current list, painted alone.
  #commit(items, added = null) {
    this.history.push(this.items);
    if (this.history.length > 200) this.history.shift();
    this.items = items;
    if (added) {
      this.#paintDone([added]);
      this.#show();
    } else {
      this.render();
    }
    this.#emit(true);
  }
  clear() {
    if (this.items.length) this.#commit([]);
  }
  undo() {
    if (!this.history.length) return false;
    this.items = this.history.pop();
    this.render();
    this.#emit(true);
    return true;
  }
  setImage(pixels, meta = {}) {
    this.#commit([{ type: 'image', pixels: Uint8Array.from(pixels), ...meta }]);
  }

  #emit(final) {
    this.dispatchEvent(new CustomEvent('change', { detail: { final } }));
  }

  #point(e) {
    const r = this.canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((e.clientX - r.left) / r.width), clamp((e.clientY - r.top) / r.height)];
  }

  #down(e) {
    if (this.active || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.focus({ preventScroll: true });
    this.canvas.setPointerCapture?.(e.pointerId);
    this.active = { pointerId: e.pointerId, stroke: { type: 'stroke', points: [this.#point(e)] } };
    this.#show();
    this.#emit(false);
  }
  #move(e) {
    if (!this.active || e.pointerId !== this.active.pointerId) return;
    e.preventDefault();
    const events = e.getCoalescedEvents?.() ?? [];
    const pts = this.active.stroke.points;
    for (const ev of events.length ? events : [e]) {
      const q = this.#point(ev), last = pts[pts.length - 1];
      if (Math.hypot(q[0] - last[0], q[1] - last[1]) > 0.002) pts.push(q);
    }
    this.#show();
    this.#emit(false);
  }
  #up(e) {
    if (!this.active || e.pointerId !== this.active.pointerId) return;
    const { stroke } = this.active;
    this.active = null;
    this.#commit([...this.items, stroke], stroke);
  }

  // Paints every item again, at the canvas's current size and colors (after undo, clear, a test
  // image, a resize or a theme change).
  render() {
    const c = this.canvas;
    const dpr = globalThis.devicePixelRatio || 1;
    const size = Math.max(1, Math.round(c.clientWidth * dpr));
    if (c.width !== size || c.height !== size) c.width = c.height = size;
    const done = this.done;
    if (done.width !== size || done.height !== size) done.width = done.height = size;
    const ctx = done.getContext('2d');
    ctx.fillStyle = this.colors().paper;
    ctx.fillRect(0, 0, size, size);
    this.doneRaster.getContext('2d').clearRect(0, 0, RASTER_SIZE, RASTER_SIZE);
    this.#paintDone(this.items);
    this.#show();
  }

  // Paints items over the finished ones on both canvases.
  #paintDone(items) {
    paint(this.done.getContext('2d'), items, this.done.width, this.colors().ink, this.strokeWidth);
    paint(this.doneRaster.getContext('2d'), items, RASTER_SIZE, '#fff', this.strokeWidth);
  }

  // The visible canvas: the finished items, and the stroke in progress over them.
  #show() {
    const c = this.canvas;
    if (c.width !== this.done.width) return this.render(); // resized since: paint at the new size
    const ctx = c.getContext('2d');
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.drawImage(this.done, 0, 0);
    if (this.active) paint(ctx, [this.active.stroke], c.width, this.colors().ink, this.strokeWidth);
  }

  // Grayscale raster of everything on the pad: Float32Array(RASTER_SIZE^2), ink = 1.
  rasterize() {
    const ctx = this.rasterCtx, n = RASTER_SIZE;
    ctx.clearRect(0, 0, n, n);
    ctx.drawImage(this.doneRaster, 0, 0);
    if (this.active) paint(ctx, [this.active.stroke], n, '#fff', this.strokeWidth);
    const rgba = ctx.getImageData(0, 0, n, n).data;
    const gray = new Float32Array(n * n);
    for (let i = 0; i < gray.length; ++i) gray[i] = rgba[4 * i + 3] / 255;
    return gray;
  }
}
