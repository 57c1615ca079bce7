// Where the approximate network disagrees with the exact one, over a test set (pure: the numbers
// come from model.evaluate(..., { logits: true }) of both). A call's margin is how far the
// winning class's logit is ahead of the runner-up; an image flips when the approximate network
// picks another class, and the closest calls are the images whose margin for the exact winner
// dropped the most (the ones a slightly worse multiplier would flip first).

export const NON_FINITE = 255; // evaluate's prediction for a pass that overflowed

// logits[k*classes + j]: how far class w is ahead of the best other class (negative: behind).
function margin(logits, k, classes, w) {
  let best = -Infinity;
  for (let j = 0; j < classes; ++j) if (j !== w) best = Math.max(best, logits[k * classes + j]);
  return logits[k * classes + w] - best;
}

/**
 * exact, approx: { predictions: Uint8Array(n), logits: Float32Array(n * classes) }.
 * Returns { n, flips, closest, flipCount, nonFinite }: flips are the images whose approximate
 * prediction differs (approx null: the pass overflowed), closest the others; both sorted by the
 * drop of the exact winner's margin, largest first, at most `limit` each.
 * Items: { index, label, exact, approx, drop, margin } (margin: the exact winner's, approximate).
 */
export function findDisagreements({ labels, exact, approx, classes = 10, limit = 100 }) {
  const n = labels.length;
  const flips = [], closest = [];
  let nonFinite = 0;
  for (let k = 0; k < n; ++k) {
    const w = exact.predictions[k];
    if (w === NON_FINITE) continue; // no exact call to compare with
    const a = approx.predictions[k];
    const overflowed = a === NON_FINITE;
    nonFinite += overflowed;
    const m = overflowed ? -Infinity : margin(approx.logits, k, classes, w);
    const item = { index: k, label: labels[k], exact: w, approx: overflowed ? null : a, drop: margin(exact.logits, k, classes, w) - m, margin: m };
    (overflowed || a !== w ? flips : closest).push(item);
  }
  const byDrop = (x, y) => y.drop - x.drop || x.index - y.index;
  return { n, flipCount: flips.length, nonFinite, flips: flips.sort(byDrop).slice(0, limit), closest: closest.sort(byDrop).slice(0, limit) };
}
