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

#include <algorithm>
#include <cmath>
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
// readable up to round_up_to_lanes(cols) (their values there do not matter). Attention takes it
// only for heads whose keys or values hold inf or NaN, so it computes one batch of outputs at a
// time: untiled, its copies take 5 KB less of the wasm module.
template <class P>
void product_rows(const P& p, const float* a, std::size_t a_row, std::size_t a_col, const float* b,
                  std::size_t ldb, std::size_t rows, std::size_t depth, std::size_t cols, float* c,
                  std::size_t ldc) {
  for (std::size_t i = 0; i < rows; ++i) {
    const float* ai = a + i * a_row;
    float* ci = c + i * ldc;
    for (std::size_t n0 = 0; n0 < cols; n0 += kLanes) {
      Batch acc(0.0f);
      for (std::size_t k = 0; k < depth; ++k)
        acc = acc + p.product(Batch(ai[k * a_col]), Batch::load_unaligned(b + k * ldb + n0));
      if (n0 + kLanes <= cols) {
        acc.store_unaligned(ci + n0);
        continue;
      }
      alignas(64) float sums[kLanes];
      acc.store_aligned(sums);
      std::copy(sums, sums + (cols - n0), ci + n0);
    }
  }
}

// The scores and the mix of one sequence under policy P, with scratch buffers (not thread-safe:
// one per thread). Each head's keys (for the scores) or values (for the mix) are taken as the
// weights of a dense layer (DenseKernel::assign) and every query or probability row as its
// input, so attention gets the dense kernels' packed paths where the operands' ranges prove
// them exact. The dense kernels skip zero inputs, which is exact only while the weights are
// finite; a head whose keys or values hold inf or NaN takes product_rows(), which skips
// nothing (0 * inf is NaN).
template <class P> class AttentionKernel {
public:
  explicit AttentionKernel(const P& policy) : p_(policy), dense_(policy) {}

  // s[h][i][j] (see the top of this file); q and k rows at strides ldq and ldk.
  void scores(const AttentionShape& shape, const float* q, std::size_t ldq, const float* k,
              std::size_t ldk, float* s) const {
    const std::size_t T = shape.tokens, Tq = shape.queries, d = shape.head_dim;
    for (std::size_t h = 0; h < shape.heads; ++h) {
      if (gather(k, ldk, T, h * d, d)) { // keys as weights [out = T][in = d]
        dense_.assign(head_.data(), nullptr, d, T, WeightLayout::out_by_in);
        for (std::size_t i = 0; i < Tq; ++i)
          dense_.forward(q + i * ldq + h * d, s + (h * Tq + i) * T);
        continue;
      }
      // product_rows wants the keys transposed, [c][j], padded to whole batches.
      const std::size_t padded = round_up_to_lanes(T);
      b_.assign(d * padded, 0.0f);
      for (std::size_t j = 0; j < T; ++j)
        for (std::size_t c = 0; c < d; ++c)
          b_[c * padded + j] = head_[j * d + c];
      quantize_rows(q + h * d, ldq, Tq, d);
      product_rows(p_, a_.data(), d, 1, b_.data(), padded, Tq, d, T, s + h * Tq * T, T);
    }
  }

  // o[i][h d + c] (see the top of this file); probs is [H][Tq][T], v rows at stride ldv, o rows
  // at stride ldo.
  void mix(const AttentionShape& shape, const float* probs, const float* v, std::size_t ldv,
           float* o, std::size_t ldo) const {
    const std::size_t T = shape.tokens, Tq = shape.queries, d = shape.head_dim;
    for (std::size_t h = 0; h < shape.heads; ++h) {
      const float* p = probs + h * Tq * T;
      if (gather(v, ldv, T, h * d, d)) { // values as weights [in = T][out = d]
        dense_.assign(head_.data(), nullptr, T, d, WeightLayout::in_by_out);
        for (std::size_t i = 0; i < Tq; ++i)
          dense_.forward(p + i * T, o + i * ldo + h * d);
        continue;
      }
      const std::size_t padded = round_up_to_lanes(d);
      b_.assign(T * padded, 0.0f);
      for (std::size_t j = 0; j < T; ++j)
        for (std::size_t c = 0; c < d; ++c)
          b_[j * padded + c] = head_[j * d + c];
      quantize_rows(p, T, Tq, T);
      product_rows(p_, a_.data(), T, 1, b_.data(), padded, Tq, T, d, o + h * d, ldo);
    }
  }

private:
  // head_ = the operands of columns [col, col + width) of `rows` rows at stride ld; true when
  // all of them are finite.
  bool gather(const float* m, std::size_t ld, std::size_t rows, std::size_t col,
              std::size_t width) const {
    head_.resize(rows * width);
    for (std::size_t r = 0; r < rows; ++r)
      quantize_operands(p_, m + r * ld + col, head_.data() + r * width, width);
    return std::all_of(head_.begin(), head_.end(), [](float x) { return std::isfinite(x); });
  }

  // a_ = the operands of `rows` rows of `width` values at stride ld.
  void quantize_rows(const float* m, std::size_t ld, std::size_t rows, std::size_t width) const {
    a_.resize(rows * width);
    for (std::size_t r = 0; r < rows; ++r)
      quantize_operands(p_, m + r * ld, a_.data() + r * width, width);
  }

  P p_;
  mutable DenseKernel<P> dense_;
  mutable std::vector<float> head_, a_, b_;
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
