#include "lmul/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <string>

#include "lmul/kernels.hpp"
#include "lmul/random.hpp"

#ifndef __EMSCRIPTEN__
#include <condition_variable>
#include <mutex>
#include <thread>
#endif

namespace lmul {

// ---- WorkerPool -----------------------------------------------------------------------------

#ifdef __EMSCRIPTEN__
struct WorkerPool::Shared {};
WorkerPool::WorkerPool(std::size_t) {}
WorkerPool::~WorkerPool() = default;
std::size_t WorkerPool::size() const { return 1; }
void WorkerPool::run(std::size_t tasks, const std::function<void(std::size_t)>& task) {
  for (std::size_t i = 0; i < tasks; ++i)
    task(i);
}
#else
struct WorkerPool::Shared {
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(std::size_t)>* task = nullptr;
  std::size_t tasks = 0, next = 0, finished = 0;
  uint64_t generation = 0;
  bool stop = false;
  std::vector<std::thread> threads;

  // Takes tasks of the current generation until none are left. Called with the lock held.
  void drain(std::unique_lock<std::mutex>& lock) {
    while (next < tasks) {
      const std::size_t i = next++;
      lock.unlock();
      (*task)(i);
      lock.lock();
      if (++finished == tasks)
        done.notify_all();
    }
  }
};

WorkerPool::WorkerPool(std::size_t threads) : shared_(std::make_unique<Shared>()) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  Shared* s = shared_.get();
  for (std::size_t t = 1; t < threads; ++t)
    s->threads.emplace_back([s] {
      std::unique_lock<std::mutex> lock(s->mutex);
      uint64_t seen = 0;
      for (;;) {
        s->wake.wait(lock, [&] { return s->stop || s->generation != seen; });
        if (s->stop)
          return;
        seen = s->generation;
        s->drain(lock);
      }
    });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stop = true;
  }
  shared_->wake.notify_all();
  for (auto& t : shared_->threads)
    t.join();
}

std::size_t WorkerPool::size() const { return shared_->threads.size() + 1; }

void WorkerPool::run(std::size_t tasks, const std::function<void(std::size_t)>& task) {
  if (tasks == 0)
    return;
  if (tasks == 1 || shared_->threads.empty()) {
    for (std::size_t i = 0; i < tasks; ++i)
      task(i);
    return;
  }
  Shared& s = *shared_;
  std::unique_lock<std::mutex> lock(s.mutex);
  s.task = &task;
  s.tasks = tasks;
  s.next = 0;
  s.finished = 0;
  ++s.generation;
  s.wake.notify_all();
  s.drain(lock);
  s.done.wait(lock, [&] { return s.finished == s.tasks; });
  s.task = nullptr;
}
#endif

// ---- GEMM -----------------------------------------------------------------------------------

