// The training loop: native training of ReLU MLPs with the seed notebook's recipe (PyTorch's
// default nn.Linear init, log-softmax + NLL (mean over the batch), Adam, shuffled mini-batches),
// and fine-tuning with an approximate multiplier in the forward pass (see backprop.hpp for the
// straight-through gradient).
//
// Reproducibility: every matrix product goes through gemm(), whose results do not depend on
// blocking, thread count or SIMD width (each output sums its products in increasing k), and
// the seed drives the init and the shuffles through lmul::Rng. A given seed therefore gives
// the same model bit for bit with any thread count (and, where the C library's exp and log
// agree, on any platform: tests/cli/train.test.mjs reproduces the shipped seed model natively
// with 1 and 2 threads and in the WebAssembly build).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

// What training is built from, so that code which trains needs this header only.
#include "lmul/adam.hpp"
#include "lmul/backprop.hpp"
#include "lmul/gemm.hpp"
#include "lmul/mlp.hpp"
#include "lmul/worker_pool.hpp"

namespace lmul {

// PyTorch's default nn.Linear init (kaiming_uniform with a = sqrt(5)): weights and biases
// uniform in [-1/sqrt(in), 1/sqrt(in)], drawn layer by layer, weights then biases.
Mlp init_mlp(const std::vector<std::size_t>& sizes, uint64_t seed);

// Adam's hyperparameters (lr, beta1, beta2, eps, as torch.optim.Adam) and the loop's own.
struct TrainConfig : AdamConfig {
  std::size_t epochs = 5;
  std::size_t batch = 128; // the last batch of an epoch may be smaller (PyTorch drop_last=False)
  uint64_t seed = 0;       // drives the shuffles
  std::size_t threads = 2; // 0: one per hardware thread
  // The multiplier of the forward pass: exact for ordinary training, anything else for
  // approximate-multiplier-aware training or fine-tuning (backprop.hpp).
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

// What every training loop does after a batch, in one place: the epoch's mean loss when the
// epoch ends, the progress callback, and the run's time. batch_done() returns false when the
// callback asked to stop (result.cancelled and result.seconds are then set).
class TrainTracker {
public:
  TrainTracker(const std::function<bool(const TrainProgress&)>& progress, std::size_t epochs,
               std::size_t images_total);
  double seconds() const;
  bool batch_done(TrainResult& result, std::size_t epoch, std::size_t batch, std::size_t batches,
                  std::size_t images_done, double loss_sum, std::size_t epoch_images) const;

private:
  const std::function<bool(const TrainProgress&)>& progress_;
  std::size_t epochs_, images_total_;
  double start_; // monotonic_seconds() at the start
};

// The MLP with every weight replaced by the operand the multiplier of `spec` uses for it (what
// MlpInference does to the weights before anything else); biases unchanged. Inference with
// `spec` then gives the same logits bit for bit (quantization is idempotent), and the fp32
// file compresses far better. For exact, a copy.
Mlp round_weights(const Mlp& mlp, const MulSpec& spec);

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
