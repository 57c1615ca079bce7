#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "lmul/vit.hpp"

namespace lmul {

// Activations of one image, sized once per VitInference: no allocation per image.
struct VitInference::Scratch {
  std::vector<float> patch; // [patch * patch]
  std::vector<float> x;     // [tokens][width]: the residual stream
  std::vector<float> a;     // [tokens][width]: LayerNorm outputs, then the attention output
  std::vector<float> qkv;   // [tokens][3 width]
  std::vector<float> s, p;  // [heads][queries][tokens]: scores and probabilities
  std::vector<float> y;     // [tokens][width]: proj and fc2 outputs
  std::vector<float> f, g;  // [tokens][mlp_hidden]: fc1 outputs and their activations
  // Traces with products only: the errors, and operands quantized by their layer's multiplier
  // (each weight once per prepared network, each activation once per image).
  ProductErrors errors;
  std::vector<std::vector<float>> quantized_weights; // per linear layer, made on first use
  std::vector<float> quantized_in;                   // a linear layer's input rows
  std::vector<float> quantized_qkv, quantized_p;     // an attention layer's operands
};

std::unique_ptr<PreparedNetwork> Vit::prepare(const MulPlan& plan) const {
  return std::make_unique<VitInference>(*this, plan);
}

VitInference::VitInference(const Vit& vit, const MulPlan& plan)
    : vit_(&vit), plan_(plan), scratch_(std::make_unique<Scratch>()) {
  vit.validate();
  check_plan_layers(plan, vit.describe().size());
  const VitConfig& c = vit.config;
  const auto dense = [&](std::size_t index, const LinearParams& l) {
    linear_.emplace_back(plan.spec_for(index, ProductKind::linear), l.weight.data(), l.bias.data(),
                         l.in, l.out);
  };
  dense(0, vit.patch_embed);
  for (std::size_t b = 0; b < c.depth; ++b) {
    const VitBlock& blk = vit.blocks[b];
    dense(vit_layer_index(b, BlockLayer::qkv), blk.qkv);
    dense(vit_layer_index(b, BlockLayer::proj), blk.proj);
    dense(vit_layer_index(b, BlockLayer::fc1), blk.fc1);
    dense(vit_layer_index(b, BlockLayer::fc2), blk.fc2);
    for (BlockLayer l : {BlockLayer::scores, BlockLayer::mix})
      attention_.emplace_back(plan.spec_for(vit_layer_index(b, l), ProductKind::attention));
  }
  dense(vit_head_index(c), vit.head);

  Scratch& s = *scratch_;
  const std::size_t T = c.tokens(), D = c.width;
  s.patch.resize(c.patch * c.patch);
  s.x.resize(T * D);
  s.a.resize(T * D);
  s.qkv.resize(T * 3 * D);
  s.s.resize(c.heads * T * T);
  s.p.resize(c.heads * T * T);
  s.y.resize(T * D);
  s.f.resize(T * c.mlp_hidden);
  s.g.resize(T * c.mlp_hidden);
  s.quantized_weights.resize(linear_.size());
}

VitInference::~VitInference() = default;

std::size_t VitInference::bytes() const {
  const Scratch& s = *scratch_;
  std::size_t b = 0;
  for (const std::vector<float>* v : {&s.patch, &s.x, &s.a, &s.qkv, &s.s, &s.p, &s.y, &s.f, &s.g,
                                      &s.quantized_in, &s.quantized_qkv, &s.quantized_p})
    b += v->capacity() * sizeof(float);
  for (const std::vector<float>& w : s.quantized_weights)
    b += w.capacity() * sizeof(float);
  b += s.errors.bytes();
  for (const DenseLayer& l : linear_)
    b += l.bytes();
  return b;
}

void VitInference::logits(const float* x, float* logits) const {
  forward(x, logits, nullptr, false);
}

void VitInference::logits_traced(const float* x, float* logits, ForwardTrace& trace,
                                 bool products) const {
  trace.layers.clear();
  trace.layers.resize(vit_->describe().size());
  trace.attention.clear();
  trace.heads = vit_->config.heads;
  trace.patches = vit_->config.patches();
  forward(x, logits, &trace, products);
}

void VitInference::forward(const float* image, float* logits, ForwardTrace* trace,
                           bool products) const {
  const Vit& vit = *vit_;
  const VitConfig& c = vit.config;
  Scratch& s = *scratch_;
  const std::size_t D = c.width, T = c.tokens(), H = c.heads, d = c.head_dim();
  const std::size_t hidden = c.mlp_hidden, P = c.patch, grid = c.image / P;
  const float scale = float(1.0 / std::sqrt(double(d)));

  // A linear layer over `rows` rows of `in` (stride in) -> out (stride out); traced, its
  // outputs and its products W[o][i] * x[i], row by row.
  const auto linear = [&](std::size_t index, const DenseLayer& layer, const LinearParams& l,
                          const float* in, std::size_t rows, float* out) {
    for (std::size_t r = 0; r < rows; ++r)
      layer.forward(in + r * l.in, out + r * l.out);
    if (!trace)
      return;
    LayerTrace& t = trace->layers[index];
    t.output.insert(t.output.end(), out, out + rows * l.out);
    if (!products)
      return;
    s.errors.reset(layer.spec(), t.products);
    t.products.reserve(rows * l.weight.size());
    std::vector<float>& quantized_w = s.quantized_weights[std::size_t(&layer - linear_.data())];
    if (quantized_w.empty()) {
      quantized_w.resize(l.weight.size());
      quantize_operands(layer.spec(), l.weight.data(), quantized_w.data(), l.weight.size());
    }
    s.quantized_in.resize(std::max(s.quantized_in.size(), rows * l.in));
    quantize_operands(layer.spec(), in, s.quantized_in.data(), rows * l.in);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t o = 0; o < l.out; ++o)
        s.errors.add({l.weight.data() + o * l.in, quantized_w.data() + o * l.in},
                     {in + r * l.in, s.quantized_in.data() + r * l.in}, l.in);
    s.errors.flush();
  };

