#include "lmul/transformer_ops.hpp"

#include <cmath>
#include <stdexcept>

namespace lmul {

Activation parse_activation(const std::string& s) {
  if (s == "gelu")
    return Activation::gelu;
  if (s == "relu")
    return Activation::relu;
  throw std::invalid_argument("activation must be 'gelu' or 'relu', got '" + s + "'");
}

const char* to_string(Activation a) { return a == Activation::gelu ? "gelu" : "relu"; }

namespace {
constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
} // namespace

void activate(Activation a, const float* x, float* y, std::size_t n) {
  if (a == Activation::relu) {
    for (std::size_t i = 0; i < n; ++i)
      y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    return;
  }
  for (std::size_t i = 0; i < n; ++i)
    y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kSqrtHalf));
}

float activation_derivative(Activation a, float x) {
  if (a == Activation::relu)
    return x > 0.0f ? 1.0f : 0.0f;
  return 0.5f * (1.0f + std::erf(x * kSqrtHalf)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}

NormStats layer_norm(const float* x, std::size_t n, const float* weight, const float* bias,
                     float eps, float* y) {
  float sum = 0.0f;
  for (std::size_t i = 0; i < n; ++i)
    sum += x[i];
  const float mean = sum / float(n);
  float squares = 0.0f;
  for (std::size_t i = 0; i < n; ++i)
    squares += (x[i] - mean) * (x[i] - mean);
  const float rstd = 1.0f / std::sqrt(squares / float(n) + eps);
  for (std::size_t i = 0; i < n; ++i)
    y[i] = (x[i] - mean) * rstd * weight[i] + bias[i];
  return {mean, rstd};
}

void attention_softmax(const float* s, std::size_t n, float scale, float* p) {
  if (n == 0)
    return;
  // A NaN anywhere reaches the sum whichever maximum this picks, and so every output.
  float top = s[0] * scale;
  for (std::size_t j = 1; j < n; ++j)
    top = s[j] * scale > top ? s[j] * scale : top;
  float sum = 0.0f;
  for (std::size_t j = 0; j < n; ++j) {
    p[j] = std::exp(s[j] * scale - top);
    sum += p[j];
  }
  for (std::size_t j = 0; j < n; ++j)
    p[j] = p[j] / sum;
}

} // namespace lmul
