// Native training of ReLU MLPs with the seed notebook's recipe: PyTorch's default nn.Linear
// init, log-softmax + NLL (mean over the batch), Adam, shuffled mini-batches.
//
// Reproducibility: every matrix product goes through gemm(), whose results do not depend on
// blocking, thread count or SIMD width (each output sums its products in increasing k), and
// the seed drives the init and the shuffles through lmul::Rng. A given seed therefore gives
// the same model bit for bit with any thread count (and, where the C library's exp and log
// agree, on any platform).
//
// Approximate-multiplier-aware training ("L-Mul-aware fine-tuning", quantization-aware
// training with a straight-through estimator). TrainConfig::forward picks the multiplier of
// the forward pass. With a method other than exact, every forward product is the one
// inference computes (MlpInference with the same MulSpec): operands quantized by the policy,
// products by its multiplier, fp32 sums in increasing input order, bias added last, so the
// training logits equal the inference logits bit for bit. The backward pass is the straight-
// through estimator: each approximate product p(w, a) is differentiated as the exact product
// of its quantized operands, dp/dw := q(a) and dp/da := q(w), and quantization as the identity:
//   dL/dW_k = delta_k^T q(A_{k-1}),   dL/dA_{k-1} = delta_k q(W_k)   (exact fp32 products),
// with delta_k taken from the approximate forward pass (softmax of the approximate logits,
// ReLU masks of the approximate activations). Equivalently, it is the true gradient, at the
// current weights, of the surrogate network whose layer k computes
//   z_k = zhat_k + (b - b_k) + (q(W_k) + W - W_k)(q(a_{k-1}) + u - a_{k-1}) - q(W_k) q(a_{k-1})
// in the variables W, b (W_k, b_k: the current parameters, zhat_k: the approximate
// pre-activation, a_{k-1}: the approximate input of layer k, u: the surrogate's), whose values
// there equal the approximate network's; tests/core/test_finetune.cpp checks that by finite
// differences. With method exact, q is the identity and this is ordinary backpropagation,
// bit for bit the same as before the forward spec existed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lmul/mlp.hpp"

namespace lmul {

// Runs tasks on a fixed set of threads (the caller is one of them). Under Emscripten it has
// exactly one thread: the WebAssembly module is single-threaded.
class WorkerPool {
public:
  explicit WorkerPool(std::size_t threads); // 0: one per hardware thread
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const;
  // Calls task(i) for i in [0, tasks) and returns when all are done.
  void run(std::size_t tasks, const std::function<void(std::size_t)>& task);

private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

// A matrix read through strides: element (r, c) is data[r * row_stride + c * col_stride], so
// one view type covers a matrix and its transpose.
struct MatrixView {
  const float* data = nullptr;
  std::size_t rows = 0, cols = 0, row_stride = 0, col_stride = 1;
  MatrixView transposed() const { return {data, cols, rows, col_stride, row_stride}; }
};

// C = A * B (or C += A * B when accumulate), C row-major [A.rows][B.cols] with leading
// dimension ldc, every product a * b computed by the multiplier of `spec` on operands it
// quantized (exact: plain fp32). Each C element adds its products in increasing k, starting
// from 0 (or from C), so the result is the same for any blocking, thread count and SIMD width.
// A blocked, packed SIMD GEMM; pool may be null (single-threaded).
void gemm(const MulSpec& spec, const MatrixView& A, const MatrixView& B, float* C, std::size_t ldc,
          bool accumulate, WorkerPool* pool);

// PyTorch's default nn.Linear init (kaiming_uniform with a = sqrt(5)): weights and biases
// uniform in [-1/sqrt(in), 1/sqrt(in)], drawn layer by layer, weights then biases.
Mlp init_mlp(const std::vector<std::size_t>& sizes, uint64_t seed);

struct TrainConfig {
  std::size_t epochs = 5;
  std::size_t batch = 128; // the last batch of an epoch may be smaller (PyTorch drop_last=False)
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // Adam, as torch.optim.Adam
  uint64_t seed = 0;                                        // drives the shuffles
  std::size_t threads = 2;                                  // 0: one per hardware thread
  // The multiplier of the forward pass (see the top of this file): exact for ordinary
  // training, anything else for approximate-multiplier-aware training or fine-tuning.
  MulSpec forward{Method::exact, FloatFormat(8, 23), Rounding::nearest};
};

struct TrainProgress {
  std::size_t epoch = 0, epochs = 0;        // epoch counts from 1
  std::size_t batch = 0, batches = 0;       // batches done in this epoch, of batches
  std::size_t images = 0, images_total = 0; // images done over the whole run, of the total
  double epoch_loss = 0;                    // mean loss over this epoch's images so far
  double seconds = 0;                       // since training started
  bool epoch_done = false;
};

struct TrainResult {
  std::vector<double> epoch_loss; // mean training loss of each completed epoch
  double seconds = 0;
  bool cancelled = false;
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

// The MLP with every weight replaced by the operand the multiplier of `spec` uses for it (what
// MlpInference does to the weights before anything else); biases unchanged. Inference with
// `spec` then gives the same logits bit for bit (quantization is idempotent), and the fp32
// file compresses far better. For exact, a copy.
Mlp round_weights(const Mlp& mlp, const MulSpec& spec);

// "fnv1a64:" + 16 hex digits of the FNV-1a 64-bit hash of a file's bytes: fine-tuned models
// record their base model's, so `lmul eval` can tell when the base file has changed.
std::string fingerprint(const std::vector<uint8_t>& bytes);

// Trains `mlp` in place on n images (uint8 pixels, n * input_size; inputs pixel_to_input())
// with labels in [0, output_size), from its current weights (so a trained `mlp` is
// fine-tuned), with products of the forward pass by config.forward. `progress` is called after
// every batch (epoch_done on the last one, when `mlp` holds that epoch's weights); returning false
// stops training after the current batch. Throws std::invalid_argument for bad arguments (naming
// them) and std::runtime_error if the loss stops being finite.
TrainResult train_mlp(Mlp& mlp, const uint8_t* images, const uint8_t* labels, std::size_t n,
                      const TrainConfig& config,
                      const std::function<bool(const TrainProgress&)>& progress = {});

} // namespace lmul
