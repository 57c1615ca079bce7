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
// repacked operands (not thread-safe: one per thread). Like the dense kernels, each product of
// two matrices takes the policy's packed path (multiply.hpp) when the ranges of both operands
// prove it exact, and product() otherwise. On the packed path a left operand that the policy
// skips (zero, or flushed to zero) contributes nothing: its products are +-0 because the packed
// path is only taken when the right operands are finite.
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
      multiply(a_.data() + h * d, D, b_.data(), padded, Tq, d, T, s + h * Tq * T, T);
    }
  }

  // o[i][h d + c] (see the top of this file); probs is [H][Tq][T], v rows at stride ldv, o rows
  // at stride ldo.
  void mix(const AttentionShape& shape, const float* probs, const float* v, std::size_t ldv,
           float* o, std::size_t ldo) const {
    const std::size_t T = shape.tokens, Tq = shape.queries, d = shape.head_dim;
    const std::size_t D = shape.width(), padded = round_up_to_lanes(d);
    a_.resize(shape.heads * Tq * T);
    rows_.resize(T * D);
    b_.resize(T * padded);
    quantize_operands(p_, probs, a_.data(), a_.size());
    for (std::size_t j = 0; j < T; ++j)
      quantize_operands(p_, v + j * ldv, rows_.data() + j * D, D);
    for (std::size_t h = 0; h < shape.heads; ++h) {
      for (std::size_t j = 0; j < T; ++j) {
        float* bj = b_.data() + j * padded;
        std::copy(rows_.data() + j * D + h * d, rows_.data() + j * D + (h + 1) * d, bj);
        std::fill(bj + d, bj + padded, 0.0f);
      }
      multiply(a_.data() + h * Tq * T, T, b_.data(), padded, Tq, T, d, o + h * d, ldo);
    }
  }

private:
  using Arch = Batch::arch_type;
  using Packed = typename P::Packed;
  static constexpr std::size_t kTermBatches = 3;

  // c = a b as product_rows() computes it (a rows at stride a_row, contiguous along k; b rows at
  // stride ldb, padded), through the packed path when the operands allow.
  void multiply(const float* a, std::size_t a_row, const float* b, std::size_t ldb,
                std::size_t rows, std::size_t depth, std::size_t cols, float* c,
                std::size_t ldc) const {
    OperandRange b_range, a_range;
    for (std::size_t k = 0; k < depth; ++k)
      for (std::size_t n = 0; n < cols; ++n)
        b_range.add(b[k * ldb + n]);
    const int mode = p_.packing(b_range);
    if (mode != 0) {
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t k = 0; k < depth; ++k)
          if (!p_.skips(a[i * a_row + k]))
            a_range.add(a[i * a_row + k]);
    }
    const P p = p_; // a local copy keeps the policy's constants in registers
    switch (mode == 0 ? 0 : p.packed_variant(mode, b_range, a_range)) {
    case 1: packed_rows<1>(p, mode, a, a_row, b, ldb, rows, depth, cols, c, ldc); break;
    case 2: packed_rows<2>(p, mode, a, a_row, b, ldb, rows, depth, cols, c, ldc); break;
    case 3: packed_rows<3>(p, mode, a, a_row, b, ldb, rows, depth, cols, c, ldc); break;
    default: product_rows(p, a, a_row, 1, b, ldb, rows, depth, cols, c, ldc);
    }
  }

  template <int V>
  void packed_rows(const P& p, int mode, const float* a, std::size_t a_row, const float* b,
                   std::size_t ldb, std::size_t rows, std::size_t depth, std::size_t cols, float* c,
                   std::size_t ldc) const {
    packed_.resize(depth * ldb);
    for (std::size_t k = 0; k < depth * ldb; ++k)
      packed_[k] = p.pack_weight(b[k], mode);
    using Term = decltype(p.template input_term<V, Arch>(0.0f));
    static_assert(sizeof(Term) <= kTermBatches * sizeof(Batch) && alignof(Term) <= alignof(Batch),
                  "input terms must fit the scratch space");
    terms_.resize(depth * kTermBatches);
    active_.resize(depth);
    Term* terms = reinterpret_cast<Term*>(terms_.data());
    using WBatch = xsimd::batch<Packed, Arch>;
    for (std::size_t i = 0; i < rows; ++i) {
      std::size_t n_active = 0;
      for (std::size_t k = 0; k < depth; ++k) {
        const float x = a[i * a_row + k];
        if (p.skips(x))
          continue;
        terms[n_active] = p.template input_term<V, Arch>(x);
        active_[n_active++] = k;
      }
      float* ci = c + i * ldc;
      for (std::size_t n0 = 0; n0 < cols; n0 += kLanes) {
        Batch acc(0.0f);
        for (std::size_t t = 0; t < n_active; ++t)
          acc = acc + p.template packed_product<V>(
                          WBatch::load_unaligned(packed_.data() + active_[t] * ldb + n0), terms[t]);
        if (n0 + kLanes <= cols) {
          acc.store_unaligned(ci + n0);
        } else {
          alignas(64) float sums[kLanes];
          acc.store_aligned(sums);
          std::copy(sums, sums + (cols - n0), ci + n0);
        }
      }
    }
  }

  P p_;
  mutable std::vector<float> a_, rows_, b_;
  mutable std::vector<Packed> packed_;
  mutable std::vector<Batch, xsimd::aligned_allocator<Batch>> terms_;
  mutable std::vector<std::size_t> active_;
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
