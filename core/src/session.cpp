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

// Drops least recently used entries until the cache holds at most `bytes`, but never the most
// recent one (the plan in use).
void ModelSession::evict_to(std::size_t bytes) {
  while (cache_.size() > 1 && prepared_bytes() > bytes)
    cache_.pop_back();
}

std::shared_ptr<const PreparedNetwork> ModelSession::prepared(const MulPlan& plan) {
  for (auto it = cache_.begin(); it != cache_.end(); ++it)
    if ((*it)->plan() == plan) {
      cache_.splice(cache_.begin(), cache_, it);
      return cache_.front();
    }
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