namespace {

// Register tile of the micro-kernel: kRows rows of C by two SIMD batches of columns, 12
// accumulators. Cache blocks: a kDepth-deep slice of A (kBlockRows rows) and of B (kBlockCols
// columns) is packed into contiguous, zero-padded panels.
constexpr std::size_t kRows = 6;
constexpr std::size_t kCols = 2 * kLanes;
constexpr std::size_t kDepth = 256;
constexpr std::size_t kBlockRows = 16 * kRows;
constexpr std::size_t kBlockCols = 256 / kCols * kCols;

template <class P> class Gemm {
public:
  Gemm(const P& p, const MatrixView& A, const MatrixView& B, float* C, std::size_t ldc,
       bool accumulate)
      : p_(p), A_(A), B_(B), C_(C), ldc_(ldc), accumulate_(accumulate) {}

  // Computes the rows [r0, r1) x columns [c0, c1) of C.
  void block(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1) const {
    // Per-thread packing buffers, kept across calls (training calls gemm thousands of times).
    thread_local std::vector<float> a_pack, b_pack;
    a_pack.resize(kBlockRows * kDepth);
    b_pack.resize(kBlockCols * kDepth);
    const std::size_t depth = A_.cols;
    if (depth == 0) {
      if (!accumulate_)
        for (std::size_t r = r0; r < r1; ++r)
          std::fill(C_ + r * ldc_ + c0, C_ + r * ldc_ + c1, 0.0f);
      return;
    }
    for (std::size_t jc = c0; jc < c1; jc += kBlockCols) {
      const std::size_t nc = std::min(kBlockCols, c1 - jc);
      for (std::size_t pc = 0; pc < depth; pc += kDepth) {
        const std::size_t kc = std::min(kDepth, depth - pc);
        pack_b(pc, kc, jc, nc, b_pack.data());
        const bool first = pc == 0 && !accumulate_;
        for (std::size_t ic = r0; ic < r1; ic += kBlockRows) {
          const std::size_t mc = std::min(kBlockRows, r1 - ic);
          pack_a(ic, mc, pc, kc, a_pack.data());
          for (std::size_t j = 0; j < nc; j += kCols)
            for (std::size_t i = 0; i < mc; i += kRows)
              tile(kc, a_pack.data() + i * kc, b_pack.data() + j * kc, ic + i,
                   std::min(kRows, mc - i), jc + j, std::min(kCols, nc - j), first);
        }
      }
    }
  }

private:
  // Panels of kRows rows: panel[p * kRows + r] = A(i + r, pc + p), zero beyond the matrix.
  void pack_a(std::size_t ic, std::size_t mc, std::size_t pc, std::size_t kc, float* out) const {
    for (std::size_t i = 0; i < mc; i += kRows) {
      float* panel = out + i * kc;
      for (std::size_t r = 0; r < kRows; ++r) {
        if (i + r >= mc) {
          for (std::size_t p = 0; p < kc; ++p)
            panel[p * kRows + r] = 0.0f;
          continue;
        }
        const float* src = A_.data + (ic + i + r) * A_.row_stride + pc * A_.col_stride;
        for (std::size_t p = 0; p < kc; ++p)
          panel[p * kRows + r] = p_.operand(src[p * A_.col_stride]);
      }
    }
  }

  // Panels of kCols columns: panel[p * kCols + c] = B(pc + p, j + c), zero beyond the matrix.
  void pack_b(std::size_t pc, std::size_t kc, std::size_t jc, std::size_t nc, float* out) const {
    for (std::size_t j = 0; j < nc; j += kCols) {
      float* panel = out + j * kc;
      for (std::size_t c = 0; c < kCols; ++c) {
        if (j + c >= nc) {
          for (std::size_t p = 0; p < kc; ++p)
            panel[p * kCols + c] = 0.0f;
          continue;
        }
        const float* src = B_.data + pc * B_.row_stride + (jc + j + c) * B_.col_stride;
        for (std::size_t p = 0; p < kc; ++p)
          panel[p * kCols + c] = p_.operand(src[p * B_.row_stride]);
      }
    }
  }

  // C tile (rows x cols at row, col) op= packed A panel * packed B panel over kc steps.
  void tile(std::size_t kc, const float* a, const float* b, std::size_t row, std::size_t rows,
            std::size_t col, std::size_t cols, bool first) const {
    Batch acc[kRows][2];
    alignas(64) float edge[kRows * kCols];
    const bool full = rows == kRows && cols == kCols;
    for (std::size_t r = 0; r < kRows; ++r) {
      if (first) {
        acc[r][0] = acc[r][1] = Batch(0.0f);
      } else if (full) {
        acc[r][0] = Batch::load_unaligned(C_ + (row + r) * ldc_ + col);
        acc[r][1] = Batch::load_unaligned(C_ + (row + r) * ldc_ + col + kLanes);
      } else {
        for (std::size_t c = 0; c < kCols; ++c)
          edge[r * kCols + c] = (r < rows && c < cols) ? C_[(row + r) * ldc_ + col + c] : 0.0f;
        acc[r][0] = Batch::load_aligned(edge + r * kCols);
        acc[r][1] = Batch::load_aligned(edge + r * kCols + kLanes);
      }
    }
    for (std::size_t p = 0; p < kc; ++p) {
      const Batch b0 = Batch::load_unaligned(b + p * kCols);
      const Batch b1 = Batch::load_unaligned(b + p * kCols + kLanes);
      const float* ap = a + p * kRows;
      for (std::size_t r = 0; r < kRows; ++r) {
        const Batch ar(ap[r]);
        acc[r][0] = acc[r][0] + p_.product(ar, b0);
        acc[r][1] = acc[r][1] + p_.product(ar, b1);
      }
    }
    if (full) {
      for (std::size_t r = 0; r < kRows; ++r) {
        acc[r][0].store_unaligned(C_ + (row + r) * ldc_ + col);
        acc[r][1].store_unaligned(C_ + (row + r) * ldc_ + col + kLanes);
      }
      return;
    }
    for (std::size_t r = 0; r < rows; ++r) {
      acc[r][0].store_aligned(edge + r * kCols);
      acc[r][1].store_aligned(edge + r * kCols + kLanes);
      std::copy(edge + r * kCols, edge + r * kCols + cols, C_ + (row + r) * ldc_ + col);
    }
  }

  P p_;
  MatrixView A_, B_;
  float* C_;
  std::size_t ldc_;
  bool accumulate_;
};

// Below this many multiply-adds a second thread costs more than it saves.
constexpr std::size_t kParallelWork = 1 << 16;

} // namespace

