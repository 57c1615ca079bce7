// The loss and the MLP's forward and backward pass of backprop.hpp.
#include "lmul/backprop.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "lmul/gemm.hpp"
#include "lmul/kernels.hpp"

namespace lmul {

double softmax_cross_entropy(const float* logits, const uint8_t* labels, std::size_t rows,
                             std::size_t classes, float* delta) {
  double total = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* z = logits + r * classes;
    float* d = delta + r * classes;
    const float top = *std::max_element(z, z + classes);
    double sum = 0;
    for (std::size_t c = 0; c < classes; ++c)
      sum += std::exp(double(z[c]) - double(top));
    const double log_sum = std::log(sum) + double(top);
    total += log_sum - double(z[labels[r]]);
    for (std::size_t c = 0; c < classes; ++c) {
      const double p = std::exp(double(z[c]) - log_sum);
      d[c] = float((p - (c == labels[r] ? 1.0 : 0.0)) / double(rows));
    }
  }
  return total;
}

void check_labels(const uint8_t* labels, std::size_t n, std::size_t classes, const char* who) {
  for (std::size_t k = 0; k < n; ++k)
    if (labels[k] >= classes)
      throw std::invalid_argument(std::string(who) + ": label " + std::to_string(k) + " is " +
                                  std::to_string(labels[k]) + " but the model has " +
                                  std::to_string(classes) + " outputs");
}

MlpBackprop::MlpBackprop(const Mlp& mlp, const MulSpec& spec, std::size_t batch)
    : spec_(spec), quantizes_(spec.method != Method::exact) {
  std::size_t widest = 0;
  for (const auto& l : mlp.layers()) {
    Layer s;
    s.activation.resize(batch * l.out);
    s.delta.resize(batch * l.out);
    s.grad_weight.resize(l.weight.size());
    s.grad_bias.resize(l.out);
    if (quantizes_) {
      s.q_weight.resize(l.weight.size());
      s.q_input.resize(batch * l.in);
    }
    layers_.push_back(std::move(s));
    widest = std::max(widest, l.out);
  }
  grad_input_.resize(batch * widest);
}

double MlpBackprop::run(const Mlp& mlp, const float* x, const uint8_t* y, std::size_t rows,
                        WorkerPool* pool) {
  const MulSpec exact{Method::exact, FloatFormat(8, 23), Rounding::nearest};
  const auto& layers = mlp.layers();
  // Forward: Z = q(A_prev) q(W)^T by the forward multiplier, + b, ReLU on hidden layers.
  const float* a_prev = x;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const LinearParams& l = layers[k];
    Layer& s = layers_[k];
    s.input = a_prev;
    s.q_in = a_prev;
    s.q_w = l.weight.data();
    if (quantizes_) {
      quantize_operands(a_prev, s.q_input.data(), rows * l.in);
      quantize_operands(l.weight.data(), s.q_weight.data(), l.weight.size());
      s.q_in = s.q_input.data();
      s.q_w = s.q_weight.data();
    }
    float* z = s.activation.data();
    const MatrixView A{s.q_in, rows, l.in, l.in, 1};
    const MatrixView Wt{s.q_w, l.in, l.out, 1, l.in};
    gemm(spec_, A, Wt, z, l.out, false, pool);
    const bool hidden = k + 1 < layers.size();
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t o = 0; o < l.out; ++o) {
        const float v = z[r * l.out + o] + l.bias[o];
        z[r * l.out + o] = hidden && !(v > 0.0f) ? 0.0f : v;
      }
    a_prev = z;
  }

  const std::size_t classes = layers.back().out;
  const double loss = softmax_cross_entropy(layers_.back().activation.data(), y, rows, classes,
                                            layers_.back().delta.data());

  // Backward: dW = delta^T q(A_prev), db = column sums of delta, delta_prev = delta q(W)
  // masked by the ReLU of the previous layer; all products exact.
  for (std::size_t k = layers.size(); k-- > 0;) {
    const LinearParams& l = layers[k];
    Layer& s = layers_[k];
    const MatrixView delta{s.delta.data(), rows, l.out, l.out, 1};
    gemm(exact, delta.transposed(), MatrixView{s.q_in, rows, l.in, l.in, 1}, s.grad_weight.data(),
         l.in, false, pool);
    std::fill(s.grad_bias.begin(), s.grad_bias.end(), 0.0f);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t o = 0; o < l.out; ++o)
        s.grad_bias[o] += s.delta[r * l.out + o];
    if (k == 0)
      break;
    gemm(exact, delta, MatrixView{s.q_w, l.out, l.in, l.in, 1}, grad_input_.data(), l.in, false,
         pool);
    float* prev_delta = layers_[k - 1].delta.data();
    const float* a = s.input;
    for (std::size_t i = 0; i < rows * l.in; ++i)
      prev_delta[i] = a[i] > 0.0f ? grad_input_[i] : 0.0f;
  }
  return loss;
}

void MlpBackprop::quantize_operands(const float* in, float* out, std::size_t n) const {
  lmul::quantize_operands(spec_, in, out, n);
}

BatchGradients batch_gradients(const Mlp& mlp, const MulSpec& forward, const float* X,
                               const uint8_t* labels, std::size_t rows, WorkerPool* pool) {
  if (mlp.layers().empty())
    throw std::invalid_argument("batch_gradients: the MLP has no layers");
  if (rows == 0)
    throw std::invalid_argument("batch_gradients: empty batch");
  const std::size_t classes = mlp.output_size();
  check_labels(labels, rows, classes, "batch_gradients");
  MlpBackprop bp(mlp, forward, rows);
  BatchGradients g;
  g.loss = bp.run(mlp, X, labels, rows, pool);
  g.logits.assign(bp.logits(), bp.logits() + rows * classes);
  for (std::size_t k = 0; k < mlp.layers().size(); ++k) {
    g.weight.push_back(bp.grad_weight(k));
    g.bias.push_back(bp.grad_bias(k));
  }
  return g;
}

} // namespace lmul
