// The MLP's inference (MlpInference: a forward pass per input, traced for statistics), softmax
// and evaluate() for any prepared network: per-input work, compiled for speed, apart from the
// model's loading and validation in mlp.cpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "lmul/clock.hpp"
#include "lmul/mlp.hpp"

namespace lmul {

MlpInference::MlpInference(const Mlp& mlp, const MulPlan& plan) : mlp_(&mlp), plan_(plan) {
  if (mlp.layers().empty())
    throw std::invalid_argument("MlpInference needs an MLP with at least one layer");
  check_plan_layers(plan, mlp.layers().size());
  std::size_t widest = 0;
  for (std::size_t k = 0; k < mlp.layers().size(); ++k) {
    const LinearParams& l = mlp.layers()[k];
    layers_.emplace_back(plan.spec_for(k, ProductKind::linear), l.weight.data(), l.bias.data(),
                         l.in, l.out);
    widest = std::max({widest, l.in, l.out});
  }
  a_.resize(widest);
  b_.resize(widest);
}

// Runs the layers, calling on_layer(k, input, output) after layer k (before its ReLU).
template <class OnLayer>
void MlpInference::run(const float* x, float* logits, OnLayer on_layer) const {
  const float* in = x;
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    const bool last = k + 1 == layers_.size();
    float* out = last ? logits : (in == a_.data() ? b_.data() : a_.data());
    layers_[k].forward(in, out);
    on_layer(k, in, out);
    if (!last)
      for (std::size_t o = 0; o < layers_[k].out(); ++o)
        out[o] = out[o] < 0.0f ? 0.0f : out[o]; // NaN stays NaN
    in = out;
  }
}

void MlpInference::logits(const float* x, float* logits) const {
  run(x, logits, [](std::size_t, const float*, const float*) {});
}

void MlpInference::logits_batch(const float* X, std::size_t n, float* logits) const {
  const std::size_t in = mlp_->input_size(), out = mlp_->output_size();
  for (std::size_t r = 0; r < n; ++r)
    this->logits(X + r * in, logits + r * out);
}

std::size_t MlpInference::bytes() const {
  std::size_t b =
      (a_.capacity() + b_.capacity() + quantized_in_.capacity()) * sizeof(float) + errors_.bytes();
  for (const DenseLayer& l : layers_)
    b += l.bytes();
  for (const Columns& c : columns_)
    b += (c.raw.capacity() + c.quantized.capacity()) * sizeof(float);
  return b;
}

const MlpInference::Columns& MlpInference::columns(std::size_t k) const {
  if (columns_.empty()) {
    // Weights transposed to [in][out], so the products of one input form a contiguous run for
    // the SIMD kernels.
    for (std::size_t j = 0; j < layers_.size(); ++j) {
      const LinearParams& l = mlp_->layers()[j];
      Columns c{UninitializedVector<float>(l.in * l.out), UninitializedVector<float>(l.in * l.out)};
      for (std::size_t o = 0; o < l.out; ++o)
        for (std::size_t i = 0; i < l.in; ++i)
          c.raw[i * l.out + o] = l.weight[o * l.in + i];
      quantize_operands(layers_[j].spec(), c.raw.data(), c.quantized.data(), c.raw.size());
      columns_.push_back(std::move(c));
    }
  }
  return columns_[k];
}

void MlpInference::logits_traced(const float* x, float* logits, ForwardTrace& trace,
                                 bool products) const {
  trace.layers.clear();
  trace.layers.resize(layers_.size());
  trace.attention.clear();
  run(x, logits, [&](std::size_t k, const float* in, const float* out) {
    const LinearParams& l = mlp_->layers()[k];
    LayerTrace& t = trace.layers[k];
    t.output.assign(out, out + l.out);
    if (!products)
      return;
    const Columns& cols = columns(k);
    errors_.reset(layers_[k].spec(), t.products);
    t.products.reserve(std::size_t(l.in - std::count(in, in + l.in, 0.0f)) * l.out);
    quantized_in_.resize(std::max(quantized_in_.size(), l.in));
    quantize_operands(layers_[k].spec(), in, quantized_in_.data(), l.in);
    for (std::size_t i = 0; i < l.in; ++i) {
      if (in[i] == 0.0f) {
        t.products.add_zeros(l.out);
        continue;
      }
      errors_.add({cols.raw.data() + i * l.out, cols.quantized.data() + i * l.out},
                  {in[i], quantized_in_[i]}, l.out);
    }
    errors_.flush();
  });
}

void softmax(const float* logits, std::size_t n, float* probs) {
  if (n == 0)
    return;
  float top = -std::numeric_limits<float>::infinity();
  bool any_nan = false;
  for (std::size_t i = 0; i < n; ++i) {
    any_nan = any_nan || std::isnan(logits[i]);
    top = std::max(top, logits[i]);
  }
  if (any_nan || top == -std::numeric_limits<float>::infinity()) {
    std::fill(probs, probs + n, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  if (std::isinf(top)) { // +inf logits share the whole mass
    const auto hits = std::count(logits, logits + n, top);
    for (std::size_t i = 0; i < n; ++i)
      probs[i] = logits[i] == top ? 1.0f / float(hits) : 0.0f;
    return;
  }
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i)
    sum += std::exp(double(logits[i]) - double(top));
  for (std::size_t i = 0; i < n; ++i)
    probs[i] = float(std::exp(double(logits[i]) - double(top)) / sum);
}

int argmax(const float* v, std::size_t n) {
  if (n == 0)
    return -1;
  // NaN never wins; if every value is NaN the answer is 0.
  int best = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (v[i] > v[best] || (std::isnan(v[best]) && !std::isnan(v[i])))
      best = int(i);
  return best;
}

int predicted_class(const float* logits, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(logits[i]))
      return -1;
  return argmax(logits, n);
}

EvalResult evaluate(const PreparedNetwork& net, std::size_t in, std::size_t classes,
                    const uint8_t* images, const uint8_t* labels, std::size_t n,
                    const std::function<bool(std::size_t, std::size_t)>& progress,
                    float* logits_out) {
  const double start = monotonic_seconds();
  float table[256];
  for (int p = 0; p < 256; ++p)
    table[p] = pixel_to_input(uint8_t(p));
  std::vector<float> x(in), logits(classes);
  EvalResult r;
  r.predictions.reserve(n);
  constexpr std::size_t kProgressEvery = 250;
  for (std::size_t k = 0; k < n; ++k) {
    if (progress && k % kProgressEvery == 0 && k > 0 && !progress(k, n))
      break;
    const uint8_t* img = images + k * in;
    for (std::size_t i = 0; i < in; ++i)
      x[i] = table[img[i]];
    net.logits(x.data(), logits.data());
    if (logits_out)
      std::copy(logits.begin(), logits.end(), logits_out + k * classes);
    const int predicted = predicted_class(logits.data(), classes);
    r.predictions.push_back(predicted < 0 ? kNonFinitePrediction : uint8_t(predicted));
    r.correct += predicted == int(labels[k]);
    r.nonfinite += predicted < 0;
    ++r.total;
  }
  if (progress && r.total == n)
    progress(n, n);
  r.accuracy = r.total ? double(r.correct) / double(r.total) : 0.0;
  r.seconds = monotonic_seconds() - start;
  return r;
}

} // namespace lmul