void gemm(const MulSpec& spec, const MatrixView& A, const MatrixView& B, float* C, std::size_t ldc,
          bool accumulate, WorkerPool* pool) {
  if (A.cols != B.rows)
    throw std::invalid_argument("gemm: A is " + std::to_string(A.rows) + " x " +
                                std::to_string(A.cols) + " but B is " + std::to_string(B.rows) +
                                " x " + std::to_string(B.cols));
  if (ldc < B.cols)
    throw std::invalid_argument("gemm: ldc " + std::to_string(ldc) + " is below the " +
                                std::to_string(B.cols) + " columns of C");
  const std::size_t m = A.rows, n = B.cols;
  if (m == 0 || n == 0)
    return;
  with_policy(spec, [&](const auto& p) {
    const Gemm<std::decay_t<decltype(p)>> g(p, A, B, C, ldc, accumulate);
    const std::size_t threads = pool ? pool->size() : 1;
    if (threads == 1 || m * n * A.cols < kParallelWork) {
      g.block(0, m, 0, n);
      return;
    }
    // Split C into one slab per thread along its longer side, in whole register tiles.
    const bool by_columns = (n + kCols - 1) / kCols >= (m + kRows - 1) / kRows;
    const std::size_t unit = by_columns ? kCols : kRows, extent = by_columns ? n : m;
    const std::size_t units = (extent + unit - 1) / unit;
    const std::size_t tasks = std::min(threads, units);
    pool->run(tasks, [&](std::size_t t) {
      const std::size_t lo = std::min(extent, units * t / tasks * unit);
      const std::size_t hi = std::min(extent, units * (t + 1) / tasks * unit);
      if (by_columns)
        g.block(0, m, lo, hi);
      else
        g.block(lo, hi, 0, n);
    });
  });
}

// ---- training -------------------------------------------------------------------------------

Mlp init_mlp(const std::vector<std::size_t>& sizes, uint64_t seed) {
  if (sizes.size() < 2)
    throw std::invalid_argument("an MLP needs at least an input and an output size, got " +
                                std::to_string(sizes.size()) + " sizes");
  Rng rng(seed);
  std::vector<LinearParams> layers;
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k) {
    LinearParams l;
    l.in = sizes[k];
    l.out = sizes[k + 1];
    if (l.in == 0 || l.out == 0)
      throw std::invalid_argument("layer sizes must be positive");
    const double bound = 1.0 / std::sqrt(double(l.in));
    l.weight.resize(l.in * l.out);
    l.bias.resize(l.out);
    for (auto& w : l.weight)
      w = float(rng.uniform(-bound, bound));
    for (auto& b : l.bias)
      b = float(rng.uniform(-bound, bound));
    layers.push_back(std::move(l));
  }
  return Mlp(std::move(layers));
}

namespace {

// Adam state for one parameter array, updated as torch.optim.Adam (no weight decay, no amsgrad).
struct AdamSlot {
  std::vector<float> m, v;
  explicit AdamSlot(std::size_t n) : m(n, 0.0f), v(n, 0.0f) {}

