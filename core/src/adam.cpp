// Adam's update (adam.hpp): SIMD over whole batches of parameters; the tail does the same float
// operations one value at a time.
#include "lmul/adam.hpp"

#include <cmath>

#include "lmul/kernels.hpp"

namespace lmul {

void AdamSlot::step(float* param, const float* grad, std::size_t n, const AdamConfig& c,
                    std::size_t t) {
  const double bias1 = 1.0 - std::pow(c.beta1, double(t));
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(c.beta2, double(t)));
  const Batch b1(float(c.beta1)), one_minus_b1(float(1.0 - c.beta1));
  const Batch b2(float(c.beta2)), one_minus_b2(float(1.0 - c.beta2));
  const Batch step_size(float(c.lr / bias1)), inv_bias2(float(1.0 / bias2_sqrt));
  const Batch eps(float(c.eps));
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Batch g = Batch::load_unaligned(grad + i);
    const Batch m1 = b1 * Batch::load_unaligned(m.data() + i) + one_minus_b1 * g;
    const Batch v1 = b2 * Batch::load_unaligned(v.data() + i) + one_minus_b2 * (g * g);
    const Batch denom = xsimd::sqrt(v1) * inv_bias2 + eps;
    const Batch p = Batch::load_unaligned(param + i) - step_size * (m1 / denom);
    m1.store_unaligned(m.data() + i);
    v1.store_unaligned(v.data() + i);
    p.store_unaligned(param + i);
  }
  for (; i < n; ++i) {
    m[i] = float(c.beta1) * m[i] + float(1.0 - c.beta1) * grad[i];
    v[i] = float(c.beta2) * v[i] + float(1.0 - c.beta2) * (grad[i] * grad[i]);
    const float denom = std::sqrt(v[i]) * float(1.0 / bias2_sqrt) + float(c.eps);
    param[i] = param[i] - float(c.lr / bias1) * (m[i] / denom);
  }
}

} // namespace lmul
