// .safetensors files made up by the tests: an MLP of the given layer widths (fc1.weight
// [out, in], fc1.bias, ...; small deterministic weights) with optional __metadata__ strings.
import { safetensorsFile } from '../package/helpers.mjs';

export function safetensors(layers, metadata = null) {
  const tensors = {};
  for (let k = 0; k + 1 < layers.length; ++k)
    for (const [name, shape] of [[`fc${k + 1}.weight`, [layers[k + 1], layers[k]]], [`fc${k + 1}.bias`, [layers[k + 1]]]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      tensors[name] = [shape, Float32Array.from({ length: n }, (_, j) => Math.sin(j + k) * 0.05)];
    }
  return safetensorsFile(tensors, metadata);
}
