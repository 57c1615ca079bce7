// "Copy link" and the state in the page's URL (the url-state attribute): the fragment follows
// the demo's state (url-state.js says what is in it) a moment after each change, with
// history.replaceState (no new history entries, no reload), and the button copies a link that
// restores it. Without clipboard access the link is shown, selected, to copy by hand.
import { encodeState } from './url-state.js';

const WRITE_MS = 250; // browsers limit replaceState calls; drawing changes the state every frame

export class ShareController {
  #refs;
  #state;
  #enabled = false;
  #timer = 0;

  // state(): the demo's current state for encodeState, or null while there is none to keep.
  constructor(refs, { state }) {
    this.#refs = refs;
    this.#state = state;
    refs.copyLink.addEventListener('click', () => this.copy());
  }

  enable(on) {
    this.#enabled = on;
    this.#refs.share.hidden = !on;
    if (!on) this.disconnect();
  }

  // The link to the current state.
  link() {
    const state = this.#state();
    const url = new URL(location.href);
    url.hash = state ? encodeState(state) : '';
    return url.href;
  }

  // The state changed: the URL follows shortly.
  changed() {
    if (!this.#enabled || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = 0;
      this.#write();
    }, WRITE_MS);
  }

  #write() {
    if (!this.#enabled || !this.#state()) return;
    const href = this.link();
    if (href !== location.href) history.replaceState(history.state, '', href);
  }

  async copy() {
    const r = this.#refs;
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#write();
    const href = this.link();
    r.shareUrl.value = href;
    try {
      await navigator.clipboard.writeText(href);
      r.shareUrl.hidden = true;
      r.shareStatus.textContent = 'Link copied: it opens this model, these settings and this input.';
    } catch {
      r.shareUrl.hidden = false;
      r.shareUrl.select();
      r.shareStatus.textContent = 'The browser did not allow copying: copy the selected link.';
      r.shareUrl.focus();
    }
  }

  disconnect() {
    clearTimeout(this.#timer);
    this.#timer = 0;
  }
}
