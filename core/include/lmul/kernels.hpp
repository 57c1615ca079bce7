// Kernels written once over a multiplier policy (multiply.hpp): elementwise product, dot
// product and dense layers. The scalar references live in kernels_scalar.hpp; tests prove
// the two agree bit for bit.
//
// Summation orders (NUMERICS.md section 3), identical for the scalar references and every
// SIMD width, so native AVX2, native SSE, WebAssembly SIMD and scalar code give the same bits:
//  - dot: 16 interleaved partial sums (term i goes to partial i % 16, in increasing i), then
//    combined by the fixed tree reduce_partials().
//  - dense: each output is bias + (0 + p_0 + p_1 + ...) in increasing input order, where
//    inputs the policy skips (zero operands, whose products are exactly +-0) are left out.
#pragma once

#include <algorithm>
#include <cstddef>
#include <variant>
#include <vector>

#include "lmul/multiply.hpp"

namespace lmul {

using Batch = xsimd::batch<float>;
constexpr std::size_t kLanes = Batch::size;
constexpr std::size_t kDotPartials = 16;
static_assert(kDotPartials % kLanes == 0, "SIMD width must divide the dot partial count");

// Bit k set where lane k of b is true (movemask; WebAssembly's i32x4.bitmask).
template <class A> unsigned lane_mask(const xsimd::batch_bool<float, A>& b) {
#if XSIMD_WITH_AVX
  if constexpr (std::is_base_of<xsimd::avx, A>::value)
    return static_cast<unsigned>(_mm256_movemask_ps(b));
  else
#endif
      if constexpr (std::is_base_of<xsimd::sse2, A>::value)
    return static_cast<unsigned>(_mm_movemask_ps(b));
  else {
    alignas(64) bool lanes[xsimd::batch<float, A>::size];
    b.store_aligned(lanes);
    unsigned m = 0;
    for (std::size_t k = 0; k < xsimd::batch<float, A>::size; ++k)
      m |= unsigned(lanes[k]) << k;
    return m;
  }
}

// The fixed reduction tree of the 16 dot partials.
inline float reduce_partials(const float* p) {
  float a[8], b[4];
  for (int j = 0; j < 8; ++j)
    a[j] = p[j] + p[j + 8];
  for (int j = 0; j < 4; ++j)
    b[j] = a[j] + a[j + 4];
  return (b[0] + b[2]) + (b[1] + b[3]);
}

// out[i] = a[i] * b[i] under policy p. Any alignment, any length; out may alias a or b.
template <class P>
void multiply_elementwise(const P& p, const float* a, const float* b, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Batch x = p.operand(Batch::load_unaligned(a + i));
    const Batch y = p.operand(Batch::load_unaligned(b + i));
    p.product(x, y).store_unaligned(out + i);
  }
  for (; i < n; ++i)
    out[i] = p.product(p.operand(a[i]), p.operand(b[i]));
}

template <class P> float dot(const P& p, const float* a, const float* b, std::size_t n) {
  constexpr std::size_t kAcc = kDotPartials / kLanes;
  Batch acc[kAcc];
  for (auto& v : acc)
    v = Batch(0.0f);
  std::size_t i = 0;
  for (; i + kDotPartials <= n; i += kDotPartials)
    for (std::size_t k = 0; k < kAcc; ++k) {
      const Batch x = p.operand(Batch::load_unaligned(a + i + k * kLanes));
      const Batch y = p.operand(Batch::load_unaligned(b + i + k * kLanes));
      acc[k] = acc[k] + p.product(x, y);
    }
  alignas(64) float partial[kDotPartials];
  for (std::size_t k = 0; k < kAcc; ++k)
    acc[k].store_aligned(partial + k * kLanes);
  for (std::size_t j = 0; i < n; ++i, ++j)
    partial[j] = partial[j] + p.product(p.operand(a[i]), p.operand(b[i]));
  return reduce_partials(partial);
}

