// Attention's products (NUMERICS.md section 3b, kind "attention"): the scores Q K^T and the
// weighted sum softmax(S) V of multi-head self-attention, written once over a multiplier policy
// (multiply.hpp) like the dense kernels. The scalar references live in attention_scalar.hpp;
// tests prove the two agree bit for bit for every method.
//
// Both operands are activations, so nothing here may be skipped: a zero query component times
// an infinite key component is NaN under every method (NUMERICS.md section 2), not 0.
//
// Summation order, the same as the dense kernels' and gemm's: each output adds its products in
// increasing index order starting from +0 (scores over the head's components c, the mix over
// the keys j).
//
// Layout of one sequence: T tokens; queries are its first Tq tokens (Tq = T, or 1 where only
// the class token is needed); H heads of d components, head h owning columns [h d, (h + 1) d)
// of the width H d.
//   scores: S[h][i][j] = sum_c q[i][h d + c] k[j][h d + c]       S is [H][Tq][T]
//   mix:    O[i][h d + c] = sum_j P[h][i][j] v[j][h d + c]       P is [H][Tq][T]
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "lmul/kernels.hpp"

namespace lmul {

struct AttentionShape {
  std::size_t tokens = 0, queries = 0, heads = 0, head_dim = 0;
  std::size_t width() const { return heads * head_dim; }
};

inline std::size_t round_up_to_lanes(std::size_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

// C[i][n] = sum_k a(i, k) b(k, n) for i < rows, n < cols, k < depth, with a(i, k) =
// a[i * a_row + k * a_col] and b(k, n) = b[k * ldb + n]: operands that p.operand() already
// produced, products by p, each output summed in increasing k from +0. Rows of b must be
// readable up to round_up_to_lanes(cols) (their values there do not matter).
template <class P>
void product_rows(const P& p, const float* a, std::size_t a_row, std::size_t a_col, const float* b,
                  std::size_t ldb, std::size_t rows, std::size_t depth, std::size_t cols, float* c,
                  std::size_t ldc) {
  constexpr std::size_t kTile = 4;
  const auto tile = [&](auto width, const float* ai, std::size_t n0, float* ci) {
    constexpr std::size_t NB = decltype(width)::value;
    Batch acc[NB];
    for (auto& v : acc)
      v = Batch(0.0f);
    for (std::size_t k = 0; k < depth; ++k) {
      const Batch x(ai[k * a_col]);
      const float* bk = b + k * ldb + n0;
      for (std::size_t j = 0; j < NB; ++j)
        acc[j] = acc[j] + p.product(x, Batch::load_unaligned(bk + j * kLanes));
    }
    if (n0 + NB * kLanes <= cols) {
      for (std::size_t j = 0; j < NB; ++j)
        acc[j].store_unaligned(ci + n0 + j * kLanes);
      return;
    }
    alignas(64) float sums[NB * kLanes];
    for (std::size_t j = 0; j < NB; ++j)
      acc[j].store_aligned(sums + j * kLanes);
    std::copy(sums, sums + (cols - n0), ci + n0);
  };
  for (std::size_t i = 0; i < rows; ++i) {
    const float* ai = a + i * a_row;
    float* ci = c + i * ldc;
    std::size_t n0 = 0;
    for (; n0 + kTile * kLanes <= cols; n0 += kTile * kLanes)
      tile(std::integral_constant<std::size_t, kTile>(), ai, n0, ci);
    for (; n0 < cols; n0 += kLanes)
      tile(std::integral_constant<std::size_t, 1>(), ai, n0, ci);
  }
}

// out[i] = p.operand(in[i]) for i < n.
template <class P> void quantize_operands(const P& p, const float* in, float* out, std::size_t n) {
  std::size_t i = 0;
  if constexpr (P::kQuantizes)
    for (; i + kLanes <= n; i += kLanes)
      p.operand(Batch::load_unaligned(in + i)).store_unaligned(out + i);
  for (; i < n; ++i)
    out[i] = p.operand(in[i]);
}

// The scores and the mix of one sequence under policy P, with scratch buffers for quantized and
// repacked operands (not thread-safe: one per thread).
template <class P> class AttentionKernel {
public:
  explicit AttentionKernel(const P& policy) : p_(policy) {}

  // s[h][i][j] (see the top of this file); q and k rows at strides ldq and ldk.
  void scores(const AttentionShape& shape, const float* q, std::size_t ldq, const float* k,
              std::size_t ldk, float* s) const {
    const std::size_t T = shape.tokens, Tq = shape.queries, d = shape.head_dim;
    const std::size_t D = shape.width(), padded = round_up_to_lanes(T);
    a_.resize(Tq * D);
    rows_.resize(T * D);
    b_.resize(d * padded);
    for (std::size_t i = 0; i < Tq; ++i)
      quantize_operands(p_, q + i * ldq, a_.data() + i * D, D);
    for (std::size_t j = 0; j < T; ++j)
      quantize_operands(p_, k + j * ldk, rows_.data() + j * D, D);
    for (std::size_t h = 0; h < shape.heads; ++h) {
      // This head's keys transposed, [c][j], so that one batch holds several keys.
      for (std::size_t c = 0; c < d; ++c) {
        float* bc = b_.data() + c * padded;
        for (std::size_t j = 0; j < T; ++j)
          bc[j] = rows_[j * D + h * d + c];
        std::fill(bc + T, bc + padded, 0.0f);
      }
      product_rows(p_, a_.data() + h * d, D, 1, b_.data(), padded, Tq, d, T, s + h * Tq * T, T);
    }
  }

  // o[i][h d + c] (see the top of this file); probs is [H][Tq][T], v rows at stride ldv, o rows
  // at stride ldo.
  void mix(const AttentionShape& shape, const float* probs, const float* v, std::size_t ldv,
           float* o, std::size_t ldo) const {
    const std::size_t T = shape.tokens, Tq = shape.queries, d = shape.head_dim;
    const std::size_t D = shape.width();
    // Rows of the quantized values keep one batch of slack, so the last head's batches can be
    // read whole (product_rows' contract).
    const std::size_t ld = D + kLanes;
    a_.resize(shape.heads * Tq * T);
    rows_.resize(T * ld);
    quantize_operands(p_, probs, a_.data(), a_.size());
    for (std::size_t j = 0; j < T; ++j) {
      quantize_operands(p_, v + j * ldv, rows_.data() + j * ld, D);
      std::fill(rows_.data() + j * ld + D, rows_.data() + (j + 1) * ld, 0.0f);
    }
    for (std::size_t h = 0; h < shape.heads; ++h)
      product_rows(p_, a_.data() + h * Tq * T, T, 1, rows_.data() + h * d, ld, Tq, T, d, o + h * d,
                   ldo);
  }

private:
  P p_;
  mutable std::vector<float> a_, rows_, b_;
};

// The attention kernels for a multiplier chosen at run time (one policy dispatch when built,
// none per call). Not thread-safe: one per thread.
class AttentionLayer {
public:
  explicit AttentionLayer(const MulSpec& spec);
  ~AttentionLayer();
  AttentionLayer(AttentionLayer&&) noexcept;
  AttentionLayer& operator=(AttentionLayer&&) noexcept;

  const MulSpec& spec() const { return spec_; }
  void scores(const AttentionShape& shape, const float* q, std::size_t ldq, const float* k,
              std::size_t ldk, float* s) const;
  void mix(const AttentionShape& shape, const float* probs, const float* v, std::size_t ldv,
           float* o, std::size_t ldo) const;

  struct Kernels; // AttentionKernel<P> behind a virtual interface

private:
  MulSpec spec_;
  std::unique_ptr<Kernels> kernels_;
};

} // namespace lmul
