// The class token's attention over the input, for a vision transformer (model.predict(x,
// { attention: true }).attention: per block { heads, patches, weights }, head-major): as a map
// over the 28×28 input, per head or the heads' mean, and painted over the input, so the exact
// and the approximate network's maps can be compared side by side. Pure apart from paint().

// -> Float32Array(size * size): each pixel holds its patch's weight (the patches tile the input
// row by row in a square grid); head null: the mean over heads.
export function attentionPixels({ heads, patches, weights }, head = null, size = 28) {
  const grid = Math.round(Math.sqrt(patches));
  if (grid * grid !== patches || size % grid !== 0)
    throw new RangeError(`attentionPixels: ${patches} patches do not tile a ${size}×${size} input in a square grid`);
  if (weights.length !== heads * patches)
    throw new RangeError(`attentionPixels: weights has ${weights.length} values, expected heads × patches = ${heads * patches}`);
  if (head !== null && !(Number.isInteger(head) && head >= 0 && head < heads))
    throw new RangeError(`attentionPixels: head must be null (the mean) or an integer in 0..${heads - 1}, got ${head}`);
  const patch = new Float32Array(patches);
  for (let p = 0; p < patches; ++p) {
    if (head !== null) patch[p] = weights[head * patches + p];
    else {
      let sum = 0;
      for (let h = 0; h < heads; ++h) sum += weights[h * patches + p];
      patch[p] = sum / heads;
    }
  }
  const per = size / grid, out = new Float32Array(size * size);
  for (let y = 0; y < size; ++y)
    for (let x = 0; x < size; ++x) out[y * size + x] = patch[Math.floor(y / per) * grid + Math.floor(x / per)];
  return out;
}

// Paints the map over the input on a 28×28 canvas: the input in grey, the attention in `heat`
// (a CSS color) with opacity from 0 to the map's largest weight, so each map uses its full range.
export function paint(canvas, input, map, heat) {
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = heat;
  ctx.fillRect(0, 0, 1, 1);
  const [hr, hg, hb] = ctx.getImageData(0, 0, 1, 1).data;
  const top = Math.max(1e-12, ...map);
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; ++i) {
    const a = map[i] / top, g = 255 - Math.round(160 * (input?.[i] ?? 0));
    img.data.set([Math.round(g + (hr - g) * a), Math.round(g + (hg - g) * a), Math.round(g + (hb - g) * a), 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}
