// A small vision transformer for one-channel images (MNIST digits), the model family of issue
// 13, and its inference under a multiplier plan (plan.hpp, NUMERICS.md section 3b).
//
// pixels -> patches -> [patch_embed] -> + class token, + position embeddings -> blocks -> norm ->
// [head] -> logits, each block pre-norm:
//   x = x + proj(attention(norm1(x)))     attention: qkv, scores Q K^T, x 1/sqrt(d), softmax, mix P
//   V x = x + fc2(act(fc1(norm2(x))))       act: GELU (erf form) or ReLU
// as timm's VisionTransformer without dropout, with torch.nn.LayerNorm (eps from the config).
// models/README.md has the equivalent PyTorch module.
//
// Only the class token reaches the head, so the last block computes the attention row, the
// projection and the MLP of the class token alone (its keys and values still come from every
// token): the same logits as the full computation, bit for bit, with less work. describe()
// counts the products actually computed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lmul/attention.hpp"
#include "lmul/mlp.hpp"
#include "lmul/network.hpp"
#include "lmul/plan.hpp"
#include "lmul/transformer_ops.hpp"

namespace lmul {

struct VitConfig {
  std::size_t image = 28, patch = 7; // square images of image x image pixels, patch x patch patches
  std::size_t width = 48, depth = 3, heads = 4, mlp_hidden = 96, classes = 10;
  Activation activation = Activation::relu;
  float norm_eps = 1e-5f; // torch.nn.LayerNorm's default

  std::size_t pixels() const { return image * image; }
  std::size_t patches() const { return (image / patch) * (image / patch); }
  std::size_t tokens() const { return patches() + 1; } // the class token first
  std::size_t head_dim() const { return width / heads; }
  // Tokens whose output block `block` computes: all of them, or the class token in the last.
  std::size_t queries(std::size_t block) const { return block + 1 == depth ? 1 : tokens(); }
  AttentionShape attention_shape(std::size_t block) const {
    return {tokens(), queries(block), heads, head_dim()};
  }

  // Throws std::invalid_argument naming the field and its allowed range.
  void validate() const;
};

struct NormParams {
  std::vector<float> weight, bias; // [width]
};

struct VitBlock {
  NormParams norm1;
  LinearParams qkv;  // [3 width][width]: rows are q, then k, then v; head h owns [h d, (h + 1) d)
  LinearParams proj; // [width][width]
  NormParams norm2;
  LinearParams fc1; // [mlp_hidden][width]
  LinearParams fc2; // [width][mlp_hidden]
};

struct Vit : Network {
  VitConfig config;
  // [width][patch * patch], patch pixels row by row: torch.nn.Conv2d(1, width, patch, patch)'s
  // weight [width, 1, patch, patch].
  LinearParams patch_embed;
  std::vector<float> cls_token; // [width]
  std::vector<float> pos_embed; // [tokens][width]
  std::vector<VitBlock> blocks; // depth
  NormParams norm;
  LinearParams head; // [classes][width]

  Vit() = default;
  // Every parameter sized for `config` (validated): zeros, LayerNorm weights one.
  explicit Vit(const VitConfig& config);

  // Throws std::invalid_argument when a parameter's size does not match the config (naming it)
  // or a parameter is not finite.
  void validate() const;

