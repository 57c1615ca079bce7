// Scalar references for the attention kernels of attention.hpp: plain loops over the policies'
// scalar overloads in the order attention.hpp documents. Tests compare the SIMD kernels against
// these bit for bit.
#pragma once

#include <cstddef>

#include "lmul/attention.hpp"

namespace lmul::scalar {

// s[h][i][j] = sum_c q[i][h d + c] k[j][h d + c], from +0 in increasing c.
template <class P>
void attention_scores(const P& p, const AttentionShape& shape, const float* q, std::size_t ldq,
                      const float* k, std::size_t ldk, float* s) {
  const std::size_t T = shape.tokens, Tq = shape.queries, d = shape.head_dim;
  for (std::size_t h = 0; h < shape.heads; ++h)
    for (std::size_t i = 0; i < Tq; ++i)
      for (std::size_t j = 0; j < T; ++j) {
        float acc = 0.0f;
        for (std::size_t c = 0; c < d; ++c)
          acc += p.product(p.operand(q[i * ldq + h * d + c]), p.operand(k[j * ldk + h * d + c]));
        s[(h * Tq + i) * T + j] = acc;
      }
}

// o[i][h d + c] = sum_j probs[h][i][j] v[j][h d + c], from +0 in increasing j.
template <class P>
void attention_mix(const P& p, const AttentionShape& shape, const float* probs, const float* v,
                   std::size_t ldv, float* o, std::size_t ldo) {
  const std::size_t T = shape.tokens, Tq = shape.queries, d = shape.head_dim;
  for (std::size_t h = 0; h < shape.heads; ++h)
    for (std::size_t i = 0; i < Tq; ++i)
      for (std::size_t c = 0; c < d; ++c) {
        float acc = 0.0f;
        for (std::size_t j = 0; j < T; ++j)
          acc +=
              p.product(p.operand(probs[(h * Tq + i) * T + j]), p.operand(v[j * ldv + h * d + c]));
        o[i * ldo + h * d + c] = acc;
      }
}

} // namespace lmul::scalar
