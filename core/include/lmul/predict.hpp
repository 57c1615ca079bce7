// One prediction with everything the demo and the package show about it: the digit (or why
// there is none), probabilities, and where the approximate multiplier's error comes from, per
// layer and per kind of product (NUMERICS.md sections 3, 3b and 4).
#pragma once

#include <cstddef>
#include <vector>

#include "lmul/network.hpp"

namespace lmul {

struct LayerReport {
  std::string name;
  ProductKind kind;
  // ||approx - exact|| / ||exact|| (L2) of the layer's output activations, the approximate
  // network against the exact one on the same input: 0 when both are equal, inf when the exact
  // output is zero and the approximate one is not, or when either holds a non-finite value.
  double activation_error = 0;
  ErrorStats products; // this layer's products against exact fp32 products of the same operands
};

struct Prediction {
  int digit = -1; // -1: the forward pass was not finite (no prediction)
  std::vector<float> logits, probs;
  // For a non-finite pass: the first layer (describe() index) whose output held inf or NaN, and
  // the indices of the non-finite logits.
  int nonfinite_layer = -1;
  std::vector<int> nonfinite_logits;
  // Error statistics (with PredictOptions::errors, for a plan that is not exact everywhere).
  bool has_errors = false;
  ErrorStats products;                            // every product of the pass
  bool has_linear = false, has_attention = false; // the network has products of that kind
  // Some product of that kind is approximate under the plan: only such kinds are measured (a
  // kind whose products are all exact has nothing to show but zeros).
  bool approx_linear = false, approx_attention = false;
  ErrorStats linear, attention; // products of each kind
  std::vector<LayerReport> layers;
  // With PredictOptions::attention (transformers): per block, heads x patches weights of the
  // class token over the patches.
  std::vector<std::vector<float>> attention_maps;
  std::size_t heads = 0, patches = 0;
};

struct PredictOptions {
  bool errors = true;     // error statistics (needs a second, exact forward pass)
  bool attention = false; // attention maps
};

// True when every layer of `layers` multiplies exactly under `plan`.
bool all_exact(const MulPlan& plan, const std::vector<LayerInfo>& layers);

// Predicts input x with `net` (prepared for some plan); `exact` is the same network prepared for
// the all-exact plan (needed for error statistics; may be null when options.errors is false or
// net itself is exact).
Prediction predict(const std::vector<LayerInfo>& layers, const PreparedNetwork& net,
                   const PreparedNetwork* exact, const float* x, std::size_t classes,
                   const PredictOptions& options);

} // namespace lmul
