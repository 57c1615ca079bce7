// Multiplier plans (NUMERICS.md section 3b): a multiplier per layer and per kind of product.
//
// A network's products are of two kinds: "linear" (a weight times an activation: dense layers,
// projections, the patch embedding) and "attention" (an activation times an activation: the
// scores Q K^T and the weighted sum softmax(S) V). Layers are the steps of a network that have
// products, numbered from 0 in forward order (the order Network::describe() lists them).
// Everything else (sums, biases, softmax, LayerNorm, activations) is exact fp32 in every plan.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "lmul/multiply.hpp"

namespace lmul {

enum class ProductKind { linear, attention };
inline const char* to_string(ProductKind kind) {
  return kind == ProductKind::attention ? "attention" : "linear";
}

// Which multiplier each product of a network uses. Precedence: a layer's own entry, then the
// entry of its kind. The default plan applies MulSpec's defaults everywhere.
struct MulPlan {
  MulSpec linear, attention;
  std::map<std::size_t, MulSpec> layers; // by layer index (describe() order)

  MulPlan() = default;
  explicit MulPlan(const MulSpec& everywhere) : linear(everywhere), attention(everywhere) {}

  const MulSpec& spec_for(std::size_t layer, ProductKind kind) const {
    const auto it = layers.find(layer);
    if (it != layers.end())
      return it->second;
    return kind == ProductKind::attention ? attention : linear;
  }
};

} // namespace lmul
