// .safetensors files made up by the tests: an MLP of the given layer widths (fc1.weight
// [out, in], fc1.bias, ...; small deterministic weights) with optional __metadata__ strings.
export function safetensors(layers, metadata = null) {
  const header = metadata ? { __metadata__: metadata } : {}, parts = [];
  let offset = 0;
  for (let k = 0; k + 1 < layers.length; ++k) {
    for (const [name, shape] of [[`fc${k + 1}.weight`, [layers[k + 1], layers[k]]], [`fc${k + 1}.bias`, [layers[k + 1]]]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, j) => Math.sin(j + k) * 0.05);
      header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * n] };
      offset += 4 * n;
      parts.push(Buffer.from(data.buffer));
    }
  }
  let json = JSON.stringify(header);
  while (json.length % 8) json += ' ';
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, Buffer.from(json), ...parts]);
}
