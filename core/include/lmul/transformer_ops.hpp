// The exact fp32 steps of a transformer (NUMERICS.md section 3b: the same in every plan):
// LayerNorm, the MLP activation and the attention softmax. Inference and training call these
// same functions, so their forward passes agree bit for bit.
#pragma once

#include <cstddef>
#include <string>

namespace lmul {

enum class Activation { gelu, relu }; // gelu: the exact erf form, torch.nn.GELU()'s default

Activation parse_activation(const std::string& s); // "gelu" | "relu"
const char* to_string(Activation a);

void activate(Activation a, const float* x, float* y, std::size_t n);
float activation_derivative(Activation a, float x); // d activate / dx at x

struct NormStats {
  float mean, rstd; // rstd = 1 / sqrt(variance + eps), biased variance as torch.nn.LayerNorm
};

// y = (x - mean) * rstd * weight + bias over one row of n values; sums in increasing index
// order from +0. y may alias x.
NormStats layer_norm(const float* x, std::size_t n, const float* weight, const float* bias,
                     float eps, float* y);

// One row of attention probabilities: p = softmax(scale * s). A row holding a NaN or +inf
// score, or only -inf scores, gives NaN throughout (IEEE arithmetic, inf - inf); other -inf
// scores get weight 0. p may alias s.
void attention_softmax(const float* s, std::size_t n, float scale, float* p);

} // namespace lmul
