// The attention card, shown for a vision transformer only: the class token's attention over the
// input for the exact network and for the L-Mul column (its multiplier and plan) side by side,
// for a chosen block, per head or the heads' mean (attention-map.js draws them).
import { attentionPixels, paint } from './attention-map.js';

const node = (tag, props = {}) => Object.assign(document.createElement(tag), props);

export class AttentionView {
  #refs;
  #host;
  #last = null; // { input, exact, approx } for a redraw on a new block, head or theme

  constructor(refs, host) {
    this.#refs = refs;
    this.#host = host;
    for (const select of [refs.attnBlock, refs.attnHead]) select.addEventListener('change', () => this.#draw());
  }

  // input: the 28×28 network input; exact, approx: predict(...).attention of both columns, or
  // null (not a transformer, or nothing predicted): the card hides.
  show(input, exact, approx) {
    const r = this.#refs;
    const on = Boolean(exact?.length && approx?.length);
    r.attention.hidden = !on;
    if (!on) {
      this.#last = null;
      return;
    }
    this.#last = { input, exact, approx };
    this.#options(r.attnBlock, exact.length, (b) => `${b + 1} of ${exact.length}`, String(exact.length - 1));
    this.#options(r.attnHead, exact[0].heads, (h) => String(h + 1), '');
    this.#draw();
  }

  retheme() {
    this.#draw();
  }

  // Fills a menu with n choices (value k, label text(k)); the head menu starts with the mean.
  // Keeps the choice when the count is unchanged, else selects `fallback`.
  #options(select, n, text, fallback) {
    const mean = select === this.#refs.attnHead;
    if (select.dataset.n === String(n)) return;
    select.dataset.n = String(n);
    select.replaceChildren(...(mean ? [node('option', { value: '', textContent: 'mean of heads' })] : []),
      ...Array.from({ length: n }, (_, k) => node('option', { value: String(k), textContent: text(k) })));
    select.value = fallback;
  }

  #draw() {
    if (!this.#last) return;
    const r = this.#refs, { input, exact, approx } = this.#last;
    const block = Number(r.attnBlock.value), head = r.attnHead.value === '' ? null : Number(r.attnHead.value);
    const cs = getComputedStyle(this.#host);
    paint(r.attnExact, input, attentionPixels(exact[block], head), cs.getPropertyValue('--lmd-c-exact').trim() || '#333');
    paint(r.attnApprox, input, attentionPixels(approx[block], head), cs.getPropertyValue('--lmd-c-lmul').trim() || '#c40');
  }
}
