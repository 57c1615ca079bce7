// What every network of the core (the MLP, the vision transformer) tells about itself and
// records when a forward pass is traced for statistics.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lmul/plan.hpp"
#include "lmul/stats.hpp"

namespace lmul {

// A layer that has products, as listed by a network's describe(): the index a MulPlan uses is
// the position in that list.
struct LayerInfo {
  std::string name;     // PyTorch-style: "fc1", "blocks.0.attn.qkv", "blocks.0.attn.scores"
  ProductKind kind;     // which entry of a plan applies when the layer has none of its own
  std::size_t products; // multiplications per forward pass of one input
};

// What a traced forward pass records, per layer (describe() order).
struct LayerTrace {
  std::vector<float> output; // the layer's output activations (before any nonlinearity)
  ErrorAccumulator products; // each product against the exact fp32 product of the same operands
};

struct ForwardTrace {
  std::vector<LayerTrace> layers;
  // Transformers: per block, the class token's attention over the patches, heads x patches
  // (row h is head h's softmax weights on the patch tokens, the class token's own left out).
  std::vector<std::vector<float>> attention;
  std::size_t heads = 0, patches = 0;
};

} // namespace lmul