// A dense layer y = W x + b prepared for one multiplier: weights quantized once and stored
// transposed ([in][out], out padded to whole batches) so the kernel streams over outputs
// and can skip zero inputs (about 80 % of MNIST pixels, half of the ReLU outputs). Where the
// policy has a packed path (multiply.hpp) the weights are also stored packed, and each input
// vector takes it when its range proves that no special case can occur.
template <class P> class DenseKernel {
public:
  using Packed = typename P::Packed;

  // W is row-major [out][in] (PyTorch's nn.Linear layout); bias may be null (zeros).
  DenseKernel(const P& policy, const float* W, const float* bias, std::size_t in, std::size_t out)
      : p_(policy), in_(in), out_(out), padded_((out + kLanes - 1) / kLanes * kLanes),
        wt_(in * padded_, 0.0f), bias_(out, 0.0f), x_(in), active_(in), terms_(in * kTermBatches) {
    for (std::size_t o = 0; o < out; ++o)
      for (std::size_t i = 0; i < in; ++i) {
        const float w = p_.operand(W[o * in + i]);
        wt_[i * padded_ + o] = w;
        w_range_.add(w);
      }
    mode_ = p_.packing(w_range_);
    if (mode_ != 0) {
      packed_.resize(wt_.size());
      for (std::size_t k = 0; k < wt_.size(); ++k)
        packed_[k] = p_.pack_weight(wt_[k], mode_);
    }
    if (bias)
      std::copy(bias, bias + out, bias_.begin());
  }

  std::size_t in() const { return in_; }
  std::size_t out() const { return out_; }
  int packing_mode() const { return mode_; } // the policy's packed path for these weights

  // One input vector x[in] -> y[out]. Not thread-safe (uses scratch buffers).
  void forward(const float* x, float* y) const {
    OperandRange x_range;
    const std::size_t n_active = prepare_input(x, x_range);
    // A local copy of the policy lets the compiler keep its constants in registers.
    const P p = p_;
    switch (mode_ == 0 ? 0 : p.packed_variant(mode_, w_range_, x_range)) {
    case 1: accumulate_packed<1>(p, n_active, y); break;
    case 2: accumulate_packed<2>(p, n_active, y); break;
    case 3: accumulate_packed<3>(p, n_active, y); break;
    default:
      accumulate(
          wt_.data(), n_active, [](float xi) { return Batch(xi); },
          [&p](const Batch& w, const Batch& xi) { return p.product(w, xi); }, y);
    }
  }

  // Rows X[n][in] -> Y[n][out].
  void forward_batch(const float* X, std::size_t n, float* Y) const {
    for (std::size_t r = 0; r < n; ++r)
      forward(X + r * in_, Y + r * out_);
  }

private:
  using Arch = Batch::arch_type;

  // Quantizes x into x_, lists the inputs whose products are not all +-0, and records the
  // range of those inputs: one SIMD pass with per-lane bit masks, since most inputs are zero.
  std::size_t prepare_input(const float* x, OperandRange& range) const {
    using I = xsimd::batch<int32_t, Arch>;
    I min_exp(255), max_exp(0), flags(0); // flags: sign bits and exponent 255 of active lanes
    std::size_t n_active = 0, i = 0;
    for (; i + kLanes <= in_; i += kLanes) {
      const Batch v = Batch::load_unaligned(x + i);
      // quantize(+-0) = +-0, and zeros are skipped. (Not !any(v != 0): xsimd 8.1's float != is
      // an ordered compare on AVX, false for NaN, which would skip NaN inputs.)
      if (xsimd::all(v == Batch(0.0f))) {
        v.store_unaligned(x_.data() + i);
        continue;
      }
      const Batch q = P::kQuantizes ? p_.operand(v) : v;
      q.store_unaligned(x_.data() + i);
      const auto active = !p_.skips(q);
      unsigned mask = lane_mask(active);
      if (mask == 0)
        continue;
      const I bits = xsimd::bitwise_cast<I>(q);
      const I exponent = (bits >> 23) & I(255);
      const auto active_i = int_mask(active);
      const I lowest = xsimd::select(exponent == I(0), I(OperandRange::kSubnormalField), exponent);
      min_exp = xsimd::min(min_exp, xsimd::select(active_i, lowest, I(255)));
      max_exp = xsimd::max(max_exp, xsimd::select(active_i, exponent, I(0)));
      flags = flags | xsimd::select(active_i,
                                    (bits & I(int32_t(kSignBit))) |
                                        xsimd::select(exponent == I(255), I(1), I(0)),
                                    I(0));
      for (; mask != 0; mask &= mask - 1)
        active_[n_active++] = i + static_cast<std::size_t>(__builtin_ctz(mask));
    }
    alignas(64) int32_t lo[kLanes], hi[kLanes], fl[kLanes];
    min_exp.store_aligned(lo);
    max_exp.store_aligned(hi);
    flags.store_aligned(fl);
    for (std::size_t k = 0; k < kLanes; ++k) {
      range.min_exp = std::min(range.min_exp, int(lo[k]));
      range.max_exp = std::max(range.max_exp, int(hi[k]));
      range.negative = range.negative || fl[k] < 0;
      range.special = range.special || (fl[k] & 1);
    }
    for (; i < in_; ++i) {
      x_[i] = p_.operand(x[i]);
      if (!p_.skips(x_[i])) {
        active_[n_active++] = i;
        range.add(x_[i]);
      }
    }
    return n_active;
  }

  template <int V> void accumulate_packed(const P& p, std::size_t n_active, float* y) const {
    accumulate(
        packed_.data(), n_active, [&p](float xi) { return p.template input_term<V, Arch>(xi); },
        [&p](const auto& w, const auto& t) { return p.template packed_product<V>(w, t); }, y);
  }

  // y = bias + sum over active inputs, in tiles of kTile batches of outputs held in
  // registers (the tile width is a template parameter so the inner loop unrolls fully). The
  // rest goes one batch at a time: a tile per width for every product variant cost 12 KB of
  // the wasm budget, for no measurable time (the remainder is a small output layer).
  template <class W, class MakeTerm, class Product>
  void accumulate(const W* weights, std::size_t n_active, MakeTerm make_term, Product product,
                  float* y) const {
    // Each input's broadcast term is computed once, not once per tile.
    using Term = decltype(make_term(0.0f));
    static_assert(sizeof(Term) <= kTermBatches * sizeof(Batch) && alignof(Term) <= alignof(Batch),
                  "input terms must fit the scratch space");
    Term* terms = reinterpret_cast<Term*>(terms_.data());
    for (std::size_t k = 0; k < n_active; ++k)
      terms[k] = make_term(x_[active_[k]]);
    constexpr std::size_t kTile = 4;
    std::size_t o0 = 0;
    for (; o0 + kTile * kLanes <= padded_; o0 += kTile * kLanes)
      accumulate_tile<kTile>(weights, o0, n_active, terms, product, y);
    for (; o0 < padded_; o0 += kLanes)
      accumulate_tile<1>(weights, o0, n_active, terms, product, y);
  }

  template <std::size_t NB, class W, class Terms, class Product>
  void accumulate_tile(const W* weights, std::size_t o0, std::size_t n_active, const Terms* terms,
                       Product& product, float* y) const {
    using WBatch = xsimd::batch<W, Arch>;
    Batch acc[NB];
    for (auto& a : acc)
      a = Batch(0.0f);
    const std::size_t* active = active_.data();
    for (std::size_t k = 0; k < n_active; ++k) {
      const Terms& term = terms[k];
      const W* w = weights + active[k] * padded_ + o0;
      for (std::size_t j = 0; j < NB; ++j)
        acc[j] = acc[j] + product(WBatch::load_unaligned(w + j * kLanes), term);
    }
    alignas(64) float sums[NB * kLanes];
    for (std::size_t j = 0; j < NB; ++j)
      acc[j].store_aligned(sums + j * kLanes);
    const std::size_t end = std::min(out_, o0 + NB * kLanes);
    for (std::size_t o = o0; o < end; ++o)
      y[o] = sums[o - o0] + bias_[o];
  }

  P p_;
  std::size_t in_, out_, padded_;
  std::vector<float> wt_, bias_;
  std::vector<Packed> packed_;
  OperandRange w_range_;
  int mode_ = 0; // the policy's packing mode for these weights (0: none)
  static constexpr std::size_t kTermBatches = 3;
  mutable std::vector<float> x_;
  mutable std::vector<std::size_t> active_;
  mutable std::vector<Batch, xsimd::aligned_allocator<Batch>> terms_;
};

// A dense layer for a multiplier chosen at run time.
class DenseLayer {
public:
  DenseLayer(const MulSpec& spec, const float* W, const float* bias, std::size_t in,
             std::size_t out);
  const MulSpec& spec() const { return spec_; }
  std::size_t in() const;
  std::size_t out() const;
  void forward(const float* x, float* y) const;
  void forward_batch(const float* X, std::size_t n, float* Y) const;

private:
  MulSpec spec_;
  std::variant<DenseKernel<ExactMul>, DenseKernel<FloatMul>, DenseKernel<LMul>,
               DenseKernel<LMulFormula>>
      kernel_;
};

// Runtime-dispatched entry points (one switch per call, not per product).
void multiply_elementwise(const MulSpec& spec, const float* a, const float* b, float* out,
                          std::size_t n);
float dot(const MulSpec& spec, const float* a, const float* b, std::size_t n);
// W row-major [out][in]; X [n][in] -> Y [n][out].
void dense_forward(const MulSpec& spec, const float* W, const float* bias, std::size_t in,
                   std::size_t out, const float* X, std::size_t n, float* Y);

} // namespace lmul
