#include "lmul/session.hpp"

#include <new>
#include <stdexcept>

namespace lmul {

namespace {
MulPlan exact_plan() {
  return MulPlan(MulSpec{Method::exact, FloatFormat(8, 23), Rounding::nearest});
}
} // namespace

ModelSession::ModelSession(std::unique_ptr<Network> network, std::size_t budget)
    : network_(std::move(network)), budget_(budget) {
  if (!network_)
    throw std::invalid_argument("ModelSession needs a network");
  layers_ = network_->describe();
}

void ModelSession::set_budget(std::size_t bytes) {
  budget_ = bytes;
  evict_to(budget_);
}

void ModelSession::clear() { cache_.clear(); }

std::size_t ModelSession::prepared_bytes() const {
  std::size_t b = 0;
  for (const auto& p : cache_)
    b += p->bytes();
  return b;
}

// Drops least recently used entries until the cache holds at most `bytes`, but never the
// `keep` most recent ones.
void ModelSession::evict_to(std::size_t bytes, std::size_t keep) {
  while (cache_.size() > keep && prepared_bytes() > bytes)
    cache_.pop_back();
}

namespace {
// Bytes per weight or product in the estimates below.
constexpr std::size_t kWeight = sizeof(float);
// A prepared copy: the quantized weights and their packed form (at most 4 bytes each).
constexpr std::size_t kCopyPerWeight = 2 * kWeight;
// Error statistics keep every relative error as a float for the median (each layer reserves its
// products' floats; the buffers of earlier calls may stay in the heap, as may the copies of plans
// used before), and the medians select among copies of the errors of a few slots. Measured when
// the errors still grew by doubling in per-bin vectors: a 784 -> 60000 -> 10 model predicting
// with statistics on an input with no zero pixel after seven other plans took the wasm heap to
// 1890 MiB (node --test tests/package/heap.test.mjs prints it); this estimate says 2000 MiB.
constexpr std::size_t kErrorsPerProduct = 6 * kWeight;
} // namespace

std::size_t ModelSession::copy_bytes_estimate() const {
  std::size_t weights = 0;
  for (const LayerInfo& l : layers_)
    if (l.kind == ProductKind::linear)
      weights += l.products;
  return kCopyPerWeight * weights;
}

std::size_t ModelSession::predict_bytes_estimate(bool errors) const {
  const std::size_t copy = copy_bytes_estimate(), weights = copy / kCopyPerWeight * kWeight;
  if (!errors)
    return weights + copy;
  std::size_t products = 0;
  for (const LayerInfo& l : layers_)
    products += l.products;
  // The plan's copy also holds the weights unquantized for the statistics; the exact copy
  // holds one set of weights.
  return weights + (copy + weights) + weights + kErrorsPerProduct * products;
}

std::shared_ptr<const PreparedNetwork> ModelSession::prepared(const MulPlan& plan) {
  for (auto it = cache_.begin(); it != cache_.end(); ++it)
    if ((*it)->plan() == plan) {
      cache_.splice(cache_.begin(), cache_, it);
      return cache_.front();
    }
  // Room for the new copy first: entries beyond the budget would otherwise stay allocated
  // while it is prepared. Callers hold on to the copies they are using.
  const std::size_t room = copy_bytes_estimate();
  evict_to(budget_ > room ? budget_ - room : 0, 0);
  std::shared_ptr<const PreparedNetwork> p;
  try {
    p = network_->prepare(plan);
  } catch (const std::bad_alloc&) {
    cache_.clear(); // free every other prepared copy, then try once more
    p = network_->prepare(plan);
  }
  cache_.push_front(p);
  evict_to(budget_);
  return p;
}

Prediction ModelSession::predict(const float* x, const MulPlan& plan,
                                 const PredictOptions& options) {
  const auto net = prepared(plan);
  std::shared_ptr<const PreparedNetwork> exact;
  if (options.errors && !all_exact(plan, layers_))
    exact = prepared(exact_plan());
  return lmul::predict(layers_, *net, exact.get(), x, network_->output_size(), options);
}

EvalResult ModelSession::evaluate(const uint8_t* images, const uint8_t* labels, std::size_t n,
                                  const MulPlan& plan,
                                  const std::function<bool(std::size_t, std::size_t)>& progress,
                                  float* logits) {
  const auto net = prepared(plan);
  return lmul::evaluate(*net, network_->input_size(), network_->output_size(), images, labels, n,
                        progress, logits);
}

} // namespace lmul
