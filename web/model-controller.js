// Which network the demo runs: the model catalogue of a connection (catalogue.js) and the model
// menu, "Load .safetensors…" and file drops (a file the user loaded stays listed across
// reconnects), opening a model and making it current (a newer choice or a disconnect wins over a
// slower one; the model it replaces is disposed), the first model of a start with its fallbacks,
// the note about a fine-tune with its "Back to E8M1" buttons, the energy card, and the alert
// under the model controls (the element shows its other messages there too). It does not
// apply a model to the rest of the demo (onUse: the plan, the layers, the sweep) nor keep the
// settings (settings.js: a fine-tune's tuned setting is applied there).
import { Catalogue, packageDefaultEntry } from './catalogue.js';
import { renderMenu, renderModelNote } from './model-view.js';
import { energyTexts } from './energy.js';
import { explainModelFailure } from './file-kind.js';
import { acceptFileDrops } from './file-drop.js';

// Entries that name the same model file: a fallback that is the very file that failed is not tried again.
const sameModel = (a, b) => a.id === b.id || (a.packageDir === 'models' && b.packageDir === 'models' && a.file === b.file);

export class ModelController {
  #refs;
  #lm;
  #settings;
  #onUse;
  #onCurrent;
  #loading = null; // the catalogue of the start in progress
  #catalogue = null;
  #model = null; // { entry, handle, bytes, tuned, base }: this controller disposes handle
  #fileEntry = null; // the model file the user loaded, kept across reconnects
  #selection = 0; // a later model choice wins over a slower earlier one
  #generation = 0; // counts disconnects: a model opened for an earlier connection is dropped

