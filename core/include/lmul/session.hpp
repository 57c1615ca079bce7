// A loaded network with its prepared inference kept for reuse: what the package's model object
// (and anything else that predicts many inputs under changing plans) holds. Prepared copies of
// the weights are cached per plan, most recently used first, and bounded by bytes, not by count:
// a large model under several plans could otherwise fill the whole WebAssembly heap.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <vector>

#include "lmul/mlp.hpp"
#include "lmul/network.hpp"
#include "lmul/predict.hpp"

namespace lmul {

class ModelSession {
public:
  static constexpr std::size_t kDefaultBudget = std::size_t(256) << 20; // bytes of prepared copies

  explicit ModelSession(std::unique_ptr<Network> network, std::size_t budget = kDefaultBudget);

  const Network& network() const { return *network_; }
  const std::vector<LayerInfo>& layers() const { return layers_; }

  Prediction predict(const float* x, const MulPlan& plan, const PredictOptions& options = {});
  // As lmul::evaluate, for the network under `plan`.
  EvalResult evaluate(const uint8_t* images, const uint8_t* labels, std::size_t n,
                      const MulPlan& plan,
                      const std::function<bool(std::size_t, std::size_t)>& progress = {},
                      float* logits = nullptr);

  // Bytes held by prepared copies, and how many plans they serve.
  std::size_t prepared_bytes() const;
  std::size_t prepared_plans() const { return cache_.size(); }
  std::size_t budget() const { return budget_; }
  void set_budget(std::size_t bytes);
  // Frees every prepared copy.
  void clear();

  // Estimates from the layer sizes (each product of a linear layer is one weight), so that a
  // model too large for its memory is refused before it is used: the bytes of one prepared
  // copy (quantized and packed weights), and the most one predict() needs when nothing is
  // cached (the network's weights and the plan's copy; with error statistics also the weights
  // the statistics read, the exact network's copy, and the relative errors of one pass, kept
  // for their median).
  std::size_t copy_bytes_estimate() const;
  std::size_t predict_bytes_estimate(bool errors) const;

private:
  // The network prepared for plan: cached, or prepared now. When preparing fails for lack of
  // memory, everything else is freed and it is tried once more. The caller's reference keeps it
  // alive even if a later call evicts it from the cache.
  std::shared_ptr<const PreparedNetwork> prepared(const MulPlan& plan);
  void evict_to(std::size_t bytes, std::size_t keep = 1);

  std::unique_ptr<Network> network_;
  std::vector<LayerInfo> layers_;
  std::size_t budget_;
  std::list<std::shared_ptr<const PreparedNetwork>> cache_; // most recently used first
};

} // namespace lmul