  std::string arch() const override { return "vit"; }
  std::size_t input_size() const override { return config.pixels(); }
  std::size_t output_size() const override { return config.classes; }
  // The layers that have products, in forward order: patch_embed; per block i
  // blocks.i.attn.qkv, .attn.scores, .attn.mix, .attn.proj, .mlp.fc1, .mlp.fc2; head.
  std::vector<LayerInfo> describe() const override;
  std::unique_ptr<PreparedNetwork> prepare(const MulPlan& plan) const override;
};

// Positions of a block's layers in describe() (and so in a MulPlan's layer indices).
enum class BlockLayer { qkv, scores, mix, proj, fc1, fc2 };
constexpr std::size_t kVitLayersPerBlock = 6;
inline std::size_t vit_layer_index(std::size_t block, BlockLayer layer) {
  return 1 + block * kVitLayersPerBlock + static_cast<std::size_t>(layer);
}
inline std::size_t vit_head_index(const VitConfig& c) { return 1 + c.depth * kVitLayersPerBlock; }

// Calls f(name, shape, values) for every parameter tensor in state_dict order with its PyTorch
// name ("patch_embed.weight", "cls_token", "blocks.0.attn.qkv.weight", ..., "head.bias") and
// the shape the config gives it (the values' own size is not consulted). V is Vit or const Vit.
template <class V, class F> void for_each_tensor(V& vit, F&& f) {
  const VitConfig& c = vit.config;
  const std::size_t D = c.width;
  const auto linear = [&](const std::string& name, auto& l, std::vector<std::size_t> shape) {
    f(name + ".weight", shape, l.weight);
    f(name + ".bias", std::vector<std::size_t>{shape[0]}, l.bias);
  };
  const auto norm = [&](const std::string& name, auto& n) {
    f(name + ".weight", std::vector<std::size_t>{D}, n.weight);
    f(name + ".bias", std::vector<std::size_t>{D}, n.bias);
  };
  linear("patch_embed", vit.patch_embed, {D, 1, c.patch, c.patch});
  f("cls_token", std::vector<std::size_t>{1, 1, D}, vit.cls_token);
  f("pos_embed", std::vector<std::size_t>{1, c.tokens(), D}, vit.pos_embed);
  for (std::size_t b = 0; b < c.depth && b < vit.blocks.size(); ++b) {
    auto& blk = vit.blocks[b];
    const std::string p = "blocks." + std::to_string(b) + ".";
    norm(p + "norm1", blk.norm1);
    linear(p + "attn.qkv", blk.qkv, {3 * D, D});
    linear(p + "attn.proj", blk.proj, {D, D});
    norm(p + "norm2", blk.norm2);
    linear(p + "mlp.fc1", blk.fc1, {c.mlp_hidden, D});
    linear(p + "mlp.fc2", blk.fc2, {D, c.mlp_hidden});
  }
  norm("norm", vit.norm);
  linear("head", vit.head, {c.classes, D});
}

// The plan whose every product is exact fp32.
inline MulPlan exact_plan() {
  return MulPlan(MulSpec{Method::exact, FloatFormat(8, 23), Rounding::nearest});
}

// A Vit prepared for one plan: each linear layer's weights quantized and packed once
// (DenseLayer), each attention layer's kernels chosen once. Not thread-safe (scratch buffers);
// make one per thread. Keeps a pointer to `vit`, which must outlive it.
class VitInference : public PreparedNetwork {
public:
  // Throws std::invalid_argument for an invalid model or a plan naming a layer it does not have.
  VitInference(const Vit& vit, const MulPlan& plan);
  ~VitInference() override;
  const Vit& vit() const { return *vit_; }
  const MulPlan& plan() const override { return plan_; }

  // logits[classes] for one image x[pixels] (inputs pixel_to_input()).
  void logits(const float* x, float* logits) const override;
  // As logits(), and records in `trace` (reset first) every layer's output, each block's
  // class-token attention over the patches and, with `products`, the error of every product
  // against the exact fp32 product of the same operands.
  void logits_traced(const float* x, float* logits, ForwardTrace& trace,
                     bool products) const override;
  std::size_t bytes() const override;

private:
  struct Scratch;
  void forward(const float* x, float* logits, ForwardTrace* trace, bool products) const;

  const Vit* vit_;
  MulPlan plan_;
  std::vector<DenseLayer> linear_;        // patch_embed, per block qkv proj fc1 fc2, head
  std::vector<AttentionLayer> attention_; // per block scores, mix
  std::unique_ptr<Scratch> scratch_;
};

inline EvalResult evaluate(const VitInference& net, const uint8_t* images, const uint8_t* labels,
                           std::size_t n,
                           const std::function<bool(std::size_t, std::size_t)>& progress = {}) {
  return evaluate(net, net.vit().input_size(), net.vit().output_size(), images, labels, n,
                  progress);
}

} // namespace lmul