  // lm(): the lmul-wasm instance of the connection. settings: the SettingsController (its value
  // for the fine-tune note, applyTuned for its button). onUse(model, { otherModel, tune }): model
  // is now current (otherModel: it replaced another model; tune: set the controls to model.tuned).
  // onCurrent(id): the menu shows model id.
  constructor(refs, { lm, settings, onUse, onCurrent }) {
    this.#refs = refs;
    this.#lm = lm;
    this.#settings = settings;
    this.#onUse = onUse;
    this.#onCurrent = onCurrent;
    refs.model.addEventListener('change', () => this.choose(refs.model.value));
    // Both notes about a fine-tune may offer "Back to its tuned setting".
    for (const note of [refs.modelNote, refs.sweepCompare])
      note.addEventListener('click', (e) => {
        if (e.target.closest('button[data-action="tune"]') && this.#model?.tuned) settings.applyTuned(this.#model.tuned);
      });
    acceptFileDrops(refs.root, {
      onFile: (file) => this.loadFile(file),
      onError: (message) => this.showError(message),
      veil: (on) => refs.root.classList.toggle('dropping', on),
    });
    refs.loadModel.addEventListener('click', () => refs.modelFile.click());
    refs.modelFile.addEventListener('change', () => {
      const file = refs.modelFile.files?.[0];
      refs.modelFile.value = '';
      if (file) this.loadFile(file);
    });
  }

  // { entry, handle, bytes, tuned, base } of the model in use, or null.
  get current() {
    return this.#model;
  }

  // The bytes of a listed model (fetched once).
  bytes(entry) {
    return this.#catalogue.bytes(entry);
  }

  // Starts loading the model list (list: its URL, relative to the page; null: the built-in list)
  // and the bytes of the model a start opens (wanted, else the list's default), so that they
  // arrive while the module compiles.
  prefetch({ list, base, wanted }) {
    this.#loading = Catalogue.load({ listUrl: list ? new URL(list, document.baseURI) : null, base });
    this.#loading.then((c) => c.bytes((wanted && c.find(wanted)) ?? c.defaultEntry).catch(() => {}), () => {});
  }

  // Opens the first model of a start: wanted, else the list's default, else the package's own,
  // so that the page keeps working. Resolves to { notes, problem } (what was not as asked, and
  // what is wrong with the model list), or null when a disconnect took over; throws when no
  // model loads.
  async openFirst(wanted, { tune }) {
    const generation = this.#generation;
    const catalogue = await this.#loading;
    if (generation !== this.#generation) return null;
    if (this.#fileEntry) catalogue.addFile(this.#fileEntry);
    this.#catalogue = catalogue;
    this.#renderMenu();
    const first = (wanted && catalogue.find(wanted)) ?? catalogue.defaultEntry;
    const notes = wanted && !catalogue.find(wanted) ? [`There is no model “${wanted}” in the model list.`] : [];
    const tried = [];
    for (const entry of [first, catalogue.defaultEntry, packageDefaultEntry()]) {
      if (tried.some((e) => sameModel(e, entry))) continue;
      tried.push(entry);
      if (!catalogue.find(entry.id)) {
        catalogue.entries.unshift(entry);
        this.#renderMenu();
      }
      const r = await this.#select(entry, { tune });
      if (generation !== this.#generation) return null;
      if (r.ok) {
        if (notes.length) notes.push(`Showing “${entry.name}”.`);
        return { notes, problem: catalogue.problem };
      }
      if (r.error) notes.push(`Could not load the model “${entry.name}”: ${r.error}.`);
    }
    throw new Error(notes.join(' '));
  }

  // A model chosen by id (menu, attribute): loaded and tuned, or an error and the previous model.
  async choose(id) {
    const entry = this.#catalogue?.find(id);
    if (!entry) {
      this.showError(`There is no model “${id}” in the model list.`);
      this.#showCurrent();
      return;
    }
    const { ok, error } = await this.#select(entry, { tune: true });
    if (!ok && error) {
      this.showError(`Could not load the model “${entry.name}”: ${error}`);
      this.#showCurrent();
    }
  }

  // The model attribute changed to id: chosen once the model list is there (a start reads the
  // attribute itself) and unless it is the model in use.
  modelAttributeChanged(id) {
    if (this.#catalogue && id !== this.#model?.entry.id) this.choose(id);
  }

  // A .safetensors file of the user's: listed and made current, or an error saying what the file
  // is and the previous model kept. Resolves to whether it was loaded.
  async loadFile(file) {
    const selection = ++this.#selection, generation = this.#generation;
    let bytes = null;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
      const entry = Catalogue.fileEntry(file, bytes);
      const model = await this.#catalogue.open(this.#lm(), entry);
      if (selection !== this.#selection || generation !== this.#generation) {
        model.handle.dispose();
        return false;
      }
      this.#fileEntry = this.#catalogue.addFile(entry);
      this.#renderMenu();
      this.#use(model, { tune: false });
      this.showError('');
      return true;
    } catch (err) {
      // English first (what the file is), the technical reason below it.
      const { summary, detail } = bytes ? explainModelFailure(bytes, err) : { summary: 'The file could not be read.', detail: err.message ?? String(err) };
      this.showError(`Could not load ${file.name}. ${summary} The previous model stays active.`, `Technical reason: ${detail}`);
      this.#showCurrent();
      return false;
    }
  }

  // The alert: a message (or '' to clear it), and optionally the technical detail under it.
  showError(message, detail = '') {
    const r = this.#refs;
    r.errorSummary.textContent = message;
    r.errorDetail.textContent = detail;
    r.errorDetail.hidden = !detail;
    r.error.hidden = !message;
  }

  // The note about a fine-tune, for the current settings.
  renderNote() {
    if (this.#model) renderModelNote(this.#refs.modelNote, this.#model, this.#settings.value);
  }

  // Disposes the model; whatever is still loading for this connection is dropped when it arrives.
  disconnect() {
    ++this.#generation;
    this.#model?.handle.dispose();
    this.#model = null;
    this.#catalogue = null;
    this.#loading = null;
  }

  #renderMenu() {
    renderMenu(this.#refs.model, this.#catalogue.entries, this.#model?.entry.id);
  }

  // Loads entry and makes it current: { ok } or { ok: false, error } (nothing shown);
  // { ok: false } alone when a newer choice or a disconnect made it moot.
  async #select(entry, { tune }) {
    if (this.#model?.entry === entry) return { ok: true };
    const selection = ++this.#selection, generation = this.#generation;
    const current = () => selection === this.#selection && generation === this.#generation;
    let model;
    try {
      model = await this.#catalogue.open(this.#lm(), entry);
    } catch (err) {
      return current() ? { ok: false, error: err.message ?? String(err) } : { ok: false };
    }
    if (!current()) {
      model.handle.dispose();
      return { ok: false };
    }
    this.#use(model, { tune });
    this.showError('');
    return { ok: true };
  }

  #use(model, { tune }) {
    const old = this.#model;
    this.#model = model;
    if (old && old.handle !== model.handle) old.handle.dispose();
    this.#showCurrent();
    this.#showEnergy(model.handle);
    this.#onUse(model, { otherModel: Boolean(old) && old.entry !== model.entry, tune: tune && Boolean(model.tuned) });
  }

  // The menu and the model attribute show the current model.
  #showCurrent() {
    if (!this.#model) return;
    this.#refs.model.value = this.#model.entry.id;
    this.#onCurrent(this.#model.entry.id);
  }

  #showEnergy(handle) {
    const layers = handle.describe();
    const energy = handle.metadata?.arch === 'vit'
      ? energyTexts([], layers.reduce((sum, l) => sum + l.products, 0))
      : energyTexts(Array.from(handle.layers));
    this.#refs.energyExact.textContent = energy.exact;
    this.#refs.energyLmul.textContent = energy.lmul;
    this.#refs.energyFormula.textContent = energy.formula;
  }
}