  // Patch embedding, then class token and position embeddings.
  float* x = s.x.data();
  for (std::size_t q = 0; q < c.patches(); ++q) {
    const std::size_t top = q / grid * P, left = q % grid * P;
    for (std::size_t ky = 0; ky < P; ++ky)
      std::copy(image + (top + ky) * c.image + left, image + (top + ky) * c.image + left + P,
                s.patch.begin() + ky * P);
    linear(0, linear_[0], vit.patch_embed, s.patch.data(), 1, x + (1 + q) * D);
  }
  for (std::size_t i = 0; i < D; ++i)
    x[i] = vit.cls_token[i] + vit.pos_embed[i];
  for (std::size_t i = D; i < T * D; ++i)
    x[i] = x[i] + vit.pos_embed[i];

  for (std::size_t b = 0; b < c.depth; ++b) {
    const VitBlock& blk = vit.blocks[b];
    const DenseLayer* dense = &linear_[1 + 4 * b]; // qkv, proj, fc1, fc2
    const AttentionLayer& scores = attention_[2 * b];
    const AttentionLayer& mix = attention_[2 * b + 1];
    const AttentionShape shape = c.attention_shape(b);
    const std::size_t Tq = shape.queries;

    for (std::size_t t = 0; t < T; ++t)
      layer_norm(x + t * D, D, blk.norm1.weight.data(), blk.norm1.bias.data(), c.norm_eps,
                 s.a.data() + t * D);
    linear(vit_layer_index(b, BlockLayer::qkv), dense[0], blk.qkv, s.a.data(), T, s.qkv.data());
    const float* q = s.qkv.data();
    const float* k = q + D;
    const float* v = q + 2 * D;
    scores.scores(shape, q, 3 * D, k, 3 * D, s.s.data());
    for (std::size_t r = 0; r < H * Tq; ++r)
      attention_softmax(s.s.data() + r * T, T, scale, s.p.data() + r * T);
    mix.mix(shape, s.p.data(), v, 3 * D, s.a.data(), D);
    if (trace) {
      LayerTrace& ts = trace->layers[vit_layer_index(b, BlockLayer::scores)];
      LayerTrace& tm = trace->layers[vit_layer_index(b, BlockLayer::mix)];
      ts.output.assign(s.s.begin(), s.s.begin() + H * Tq * T);
      tm.output.assign(s.a.begin(), s.a.begin() + Tq * D);
      // Per head: every (query, key, component) triple once, for each of the two products.
      if (products) {
        ts.products.reserve(H * Tq * T * d);
        tm.products.reserve(H * Tq * T * d);
        s.quantized_qkv.resize(T * 3 * D);
        s.quantized_p.resize(H * T * T);
        const float* rq = s.quantized_qkv.data();
        const float* rk = rq + D;
        const float* rv = rq + 2 * D;
        const float* rp = s.quantized_p.data();
        s.errors.reset(scores.spec(), ts.products);
        quantize_operands(scores.spec(), q, s.quantized_qkv.data(), T * 3 * D);
        for (std::size_t h = 0; h < H; ++h)
          for (std::size_t i = 0; i < Tq; ++i)
            for (std::size_t j = 0; j < T; ++j)
              s.errors.add({q + i * 3 * D + h * d, rq + i * 3 * D + h * d},
                           {k + j * 3 * D + h * d, rk + j * 3 * D + h * d}, d);
        s.errors.reset(mix.spec(), tm.products);
        quantize_operands(mix.spec(), q, s.quantized_qkv.data(), T * 3 * D);
        quantize_operands(mix.spec(), s.p.data(), s.quantized_p.data(), H * Tq * T);
        for (std::size_t h = 0; h < H; ++h)
          for (std::size_t i = 0; i < Tq; ++i)
            for (std::size_t j = 0; j < T; ++j) {
              const std::size_t ij = (h * Tq + i) * T + j;
              s.errors.add({s.p[ij], rp[ij]}, {v + j * 3 * D + h * d, rv + j * 3 * D + h * d}, d);
            }
        s.errors.flush();
      }
      // The class token (query 0) over the patch tokens (keys 1..T-1), per head.
      std::vector<float> cls(H * (T - 1));
      for (std::size_t h = 0; h < H; ++h)
        std::copy(s.p.begin() + h * Tq * T + 1, s.p.begin() + h * Tq * T + T,
                  cls.begin() + h * (T - 1));
      trace->attention.push_back(std::move(cls));
    }
    linear(vit_layer_index(b, BlockLayer::proj), dense[1], blk.proj, s.a.data(), Tq, s.y.data());
    for (std::size_t i = 0; i < Tq * D; ++i)
      x[i] = x[i] + s.y[i];

    for (std::size_t t = 0; t < Tq; ++t)
      layer_norm(x + t * D, D, blk.norm2.weight.data(), blk.norm2.bias.data(), c.norm_eps,
                 s.a.data() + t * D);
    linear(vit_layer_index(b, BlockLayer::fc1), dense[2], blk.fc1, s.a.data(), Tq, s.f.data());
    activate(c.activation, s.f.data(), s.g.data(), Tq * hidden);
    linear(vit_layer_index(b, BlockLayer::fc2), dense[3], blk.fc2, s.g.data(), Tq, s.y.data());
    for (std::size_t i = 0; i < Tq * D; ++i)
      x[i] = x[i] + s.y[i];
  }

  layer_norm(x, D, vit.norm.weight.data(), vit.norm.bias.data(), c.norm_eps, s.a.data());
  linear(vit_head_index(c), linear_.back(), vit.head, s.a.data(), 1, logits);
}

} // namespace lmul