  void step(float* param, const float* grad, std::size_t n, const TrainConfig& c, std::size_t t) {
    const double bias1 = 1.0 - std::pow(c.beta1, double(t));
    const double bias2_sqrt = std::sqrt(1.0 - std::pow(c.beta2, double(t)));
    const Batch b1(float(c.beta1)), one_minus_b1(float(1.0 - c.beta1));
    const Batch b2(float(c.beta2)), one_minus_b2(float(1.0 - c.beta2));
    const Batch step_size(float(c.lr / bias1)), inv_bias2(float(1.0 / bias2_sqrt));
    const Batch eps(float(c.eps));
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      const Batch g = Batch::load_unaligned(grad + i);
      const Batch m1 = b1 * Batch::load_unaligned(m.data() + i) + one_minus_b1 * g;
      const Batch v1 = b2 * Batch::load_unaligned(v.data() + i) + one_minus_b2 * (g * g);
      const Batch denom = xsimd::sqrt(v1) * inv_bias2 + eps;
      const Batch p = Batch::load_unaligned(param + i) - step_size * (m1 / denom);
      m1.store_unaligned(m.data() + i);
      v1.store_unaligned(v.data() + i);
      p.store_unaligned(param + i);
    }
    for (; i < n; ++i) {
      m[i] = float(c.beta1) * m[i] + float(1.0 - c.beta1) * grad[i];
      v[i] = float(c.beta2) * v[i] + float(1.0 - c.beta2) * (grad[i] * grad[i]);
      const float denom = std::sqrt(v[i]) * float(1.0 / bias2_sqrt) + float(c.eps);
      param[i] = param[i] - float(c.lr / bias1) * (m[i] / denom);
    }
  }
};

// Softmax cross-entropy of a batch of logits: writes d(mean loss)/d logits into delta and
// returns the summed loss.
double softmax_cross_entropy(const float* logits, const uint8_t* labels, std::size_t rows,
                             std::size_t classes, float* delta) {
  double total = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* z = logits + r * classes;
    float* d = delta + r * classes;
    const float top = *std::max_element(z, z + classes);
    double sum = 0;
    for (std::size_t c = 0; c < classes; ++c)
      sum += std::exp(double(z[c]) - double(top));
    const double log_sum = std::log(sum) + double(top);
    total += log_sum - double(z[labels[r]]);
    for (std::size_t c = 0; c < classes; ++c) {
      const double p = std::exp(double(z[c]) - log_sum);
      d[c] = float((p - (c == labels[r] ? 1.0 : 0.0)) / double(rows));
    }
  }
  return total;
}

// The forward and backward pass of one batch (see train.hpp for the straight-through rule).
// Buffers are sized for `batch` rows and reused across calls.
class Backprop {
public:
  Backprop(const Mlp& mlp, const MulSpec& spec, std::size_t batch)
      : spec_(spec), quantizes_(spec.method != Method::exact) {
    std::size_t widest = 0;
    for (const auto& l : mlp.layers()) {
      Layer s;
      s.activation.resize(batch * l.out);
      s.delta.resize(batch * l.out);
      s.grad_weight.resize(l.weight.size());
      s.grad_bias.resize(l.out);
      if (quantizes_) {
        s.q_weight.resize(l.weight.size());
        s.q_input.resize(batch * l.in);
      }
      layers_.push_back(std::move(s));
      widest = std::max(widest, l.out);
    }
    grad_input_.resize(batch * widest);
  }

