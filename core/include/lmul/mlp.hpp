// ReLU multilayer perceptrons: Linear -> ReLU -> ... -> Linear (logits), the seed notebook's
// model family. Inference runs any multiplier of multiply.hpp through the dense kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lmul/kernels.hpp"
#include "lmul/network.hpp"
#include "lmul/stats.hpp"
#include "lmul/uninitialized.hpp"

namespace lmul {

// One fully connected layer, PyTorch nn.Linear layout.
struct LinearParams {
  std::size_t in = 0, out = 0;
  std::vector<float> weight; // [out][in], row-major
  std::vector<float> bias;   // [out]
};

class Mlp : public Network {
public:
  Mlp() = default;
  // Throws std::invalid_argument when there are no layers, a layer's vectors do not match its
  // shape, consecutive layers do not chain (out of one != in of the next), or a parameter is
  // not finite.
  explicit Mlp(std::vector<LinearParams> layers);

  const std::vector<LinearParams>& layers() const { return layers_; }
  std::vector<LinearParams>& mutable_layers() { return layers_; } // for training
  std::vector<std::size_t> sizes() const override;                // e.g. {784, 128, 10}
  std::size_t input_size() const override;
  std::size_t output_size() const override;
  std::string arch() const override { return "mlp"; }
  // One linear layer per Linear: fc1, fc2, ...
  std::vector<LayerInfo> describe() const override;
  std::unique_ptr<PreparedNetwork> prepare(const MulPlan& plan) const override;

private:
  std::vector<LinearParams> layers_;
};

// Model inputs are MNIST pixels scaled to [0, 1]: x = pixel / 255.0f (fp32 division).
inline float pixel_to_input(uint8_t p) { return static_cast<float>(p) / 255.0f; }

// An Mlp prepared for one plan: each layer's weights quantized and packed once for its
// multiplier, reused for every input. Hidden layers use ReLU, which keeps NaN (as torch.relu
// does), so an overflow shows in the logits. Not thread-safe (scratch buffers); make one per
// thread. Keeps a pointer to `mlp`, which must outlive it.
class MlpInference : public PreparedNetwork {
public:
  MlpInference(const Mlp& mlp, const MulPlan& plan);
  MlpInference(const Mlp& mlp, const MulSpec& spec) : MlpInference(mlp, MulPlan(spec)) {}
  const MulPlan& plan() const override { return plan_; }
  const Mlp& mlp() const { return *mlp_; }
  const DenseLayer& layer(std::size_t k) const { return layers_[k]; }

  void logits(const float* x, float* logits) const override;
  // Rows X[n][input_size] -> logits[n][output_size].
  void logits_batch(const float* X, std::size_t n, float* logits) const;
  void logits_traced(const float* x, float* logits, ForwardTrace& trace,
                     bool products) const override;
  std::size_t bytes() const override;

private:
  // Layer k's weights as [in][out], unquantized and quantized by the layer's multiplier, built on
  // first use by logits_traced (not zeroed first: every element is written at once).
  struct Columns {
    UninitializedVector<float> raw, quantized;
  };
  const Columns& columns(std::size_t k) const;
  template <class OnLayer> void run(const float* x, float* logits, OnLayer on_layer) const;

  const Mlp* mlp_;
  MulPlan plan_;
  std::vector<DenseLayer> layers_;
  mutable std::vector<float> a_, b_;
  mutable std::vector<Columns> columns_;
  mutable ProductErrors errors_;            // logits_traced with products
  mutable std::vector<float> quantized_in_; // a layer's input quantized by its multiplier
};

// Probabilities of logits (max-subtracted, summed in double). A NaN logit, or all logits
// -inf, gives all-NaN probabilities; +inf logits share the mass equally.
void softmax(const float* logits, std::size_t n, float* probs);
int argmax(const float* v, std::size_t n); // first maximum, NaN never wins; -1 for n == 0

// The digit of a forward pass, or -1 when a logit is not finite (the pass overflowed:
// NUMERICS.md section 3, such a pass is not a prediction).
int predicted_class(const float* logits, std::size_t n);

struct EvalResult {
  std::size_t correct = 0, total = 0;
  std::size_t nonfinite = 0; // passes whose logits were not all finite (counted as wrong)
  double accuracy = 0;       // correct / total
  double seconds = 0;
  // One per image: the predicted class, or kNonFinitePrediction for a non-finite pass.
  std::vector<uint8_t> predictions;
};
constexpr uint8_t kNonFinitePrediction = 255;

// Accuracy on n images (uint8 pixels, n * input_size, inputs pixel_to_input()) with labels.
// `progress(done, n)` is called now and then; returning false cancels (the result then covers
// the images done). With `logits`, image k's logits go to logits[k * classes ...] (how close
// each call was, for finding the inputs an approximate multiplier nearly flips).
EvalResult evaluate(const PreparedNetwork& net, std::size_t input_size, std::size_t classes,
                    const uint8_t* images, const uint8_t* labels, std::size_t n,
                    const std::function<bool(std::size_t, std::size_t)>& progress = {},
                    float* logits = nullptr);
inline EvalResult evaluate(const MlpInference& net, const uint8_t* images, const uint8_t* labels,
                           std::size_t n,
                           const std::function<bool(std::size_t, std::size_t)>& progress = {}) {
  return evaluate(net, net.mlp().input_size(), net.mlp().output_size(), images, labels, n,
                  progress);
}

} // namespace lmul
