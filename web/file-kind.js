// What a file the user offered as a model really is, in words, so a failed load reads as English
// first ("This is not a .safetensors model file (it starts with PNG image data)") with the
// parser's technical reason below it. Pure: looks at the first bytes only.

// Signatures of files people pick by mistake, first match wins.
const SIGNATURES = [
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG image data'],
  [[0xff, 0xd8, 0xff], 'JPEG image data'],
  [[0x47, 0x49, 0x46, 0x38], 'GIF image data'],
  [[0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50], 'WebP image data'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (PyTorch .pt/.pth files are ZIP archives: save the weights with safetensors instead)'],
  [[0x1f, 0x8b], 'gzip-compressed data (decompress it first)'],
  [[0x80, null, 0x8a, 0x0a], 'a Python pickle (an old-style PyTorch file: save the weights with safetensors instead)'],
  [[0x08], 'protobuf data, perhaps an ONNX model (the demo reads .safetensors only)'],
  [[0x00, 0x61, 0x73, 0x6d], 'a WebAssembly module'],
];

const matches = (bytes, sig) => sig.length <= bytes.length && sig.every((b, i) => b === null || bytes[i] === b);

// True when the bytes start the way a .safetensors file does: an 8-byte little-endian header
// length that fits the file, then a JSON object.
export function looksLikeSafetensors(bytes) {
  if (bytes.length < 10) return false;
  let n = 0;
  for (let i = 7; i >= 0; --i) n = n * 256 + bytes[i];
  return n >= 2 && n <= bytes.length - 8 && bytes[8] === 0x7b; // '{'
}

// Printable text (UTF-8 or ASCII) at the start? Its first characters, else null.
function textStart(bytes) {
  const head = bytes.subarray(0, 64);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head.length === bytes.length ? head : head.subarray(0, lastCharEnd(head)));
  } catch {
    return null;
  }
  if (!text.length || /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) return null;
  return text;
}
// Where the last complete UTF-8 character of a cut-off buffer ends.
function lastCharEnd(head) {
  let end = head.length;
  for (let k = 1; k <= 3 && end - k >= 0; ++k) {
    const b = head[end - k];
    if ((b & 0xc0) === 0xc0) return end - k; // a lead byte whose character was cut
    if ((b & 0x80) === 0) break;
  }
  return end;
}

// "PNG image data", "HTML (a web page)", 'text: “this is not…”', … or null (nothing recognized).
export function describeStart(bytes) {
  for (const [sig, what] of SIGNATURES) if (matches(bytes, sig)) return what;
  const text = textStart(bytes);
  if (text === null) return null;
  const t = text.trimStart();
  if (/^<(!doctype html|html|head|body)/i.test(t)) return 'HTML (a web page)';
  if (/^<(\?xml|svg)/i.test(t)) return t.startsWith('<?') ? 'XML text' : 'SVG image data';
  if (/^[[{]/.test(t)) return 'JSON text';
  const shown = text.replace(/\s+/g, ' ').trim();
  return `text: “${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown}”`;
}

/**
 * Why a model file did not load, in words: { summary, detail }. `bytes` are the file's, `error`
 * what loading it threw (the package's message, or the demo's shape check: error.wrongShape).
 */
export function explainModelFailure(bytes, error) {
  const detail = error?.message ?? String(error);
  if (bytes.length === 0) return { summary: 'This file is empty (0 bytes), not a model.', detail };
  if (!looksLikeSafetensors(bytes)) {
    const what = describeStart(bytes);
    return { summary: `This is not a .safetensors model file${what ? ` (it starts with ${what})` : ''}.`, detail };
  }
  if (error?.wrongShape) return { summary: 'This model does not fit the demo: it must read 28×28 pixels (784 inputs) and score 10 digits.', detail };
  return { summary: 'This .safetensors file is not a network the demo can run.', detail };
}