  // Inputs x (rows x input_size) and labels -> summed loss; fills the gradients of the mean
  // loss. The logits stay in logits().
  double run(const Mlp& mlp, const float* x, const uint8_t* y, std::size_t rows, WorkerPool* pool) {
    const MulSpec exact{Method::exact, FloatFormat(8, 23), Rounding::nearest};
    const auto& layers = mlp.layers();
    // Forward: Z = q(A_prev) q(W)^T by the forward multiplier, + b, ReLU on hidden layers.
    const float* a_prev = x;
    for (std::size_t k = 0; k < layers.size(); ++k) {
      const LinearParams& l = layers[k];
      Layer& s = layers_[k];
      s.input = a_prev;
      s.q_in = a_prev;
      s.q_w = l.weight.data();
      if (quantizes_) {
        quantize_operands(a_prev, s.q_input.data(), rows * l.in);
        quantize_operands(l.weight.data(), s.q_weight.data(), l.weight.size());
        s.q_in = s.q_input.data();
        s.q_w = s.q_weight.data();
      }
      float* z = s.activation.data();
      const MatrixView A{s.q_in, rows, l.in, l.in, 1};
      const MatrixView Wt{s.q_w, l.in, l.out, 1, l.in};
      gemm(spec_, A, Wt, z, l.out, false, pool);
      const bool hidden = k + 1 < layers.size();
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t o = 0; o < l.out; ++o) {
          const float v = z[r * l.out + o] + l.bias[o];
          z[r * l.out + o] = hidden && !(v > 0.0f) ? 0.0f : v;
        }
      a_prev = z;
    }

    const std::size_t classes = layers.back().out;
    const double loss = softmax_cross_entropy(layers_.back().activation.data(), y, rows, classes,
                                              layers_.back().delta.data());

    // Backward: dW = delta^T q(A_prev), db = column sums of delta, delta_prev = delta q(W)
    // masked by the ReLU of the previous layer; all products exact.
    for (std::size_t k = layers.size(); k-- > 0;) {
      const LinearParams& l = layers[k];
      Layer& s = layers_[k];
      const MatrixView delta{s.delta.data(), rows, l.out, l.out, 1};
      gemm(exact, delta.transposed(), MatrixView{s.q_in, rows, l.in, l.in, 1}, s.grad_weight.data(),
           l.in, false, pool);
      std::fill(s.grad_bias.begin(), s.grad_bias.end(), 0.0f);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t o = 0; o < l.out; ++o)
          s.grad_bias[o] += s.delta[r * l.out + o];
      if (k == 0)
        break;
      gemm(exact, delta, MatrixView{s.q_w, l.out, l.in, l.in, 1}, grad_input_.data(), l.in, false,
           pool);
      float* prev_delta = layers_[k - 1].delta.data();
      const float* a = s.input;
      for (std::size_t i = 0; i < rows * l.in; ++i)
        prev_delta[i] = a[i] > 0.0f ? grad_input_[i] : 0.0f;
    }
    return loss;
  }

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

  void quantize_operands(const float* in, float* out, std::size_t n) const {
    with_policy(spec_, [&](const auto& p) {
      std::size_t i = 0;
      for (; i + kLanes <= n; i += kLanes)
        p.operand(Batch::load_unaligned(in + i)).store_unaligned(out + i);
      for (; i < n; ++i)
        out[i] = p.operand(in[i]);
    });
  }

  MulSpec spec_;
  bool quantizes_;
  std::vector<Layer> layers_;
  std::vector<float> grad_input_;
};

void check_labels(const uint8_t* labels, std::size_t n, std::size_t classes, const char* who) {
  for (std::size_t k = 0; k < n; ++k)
    if (labels[k] >= classes)
      throw std::invalid_argument(std::string(who) + ": label " + std::to_string(k) + " is " +
                                  std::to_string(labels[k]) + " but the model has " +
                                  std::to_string(classes) + " outputs");
}

} // namespace

BatchGradients batch_gradients(const Mlp& mlp, const MulSpec& forward, const float* X,
                               const uint8_t* labels, std::size_t rows, WorkerPool* pool) {
  if (mlp.layers().empty())
    throw std::invalid_argument("batch_gradients: the MLP has no layers");
  if (rows == 0)
    throw std::invalid_argument("batch_gradients: empty batch");
  const std::size_t classes = mlp.output_size();
  check_labels(labels, rows, classes, "batch_gradients");
  Backprop bp(mlp, forward, rows);
  BatchGradients g;
  g.loss = bp.run(mlp, X, labels, rows, pool);
  g.logits.assign(bp.logits(), bp.logits() + rows * classes);
  for (std::size_t k = 0; k < mlp.layers().size(); ++k) {
    g.weight.push_back(bp.grad_weight(k));
    g.bias.push_back(bp.grad_bias(k));
  }
  return g;
}

