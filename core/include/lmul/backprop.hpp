// Gradients for training: the softmax cross-entropy loss, and the forward and backward pass of
// an MLP batch, with the multiplier of the forward pass chosen by a MulSpec.
//
// Approximate-multiplier-aware training ("L-Mul-aware fine-tuning", quantization-aware
// training with a straight-through estimator). With a method other than exact, every forward
// product is the one inference computes (MlpInference with the same MulSpec): operands
// quantized by the policy, products by its multiplier, fp32 sums in increasing input order,
// bias added last, so the training logits equal the inference logits bit for bit. The backward
// pass is the straight-through estimator: each approximate product p(w, a) is differentiated as
// the exact product of its quantized operands, dp/dw := q(a) and dp/da := q(w), and
// quantization as the identity:
//   dL/dW_k = delta_k^T q(A_{k-1}),   dL/dA_{k-1} = delta_k q(W_k)   (exact fp32 products),
// with delta_k taken from the approximate forward pass (softmax of the approximate logits,
// ReLU masks of the approximate activations). Equivalently, it is the true gradient, at the
// current weights, of the surrogate network whose layer k computes
//   z_k = zhat_k + (b - b_k) + (q(W_k) + W - W_k)(q(a_{k-1}) + u - a_{k-1}) - q(W_k) q(a_{k-1})
// in the variables W, b (W_k, b_k: the current parameters, zhat_k: the approximate
// pre-activation, a_{k-1}: the approximate input of layer k, u: the surrogate's), whose values
// there equal the approximate network's; tests/core/test_finetune.cpp checks that by finite
// differences. With method exact, q is the identity and this is ordinary backpropagation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lmul/mlp.hpp"
#include "lmul/worker_pool.hpp"

namespace lmul {

// Softmax cross-entropy of a batch of logits (rows x classes): writes d(mean loss)/d logits
// into delta and returns the summed loss.
double softmax_cross_entropy(const float* logits, const uint8_t* labels, std::size_t rows,
                             std::size_t classes, float* delta);

// Throws std::invalid_argument, starting with `who`, for the first label >= classes.
void check_labels(const uint8_t* labels, std::size_t n, std::size_t classes, const char* who);

// The forward and backward pass of one MLP batch (the straight-through rule above). Buffers are
// sized for `batch` rows and reused across calls.
class MlpBackprop {
public:
  MlpBackprop(const Mlp& mlp, const MulSpec& spec, std::size_t batch);

  // Inputs x (rows x input_size, rows <= batch) and labels -> summed loss; fills the gradients
  // of the mean loss. The logits stay in logits().
  double run(const Mlp& mlp, const float* x, const uint8_t* y, std::size_t rows, WorkerPool* pool);

  const float* logits() const { return layers_.back().activation.data(); }
  const std::vector<float>& grad_weight(std::size_t k) const { return layers_[k].grad_weight; }
  const std::vector<float>& grad_bias(std::size_t k) const { return layers_[k].grad_bias; }

private:
  struct Layer {
    std::vector<float> activation; // batch x out: post-ReLU for hidden layers, logits for the last
    std::vector<float> delta;      // batch x out: d loss / d pre-activation
    std::vector<float> grad_weight, grad_bias;
    std::vector<float> q_weight, q_input; // quantized operands (empty for exact)
    const float* input = nullptr;         // this batch's input of the layer (A_prev)
    const float* q_in = nullptr;          // its quantized operands, or `input` for exact
    const float* q_w = nullptr;           // quantized weights, or the weights for exact
  };

  void quantize_operands(const float* in, float* out, std::size_t n) const;

  MulSpec spec_;
  bool quantizes_;
  std::vector<Layer> layers_;
  std::vector<float> grad_input_;
};

// Loss and gradients of one batch, computed as train_mlp computes them (same code, same bits).
struct BatchGradients {
  double loss = 0;                              // summed over the rows (not the mean)
  std::vector<float> logits;                    // rows x classes, of the forward pass
  std::vector<std::vector<float>> weight, bias; // per layer, d(mean loss)/d parameter
};

// X: rows x input_size model inputs (already pixel_to_input()), labels in [0, output_size).
// Throws std::invalid_argument for an empty batch or a bad label.
BatchGradients batch_gradients(const Mlp& mlp, const MulSpec& forward, const float* X,
                               const uint8_t* labels, std::size_t rows, WorkerPool* pool = nullptr);

} // namespace lmul
