// A plain reference of the ViT forward pass for the tests: scalar loops in the documented
// order over every token of every block (no shortcut in the last block), generic over the
// number type and the arithmetic (Ops), so one definition serves two checks:
//  - FloatOps: products by the scalar reference multiplier of the plan, the core's exact fp32
//    steps: VitInference and the training forward must match it bit for bit;
//  - DoubleOps: everything in double, the function whose finite differences check backprop.
#pragma once

#include <cmath>
#include <vector>

#include "lmul/multiply.hpp"
#include "lmul/transformer_ops.hpp"
#include "lmul/vit.hpp"

namespace testing {

template <class Real, class Ops>
std::vector<Real> reference_logits(const lmul::Vit& vit, const float* image, const Ops& ops) {
  using lmul::BlockLayer;
  using lmul::vit_layer_index;
  const lmul::VitConfig& c = vit.config;
  const std::size_t D = c.width, T = c.tokens(), H = c.heads, d = c.head_dim();
  const std::size_t P = c.patch, grid = c.image / P;
  const Real scale = Real(float(1.0 / std::sqrt(double(d))));

  // y[r][o] = sum_i product(W[o][i], x[r][i]) + bias[o], for rows of x.
  const auto linear = [&](std::size_t layer, const lmul::LinearParams& l,
                          const std::vector<Real>& x, std::size_t rows) {
    std::vector<Real> y(rows * l.out);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t o = 0; o < l.out; ++o) {
        Real acc = 0;
        for (std::size_t i = 0; i < l.in; ++i)
          acc += ops.linear(layer, l.weight[o * l.in + i], x[r * l.in + i]);
        y[r * l.out + o] = acc + Real(l.bias[o]);
      }
    return y;
  };
  const auto norm = [&](const lmul::NormParams& n, const std::vector<Real>& x, std::size_t rows) {
    std::vector<Real> y(rows * D);
    for (std::size_t r = 0; r < rows; ++r)
      ops.norm(x.data() + r * D, D, n, c.norm_eps, y.data() + r * D);
    return y;
  };

  std::vector<Real> patches(c.patches() * P * P);
  for (std::size_t q = 0; q < c.patches(); ++q)
    for (std::size_t ky = 0; ky < P; ++ky)
      for (std::size_t kx = 0; kx < P; ++kx)
        patches[q * P * P + ky * P + kx] =
            Real(image[(q / grid * P + ky) * c.image + q % grid * P + kx]);
  const std::vector<Real> embedded = linear(0, vit.patch_embed, patches, c.patches());
  std::vector<Real> x(T * D);
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t i = 0; i < D; ++i)
      x[t * D + i] = (t == 0 ? Real(vit.cls_token[i]) : embedded[(t - 1) * D + i]) +
                     Real(vit.pos_embed[t * D + i]);

  for (std::size_t b = 0; b < c.depth; ++b) {
    const lmul::VitBlock& blk = vit.blocks[b];
    const std::vector<Real> qkv =
        linear(vit_layer_index(b, BlockLayer::qkv), blk.qkv, norm(blk.norm1, x, T), T);
    std::vector<Real> attended(T * D);
    for (std::size_t h = 0; h < H; ++h)
      for (std::size_t i = 0; i < T; ++i) {
        std::vector<Real> s(T), p(T);
        for (std::size_t j = 0; j < T; ++j) {
          Real acc = 0;
          for (std::size_t e = 0; e < d; ++e)
            acc += ops.attention(vit_layer_index(b, BlockLayer::scores), qkv[i * 3 * D + h * d + e],
                                 qkv[j * 3 * D + D + h * d + e]);
          s[j] = acc;
        }
        ops.softmax(s.data(), T, scale, p.data());
        for (std::size_t e = 0; e < d; ++e) {
          Real acc = 0;
          for (std::size_t j = 0; j < T; ++j)
            acc += ops.attention(vit_layer_index(b, BlockLayer::mix), p[j],
                                 qkv[j * 3 * D + 2 * D + h * d + e]);
          attended[i * D + h * d + e] = acc;
        }
      }
    const std::vector<Real> projected =
        linear(vit_layer_index(b, BlockLayer::proj), blk.proj, attended, T);
    for (std::size_t i = 0; i < T * D; ++i)
      x[i] = x[i] + projected[i];
    std::vector<Real> f =
        linear(vit_layer_index(b, BlockLayer::fc1), blk.fc1, norm(blk.norm2, x, T), T);
    for (Real& v : f)
      v = ops.activate(c.activation, v);
    const std::vector<Real> y = linear(vit_layer_index(b, BlockLayer::fc2), blk.fc2, f, T);
    for (std::size_t i = 0; i < T * D; ++i)
      x[i] = x[i] + y[i];
  }
  const std::vector<Real> cls(x.begin(), x.begin() + D);
  return linear(lmul::vit_head_index(c), vit.head, norm(vit.norm, cls, 1), 1);
}

