// The model catalogue: which models the menu offers (the built-in list of models.js, or a model
// list named by the models attribute, validated entry by entry), their bytes (fetched once),
// opening one as a model of the shape the demo needs, and the rules for fine-tunes: the setting
// a model was tuned for (from its own metadata, so a dropped file and the same file chosen from
// the menu behave alike), whether the controls are at it, and which listed model is its base.
import { MODELS } from './models.js';
import { assetUrl, fetchBytes } from './assets.js';

// A model list entry whose model is the package's own default (lm.defaultModel()).
export const PACKAGE_DEFAULT = 'package:default';
const DEFAULT_FILE = MODELS.find((m) => m.default).file; // the file lm.defaultModel() loads
const ENTRY_FIELDS = ['id', 'name', 'src', 'group', 'default'];
const FILE_GROUP = 'From a file';
const OTHER_GROUP = 'Models';

// The L-Mul variants the controls offer, by the method a fine-tune names: the paper's adder,
// its exact formula, and Mitchell's adder without the offset.
export const VARIANT_OF_METHOD = Object.freeze({ lmul: 'adder', 'lmul-formula': 'formula', mitchell: 'mitchell' });
export const METHOD_OF_VARIANT = Object.freeze({ adder: 'lmul', formula: 'lmul-formula', mitchell: 'mitchell' });

const baseName = (path) => decodeURIComponent(String(path).split(/[/\\]/).pop());
const quote = (v) => JSON.stringify(typeof v === 'string' && v.length > 60 ? `${v.slice(0, 57)}...` : v) ?? String(v);

export const packageDefaultEntry = () =>
  ({ id: 'default', name: 'Package default model', group: null, default: true, file: DEFAULT_FILE, url: null, packageDir: 'models' });

// The built-in entries, their files under `base` (assets-base) or at their literal URLs.
export function builtInEntries(base = null) {
  return MODELS.map((m) => ({ ...m, url: assetUrl(base, `models/${m.file}`, m.url), packageDir: 'models' }));
}

// A parsed model list ({ models: [{ id, name, src, group?, default? }] }, src relative to the
// list) -> { entries, problems }: each bad entry is left out with a message naming it and its field.
export function parseModelList(json, listUrl) {
  if (json === null || typeof json !== 'object' || !Array.isArray(json.models))
    throw new Error('must be a JSON object { "models": [{ "id", "name", "src" }, ...] }');
  const entries = [], problems = [], ids = new Set();
  json.models.forEach((m, i) => {
    const where = `entry ${i + 1}${typeof m?.id === 'string' ? ` (${quote(m.id)})` : ''}`;
    try {
      entries.push(parseEntry(m, listUrl, ids));
      ids.add(m.id);
    } catch (err) {
      problems.push(`${where}: ${err.message}`);
    }
  });
  return { entries, problems };
}

