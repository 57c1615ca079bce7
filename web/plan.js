// The demo's multiplier plan (NUMERICS.md 3b): which layers of the network use the approximate
// multiplier of the Float and L-Mul columns, every other layer exact fp32. Pure: the state is one
// flag per layer of model.describe() (generic over layers and kinds, MLP or transformer); the
// presets set the flags; the package gets a plan object, a person the CLI's plan text.

// Presets, in menu order; `when` says whether a network offers it.
export const PLAN_PRESETS = Object.freeze([
  { id: 'everywhere', label: 'Everywhere', when: () => true, approx: (layers) => layers.map(() => true) },
  { id: 'first-exact', label: 'First layer exact', when: (layers) => layers.length > 1, approx: (layers) => layers.map((_, i) => i !== 0) },
  { id: 'last-exact', label: 'Last layer exact', when: (layers) => layers.length > 1, approx: (layers) => layers.map((_, i) => i !== layers.length - 1) },
  { id: 'attention-only', label: 'Attention only (the paper’s experiment)', when: (layers) => layers.some((l) => l.kind === 'attention'),
    approx: (layers) => layers.map((l) => l.kind === 'attention') },
].map((p) => Object.freeze(p)));

export const presetsFor = (layers) => PLAN_PRESETS.filter((p) => p.when(layers));

export const everywhere = (layers) => layers.map(() => true);

// The preset whose flags these are, or 'custom'.
export function presetOf(layers, approx) {
  for (const p of presetsFor(layers)) if (p.approx(layers).every((a, i) => a === approx[i])) return p.id;
  return 'custom';
}

// The kinds of products the network has, in the order they first appear.
export const kindsOf = (layers) => [...new Set(layers.map((l) => l.kind))];

// Exact layers grouped the short way: a kind whose layers are all exact as one entry, the rest
// one by one. -> { kinds: ['linear'], layers: [2, 5] }
function exactParts(layers, approx) {
  const kinds = kindsOf(layers).filter((k) => layers.every((l, i) => l.kind !== k || !approx[i]));
  const rest = layers.map((l, i) => i).filter((i) => !approx[i] && !kinds.includes(layers[i].kind));
  return { kinds, layers: rest };
}

// The plan option of model.predict / evaluate for a column whose multiplier is given at the top
// level of the options: undefined when every layer uses it, else the exact layers as
// { [kind]: { method: 'exact' }, layers: { [i]: { method: 'exact' } } }.
export function planOption(layers, approx) {
  const { kinds, layers: rest } = exactParts(layers, approx);
  if (!kinds.length && !rest.length) return undefined;
  const plan = {};
  for (const k of kinds) plan[k] = { method: 'exact' };
  if (rest.length) plan.layers = Object.fromEntries(rest.map((i) => [i, { method: 'exact' }]));
  return plan;
}

const RESERVED = /^(all|linear|attention|layer\d+)$/;
// How the CLI's plan grammar names layer i: its name when that is unambiguous, else layerN.
function layerKey(layers, i) {
  const name = layers[i].name;
  const plain = typeof name === 'string' && /^[A-Za-z_][\w.]*$/.test(name) && !RESERVED.test(name);
  return plain && layers.filter((l) => l.name === name).length === 1 ? name : `layer${i}`;
}

// The multiplier as the CLI writes it: 'lmul:E8M3:nearest', 'exact'.
export const specText = ({ method, E, M, rounding }) => (method === 'exact' ? 'exact' : `${method}:E${E}M${M}:${rounding}`);

// The same plan in the CLI's grammar (`lmul eval --plan`, or opts.plan as a string):
// 'lmul:E8M3:nearest,fc1=exact'.
export function planText(layers, approx, spec) {
  const { kinds, layers: rest } = exactParts(layers, approx);
  return [specText(spec), ...kinds.map((k) => `${k}=exact`), ...rest.map((i) => `${layerKey(layers, i)}=exact`)].join(',');
}

// The flags as the URL keeps them: the exact layers' indices, '0,3' ('' for everywhere).
export const exactIndices = (approx) => approx.flatMap((a, i) => (a ? [] : [i]));

// Flags from exact layer indices; null when an index is not a layer of this network.
export function approxFromExact(layers, indices) {
  if (indices.some((i) => !Number.isInteger(i) || i < 0 || i >= layers.length)) return null;
  return layers.map((_, i) => !indices.includes(i));
}