// Products by the plan's scalar reference multiplier, the core's exact fp32 steps.
struct FloatOps {
  lmul::MulPlan plan;
  float linear(std::size_t layer, float w, float x) const {
    return lmul::multiply(w, x, plan.spec_for(layer, lmul::ProductKind::linear));
  }
  float attention(std::size_t layer, float a, float b) const {
    return lmul::multiply(a, b, plan.spec_for(layer, lmul::ProductKind::attention));
  }
  void norm(const float* x, std::size_t n, const lmul::NormParams& p, float eps, float* y) const {
    lmul::layer_norm(x, n, p.weight.data(), p.bias.data(), eps, y);
  }
  void softmax(const float* s, std::size_t n, float scale, float* p) const {
    lmul::attention_softmax(s, n, scale, p);
  }
  float activate(lmul::Activation a, float x) const {
    float y;
    lmul::activate(a, &x, &y, 1);
    return y;
  }
};

// Everything in double: the mathematical function the fp32 network approximates.
struct DoubleOps {
  double linear(std::size_t, float w, double x) const { return double(w) * x; }
  double attention(std::size_t, double a, double b) const { return a * b; }
  void norm(const double* x, std::size_t n, const lmul::NormParams& p, float eps, double* y) const {
    double mean = 0, var = 0;
    for (std::size_t i = 0; i < n; ++i)
      mean += x[i] / double(n);
    for (std::size_t i = 0; i < n; ++i)
      var += (x[i] - mean) * (x[i] - mean) / double(n);
    const double rstd = 1.0 / std::sqrt(var + double(eps));
    for (std::size_t i = 0; i < n; ++i)
      y[i] = (x[i] - mean) * rstd * double(p.weight[i]) + double(p.bias[i]);
  }
  void softmax(const double* s, std::size_t n, double scale, double* p) const {
    double top = s[0] * scale, sum = 0;
    for (std::size_t j = 1; j < n; ++j)
      top = std::max(top, s[j] * scale);
    for (std::size_t j = 0; j < n; ++j)
      sum += p[j] = std::exp(s[j] * scale - top);
    for (std::size_t j = 0; j < n; ++j)
      p[j] /= sum;
  }
  double activate(lmul::Activation a, double x) const {
    if (a == lmul::Activation::relu)
      return x > 0 ? x : 0;
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  }
};

// The products of one FloatOps forward pass, in call order: operands, multiplier and result.
struct Product {
  float a, b, value;
  lmul::MulSpec spec;
};

// FloatOps that also records every product on a tape.
struct TapeOps : FloatOps {
  std::vector<Product>* tape;
  float linear(std::size_t layer, float w, float x) const {
    return record(w, x, plan.spec_for(layer, lmul::ProductKind::linear));
  }
  float attention(std::size_t layer, float a, float b) const {
    return record(a, b, plan.spec_for(layer, lmul::ProductKind::attention));
  }
  float record(float a, float b, const lmul::MulSpec& spec) const {
    const float v = lmul::multiply(a, b, spec);
    tape->push_back({a, b, v, spec});
    return v;
  }
};

// The straight-through surrogate of vit_train.hpp, in double: the k-th product of a forward pass
// with recorded operands (a0, b0), quantized operands q(a0), q(b0) and approximate value p0 is
//   p0 + (q(a0) + a - a0) (q(b0) + b - b0) - q(a0) q(b0)
// in the surrogate's own operands a, b. At the recorded point it equals the approximate network;
// its derivatives are those of exact products at the quantized operands, as backprop assumes.
struct SurrogateOps : DoubleOps {
  const std::vector<Product>* tape;
  mutable std::size_t next = 0;
  static double operand(const lmul::MulSpec& spec, float x) {
    return spec.method == lmul::Method::exact ? x : lmul::quantize(x, spec.format, spec.rounding);
  }
  double product(double a, double b) const {
    const Product& p = (*tape)[next++];
    const double qa = operand(p.spec, p.a), qb = operand(p.spec, p.b);
    return double(p.value) + (qa + a - double(p.a)) * (qb + b - double(p.b)) - qa * qb;
  }
  double linear(std::size_t, float w, double x) const { return product(w, x); }
  double attention(std::size_t, double a, double b) const { return product(a, b); }
};

// Mean cross-entropy of logits (rows of doubles) against labels.
inline double mean_cross_entropy(const std::vector<std::vector<double>>& logits,
                                 const std::vector<uint8_t>& labels) {
  double total = 0;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    const std::vector<double>& z = logits[r];
    double top = z[0], sum = 0;
    for (double v : z)
      top = std::max(top, v);
    for (double v : z)
      sum += std::exp(v - top);
    total += std::log(sum) + top - z[labels[r]];
  }
  return total / double(labels.size());
}

// Mean cross-entropy over rows of images (pixels already model inputs), in double.
inline double reference_loss(const lmul::Vit& vit, const std::vector<float>& X,
                             const std::vector<uint8_t>& labels) {
  std::vector<std::vector<double>> logits;
  for (std::size_t r = 0; r < labels.size(); ++r)
    logits.push_back(
        reference_logits<double>(vit, X.data() + r * vit.config.pixels(), DoubleOps{}));
  return mean_cross_entropy(logits, labels);
}

// The surrogate's mean cross-entropy, one tape per image (from TapeOps at the current point).
inline double surrogate_loss(const lmul::Vit& vit, const std::vector<float>& X,
                             const std::vector<uint8_t>& labels,
                             const std::vector<std::vector<Product>>& tapes) {
  std::vector<std::vector<double>> logits;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    SurrogateOps ops;
    ops.tape = &tapes[r];
    logits.push_back(reference_logits<double>(vit, X.data() + r * vit.config.pixels(), ops));
  }
  return mean_cross_entropy(logits, labels);
}

} // namespace testing