function parseEntry(m, listUrl, ids) {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new Error(`must be an object, got ${quote(m)}`);
  for (const key of Object.keys(m))
    if (!ENTRY_FIELDS.includes(key))
      throw new Error(`unknown field ${quote(key)}; allowed: ${ENTRY_FIELDS.join(', ')} (a fine-tune's setting is read from its file)`);
  const text = (key, max) => {
    const v = m[key];
    if (typeof v !== 'string' || !v.trim() || v.length > max) throw new Error(`${key} must be a non-empty string of at most ${max} characters, got ${quote(v)}`);
    return v;
  };
  const id = text('id', 100), name = text('name', 200), src = text('src', 2000);
  if (ids.has(id)) throw new Error(`id ${quote(id)} is listed twice`);
  const group = m.group === undefined ? null : text('group', 100);
  if (m.default !== undefined && typeof m.default !== 'boolean') throw new Error(`default must be true or false, got ${quote(m.default)}`);
  if (src === PACKAGE_DEFAULT) return { ...packageDefaultEntry(), id, name, group, default: m.default === true };
  let url;
  try {
    url = new URL(src, listUrl);
  } catch {
    throw new Error(`src ${quote(src)} is not a URL relative to the list ${listUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`src must be an http(s) URL or a path, got ${quote(src)}`);
  return { id, name, group, default: m.default === true, file: baseName(url.pathname), url, packageDir: null };
}

// The list at `url`: { entries, problem } where problem (shown on the page) names what was left
// out; an unreadable list or one without usable entries throws, naming the URL once.
export async function readModelList(url) {
  const bytes = await fetchBytes(url);
  let parsed;
  try {
    parsed = parseModelList(JSON.parse(new TextDecoder().decode(bytes)), url);
  } catch (err) {
    throw new Error(`${url} ${err instanceof SyntaxError ? `is not JSON (${err.message})` : err.message}`);
  }
  const { entries, problems } = parsed;
  if (!entries.length) throw new Error(`${url} has no usable entry${problems.length ? `: ${problems.join('; ')}` : ''}`);
  return { entries, problem: problems.length ? `Left out of the model list ${url}: ${problems.join('; ')}.` : '' };
}

// Menu sections in order of first appearance: [[label, entries], ...]; one section: no labels.
export function menuGroups(entries) {
  const groups = new Map();
  for (const e of entries) {
    const label = e.bytes ? FILE_GROUP : e.group ?? OTHER_GROUP;
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(e);
  }
  return [...groups];
}

// The setting a model was tuned for, from its metadata (model.metadata.tuned), when the
// controls can show it: { method, E, M, rounding, variant } or null.
export function tunedSetting(metadata) {
  const t = metadata?.tuned;
  if (!t || !Object.hasOwn(VARIANT_OF_METHOD, t.method)) return null;
  return { method: t.method, E: t.E, M: t.M, rounding: t.rounding, variant: VARIANT_OF_METHOD[t.method] };
}

export const isAtTuned = (t, s) => s.E === t.E && s.M === t.M && s.rounding === t.rounding && s.variant === t.variant;

// The listed model a fine-tune names as its base (metadata.baseModel, a path), or null.
export function baseEntryOf(metadata, entries) {
  if (typeof metadata?.baseModel !== 'string' || !metadata.baseModel) return null;
  const file = baseName(metadata.baseModel);
  return entries.find((e) => e.file === file && !e.bytes) ?? null;
}

// Throws unless the network maps 28x28 pixels to 10 classes (the error has wrongShape: true).
export function checkShape(layers, name) {
  const inputs = layers[0], outputs = layers[layers.length - 1];
  const wrong = [];
  if (inputs !== 784) wrong.push(`${inputs} inputs where the demo needs 784 (28×28 pixels)`);
  if (outputs !== 10) wrong.push(`${outputs} outputs where the demo needs 10 (one per digit)`);
  if (wrong.length) throw Object.assign(new Error(`${name} has ${wrong.join(' and ')} (layers [${layers.join(', ')}])`), { wrongShape: true });
}

// The entries of one element and the bytes of each, fetched once (a failed fetch is retried).
export class Catalogue {
  #bytes = new Map();

  constructor(entries, problem = '') {
    this.entries = entries;
    this.problem = problem; // what the page should say about the list
  }

  // The built-in list, or the list at listUrl (falling back to the package default model).
  static async load({ listUrl = null, base = null } = {}) {
    if (!listUrl) return new Catalogue(builtInEntries(base));
    try {
      const { entries, problem } = await readModelList(listUrl);
      return new Catalogue(entries, problem);
    } catch (err) {
      return new Catalogue([packageDefaultEntry()], `Could not read the model list: ${err.message}. Using the package's default model.`);
    }
  }

  find(id) {
    return this.entries.find((e) => e.id === id) ?? null;
  }
  get defaultEntry() {
    return this.entries.find((e) => e.default) ?? this.entries[0];
  }

  // The entry of a model file chosen or dropped by the user.
  static fileEntry(file, bytes) {
    return { id: `file:${file.name}:${file.size}:${Date.now()}`, name: `File: ${file.name}`, group: FILE_GROUP, file: file.name, url: null, bytes };
  }
  // Lists it in place of the previous file; returns it.
  addFile(entry) {
    this.entries = this.entries.filter((e) => !e.bytes).concat(entry);
    return entry;
  }

  // The file's bytes (null: the package default, which lm.defaultModel() loads).
  bytes(entry) {
    if (entry.bytes) return Promise.resolve(entry.bytes);
    if (!entry.url) return Promise.resolve(null);
    const key = entry.url.href;
    if (!this.#bytes.has(key)) {
      const p = fetchBytes(entry.url, entry.packageDir);
      p.catch(() => this.#bytes.delete(key));
      this.#bytes.set(key, p);
    }
    return this.#bytes.get(key);
  }

  // Loads an entry into lm: { entry, handle, bytes, tuned, base } (the caller disposes handle).
  async open(lm, entry) {
    const bytes = await this.bytes(entry);
    const handle = bytes ? await lm.loadModel(bytes) : await lm.defaultModel();
    try {
      checkShape(Array.from(handle.layers), entry.bytes ? entry.file : entry.name);
    } catch (err) {
      handle.dispose();
      throw err;
    }
    const tuned = tunedSetting(handle.metadata);
    const base = tuned ? baseEntryOf(handle.metadata, this.entries) : null;
    return { entry, handle, bytes, tuned, base: base === entry ? null : base };
  }
}
