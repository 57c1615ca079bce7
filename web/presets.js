// The format presets of the demo's menu: "E8, M from the slider", one preset per named format of
// the package (its FORMATS, so a format added there appears here), and "Custom E and M".
import { FORMATS } from '../wasm/index.js';

// Extra words for a format's label, where its name alone would mislead.
const NOTES = { e4m3: 'IEEE-style, max 240' };

function label(id, { E, M }) {
  const fmt = `E${E}M${M}`;
  const note = NOTES[id] ? ` (${NOTES[id]})` : '';
  // 'e5m2' is already the format's name; 'bf16' says nothing about its bits.
  return id.toUpperCase() === fmt ? `${fmt}${note}` : `${id} (${fmt}${NOTES[id] ? `, ${NOTES[id]}` : ''})`;
}

export const PRESETS = Object.freeze({
  e8: Object.freeze({ label: 'E8 · M from the slider', E: 8 }),
  ...Object.fromEntries(Object.entries(FORMATS).map(([id, f]) => [id, Object.freeze({ label: label(id, f), E: f.E, M: f.M })])),
  custom: Object.freeze({ label: 'Custom E and M' }),
});

// The preset that describes F(E, M): a named format, else 'e8' for E = 8, else 'custom'.
export function presetFor(E, M) {
  for (const [id, p] of Object.entries(PRESETS)) if (p.M !== undefined && p.E === E && p.M === M) return id;
  return E === 8 ? 'e8' : 'custom';
}
