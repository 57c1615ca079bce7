// The MLP model: its layers checked when loaded, describe() and prepare(); the inference it
// prepares is in mlp_inference.cpp.
#include "lmul/mlp.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "lmul/finite.hpp"

namespace lmul {

namespace {
std::string layer_name(std::size_t k) { return "layer " + std::to_string(k + 1); }
} // namespace

Mlp::Mlp(std::vector<LinearParams> layers) : layers_(std::move(layers)) {
  if (layers_.empty())
    throw std::invalid_argument("an MLP needs at least one layer");
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    const LinearParams& l = layers_[k];
    const std::string name = layer_name(k);
    if (l.in == 0 || l.out == 0)
      throw std::invalid_argument(name + " has a zero size (" + std::to_string(l.out) + " x " +
                                  std::to_string(l.in) + ")");
    if (l.in > std::numeric_limits<std::size_t>::max() / l.out || l.weight.size() != l.in * l.out)
      throw std::invalid_argument(name + " weight has " + std::to_string(l.weight.size()) +
                                  " values, expected out * in = " + std::to_string(l.out) + " * " +
                                  std::to_string(l.in));
    if (l.bias.size() != l.out)
      throw std::invalid_argument(name + " bias has " + std::to_string(l.bias.size()) +
                                  " values, expected " + std::to_string(l.out));
    if (k > 0 && layers_[k - 1].out != l.in)
      throw std::invalid_argument(name + " takes " + std::to_string(l.in) + " inputs but " +
                                  layer_name(k - 1) + " has " + std::to_string(layers_[k - 1].out) +
                                  " outputs");
    check_finite(l.weight.data(), l.weight.size(), name + " weight");
    check_finite(l.bias.data(), l.bias.size(), name + " bias");
  }
}

std::vector<std::size_t> Mlp::sizes() const {
  std::vector<std::size_t> s;
  if (layers_.empty())
    return s;
  s.push_back(layers_.front().in);
  for (const auto& l : layers_)
    s.push_back(l.out);
  return s;
}

std::size_t Mlp::input_size() const { return layers_.empty() ? 0 : layers_.front().in; }
std::size_t Mlp::output_size() const { return layers_.empty() ? 0 : layers_.back().out; }

std::vector<LayerInfo> Mlp::describe() const {
  std::vector<LayerInfo> info;
  for (std::size_t k = 0; k < layers_.size(); ++k)
    info.push_back(
        {"fc" + std::to_string(k + 1), ProductKind::linear, layers_[k].in * layers_[k].out});
  return info;
}

std::unique_ptr<PreparedNetwork> Mlp::prepare(const MulPlan& plan) const {
  return std::make_unique<MlpInference>(*this, plan);
}

void check_plan_layers(const MulPlan& plan, std::size_t layers) {
  for (const auto& entry : plan.layers)
    if (entry.first >= layers)
      throw std::invalid_argument("plan: there is no layer " + std::to_string(entry.first) +
                                  "; this network's layers are 0.." + std::to_string(layers - 1));
}

} // namespace lmul
