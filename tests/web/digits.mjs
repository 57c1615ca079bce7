// Hand-drawn digits as mouse strokes in pad coordinates ([0, 1] x [0, 1]), drawn the way a
// person would draw them at a comfortable size.
import { arc } from './helpers.mjs';

export const DIGITS = {
  0: [arc(0.5, 0.5, 0.19, 0.3, -90, 275, 36)],
  1: [[[0.53, 0.17], [0.5, 0.5], [0.47, 0.83]]],
  2: [[...arc(0.5, 0.36, 0.18, 0.17, 190, 360, 16), ...arc(0.5, 0.36, 0.18, 0.17, 0, 50, 6), [0.3, 0.8], [0.72, 0.8]]],
  3: [[...arc(0.49, 0.34, 0.17, 0.15, -170, 90, 20), ...arc(0.49, 0.65, 0.19, 0.16, -90, 160, 20)]],
  4: [[[0.36, 0.18], [0.3, 0.56], [0.72, 0.56]], [[0.61, 0.28], [0.6, 0.84]]],
  7: [[[0.3, 0.22], [0.7, 0.22], [0.46, 0.83]]],
};

// Ambiguous drawings (found by searching jittered digits for inputs near a decision boundary):
// exact fp32 and L-Mul at M = 3 agree on them, L-Mul at M = 1 changes its mind. Clean digits
// rarely do that: at M = 1 the seed model's L-Mul predictions differ from exact on only 84 of
// the 10000 MNIST test images.
export const AMBIGUOUS = {
  'zero with a bar': {
    exact: '0',
    strokes: [
      [[0.481, 0.158], [0.642, 0.259], [0.703, 0.473], [0.638, 0.654], [0.588, 0.781], [0.381, 0.758], [0.319, 0.651], [0.308, 0.44], [0.424, 0.231], [0.475, 0.233]],
      [[0.7, 0.499], [0.399, 0.529]],
    ],
  },
  'two with a crossbar': {
    exact: '2',
    strokes: [
      [[0.27, 0.328], [0.328, 0.217], [0.482, 0.174], [0.72, 0.352], [0.625, 0.507], [0.54, 0.565], [0.604, 0.457], [0.6, 0.578], [0.652, 0.742], [0.441, 0.758], [0.26, 0.691], [0.256, 0.694]],
      [[0.742, 0.496], [0.461, 0.755]],
    ],
  },
  'seven or nine': { exact: '9', strokes: [[[0.346, 0.243], [0.661, 0.237], [0.438, 0.803]], [[0.443, 0.336], [0.532, 0.576]]] },
  'one with a tick': { exact: '1', strokes: [[[0.545, 0.176], [0.512, 0.475], [0.459, 0.85]], [[0.58, 0.392], [0.661, 0.624]]] },
};
