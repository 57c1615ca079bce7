// Scalar references for the kernels of kernels.hpp: plain loops over the policies' scalar
// overloads, in the summation orders kernels.hpp documents. Tests compare the SIMD kernels
// against these bit for bit.
#pragma once

#include <cstddef>

#include "lmul/kernels.hpp"

namespace lmul::scalar {

template <class P>
void multiply_elementwise(const P& p, const float* a, const float* b, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    out[i] = p.product(p.operand(a[i]), p.operand(b[i]));
}

template <class P> float dot(const P& p, const float* a, const float* b, std::size_t n) {
  float partial[kDotPartials] = {};
  for (std::size_t i = 0; i < n; ++i)
    partial[i % kDotPartials] += p.product(p.operand(a[i]), p.operand(b[i]));
  return reduce_partials(partial);
}

// W row-major [out][in], x[in] -> y[out].
template <class P>
void dense(const P& p, const float* W, const float* bias, std::size_t in, std::size_t out,
           const float* x, float* y) {
  for (std::size_t o = 0; o < out; ++o) {
    float acc = 0.0f;
    for (std::size_t i = 0; i < in; ++i) {
      const float xi = p.operand(x[i]);
      if (!p.skips(xi))
        acc += p.product(p.operand(W[o * in + i]), xi);
    }
    y[o] = acc + (bias ? bias[o] : 0.0f);
  }
}

} // namespace lmul::scalar
