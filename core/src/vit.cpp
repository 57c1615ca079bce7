#include "lmul/vit.hpp"

#include "lmul/decimal.hpp"
#include "lmul/finite.hpp"

#include <cmath>
#include <stdexcept>

namespace lmul {

namespace {
void check_range(const char* field, std::size_t value, std::size_t lo, std::size_t hi) {
  if (value < lo || value > hi)
    throw std::invalid_argument(std::string("ViT config: ") + field + " must be in " +
                                std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                                std::to_string(value));
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::size_t count(const std::vector<std::size_t>& shape) {
  std::size_t n = 1;
  for (std::size_t d : shape)
    n *= d;
  return n;
}
} // namespace

void VitConfig::validate() const {
  // Bounds keep every tensor far below 2^32 values; predictions are bytes, 255 meaning "none".
  check_range("image", image, 1, 1024);
  check_range("patch", patch, 1, image);
  if (image % patch != 0)
    throw std::invalid_argument("ViT config: patch " + std::to_string(patch) +
                                " must divide image " + std::to_string(image));
  check_range("width", width, 1, 4096);
  check_range("heads", heads, 1, width);
  if (width % heads != 0)
    throw std::invalid_argument("ViT config: heads " + std::to_string(heads) +
                                " must divide width " + std::to_string(width));
  check_range("depth", depth, 1, 64);
  check_range("mlp_hidden", mlp_hidden, 1, 16384);
  check_range("classes", classes, 1, 255);
  check_range("patches", patches(), 1, 4096);
  if (!(norm_eps > 0.0f) || !std::isfinite(norm_eps))
    throw std::invalid_argument("ViT config: norm_eps must be positive and finite, got " +
                                shortest_decimal(norm_eps));
}

Vit::Vit(const VitConfig& c) : config(c) {
  config.validate();
  const std::size_t D = c.width;
  const auto make_linear = [](std::size_t in, std::size_t out) {
    LinearParams l;
    l.in = in;
    l.out = out;
    l.weight.assign(in * out, 0.0f);
    l.bias.assign(out, 0.0f);
    return l;
  };
  const auto make_norm = [D] {
    return NormParams{std::vector<float>(D, 1.0f), std::vector<float>(D)};
  };
  patch_embed = make_linear(c.patch * c.patch, D);
  cls_token.assign(D, 0.0f);
  pos_embed.assign(c.tokens() * D, 0.0f);
  blocks.resize(c.depth);
  for (VitBlock& b : blocks) {
    b.norm1 = make_norm();
    b.qkv = make_linear(D, 3 * D);
    b.proj = make_linear(D, D);
    b.norm2 = make_norm();
    b.fc1 = make_linear(D, c.mlp_hidden);
    b.fc2 = make_linear(c.mlp_hidden, D);
  }
  norm = make_norm();
  head = make_linear(D, c.classes);
}

void Vit::validate() const {
  config.validate();
  if (blocks.size() != config.depth)
    throw std::invalid_argument("ViT has " + std::to_string(blocks.size()) +
                                " blocks but its config says depth " +
                                std::to_string(config.depth));
  for_each_tensor(*this, [](const std::string& name, const std::vector<std::size_t>& shape,
                            const std::vector<float>& values) {
    if (values.size() != count(shape))
      throw std::invalid_argument("ViT parameter " + name + " has " +
                                  std::to_string(values.size()) + " values, its shape " +
                                  shape_text(shape) + " needs " + std::to_string(count(shape)));
    check_finite(values.data(), values.size(), "ViT parameter " + name);
  });
  // The LinearParams sizes the dense kernels use.
  const auto check_linear = [](const char* name, const LinearParams& l, std::size_t in,
                               std::size_t out) {
    if (l.in != in || l.out != out)
      throw std::invalid_argument(std::string("ViT layer ") + name + " is declared " +
                                  std::to_string(l.out) + " x " + std::to_string(l.in) +
                                  ", its config needs " + std::to_string(out) + " x " +
                                  std::to_string(in));
  };
  const std::size_t D = config.width;
  check_linear("patch_embed", patch_embed, config.patch * config.patch, D);
  for (const VitBlock& b : blocks) {
    check_linear("attn.qkv", b.qkv, D, 3 * D);
    check_linear("attn.proj", b.proj, D, D);
    check_linear("mlp.fc1", b.fc1, D, config.mlp_hidden);
    check_linear("mlp.fc2", b.fc2, config.mlp_hidden, D);
  }
  check_linear("head", head, D, config.classes);
}

std::vector<LayerInfo> Vit::describe() const {
  const VitConfig& c = config;
  const std::size_t D = c.width, T = c.tokens();
  std::vector<LayerInfo> layers;
  layers.push_back({"patch_embed", ProductKind::linear, c.patches() * c.patch * c.patch * D});
  for (std::size_t b = 0; b < c.depth; ++b) {
    const std::string p = "blocks." + std::to_string(b) + ".";
    const std::size_t Tq = c.queries(b);
    layers.push_back({p + "attn.qkv", ProductKind::linear, T * D * 3 * D});
    layers.push_back({p + "attn.scores", ProductKind::attention, Tq * T * D});
    layers.push_back({p + "attn.mix", ProductKind::attention, Tq * T * D});
    layers.push_back({p + "attn.proj", ProductKind::linear, Tq * D * D});
    layers.push_back({p + "mlp.fc1", ProductKind::linear, Tq * D * c.mlp_hidden});
    layers.push_back({p + "mlp.fc2", ProductKind::linear, Tq * c.mlp_hidden * D});
  }
  layers.push_back({"head", ProductKind::linear, D * c.classes});
  return layers;
}

} // namespace lmul
