// What every network of the core (the MLP, the vision transformer) offers: a list of its
// layers with products, inference prepared for a multiplier plan, and traced forward passes
// (per-layer outputs and product errors) for statistics.
#pragma once

#include <cstddef>
#include <memory>
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

// A network prepared for one plan: weights quantized and packed once per layer, scratch
// buffers for one input at a time. Not thread-safe; make one per thread.
class PreparedNetwork {
public:
  virtual ~PreparedNetwork() = default;
  virtual const MulPlan& plan() const = 0;
  // logits[output_size] for one input[input_size].
  virtual void logits(const float* x, float* logits) const = 0;
  // As logits(), and records every layer's output in `trace`; with `products`, also every
  // product against the exact fp32 product of its (unquantized) operands, NUMERICS.md
  // section 4 (the layer's input activations are this pass's own).
  virtual void logits_traced(const float* x, float* logits, ForwardTrace& trace,
                             bool products) const = 0;
  // Bytes held by the prepared weights and scratch buffers.
  virtual std::size_t bytes() const = 0;
};

class Network {
public:
  virtual ~Network() = default;
  virtual std::string arch() const = 0; // "mlp", "vit"
  virtual std::size_t input_size() const = 0;
  virtual std::size_t output_size() const = 0;
  // The widths that summarize the network, input first: an MLP's layer widths ({784, 128, 10});
  // for other architectures the input and output sizes (describe() lists their layers).
  virtual std::vector<std::size_t> sizes() const { return {input_size(), output_size()}; }
  virtual std::vector<LayerInfo> describe() const = 0;
  // Throws std::invalid_argument when the plan names a layer the network does not have. The
  // result keeps a pointer to this network, which must outlive it.
  virtual std::unique_ptr<PreparedNetwork> prepare(const MulPlan& plan) const = 0;
};

// Throws std::invalid_argument naming the layer when the plan has an entry for a layer index
// the network does not have.
void check_plan_layers(const MulPlan& plan, std::size_t layers);

} // namespace lmul
