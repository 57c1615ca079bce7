// Native training of the vision transformer (vit.hpp): init, the gradients of one batch, and the
// training loop (AdamW, linear warmup then cosine decay, random shifts of the images).
//
// Forward products follow a multiplier plan (plan.hpp): every linear layer's through gemm() with
// its spec, every attention product through the attention kernels with its spec, and all the
// rest through the functions of transformer_ops.hpp, so the training logits equal VitInference's
// with the same plan bit for bit. With an approximate plan the backward pass is the straight-
// through estimator of backprop.hpp: each approximate product p(a, b) is differentiated as the
// exact product of its quantized operands (dp/da := q(b), dp/db := q(a)), quantization as the
// identity, and every backward product is exact fp32. Attention, LayerNorm, GELU and the
// embeddings are differentiated by hand; tests/core/test_vit_train.cpp checks the gradient
// against finite differences.
//
// Reproducibility: gemm() sums every output in increasing k whatever the blocking and thread
// count, attention runs image by image, and the parameter gradients are summed in row order, so
// a seed gives the same model bit for bit with any thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "lmul/train.hpp"
#include "lmul/vit.hpp"

namespace lmul {

// The initialization of timm's VisionTransformer, from lmul::Rng seeded with `seed`: linear
// layers' weights, the class token and the position embeddings from a normal distribution of
// standard deviation 0.02 truncated at 2 standard deviations, their biases zero; the patch
// embedding as PyTorch's default Conv2d init (weights and bias uniform in +-1/sqrt(patch^2));
// LayerNorm weights one, biases zero. Tensors are drawn in for_each_tensor order.
Vit init_vit(const VitConfig& config, uint64_t seed);

struct VitTrainConfig {
  std::size_t epochs = 20;
  std::size_t batch = 128;    // the last batch of an epoch may be smaller
  double lr = 2e-3;           // peak learning rate, reached after the warmup
  double min_lr = 1e-5;       // the cosine schedule's final learning rate
  std::size_t warmup = 2;     // epochs of linear warmup from lr / warmup_steps
  double weight_decay = 0.05; // AdamW's decoupled decay, on weights of linear layers and the
                              // patch embedding only (not biases, norms, embeddings)
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::size_t shift = 2;          // images shifted by up to +-shift pixels each way (0: none)
  uint64_t seed = 0;              // drives the shuffles and the shifts
  std::size_t threads = 2;        // 0: one per hardware thread
  MulPlan forward = exact_plan(); // the multipliers of the forward pass
};

// The learning rate of optimizer step `step` (from 1) of `total`, `warmup` of them warming up.
double vit_learning_rate(const VitTrainConfig& config, std::size_t step, std::size_t warmup,
                         std::size_t total);

// Loss and gradients of one batch, computed as train_vit computes them (same code, same bits).
struct VitGradients {
  double loss = 0;           // summed over the rows (not the mean)
  std::vector<float> logits; // rows x classes
  Vit gradient;              // d(mean loss) / d parameter, same shapes as the model
};

// X: rows x pixels model inputs (pixel_to_input()), labels in [0, classes). Throws
// std::invalid_argument for an empty batch or a bad label.
VitGradients vit_batch_gradients(const Vit& vit, const MulPlan& forward, const float* X,
                                 const uint8_t* labels, std::size_t rows,
                                 WorkerPool* pool = nullptr);

// Trains `vit` in place on n images (uint8 pixels, n * pixels) with labels in [0, classes),
// from its current parameters (so a trained model is fine-tuned). `progress` is called after
// every batch (epoch_done on the last one, when `vit` holds that epoch's parameters);
// returning false stops after the current batch. Throws std::invalid_argument for bad arguments
// and std::runtime_error if the loss stops being finite.
TrainResult train_vit(Vit& vit, const uint8_t* images, const uint8_t* labels, std::size_t n,
                      const VitTrainConfig& config,
                      const std::function<bool(const TrainProgress&)>& progress = {});

} // namespace lmul
