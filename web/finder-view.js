// The disagreement finder: scans the whole test set on worker threads for the current model,
// plan and settings (exact fp32 and the L-Mul column, every image's logits; finder.js ranks
// them) and lists the images where L-Mul picks another digit than exact — or, when none flips,
// the closest calls — as buttons with a thumbnail, the label and both digits. Picking one loads
// it into the pad. After a first scan, a change of settings scans again (the list would be stale).
import { SweepRunner } from './sweep.js';
import { findDisagreements } from './finder.js';
import { int } from './format.js';
import { inkColors } from './drawing.js';

const PAGE = 24; // items shown at a time
const RESCAN_MS = 350; // quiet time after a change before scanning again

const node = (tag, props = {}) => Object.assign(document.createElement(tag), props);

export class FinderView {
  #refs;
  #host;
  #onPick;
  #runner = null;
  #base = null;
  #scanned = false; // the user asked once: keep the list current
  #timer = 0;
  #scan = 0; // counts scans: a newer one wins
  #result = null; // { found, data, label }
  #shown = 0;
  #request = null; // () => what to scan, from the element
  #exact = null; // { handle, n, result }: the exact pass depends on the network only, so a rescan reuses it

  // onPick(index): an item was chosen. request(): { model, dataset: () => Promise<MnistSet>,
  // opts: { exact, approx } (evaluate options), label: what was scanned, in words }.
  constructor(refs, host, { onPick, request }) {
    this.#refs = refs;
    this.#host = host;
    this.#onPick = onPick;
    this.#request = request;
    refs.findStart.addEventListener('click', () => this.scan().catch(() => {})); // shown in the card
    refs.findMore.addEventListener('click', () => this.#more());
    refs.findList.addEventListener('click', (e) => {
      const item = e.target.closest?.('button[data-index]');
      if (item) this.#onPick(Number(item.dataset.index));
    });
  }

  setAssetsBase(base) {
    if (String(base) === String(this.#base)) return;
    this.#base = base;
    this.#runner?.terminate();
    this.#runner = null;
  }

  disconnect() {
    clearTimeout(this.#timer);
    this.#timer = 0;
    ++this.#scan;
    this.#runner?.terminate();
    this.#runner = null;
  }

  // The model or a setting changed: a list on screen is redone shortly; nothing else happens
  // before the first scan.
  changed() {
    if (!this.#scanned) return;
    clearTimeout(this.#timer);
    this.#runner?.cancel();
    this.#refs.findStatus.textContent = 'Settings changed: scanning again…';
    this.#timer = setTimeout(() => {
      this.#timer = 0;
      this.scan().catch(() => {});
    }, RESCAN_MS);
  }

  // Another model: the old list is not about it.
  reset() {
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#runner?.cancel();
    this.#scanned = false;
    this.#result = null;
    this.#exact = null;
    this.#refs.findList.replaceChildren();
    this.#refs.findMore.hidden = true;
    this.#refs.findStatus.textContent = '';
    this.#refs.findError.hidden = true;
  }

  // Scans now; resolves to { seconds, scanMs, flips } (null when a newer scan took over).
  async scan() {
    const r = this.#refs, scan = ++this.#scan;
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#scanned = true;
    const { model, dataset, opts, label } = this.#request();
    r.findError.hidden = true;
    r.findStatus.textContent = 'Loading the test images…';
    const t0 = performance.now();
    try {
      const data = await dataset();
      if (scan !== this.#scan) return null;
      this.#runner?.cancel();
      this.#runner ??= new SweepRunner({ base: this.#base });
      r.findStatus.textContent = `Scanning ${int(data.n)} test images…`;
      const cached = this.#exact?.handle === model.handle && this.#exact.n === data.n ? this.#exact.result : null;
      const jobs = [...(cached ? [] : [{ key: 'exact', opts: opts.exact, keep: true }]), { key: 'approx', opts: opts.approx, keep: true }];
      const out = await this.#runner.run({ dataset: data, models: [{ key: model.entry.id, bytes: model.bytes }], jobs, n: data.n, chunk: 2500 });
      if (out.cancelled || scan !== this.#scan) return null;
      const exact = cached ?? out.results.get('exact'), approx = out.results.get('approx');
      this.#exact = { handle: model.handle, n: data.n, result: exact };
      const found = findDisagreements({ labels: data.labels, exact, approx, classes: model.handle.outputSize });
      const seconds = (performance.now() - t0) / 1000;
      const scanMs = cached ? approx.ms : Math.max(exact.ms, approx.ms);
      this.#result = { found, data, label };
      this.#render(seconds, scanMs);
      return { seconds, scanMs, flips: found.flipCount };
    } catch (err) {
      if (scan !== this.#scan) return null;
      r.findStatus.textContent = '';
      r.findError.textContent = `The scan failed: ${err.message ?? err}`;
      r.findError.hidden = false;
      this.#runner?.terminate();
      this.#runner = null;
      throw err;
    }
  }

  // New colors: the thumbnails are painted in the ink color.
  retheme() {
    if (!this.#result) return;
    const shown = this.#shown;
    this.#refs.findList.replaceChildren();
    this.#shown = 0;
    while (this.#shown < shown) this.#more();
  }

  #render(seconds, scanMs) {
    const r = this.#refs, { found, label } = this.#result;
    const flips = found.flipCount > 0;
    const overflow = found.nonFinite ? ` (${int(found.nonFinite)} of them overflowed)` : '';
    r.findStatus.textContent = flips
      ? `${int(found.flipCount)} of ${int(found.n)} test images flip under ${label}${overflow}; largest margin drop first.`
      : `None of the ${int(found.n)} test images flips under ${label}. The closest calls, largest drop of the winning margin first:`;
    r.findStatus.title = `scanned in ${seconds.toFixed(2)} s (${(scanMs / 1000).toFixed(2)} s per pass in the workers)`;
    r.findList.dataset.kind = flips ? 'flips' : 'closest';
    r.findList.dataset.seconds = seconds.toFixed(3);
    r.findList.dataset.scanMs = scanMs.toFixed(1);
    r.findList.replaceChildren();
    this.#shown = 0;
    this.#more();
  }

  #more() {
    const { found, data } = this.#result;
    const items = found.flipCount > 0 ? found.flips : found.closest;
    const next = items.slice(this.#shown, this.#shown + PAGE);
    this.#refs.findList.append(...next.map((it) => this.#item(it, data)));
    this.#shown += next.length;
    this.#refs.findMore.hidden = this.#shown >= items.length;
  }

  #item(it, data) {
    const li = node('li');
    const b = node('button', { type: 'button' });
    b.dataset.index = String(it.index);
    b.dataset.testid = 'disagreement-item';
    const approx = it.approx === null ? 'nothing (overflow)' : String(it.approx);
    b.setAttribute('aria-label', `Test image ${it.index}, label ${it.label}: exact ${it.exact}, L-Mul ${approx}`);
    const thumb = node('canvas', { width: 28, height: 28 });
    thumb.setAttribute('aria-hidden', 'true');
    paintThumb(thumb, data.image(it.index), this.#host);
    const calls = node('span', { className: 'calls' });
    calls.append(`#${it.index} · label ${it.label}`, node('br'), 'exact ', node('b', { className: 'e', textContent: String(it.exact) }),
      ' → L-Mul ', node('b', { className: 'a', textContent: it.approx === null ? '–' : String(it.approx) }),
      node('span', { className: 'why', textContent: `margin ${fmtMargin(it.margin + it.drop)} → ${fmtMargin(it.margin)}` }));
    b.append(thumb, calls);
    li.append(b);
    return li;
  }
}

const fmtMargin = (v) => (Number.isFinite(v) ? (v < 0 ? `−${Math.abs(v).toFixed(2)}` : v.toFixed(2)) : '–');

function paintThumb(canvas, pixels, host) {
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = inkColors(host).ink;
  ctx.fillRect(0, 0, 1, 1);
  const ink = ctx.getImageData(0, 0, 1, 1).data;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; ++i) {
    img.data.set([ink[0], ink[1], ink[2], pixels[i]], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}
