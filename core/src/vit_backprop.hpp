// The forward and backward pass of one ViT training batch (vit_train.hpp describes the rules:
// forward products by the plan, straight-through backward with exact products).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lmul/train.hpp"
#include "lmul/vit.hpp"

namespace lmul {

class VitBackprop {
public:
  // Buffers for up to `batch` images, attention kernels for `threads` workers.
  VitBackprop(const Vit& vit, const MulPlan& plan, std::size_t batch, std::size_t threads);

  // Images X (rows x pixels, rows <= batch) and labels -> summed loss; writes the gradient of the
  // mean loss into `grad` (shaped like `vit`). The logits stay in logits().
  double run(const Vit& vit, const float* X, const uint8_t* labels, std::size_t rows,
             WorkerPool* pool, Vit& grad);

  const float* logits() const { return logits_.data(); }

private:
  // A layer's operands as its multiplier sees them: quantized copies, or the values themselves
  // when the multiplier is exact.
  struct Operands {
    std::vector<float> storage;
    const float* data = nullptr;
  };
  struct Block {
    std::vector<float> x;      // [rows][D]: the block's input (block 0: the embeddings)
    std::vector<NormStats> n1; // [rows]
    std::vector<float> a1;     // [rows][D]: norm1's output
    Operands a1_q, qkv_w_q;    // under qkv's multiplier
    std::vector<float> qkv;    // [rows][3D]
    Operands qk_q;             // q and k under the scores' multiplier
    Operands v_q;              // v under the mix's multiplier
    std::vector<float> probs;  // [images][H][Tq][T]
    Operands probs_q;          // under the mix's multiplier
    std::vector<float> o;      // [query rows][D]: the attention's output
    Operands o_q, proj_w_q;    // under proj's multiplier
    std::vector<float> x2;     // [query rows][D]: after the attention's residual
    std::vector<NormStats> n2; // [query rows]
    std::vector<float> a2;     // [query rows][D]
    Operands a2_q, fc1_w_q;    // under fc1's multiplier
    std::vector<float> h;      // [query rows][mlp_hidden]: fc1's output
    std::vector<float> g;      // [query rows][mlp_hidden]: its activation
    Operands g_q, fc2_w_q;     // under fc2's multiplier
  };

  void quantize(std::size_t layer, const float* in, std::size_t n, Operands& out) const;
  void linear_forward(std::size_t layer, const LinearParams& l, const float* in, std::size_t rows,
                      Operands& in_q, Operands& w_q, float* out, WorkerPool* pool);
  void attention_forward(std::size_t b, std::size_t images, WorkerPool* pool);
  void attention_backward(std::size_t b, std::size_t images, const float* d_o, float* d_qkv,
                          WorkerPool* pool);

  VitConfig config_;
  std::vector<MulSpec> specs_;                         // per layer, describe() order
  std::vector<std::vector<AttentionLayer>> attention_; // [thread][2 * block + (scores, mix)]
  std::vector<std::vector<float>> scores_;             // [thread]: one image's scores

  std::vector<float> patches_; // [images * patches][patch * patch]
  Operands patches_q_, patch_w_q_;
  std::vector<Block> blocks_;
  std::vector<float> out_;    // [images][D]: the last block's output (class tokens)
  std::vector<NormStats> nf_; // [images]
  std::vector<float> af_;     // [images][D]: the final norm's output
  Operands af_q_, head_w_q_;
  std::vector<float> logits_, d_logits_;

  // Backward scratch.
  std::vector<float> d_x_, d_x2_, d_a_, d_h_, d_qkv_, d_o_, d_embed_;
};

} // namespace lmul
