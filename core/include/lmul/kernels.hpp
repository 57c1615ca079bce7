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
// and can skip zero inputs (about 80 % of MNIST pixels, half of the ReLU outputs).
template <class P> class DenseKernel {
public:
  // W is row-major [out][in] (PyTorch's nn.Linear layout); bias may be null (zeros).
  DenseKernel(const P& policy, const float* W, const float* bias, std::size_t in, std::size_t out)
      : p_(policy), in_(in), out_(out), padded_((out + kLanes - 1) / kLanes * kLanes),
        wt_(in * padded_, 0.0f), bias_(out, 0.0f), x_(in), active_(in) {
    for (std::size_t o = 0; o < out; ++o)
      for (std::size_t i = 0; i < in; ++i)
        wt_[i * padded_ + o] = p_.operand(W[o * in + i]);
    if (bias)
      std::copy(bias, bias + out, bias_.begin());
  }

  std::size_t in() const { return in_; }
  std::size_t out() const { return out_; }

  // One input vector x[in] -> y[out]. Not thread-safe (uses scratch buffers).
  void forward(const float* x, float* y) const {
    const std::size_t n_active = prepare_input(x);
    constexpr std::size_t kTile = 4; // batches of outputs kept in registers
    alignas(64) float tail[kTile * kLanes];
    for (std::size_t o0 = 0; o0 < padded_; o0 += kTile * kLanes) {
      const std::size_t nb = std::min(kTile, (padded_ - o0) / kLanes);
      Batch acc[kTile] = {Batch(0.0f), Batch(0.0f), Batch(0.0f), Batch(0.0f)};
      for (std::size_t k = 0; k < n_active; ++k) {
        const std::size_t i = active_[k];
        const Batch xi(x_[i]);
        const float* w = wt_.data() + i * padded_ + o0;
        for (std::size_t j = 0; j < nb; ++j)
          acc[j] = acc[j] + p_.product(Batch::load_unaligned(w + j * kLanes), xi);
      }
      for (std::size_t j = 0; j < nb; ++j)
        acc[j].store_aligned(tail + j * kLanes);
      const std::size_t end = std::min(out_, o0 + nb * kLanes);
      for (std::size_t o = o0; o < end; ++o)
        y[o] = tail[o - o0] + bias_[o];
    }
  }

  // Rows X[n][in] -> Y[n][out].
  void forward_batch(const float* X, std::size_t n, float* Y) const {
    for (std::size_t r = 0; r < n; ++r)
      forward(X + r * in_, Y + r * out_);
  }

private:
  // Quantizes x into x_ and lists the inputs whose products are not all +-0.
  std::size_t prepare_input(const float* x) const {
    std::size_t n_active = 0;
    for (std::size_t i = 0; i < in_; ++i) {
      x_[i] = p_.operand(x[i]);
      if (!p_.skips(x_[i]))
        active_[n_active++] = i;
    }
    return n_active;
  }

  P p_;
  std::size_t in_, out_, padded_;
  std::vector<float> wt_, bias_;
  mutable std::vector<float> x_;
  mutable std::vector<std::size_t> active_;
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