Mlp round_weights(const Mlp& mlp, const MulSpec& spec) {
  std::vector<LinearParams> layers = mlp.layers();
  with_policy(spec, [&](const auto& p) {
    for (auto& l : layers)
      for (auto& w : l.weight)
        w = p.operand(w);
  });
  return Mlp(std::move(layers));
}

std::string fingerprint(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes)
    h = (h ^ b) * 0x100000001b3ull;
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

TrainResult train_mlp(Mlp& mlp, const uint8_t* images, const uint8_t* labels, std::size_t n,
                      const TrainConfig& config,
                      const std::function<bool(const TrainProgress&)>& progress) {
  auto& layers = mlp.mutable_layers();
  if (layers.empty())
    throw std::invalid_argument("train_mlp: the MLP has no layers");
  if (n == 0)
    throw std::invalid_argument("train_mlp: no training images");
  if (config.batch == 0)
    throw std::invalid_argument("train_mlp: batch size must be at least 1");
  if (!(config.lr > 0) || !std::isfinite(config.lr))
    throw std::invalid_argument("train_mlp: learning rate must be positive and finite");
  const std::size_t in = mlp.input_size();
  check_labels(labels, n, mlp.output_size(), "train_mlp");

  const auto start = std::chrono::steady_clock::now();
  WorkerPool pool(config.threads);
  const std::size_t batch = std::min(config.batch, n);
  const std::size_t batches = (n + batch - 1) / batch;

  Backprop backprop(mlp, config.forward, batch);
  std::vector<AdamSlot> adam_weight, adam_bias;
  for (const auto& l : layers) {
    adam_weight.emplace_back(l.weight.size());
    adam_bias.emplace_back(l.out);
  }
  std::vector<float> x(batch * in);
  std::vector<uint8_t> y(batch);
  float pixel[256];
  for (int p = 0; p < 256; ++p)
    pixel[p] = pixel_to_input(uint8_t(p));

  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  Rng shuffle_rng(config.seed ^ 0x53485546464c45ull); // "SHUFFLE": a stream apart from init
  TrainResult result;
  std::size_t step = 0, images_done = 0;

  for (std::size_t epoch = 1; epoch <= config.epochs; ++epoch) {
    shuffle_rng.shuffle(order.data(), n);
    double loss_sum = 0;
    std::size_t epoch_images = 0;
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t first = b * batch, rows = std::min(batch, n - first);
      for (std::size_t r = 0; r < rows; ++r) {
        const uint8_t* img = images + std::size_t(order[first + r]) * in;
        for (std::size_t i = 0; i < in; ++i)
          x[r * in + i] = pixel[img[i]];
        y[r] = labels[order[first + r]];
      }

      const double batch_loss = backprop.run(mlp, x.data(), y.data(), rows, &pool);
      if (!std::isfinite(batch_loss))
        throw std::runtime_error("training diverged: the loss is not finite at epoch " +
                                 std::to_string(epoch) + ", batch " + std::to_string(b + 1) +
                                 " (try a smaller learning rate)");
      loss_sum += batch_loss;
      epoch_images += rows;

      ++step;
      for (std::size_t k = 0; k < layers.size(); ++k) {
        adam_weight[k].step(layers[k].weight.data(), backprop.grad_weight(k).data(),
                            layers[k].weight.size(), config, step);
        adam_bias[k].step(layers[k].bias.data(), backprop.grad_bias(k).data(), layers[k].out,
                          config, step);
      }
      images_done += rows;

      const bool epoch_done = b + 1 == batches;
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (epoch_done)
        result.epoch_loss.push_back(loss_sum / double(epoch_images));
      if (progress) {
        TrainProgress p;
        p.epoch = epoch;
        p.epochs = config.epochs;
        p.batch = b + 1;
        p.batches = batches;
        p.images = images_done;
        p.images_total = n * config.epochs;
        p.epoch_loss = loss_sum / double(epoch_images);
        p.seconds = seconds;
        p.epoch_done = epoch_done;
        if (!progress(p)) {
          result.cancelled = true;
          result.seconds = seconds;
          return result;
        }
      }
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

} // namespace lmul
