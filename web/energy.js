// Energy per inference with the per-operation figures the L-Mul paper uses (45 nm, from
// Horowitz, ISSCC 2014): fp32 multiply 3.7 pJ, fp32 add 0.9 pJ, int32 add 0.1 pJ.
//
// A dense layer with `in` inputs and `out` outputs does in*out multiplications and in*out
// additions (in-1 accumulations plus the bias per output). Exact: every multiplication is an
// fp32 multiply. L-Mul: every multiplication becomes one integer addition (the paper's cost
// model); the accumulation stays fp32. ReLU and softmax are left out (no multiplications).

import { int } from './format.js';

export const PJ = { fp32Mul: 3.7, fp32Add: 0.9, int32Add: 0.1 };

// layers: e.g. [784, 128, 10] -> { macs, exactPJ, lmulPJ, ratio }
export function energyPerInference(layers) {
  let macs = 0;
  for (let k = 0; k + 1 < layers.length; ++k) macs += layers[k] * layers[k + 1];
  return energyOfProducts(macs);
}

// n multiply-adds (any network: model.describe()'s products summed) -> the same figures.
function energyOfProducts(macs) {
  const exactPJ = macs * (PJ.fp32Mul + PJ.fp32Add);
  const lmulPJ = macs * (PJ.int32Add + PJ.fp32Add);
  return { macs, exactPJ, lmulPJ, ratio: exactPJ / lmulPJ, mulRatio: PJ.fp32Mul / PJ.int32Add };
}

// The texts of the demo's energy card for an MLP of these layer widths, or, given `products`
// (model.describe()'s products summed: a transformer's attention products included), any network.
export function energyTexts(layers, products = null) {
  const e = products === null ? energyPerInference(layers) : energyOfProducts(products);
  const nJ = (pj) => `${(pj / 1000).toFixed(1)} nJ`;
  return {
    exact: nJ(e.exactPJ),
    lmul: `${nJ(e.lmulPJ)} (${e.ratio.toFixed(1)}× less)`,
    formula:
      (products === null ? `multiply-adds N = Σ in·out over layers [${layers.join(', ')}]` : 'multiply-adds N = products of every layer (model.describe())') +
      ` = ${int(e.macs)}\n` +
      `exact = N × (${PJ.fp32Mul} pJ fp32 mul + ${PJ.fp32Add} pJ fp32 add) = ${nJ(e.exactPJ)}\n` +
      `L-Mul = N × (${PJ.int32Add} pJ int32 add + ${PJ.fp32Add} pJ fp32 add) = ${nJ(e.lmulPJ)}\n` +
      `multiplications alone: ${PJ.fp32Mul} / ${PJ.int32Add} = ${e.mulRatio.toFixed(0)}× less energy`,
  };
}
