// Native training of ReLU MLPs with the seed notebook's recipe: PyTorch's default nn.Linear
// init, log-softmax + NLL (mean over the batch), Adam, shuffled mini-batches.
//
// Reproducibility: every matrix product goes through gemm(), whose results do not depend on
// blocking, thread count or SIMD width (each output sums its products in increasing k), and
// the seed drives the init and the shuffles through lmul::Rng. A given seed therefore gives
// the same model bit for bit with any thread count (and, where the C library's exp and log
// agree, on any platform).
//
// The forward products go through a MulSpec (exact here), so training with an approximate
// multiplier in the forward pass can reuse the same GEMM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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

// Trains `mlp` in place on n images (uint8 pixels, n * input_size; inputs pixel_to_input())
// with labels in [0, output_size). `progress` is called after every batch (epoch_done on the
// last one, when `mlp` holds that epoch's weights); returning false stops training after the
// current batch. Throws std::invalid_argument for bad arguments (naming them) and
// std::runtime_error if the loss stops being finite.
TrainResult train_mlp(Mlp& mlp, const uint8_t* images, const uint8_t* labels, std::size_t n,
                      const TrainConfig& config,
                      const std::function<bool(const TrainProgress&)>& progress = {});

} // namespace lmul
