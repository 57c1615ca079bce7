// The optimizer of training: Adam, updated as torch.optim.Adam (no weight decay, no amsgrad),
// with SIMD over the parameters.
#pragma once

#include <cstddef>
#include <vector>

namespace lmul {

// Adam's hyperparameters, with torch.optim.Adam's defaults.
struct AdamConfig {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

// Adam state (first and second moments) for one parameter array of n values.
struct AdamSlot {
  std::vector<float> m, v;
  explicit AdamSlot(std::size_t n) : m(n, 0.0f), v(n, 0.0f) {}

  // One update of param[0..n) from grad[0..n); t counts steps from 1 (bias correction).
  void step(float* param, const float* grad, std::size_t n, const AdamConfig& c, std::size_t t);
};

} // namespace lmul
