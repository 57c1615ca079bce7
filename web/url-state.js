// The demo's state in a URL fragment, so a link restores what its sender saw: the model, E, M,
// the L-Mul variant, rounding, the plan (its exact layers) and the input — an MNIST test image
// by index, or a drawing as its exact 28×28 network input (float32 bits, so the predictions come
// back identical). Pure: '#model=seed&E=8&M=1&variant=adder&rounding=nearest&exact=1&img=241'.

const VARIANTS = ['adder', 'formula', 'mitchell'];
const ROUNDINGS = ['nearest', 'truncate'];
const INPUT_SIZE = 784;

// A Float32Array(784) of values in [0, 1] -> base64url of: a 784-bit mask of the nonzero
// values, then each nonzero value's float32 bits (little-endian), in order.
export function encodeInput(input) {
  const nonzero = [];
  const mask = new Uint8Array(INPUT_SIZE / 8);
  for (let i = 0; i < INPUT_SIZE; ++i)
    if (input[i] !== 0) {
      mask[i >> 3] |= 1 << (i & 7);
      nonzero.push(input[i]);
    }
  const bytes = new Uint8Array(mask.length + 4 * nonzero.length);
  bytes.set(mask);
  const dv = new DataView(bytes.buffer);
  nonzero.forEach((v, k) => dv.setFloat32(mask.length + 4 * k, v, true));
  return base64url(bytes);
}

// The inverse; throws when the text is not an input of this form.
export function decodeInput(text) {
  const bytes = unbase64url(text);
  const maskBytes = INPUT_SIZE / 8;
  if (bytes.length < maskBytes) throw new Error('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const input = new Float32Array(INPUT_SIZE);
  let at = maskBytes;
  for (let i = 0; i < INPUT_SIZE; ++i) {
    if (!(bytes[i >> 3] & (1 << (i & 7)))) continue;
    if (at + 4 > bytes.length) throw new Error('fewer values than the mask says');
    const v = dv.getFloat32(at, true);
    if (!(v > 0 && v <= 1)) throw new Error(`pixel ${i} is ${v}, not in (0, 1]`);
    input[i] = v;
    at += 4;
  }
  if (at !== bytes.length) throw new Error('more values than the mask says');
  return input;
}

function base64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function unbase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

// The state of a running demo for encodeState: the model's list entry (a file of the user's own,
// entry.bytes, cannot travel in a link), settings { E, M, variant, rounding }, the exact layers,
// the pad's sole image (a test image travels by its index) and the network input (a drawing
// travels as its input).
export function linkState({ entry, settings: { E, M, variant, rounding }, exact, sole, input }) {
  const testImage = sole?.index !== undefined;
  return { model: entry.bytes ? null : entry.id, E, M, variant, rounding, exact, image: testImage ? sole.index : null, input: testImage ? null : input };
}

/**
 * state: { model, E, M, variant, rounding, exact: number[] (exact layer indices),
 *          image: number | null (test image index), input: Float32Array | null (a drawing) }
 * -> the fragment without '#'.
 */
export function encodeState(s) {
  const p = new URLSearchParams();
  if (s.model != null) p.set('model', s.model);
  p.set('E', String(s.E));
  p.set('M', String(s.M));
  p.set('variant', s.variant);
  p.set('rounding', s.rounding);
  if (s.exact?.length) p.set('exact', s.exact.join(','));
  if (s.image != null) p.set('img', String(s.image));
  else if (s.input) p.set('input', encodeInput(s.input));
  return p.toString();
}

const int = (v, lo, hi) => (/^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi ? Number(v) : null);

/**
 * A fragment ('#…' or '…') -> the fields it gives validly, plus `problems`: the parts that were
 * not understood ("M=99 (not in 1..23)"), which the page reports and otherwise ignores.
 */
export function decodeState(hash) {
  const p = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  const out = { problems: [] };
  const bad = (key, why) => out.problems.push(`${key}=${JSON.stringify(p.get(key)).slice(1, -1).slice(0, 40)} (${why})`);
  if (p.has('model')) out.model = p.get('model');
  for (const [key, lo, hi] of [['E', 2, 8], ['M', 1, 23]])
    if (p.has(key)) {
      const v = int(p.get(key), lo, hi);
      if (v === null) bad(key, `not in ${lo}..${hi}`);
      else out[key] = v;
    }
  for (const [key, allowed] of [['variant', VARIANTS], ['rounding', ROUNDINGS]])
    if (p.has(key)) {
      if (allowed.includes(p.get(key))) out[key] = p.get(key);
      else bad(key, `not one of ${allowed.join(', ')}`);
    }
  if (p.has('exact')) {
    const parts = p.get('exact').split(',').filter(Boolean).map((v) => int(v, 0, 999));
    if (parts.includes(null)) bad('exact', 'not a list of layer indices');
    else out.exact = parts;
  }
  if (p.has('img')) {
    const v = int(p.get('img'), 0, 1e6);
    if (v === null) bad('img', 'not a test image index');
    else out.image = v;
  } else if (p.has('input')) {
    try {
      out.input = decodeInput(p.get('input'));
    } catch (err) {
      bad('input', `not a drawing: ${err.message}`);
    }
  }
  return out;
}

// Whether a fragment names an input (a test image or a drawing) for the demo to show.
export function hasSharedInput(hash) {
  const s = decodeState(hash);
  return s.image !== undefined || s.input !== undefined;
}
