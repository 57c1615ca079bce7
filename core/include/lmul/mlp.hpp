// ReLU multilayer perceptrons: Linear -> ReLU -> ... -> Linear (logits), the seed notebook's
// model family. Inference runs any multiplier of multiply.hpp through the dense kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "lmul/kernels.hpp"
#include "lmul/stats.hpp"

namespace lmul {

// One fully connected layer, PyTorch nn.Linear layout.
struct LinearParams {
  std::size_t in = 0, out = 0;
  std::vector<float> weight; // [out][in], row-major
  std::vector<float> bias;   // [out]
};

class Mlp {
public:
  Mlp() = default;
  // Throws std::invalid_argument when there are no layers, a layer's vectors do not match its
  // shape, consecutive layers do not chain (out of one != in of the next), or a parameter is
  // not finite.
  explicit Mlp(std::vector<LinearParams> layers);

  const std::vector<LinearParams>& layers() const { return layers_; }
  std::vector<LinearParams>& mutable_layers() { return layers_; } // for training
  std::vector<std::size_t> sizes() const;                         // e.g. {784, 128, 10}
  std::size_t input_size() const;
  std::size_t output_size() const;

private:
  std::vector<LinearParams> layers_;
};

// Model inputs are MNIST pixels scaled to [0, 1]: x = pixel / 255.0f (fp32 division).
inline float pixel_to_input(uint8_t p) { return static_cast<float>(p) / 255.0f; }

// An Mlp prepared for one multiplier: weights quantized and packed once, reused for every
// input. Not thread-safe (scratch buffers); make one per thread. Keeps a pointer to `mlp`,
// which must outlive it.
class MlpInference {
public:
  MlpInference(const Mlp& mlp, const MulSpec& spec);
  const MulSpec& spec() const { return spec_; }
  const Mlp& mlp() const { return *mlp_; }

  // logits[output_size] for one input[input_size].
  void logits(const float* x, float* logits) const;
  // Rows X[n][input_size] -> logits[n][output_size].
  void logits_batch(const float* X, std::size_t n, float* logits) const;
  // As logits(), and adds to `errors` every product W[o][i] * x[i] of this forward pass
  // (x being this network's own activations) against the exact fp32 product of the same
  // operands (NUMERICS.md section 4). Products with x[i] == 0 are counted as zeros.
  void logits_with_errors(const float* x, float* logits, ErrorAccumulator& errors) const;

private:
  // Layer k's unquantized weights as [in][out], built on first use by logits_with_errors.
  const std::vector<float>& columns(std::size_t k) const;

  const Mlp* mlp_;
  MulSpec spec_;
  std::vector<DenseLayer> layers_;
  mutable std::vector<float> a_, b_;
  mutable std::vector<std::vector<float>> columns_;
  mutable std::vector<float> broadcast_, approx_, exact_;
};

// Probabilities of logits (max-subtracted, summed in double). A NaN logit, or all logits
// -inf, gives all-NaN probabilities; +inf logits share the mass equally.
void softmax(const float* logits, std::size_t n, float* probs);
int argmax(const float* v, std::size_t n); // first maximum, NaN never wins; -1 for n == 0

struct EvalResult {
  std::size_t correct = 0, total = 0;
  double accuracy = 0; // correct / total
  double seconds = 0;
  std::vector<uint8_t> predictions; // one per image
};

// Accuracy on n images (uint8 pixels, n * input_size) with labels. `progress(done, n)` is
// called now and then; returning false cancels (the result then covers the images done).
EvalResult evaluate(const MlpInference& net, const uint8_t* images, const uint8_t* labels,
                    std::size_t n,
                    const std::function<bool(std::size_t, std::size_t)>& progress = {});

} // namespace lmul
