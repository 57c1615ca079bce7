// The MNIST test images on the pad: the test set and its first-images sample (under assets-base,
// else next to the module), one image by index or a random one (of one digit), and the controls that ask for them ("Random
// test digit" with its digit menu, and the index form), one request at a time. It does not
// predict (the pad's change does) and validates no public arguments (the element does).
import { TestImageFiles, MNIST_URL, MNIST_SAMPLE_URL } from './mnist.js';
import { assetUrl } from './assets.js';
import { clampInt } from './settings.js';

// The index of a random image among labels, or among those of digit `label` when it is not null.
export function randomIndex(labels, label = null, random = Math.random) {
  if (label === null) return Math.floor(random() * labels.length);
  const pool = labels.reduce((out, l, i) => (l === label ? (out.push(i), out) : out), []);
  return pool[Math.floor(random() * pool.length)];
}

export class TestImages {
  #refs;
  #pad;
  #showError;
  #files = new TestImageFiles(); // the files next to the module until an assets base is set
  #busy = false; // an image asked for by a control is being fetched

  // pad: the DrawingPad the images go to. showError(message): the element's error box.
  constructor(refs, { pad, showError }) {
    this.#refs = refs;
    this.#pad = pad;
    this.#showError = showError;
    refs.random.addEventListener('click', () =>
      this.#pick(() => this.showRandom(refs.randomLabel.value === '' ? null : Number(refs.randomLabel.value))));
    refs.indexForm.addEventListener('submit', (e) => {
      e.preventDefault();
      this.#pick(() => this.show(Number(refs.testIndex.value)));
    });
  }

  // The assets base URL (assets.js), or null for the file next to the module.
  setAssetsBase(base) {
    this.#files = new TestImageFiles(assetUrl(base, 'web/data/mnist-t10k.bin', MNIST_URL),
      assetUrl(base, 'web/data/mnist-t10k-sample.bin', MNIST_SAMPLE_URL));
  }

  // The test set (an MnistSet), fetched once.
  dataset() {
    return this.#files.all();
  }

  // Test image `index` (clamped to the set) on the pad: { index, label }. Images of the sample
  // come from it while the whole set is not loaded.
  async show(index) {
    const { pixels, index: i, label } = await this.#files.image(clampInt(index, 0, Number.MAX_SAFE_INTEGER, 0));
    this.#pad.setImage(pixels, { index: i, label });
    return { index: i, label };
  }

  // A random test image on the pad, of one digit when label is 0..9: { index, label }. With
  // `sample`, one of the first 256 (37 KB) unless the whole set (1.4 MB) is loaded already.
  async showRandom(label = null, { sample = false } = {}) {
    const set = await this.#files.pool({ sample });
    return this.show(randomIndex(set.labels, label));
  }

  // A test image asked for by a control: one at a time, and the button keeps focus (it is marked
  // busy, not disabled, so focus never falls to the page).
  async #pick(show) {
    if (this.#busy) return;
    const btn = this.#refs.random;
    this.#busy = true;
    btn.setAttribute('aria-disabled', 'true');
    try {
      await show();
    } catch (err) {
      this.#showError(`Could not load the MNIST test images: ${err.message ?? err}`);
    } finally {
      this.#busy = false;
      btn.removeAttribute('aria-disabled');
    }
  }
}
