// Number formats the demo's texts share.
export const pct = (v, digits = 2) => `${(v * 100).toFixed(digits)} %`;
// A count with thousands separators: "10,000". Not Intl: a page's first Intl formatter loads
// locale data, 30-150 ms on this machine, on the way to the first prediction.
export const int = (v) => String(Math.round(Number(v))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
// A difference of two accuracies in percentage points, with its sign: "+0.50", "−1.20".
export const points = (d) => `${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(2)}`;
// A relative error: "2.71 %" down to 0.1 %, then "3.10e-5"; negative with a true minus sign.
export function relErr(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1e-3 ? `${(a * 100).toPrecision(3)} %` : a.toExponential(2);
  return v < 0 ? `−${s}` : s;
}
export const signed = (v) => (v > 0 ? '+' : '') + relErr(v);
// A duration for people: "45 s", "3 min 20 s", "2 h 5 min".
export function duration(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}
