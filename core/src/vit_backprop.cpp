#include "vit_backprop.hpp"

#include <algorithm>
#include <cmath>

namespace lmul {

namespace {
const MulSpec kExactSpec{Method::exact, FloatFormat(8, 23), Rounding::nearest};

// Calls fn(begin, end, worker) on one contiguous part of [0, n) per worker.
template <class F> void parallel_for(WorkerPool* pool, std::size_t n, F fn) {
  const std::size_t workers = pool ? std::min(pool->size(), n) : 1;
  if (workers <= 1) {
    fn(std::size_t(0), n, std::size_t(0));
    return;
  }
  pool->run(workers, [&](std::size_t t) { fn(n * t / workers, n * (t + 1) / workers, t); });
}

// out[c] = sum over rows of m[r][c], in row order from +0.
void column_sums(const float* m, std::size_t rows, std::size_t cols, float* out) {
  std::fill(out, out + cols, 0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      out[c] += m[r * cols + c];
}

// The gradients of a linear layer z = a w^T + bias over `rows` rows from dz (exact products
// with the operands the forward pass multiplied): dw = dz^T a_q, dbias, and da = dz w_q when
// `da` is not null.
void linear_backward(const float* dz, std::size_t rows, const LinearParams& l, const float* a_q,
                     const float* w_q, LinearParams& grad, float* da, WorkerPool* pool) {
  const MatrixView delta{dz, rows, l.out, l.out, 1};
  gemm(kExactSpec, delta.transposed(), MatrixView{a_q, rows, l.in, l.in, 1}, grad.weight.data(),
       l.in, false, pool);
  column_sums(dz, rows, l.out, grad.bias.data());
  if (da)
    gemm(kExactSpec, delta, MatrixView{w_q, l.out, l.in, l.in, 1}, da, l.in, false, pool);
}

// LayerNorm's backward pass over rows of D values: dx (written, or added when `add`) and the
// gradients of its weight and bias (written).
void layer_norm_backward(const float* dy, const float* x, const NormStats* stats,
                         const NormParams& norm, std::size_t rows, std::size_t D, float* dx,
                         bool add, NormParams& grad) {
  std::fill(grad.weight.begin(), grad.weight.end(), 0.0f);
  std::fill(grad.bias.begin(), grad.bias.end(), 0.0f);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * D;
    const float* xr = x + r * D;
    const float mean = stats[r].mean, rstd = stats[r].rstd;
    float sum = 0.0f, dot = 0.0f;
    for (std::size_t i = 0; i < D; ++i) {
      const float xhat = (xr[i] - mean) * rstd;
      const float g = dyr[i] * norm.weight[i];
      sum += g;
      dot += g * xhat;
      grad.weight[i] += dyr[i] * xhat;
      grad.bias[i] += dyr[i];
    }
    const float mean_g = sum / float(D), mean_gx = dot / float(D);
    for (std::size_t i = 0; i < D; ++i) {
      const float xhat = (xr[i] - mean) * rstd;
      const float v = rstd * (dyr[i] * norm.weight[i] - mean_g - xhat * mean_gx);
      dx[r * D + i] = add ? dx[r * D + i] + v : v;
    }
  }
}

void add_bias(float* z, const std::vector<float>& bias, std::size_t rows) {
  const std::size_t cols = bias.size();
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      z[r * cols + c] = z[r * cols + c] + bias[c];
}
} // namespace

VitBackprop::VitBackprop(const Vit& vit, const MulPlan& plan, std::size_t batch,
                         std::size_t threads)
    : config_(vit.config) {
  const auto layers = vit.describe();
  for (std::size_t i = 0; i < layers.size(); ++i)
    specs_.push_back(plan.spec_for(i, layers[i].kind));
  const VitConfig& c = config_;
  const std::size_t D = c.width, T = c.tokens(), R = batch * T, Np = c.patches();
  attention_.resize(std::max<std::size_t>(threads, 1));
  for (auto& per_thread : attention_)
    for (std::size_t b = 0; b < c.depth; ++b)
      for (BlockLayer l : {BlockLayer::scores, BlockLayer::mix})
        per_thread.emplace_back(specs_[vit_layer_index(b, l)]);
  scores_.assign(attention_.size(), std::vector<float>(c.heads * T * T));

  patches_.resize(batch * Np * c.patch * c.patch);
  blocks_.resize(c.depth);
  for (std::size_t b = 0; b < c.depth; ++b) {
    Block& k = blocks_[b];
    const std::size_t Rq = batch * c.queries(b);
    k.x.resize(R * D);
    k.n1.resize(R);
    k.a1.resize(R * D);
    k.qkv.resize(R * 3 * D);
    k.probs.resize(batch * c.heads * c.queries(b) * T);
    k.o.resize(Rq * D);
    k.x2.resize(Rq * D);
    k.n2.resize(Rq);
    k.a2.resize(Rq * D);
    k.h.resize(Rq * c.mlp_hidden);
    k.g.resize(Rq * c.mlp_hidden);
  }
  out_.resize(batch * D);
  nf_.resize(batch);
  af_.resize(batch * D);
  logits_.resize(batch * c.classes);
  d_logits_.resize(batch * c.classes);
  d_x_.resize(R * D);
  d_x2_.resize(R * D);
  d_a_.resize(R * D);
  d_h_.resize(R * c.mlp_hidden);
  d_qkv_.resize(R * 3 * D);
  d_o_.resize(R * D);
  d_embed_.resize(batch * Np * D);
}

void VitBackprop::quantize(std::size_t layer, const float* in, std::size_t n, Operands& out) const {
  const MulSpec& spec = specs_[layer];
  if (spec.method == Method::exact) {
    out.data = in;
    return;
  }
  out.storage.resize(n);
  quantize_operands(spec, in, out.storage.data(), n);
  out.data = out.storage.data();
}

void VitBackprop::linear_forward(std::size_t layer, const LinearParams& l, const float* in,
                                 std::size_t rows, Operands& in_q, Operands& w_q, float* out,
                                 WorkerPool* pool) {
  quantize(layer, in, rows * l.in, in_q);
  quantize(layer, l.weight.data(), l.weight.size(), w_q);
  gemm(specs_[layer], MatrixView{in_q.data, rows, l.in, l.in, 1},
       MatrixView{w_q.data, l.in, l.out, 1, l.in}, out, l.out, false, pool);
  add_bias(out, l.bias, rows);
}

void VitBackprop::attention_forward(std::size_t block, std::size_t images, WorkerPool* pool) {
  const VitConfig& c = config_;
  const AttentionShape shape = c.attention_shape(block);
  const std::size_t D = c.width, T = shape.tokens, Tq = shape.queries;
  const std::size_t per_image = c.heads * Tq * T;
  const float scale = float(1.0 / std::sqrt(double(c.head_dim())));
  Block& k = blocks_[block];
  parallel_for(pool, images, [&](std::size_t b0, std::size_t b1, std::size_t t) {
    const AttentionLayer& scores = attention_[t][2 * block];
    const AttentionLayer& mix = attention_[t][2 * block + 1];
    float* s = scores_[t].data();
    for (std::size_t b = b0; b < b1; ++b) {
      const float* qkv = k.qkv.data() + b * T * 3 * D;
      float* p = k.probs.data() + b * per_image;
      scores.scores(shape, qkv, 3 * D, qkv + D, 3 * D, s);
      for (std::size_t r = 0; r < c.heads * Tq; ++r)
        attention_softmax(s + r * T, T, scale, p + r * T);
      mix.mix(shape, p, qkv + 2 * D, 3 * D, k.o.data() + b * Tq * D, D);
    }
  });
}

void VitBackprop::attention_backward(std::size_t block, std::size_t images, const float* d_o,
                                     float* d_qkv, WorkerPool* pool) {
  const VitConfig& c = config_;
  const std::size_t D = c.width, T = c.tokens(), Tq = c.queries(block), d = c.head_dim();
  const std::size_t ld = 3 * D, per_image = c.heads * Tq * T;
  const float scale = float(1.0 / std::sqrt(double(d)));
  const Block& k = blocks_[block];
  std::fill(d_qkv, d_qkv + images * T * ld, 0.0f);
  parallel_for(pool, images, [&](std::size_t b0, std::size_t b1, std::size_t t) {
    float* dp = scores_[t].data(); // [Tq][T]: d loss / d probabilities, then / d scores
    for (std::size_t b = b0; b < b1; ++b) {
      const float* q = k.qk_q.data + b * T * ld; // operands as the forward products saw them
      const float* kk = q + D;
      const float* v = k.v_q.data + b * T * ld + 2 * D;
      const float* dob = d_o + b * Tq * D;
      float* dq = d_qkv + b * T * ld;
      float* dk = dq + D;
      float* dv = dq + 2 * D;
      for (std::size_t h = 0; h < c.heads; ++h) {
        const std::size_t off = h * d;
        const float* p = k.probs.data() + b * per_image + h * Tq * T;
        const float* pq = k.probs_q.data + b * per_image + h * Tq * T;
        for (std::size_t i = 0; i < Tq; ++i)
          for (std::size_t j = 0; j < T; ++j) {
            float acc = 0.0f;
            for (std::size_t e = 0; e < d; ++e)
              acc += dob[i * D + off + e] * v[j * ld + off + e];
            dp[i * T + j] = acc;
          }
        for (std::size_t i = 0; i < Tq; ++i)
          for (std::size_t j = 0; j < T; ++j)
            for (std::size_t e = 0; e < d; ++e)
              dv[j * ld + off + e] += pq[i * T + j] * dob[i * D + off + e];
        // Softmax: dz = p (dp - sum_j p dp); the scores were scaled before it.
        for (std::size_t i = 0; i < Tq; ++i) {
          float dot = 0.0f;
          for (std::size_t j = 0; j < T; ++j)
            dot += p[i * T + j] * dp[i * T + j];
          for (std::size_t j = 0; j < T; ++j)
            dp[i * T + j] = p[i * T + j] * (dp[i * T + j] - dot) * scale;
        }
        for (std::size_t i = 0; i < Tq; ++i)
          for (std::size_t j = 0; j < T; ++j) {
            const float ds = dp[i * T + j];
            for (std::size_t e = 0; e < d; ++e) {
              dq[i * ld + off + e] += ds * kk[j * ld + off + e];
              dk[j * ld + off + e] += ds * q[i * ld + off + e];
            }
          }
      }
    }
  });
}

double VitBackprop::run(const Vit& vit, const float* X, const uint8_t* labels, std::size_t rows,
                        WorkerPool* pool, Vit& grad) {
  const VitConfig& c = config_;
  const std::size_t D = c.width, T = c.tokens(), R = rows * T, Np = c.patches();
  const std::size_t P = c.patch, PP = P * P, grid = c.image / P, hidden = c.mlp_hidden;

  // Embeddings: patches, their linear map, the class token, the position embeddings.
  for (std::size_t b = 0; b < rows; ++b)
    for (std::size_t q = 0; q < Np; ++q) {
      const std::size_t top = q / grid * P, left = q % grid * P;
      for (std::size_t ky = 0; ky < P; ++ky) {
        const float* src = X + b * c.pixels() + (top + ky) * c.image + left;
        std::copy(src, src + P, patches_.begin() + (b * Np + q) * PP + ky * P);
      }
    }
  float* embed = d_embed_.data(); // [rows * Np][D], free until the backward pass
  linear_forward(0, vit.patch_embed, patches_.data(), rows * Np, patches_q_, patch_w_q_, embed,
                 pool);
  float* x0 = blocks_[0].x.data();
  for (std::size_t b = 0; b < rows; ++b) {
    for (std::size_t i = 0; i < D; ++i)
      x0[b * T * D + i] = vit.cls_token[i] + vit.pos_embed[i];
    for (std::size_t q = 0; q < Np; ++q)
      for (std::size_t i = 0; i < D; ++i)
        x0[(b * T + 1 + q) * D + i] = embed[(b * Np + q) * D + i] + vit.pos_embed[(1 + q) * D + i];
  }

  for (std::size_t l = 0; l < c.depth; ++l) {
    const VitBlock& p = vit.blocks[l];
    Block& k = blocks_[l];
    const std::size_t Tq = c.queries(l), Rq = rows * Tq;
    for (std::size_t r = 0; r < R; ++r)
      k.n1[r] = layer_norm(k.x.data() + r * D, D, p.norm1.weight.data(), p.norm1.bias.data(),
                           c.norm_eps, k.a1.data() + r * D);
    linear_forward(vit_layer_index(l, BlockLayer::qkv), p.qkv, k.a1.data(), R, k.a1_q, k.qkv_w_q,
                   k.qkv.data(), pool);
    attention_forward(l, rows, pool);
    quantize(vit_layer_index(l, BlockLayer::scores), k.qkv.data(), R * 3 * D, k.qk_q);
    quantize(vit_layer_index(l, BlockLayer::mix), k.qkv.data(), R * 3 * D, k.v_q);
    quantize(vit_layer_index(l, BlockLayer::mix), k.probs.data(), rows * c.heads * Tq * T,
             k.probs_q);
    linear_forward(vit_layer_index(l, BlockLayer::proj), p.proj, k.o.data(), Rq, k.o_q, k.proj_w_q,
                   k.x2.data(), pool);
    for (std::size_t b = 0; b < rows; ++b)
      for (std::size_t i = 0; i < Tq; ++i)
        for (std::size_t e = 0; e < D; ++e)
          k.x2[(b * Tq + i) * D + e] = k.x[(b * T + i) * D + e] + k.x2[(b * Tq + i) * D + e];
    for (std::size_t r = 0; r < Rq; ++r)
      k.n2[r] = layer_norm(k.x2.data() + r * D, D, p.norm2.weight.data(), p.norm2.bias.data(),
                           c.norm_eps, k.a2.data() + r * D);
    linear_forward(vit_layer_index(l, BlockLayer::fc1), p.fc1, k.a2.data(), Rq, k.a2_q, k.fc1_w_q,
                   k.h.data(), pool);
    parallel_for(pool, Rq, [&](std::size_t r0, std::size_t r1, std::size_t) {
      activate(c.activation, k.h.data() + r0 * hidden, k.g.data() + r0 * hidden,
               (r1 - r0) * hidden);
    });
    float* next = l + 1 < c.depth ? blocks_[l + 1].x.data() : out_.data();
    linear_forward(vit_layer_index(l, BlockLayer::fc2), p.fc2, k.g.data(), Rq, k.g_q, k.fc2_w_q,
                   next, pool);
    for (std::size_t i = 0; i < Rq * D; ++i)
      next[i] = k.x2[i] + next[i];
  }

  for (std::size_t b = 0; b < rows; ++b)
    nf_[b] = layer_norm(out_.data() + b * D, D, vit.norm.weight.data(), vit.norm.bias.data(),
                        c.norm_eps, af_.data() + b * D);
  const std::size_t head = vit_head_index(c);
  linear_forward(head, vit.head, af_.data(), rows, af_q_, head_w_q_, logits_.data(), pool);
  const double loss =
      softmax_cross_entropy(logits_.data(), labels, rows, c.classes, d_logits_.data());

  // Backward.
  linear_backward(d_logits_.data(), rows, vit.head, af_q_.data, head_w_q_.data, grad.head,
                  d_a_.data(), pool);
  layer_norm_backward(d_a_.data(), out_.data(), nf_.data(), vit.norm, rows, D, d_x_.data(), false,
                      grad.norm);
  for (std::size_t l = c.depth; l-- > 0;) {
    const VitBlock& p = vit.blocks[l];
    VitBlock& gp = grad.blocks[l];
    const Block& k = blocks_[l];
    const std::size_t Tq = c.queries(l), Rq = rows * Tq;
    // d_x_ holds d loss / d (this block's output), [Rq][D].
    linear_backward(d_x_.data(), Rq, p.fc2, k.g_q.data, k.fc2_w_q.data, gp.fc2, d_h_.data(), pool);
    parallel_for(pool, Rq * hidden, [&](std::size_t i0, std::size_t i1, std::size_t) {
      for (std::size_t i = i0; i < i1; ++i)
        d_h_[i] = d_h_[i] * activation_derivative(c.activation, k.h[i]);
    });
    linear_backward(d_h_.data(), Rq, p.fc1, k.a2_q.data, k.fc1_w_q.data, gp.fc1, d_a_.data(), pool);
    std::copy(d_x_.begin(), d_x_.begin() + Rq * D, d_x2_.begin());
    layer_norm_backward(d_a_.data(), k.x2.data(), k.n2.data(), p.norm2, Rq, D, d_x2_.data(), true,
                        gp.norm2);
    linear_backward(d_x2_.data(), Rq, p.proj, k.o_q.data, k.proj_w_q.data, gp.proj, d_o_.data(),
                    pool);
    attention_backward(l, rows, d_o_.data(), d_qkv_.data(), pool);
    linear_backward(d_qkv_.data(), R, p.qkv, k.a1_q.data, k.qkv_w_q.data, gp.qkv, d_a_.data(),
                    pool);
    // The residual reaches the query tokens only; the others get norm1's share alone.
    std::fill(d_x_.begin(), d_x_.begin() + R * D, 0.0f);
    for (std::size_t b = 0; b < rows; ++b)
      std::copy(d_x2_.begin() + b * Tq * D, d_x2_.begin() + (b + 1) * Tq * D,
                d_x_.begin() + b * T * D);
    layer_norm_backward(d_a_.data(), k.x.data(), k.n1.data(), p.norm1, R, D, d_x_.data(), true,
                        gp.norm1);
  }

  // d_x_ holds d loss / d (embeddings), [R][D].
  std::fill(grad.cls_token.begin(), grad.cls_token.end(), 0.0f);
  std::fill(grad.pos_embed.begin(), grad.pos_embed.end(), 0.0f);
  for (std::size_t b = 0; b < rows; ++b) {
    for (std::size_t i = 0; i < D; ++i)
      grad.cls_token[i] += d_x_[b * T * D + i];
    for (std::size_t i = 0; i < T * D; ++i)
      grad.pos_embed[i] += d_x_[b * T * D + i];
    for (std::size_t q = 0; q < Np; ++q)
      std::copy(d_x_.begin() + (b * T + 1 + q) * D, d_x_.begin() + (b * T + 2 + q) * D,
                d_embed_.begin() + (b * Np + q) * D);
  }
  linear_backward(d_embed_.data(), rows * Np, vit.patch_embed, patches_q_.data, patch_w_q_.data,
                  grad.patch_embed, nullptr, pool);
  return loss;
}

} // namespace lmul
