// What the element hears from outside its own controls: the system's color scheme changing
// (prefers-color-scheme, while connected), and Ctrl/Cmd+Z, which undoes inside the element or,
// with global shortcuts on, anywhere in the document while connected. It neither repaints nor
// undoes: onScheme and onUndo do.

// Ctrl+Z or Cmd+Z, without Shift (redo in many editors) or Alt.
export const isUndoKey = (e) => (e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z';

export class PageListeners {
  #onScheme;
  #onUndo;
  #scheme = null; // the media query while connected
  #connected = false;
  #global = false;
  #onDocumentKey = (e) => this.#onKey(e);

  // root: the element's shadow root. onScheme(): the color scheme changed. onUndo(): undo.
  constructor(root, { onScheme, onUndo }) {
    this.#onScheme = onScheme;
    this.#onUndo = onUndo;
    root.addEventListener('keydown', (e) => {
      if (!this.#global) this.#onKey(e);
    });
  }

  // The undo shortcut anywhere in the document (true) or inside the element only.
  setGlobalShortcuts(on) {
    this.#global = on;
    this.#listenToDocument();
  }

  connect() {
    this.#connected = true;
    this.#scheme = matchMedia('(prefers-color-scheme: dark)');
    this.#scheme.addEventListener('change', this.#onScheme);
    this.#listenToDocument();
  }

  disconnect() {
    this.#connected = false;
    this.#scheme?.removeEventListener('change', this.#onScheme);
    this.#scheme = null;
    this.#listenToDocument();
  }

  #listenToDocument() {
    if (this.#connected && this.#global) document.addEventListener('keydown', this.#onDocumentKey);
    else document.removeEventListener('keydown', this.#onDocumentKey);
  }

  #onKey(e) {
    if (!isUndoKey(e)) return;
    e.preventDefault();
    this.#onUndo();
  }
}
