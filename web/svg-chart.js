// A chart as a standalone SVG file, written from its data (uPlot draws on a canvas, which has no
// vector form). Pure: a description in, SVG text out; every text is escaped, so model names and
// labels from files stay text.
//
// desc: {
//   title, width, height, background, text, grid (CSS colors), font (a CSS font family),
//   x: { min, max, title, ticks: [[value, label], ...] },   y: the same,
//   series: [{ label, color, kind: 'bars', width, offset, values: [[x, y], ...] }       // width, offset in x units
//          | { label, color, kind: 'line', dash?: [on, off], points?: bool, values: [[x, y | null], ...] }],
//   markers?: [{ x, label, color }],                          // dashed vertical lines
// }

const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const num = (v) => String(Math.round(v * 100) / 100);
const CHAR = 7; // px per character of 12 px text, for the margins (generous for digits)

export function svgChart(desc) {
  const { width: W, height: H, x, y, series, markers = [] } = desc;
  const legend = series.length > 1;
  const longestY = Math.max(1, ...y.ticks.map(([, l]) => String(l).length));
  const left = 8 + (y.title ? 18 : 0) + longestY * CHAR + 8;
  const top = 26 + (legend ? 20 : 0) + (markers.length ? 14 : 0);
  const right = 14 + CHAR * 2, bottom = 22 + (x.title ? 18 : 0);
  const pw = Math.max(10, W - left - right), ph = Math.max(10, H - top - bottom);
  const px = (v) => left + ((v - x.min) / (x.max - x.min || 1)) * pw;
  const py = (v) => top + ph - ((v - y.min) / (y.max - y.min || 1)) * ph;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${esc(desc.font)}" font-size="12">`,
    `<title>${esc(desc.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="${esc(desc.background)}"/>`,
    `<text x="${left}" y="17" font-size="14" font-weight="600" fill="${esc(desc.text)}">${esc(desc.title)}</text>`,
  ];
  if (legend) {
    let lx = left;
    for (const s of series) {
      out.push(`<rect x="${lx}" y="27" width="10" height="10" fill="${esc(s.color)}"/>`,
        `<text x="${lx + 14}" y="36" fill="${esc(desc.text)}">${esc(s.label)}</text>`);
      lx += 14 + String(s.label).length * 6.5 + 16;
    }
  }
  // grid and ticks
  for (const [v, label] of y.ticks) {
    const yy = num(py(v));
    out.push(`<line x1="${left}" x2="${left + pw}" y1="${yy}" y2="${yy}" stroke="${esc(desc.grid)}"/>`,
      `<text x="${left - 6}" y="${yy}" dy="0.35em" text-anchor="end" fill="${esc(desc.text)}">${esc(label)}</text>`);
  }
  for (const [v, label] of x.ticks)
    out.push(`<text x="${num(px(v))}" y="${top + ph + 16}" text-anchor="middle" fill="${esc(desc.text)}">${esc(label)}</text>`);
  out.push(`<line x1="${left}" x2="${left + pw}" y1="${num(py(Math.max(y.min, Math.min(y.max, 0))))}" y2="${num(py(Math.max(y.min, Math.min(y.max, 0))))}" stroke="${esc(desc.text)}" stroke-opacity="0.5"/>`);
  if (x.title) out.push(`<text x="${num(left + pw / 2)}" y="${H - 6}" text-anchor="middle" fill="${esc(desc.text)}">${esc(x.title)}</text>`);
  if (y.title) out.push(`<text transform="translate(14 ${num(top + ph / 2)}) rotate(-90)" text-anchor="middle" fill="${esc(desc.text)}">${esc(y.title)}</text>`);
  // series
  for (const s of series) {
    if (s.kind === 'bars') {
      const bw = (s.width / (x.max - x.min)) * pw;
      for (const [xv, yv] of s.values) {
        if (yv == null || yv === 0) continue;
        const x0 = px(xv + (s.offset ?? 0)) - bw / 2, y0 = py(Math.max(0, yv)), y1 = py(Math.min(0, yv));
        out.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${num(bw)}" height="${num(Math.max(0.5, y1 - y0))}" fill="${esc(s.color)}"/>`);
      }
    } else {
      // one polyline per run of measured points (null: not measured, a gap)
      let run = [];
      const flush = () => {
        if (run.length > 1) out.push(`<polyline fill="none" stroke="${esc(s.color)}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash.join(' ')}"` : ''} points="${run.join(' ')}"/>`);
        run = [];
      };
      for (const [xv, yv] of s.values) {
        if (yv == null) flush();
        else run.push(`${num(px(xv))},${num(py(yv))}`);
      }
      flush();
      if (s.points)
        for (const [xv, yv] of s.values)
          if (yv != null) out.push(`<circle cx="${num(px(xv))}" cy="${num(py(yv))}" r="3" fill="${esc(s.color)}"/>`);
    }
  }
  for (const m of markers) {
    const mx = num(px(m.x));
    out.push(`<line x1="${mx}" x2="${mx}" y1="${top}" y2="${top + ph}" stroke="${esc(m.color)}" stroke-dasharray="3 3"/>`,
      `<text x="${mx}" y="${top - 4}" text-anchor="middle" font-weight="600" fill="${esc(m.color)}">${esc(m.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
