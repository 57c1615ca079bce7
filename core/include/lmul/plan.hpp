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
#include <optional>
#include <string>
#include <vector>

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

  bool operator==(const MulPlan& o) const {
    return linear == o.linear && attention == o.attention && layers == o.layers;
  }
  bool operator!=(const MulPlan& o) const { return !(*this == o); }

  const MulSpec& spec_for(std::size_t layer, ProductKind kind) const {
    const auto it = layers.find(layer);
    if (it != layers.end())
      return it->second;
    return kind == ProductKind::attention ? attention : linear;
  }
};

// A multiplier as an API caller gives it: any field may be left out, and then comes from a base
// spec (MulSpec's defaults, or the caller's top-level choice).
struct SpecFields {
  std::optional<std::string> method, rounding;
  std::optional<int> E, M;
};
// Throws std::invalid_argument naming the field and its allowed values.
MulSpec make_spec(const SpecFields& fields, const MulSpec& base = MulSpec{});

// A plan as an API caller gives it: the top-level fields, then either a plan in the text grammar
// below or per-kind and per-layer specs, each defaulting to the top-level one.
struct PlanRequest {
  SpecFields everywhere;
  std::optional<std::string> text;
  std::optional<SpecFields> linear, attention;
  std::map<std::size_t, SpecFields> layers;
};
MulPlan make_plan(const PlanRequest& request, const std::vector<std::string>& layer_names);

// Plans as text (the CLI's --plan, and the package's plan strings): comma-separated entries
//   SPEC               everywhere (the same as all=SPEC)
//   all=SPEC           every product
//   linear=SPEC        the products of weights and activations
//   attention=SPEC     the products of two activations (transformers)
//   layerN=SPEC        layer N (0-based, the order of describe()), or NAME=SPEC with its name
// where SPEC is METHOD[:FORMAT][:ROUNDING]: METHOD one of the registry's names, FORMAT E<e>M<m>,
// M<m> (E from the defaults) or a preset (fp32, bf16, fp16, e5m2, e4m3), ROUNDING nearest or
// truncate; what a SPEC leaves out comes from `defaults`. A layer's entry wins over its kind's,
// a kind's over all/SPEC, whatever their order; an entry may not repeat. Errors throw
// std::invalid_argument quoting the plan and pointing at the bad token.
// `layer_names` are the network's layers in describe() order.
MulPlan parse_plan(const std::string& text, const std::vector<std::string>& layer_names,
                   const MulSpec& defaults = MulSpec{});
// One SPEC alone ("lmul:E8M3:nearest").
MulSpec parse_spec(const std::string& text, const MulSpec& defaults = MulSpec{});
// The plan as parse_plan reads it, shortest first: "lmul:E8M7:nearest",
// "linear=exact,attention=lmul:E8M3:nearest", ... with layer entries as layerN.
std::string to_string(const MulPlan& plan);
std::string spec_text(const MulSpec& spec); // "lmul:E8M3:nearest", "exact"

} // namespace lmul
