#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "helpers.hpp"
#include "lmul/idx.hpp"
#include "lmul/random.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/train.hpp"

using namespace lmul;
using testing::same;

namespace {
const MulSpec kExact{Method::exact, FloatFormat(8, 23), Rounding::nearest};

std::vector<float> random_matrix(std::size_t n, Rng& rng) {
  std::vector<float> v(n);
  for (auto& x : v)
    x = rng.uniform() < 0.2 ? 0.0f : float(rng.normal());
  return v;
}

// C(i, j) = sum over k in increasing order, starting from `start`, products by the scalar
// reference multiplier: the order gemm() promises.
std::vector<float> reference_gemm(const MulSpec& spec, const MatrixView& A, const MatrixView& B,
                                  const std::vector<float>& start) {
  std::vector<float> C(A.rows * B.cols);
  for (std::size_t i = 0; i < A.rows; ++i)
    for (std::size_t j = 0; j < B.cols; ++j) {
      float acc = start.empty() ? 0.0f : start[i * B.cols + j];
      for (std::size_t k = 0; k < A.cols; ++k)
        acc += multiply(A.data[i * A.row_stride + k * A.col_stride],
                        B.data[k * B.row_stride + j * B.col_stride], spec);
      C[i * B.cols + j] = acc;
    }
  return C;
}

// Images whose label is encoded in which block of pixels is bright, plus noise.
void synthetic_data(std::size_t n, std::size_t in, Rng& rng, std::vector<uint8_t>& images,
                    std::vector<uint8_t>& labels) {
  images.assign(n * in, 0);
  labels.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    labels[k] = uint8_t(rng.below(3));
    for (std::size_t i = 0; i < in; ++i)
      images[k * in + i] =
          uint8_t(i / (in / 3) == labels[k] ? 150 + rng.below(100) : rng.below(60));
  }
}

// The seed recipe written out naively in double: forward, softmax cross-entropy (mean),
// backward, torch.optim.Adam. One full-batch step per call.
struct ReferenceTrainer {
  std::vector<std::vector<double>> W, b, mW, vW, mb, vb;
  std::vector<std::size_t> sizes;
  std::size_t t = 0;

  explicit ReferenceTrainer(const Mlp& mlp) : sizes(mlp.sizes()) {
    for (const auto& l : mlp.layers()) {
      W.emplace_back(l.weight.begin(), l.weight.end());
      b.emplace_back(l.bias.begin(), l.bias.end());
      mW.emplace_back(l.weight.size(), 0.0);
      vW.emplace_back(l.weight.size(), 0.0);
      mb.emplace_back(l.out, 0.0);
      vb.emplace_back(l.out, 0.0);
    }
  }

  void step(const std::vector<std::vector<double>>& X, const std::vector<uint8_t>& y) {
    const std::size_t L = W.size(), n = X.size();
    std::vector<std::vector<double>> gW(L), gb(L);
    for (std::size_t k = 0; k < L; ++k) {
      gW[k].assign(W[k].size(), 0.0);
      gb[k].assign(b[k].size(), 0.0);
    }
    for (std::size_t r = 0; r < n; ++r) {
      std::vector<std::vector<double>> act{X[r]};
      for (std::size_t k = 0; k < L; ++k) {
        const std::size_t in = sizes[k], out = sizes[k + 1];
        std::vector<double> z(out);
        for (std::size_t o = 0; o < out; ++o) {
          z[o] = b[k][o];
          for (std::size_t i = 0; i < in; ++i)
            z[o] += W[k][o * in + i] * act[k][i];
          if (k + 1 < L)
            z[o] = std::max(z[o], 0.0);
        }
        act.push_back(z);
      }
      std::vector<double> delta = act[L];
      double top = *std::max_element(delta.begin(), delta.end()), sum = 0;
      for (double v : delta)
        sum += std::exp(v - top);
      for (std::size_t c = 0; c < delta.size(); ++c)
        delta[c] = (std::exp(delta[c] - top) / sum - (c == y[r] ? 1.0 : 0.0)) / double(n);
      for (std::size_t k = L; k-- > 0;) {
        const std::size_t in = sizes[k], out = sizes[k + 1];
        std::vector<double> prev(in, 0.0);
        for (std::size_t o = 0; o < out; ++o) {
          gb[k][o] += delta[o];
          for (std::size_t i = 0; i < in; ++i) {
            gW[k][o * in + i] += delta[o] * act[k][i];
            prev[i] += delta[o] * W[k][o * in + i];
          }
        }
        for (std::size_t i = 0; i < in; ++i)
          prev[i] = act[k][i] > 0 ? prev[i] : 0.0;
        delta = prev;
      }
    }
    ++t;
    for (std::size_t k = 0; k < L; ++k) {
      adam(W[k], gW[k], mW[k], vW[k]);
      adam(b[k], gb[k], mb[k], vb[k]);
    }
  }

  void adam(std::vector<double>& p, const std::vector<double>& g, std::vector<double>& m,
            std::vector<double>& v) const {
    for (std::size_t i = 0; i < p.size(); ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const double mhat = m[i] / (1 - std::pow(0.9, double(t)));
      const double vhat = v[i] / (1 - std::pow(0.999, double(t)));
      p[i] -= 1e-3 * mhat / (std::sqrt(vhat) + 1e-8);
    }
  }
};

} // namespace

TEST_SUITE("train") {

  TEST_CASE("gemm equals the sequential-sum reference bit for bit, any shape, view and pool") {
    Rng rng(1);
    WorkerPool pool(2);
    const std::size_t shapes[][3] = {{1, 1, 1},   {5, 7, 3},      {6, 16, 256}, {13, 33, 257},
                                     {97, 10, 9}, {128, 40, 600}, {7, 300, 20}, {3, 5, 0}};
    for (const auto& s : shapes) {
      const std::size_t m = s[0], n = s[1], k = s[2];
      const auto a = random_matrix(m * k, rng), bt = random_matrix(n * k, rng);
      const auto c0 = random_matrix(m * n, rng);
      // A row-major; B given transposed (like W^T of a weight matrix [n][k]).
      const MatrixView A{a.data(), m, k, k, 1};
      const MatrixView B{bt.data(), k, n, 1, k};
      for (const MulSpec& spec :
           {kExact, MulSpec{Method::lmul, FloatFormat(8, 3), Rounding::nearest},
            MulSpec{Method::floating, FloatFormat(4, 3), Rounding::truncate}}) {
        const auto want = reference_gemm(spec, A, B, {});
        const auto want_acc = reference_gemm(spec, A, B, c0);
        for (WorkerPool* p : {static_cast<WorkerPool*>(nullptr), &pool}) {
          std::vector<float> C(m * (n + 3), -7.0f);
          gemm(spec, A, B, C.data(), n + 3, false, p);
          for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t j = 0; j < n; ++j)
              REQUIRE_MESSAGE(same(C[i * (n + 3) + j], want[i * n + j]),
                              spec.describe() << " " << m << "x" << n << "x" << k);
            for (std::size_t j = n; j < n + 3; ++j)
              REQUIRE(C[i * (n + 3) + j] == -7.0f); // beyond ldc's columns untouched
          }
          std::vector<float> D = c0;
          gemm(spec, A, B, D.data(), n, true, p);
          for (std::size_t i = 0; i < m * n; ++i)
            REQUIRE(same(D[i], want_acc[i]));
        }
      }
      // The transposed view of the transposed view is the original.
      const MatrixView Att = A.transposed().transposed();
      CHECK(Att.row_stride == A.row_stride);
      CHECK(Att.col_stride == A.col_stride);
    }
    std::vector<float> C(4);
    CHECK_THROWS_WITH_AS(gemm(kExact, MatrixView{C.data(), 2, 2, 2, 1},
                              MatrixView{C.data(), 3, 1, 1, 1}, C.data(), 1, false, nullptr),
                         "gemm: A is 2 x 2 but B is 3 x 1", std::invalid_argument);
  }

  TEST_CASE("WorkerPool runs every task exactly once, repeatedly") {
    WorkerPool pool(2);
    for (int round = 0; round < 50; ++round) {
      std::vector<int> hits(17, 0);
      pool.run(17, [&](std::size_t i) { ++hits[i]; });
      for (int h : hits)
        REQUIRE(h == 1);
    }
    pool.run(0, [](std::size_t) { FAIL("no task expected"); });
  }

  TEST_CASE("init_mlp is PyTorch's default nn.Linear init, reproducible per seed") {
    const Mlp a = init_mlp({784, 128, 10}, 7), b = init_mlp({784, 128, 10}, 7);
    const Mlp c = init_mlp({784, 128, 10}, 8);
    CHECK(a.sizes() == std::vector<std::size_t>{784, 128, 10});
    CHECK(testing::same_bits(a, b));
    CHECK(!testing::same_bits(a, c));
    for (const auto& l : a.layers()) {
      const float bound = float(1.0 / std::sqrt(double(l.in)));
      double sum_sq = 0;
      float lo = 1, hi = -1;
      for (float w : l.weight) {
        lo = std::min(lo, w);
        hi = std::max(hi, w);
        sum_sq += double(w) * w;
      }
      CHECK(lo >= -bound);
      CHECK(hi <= bound);
      CHECK(lo < -0.95f * bound);
      CHECK(hi > 0.95f * bound);
      // Uniform(-u, u) has variance u^2 / 3.
      CHECK(sum_sq / double(l.weight.size()) == doctest::Approx(bound * bound / 3.0).epsilon(0.05));
      for (float v : l.bias)
        CHECK(std::fabs(v) <= bound);
    }
    CHECK_THROWS_AS(init_mlp({784}, 0), std::invalid_argument);
    CHECK_THROWS_AS(init_mlp({784, 0, 10}, 0), std::invalid_argument);
  }

  TEST_CASE("three full-batch steps match a naive double-precision reference of the recipe") {
    Rng rng(3);
    std::vector<uint8_t> images, labels;
    const std::size_t n = 12, in = 30;
    synthetic_data(n, in, rng, images, labels);
    Mlp mlp = init_mlp({in, 9, 7, 3}, 4);
    ReferenceTrainer ref(mlp);
    std::vector<std::vector<double>> X(n, std::vector<double>(in));
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t i = 0; i < in; ++i)
        X[r][i] = pixel_to_input(images[r * in + i]);
    for (int s = 0; s < 3; ++s)
      ref.step(X, labels);

    TrainConfig config;
    config.epochs = 3;
    config.batch = n; // one batch per epoch: the shuffle only reorders the sums
    const TrainResult result = train_mlp(mlp, images.data(), labels.data(), n, config);
    CHECK(result.epoch_loss.size() == 3);
    CHECK(result.epoch_loss[2] < result.epoch_loss[0]);
    double worst = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      const auto& l = mlp.layers()[k];
      for (std::size_t i = 0; i < l.weight.size(); ++i)
        worst = std::max(worst, std::fabs(l.weight[i] - ref.W[k][i]));
      for (std::size_t i = 0; i < l.out; ++i)
        worst = std::max(worst, std::fabs(l.bias[i] - ref.b[k][i]));
    }
    // Each Adam step moves a parameter by up to lr = 1e-3; fp32 rounding is far below that.
    CHECK(worst < 2e-6);
  }

  TEST_CASE("training is deterministic per seed and independent of the thread count") {
    Rng rng(5);
    std::vector<uint8_t> images, labels;
    synthetic_data(300, 60, rng, images, labels);
    auto run = [&](uint64_t seed, std::size_t threads) {
      Mlp mlp = init_mlp({60, 32, 3}, seed);
      TrainConfig config;
      config.epochs = 2;
      config.batch = 32;
      config.seed = seed;
      config.threads = threads;
      train_mlp(mlp, images.data(), labels.data(), 300, config);
      return mlp;
    };
    const Mlp a = run(1, 2), b = run(1, 2), c = run(1, 1), d = run(2, 2);
    CHECK(testing::same_bits(a, b));
    CHECK(testing::same_bits(a, c));
    CHECK(!testing::same_bits(a, d));
    CHECK(save_mlp(a) == save_mlp(b));
  }

  TEST_CASE("progress reports every batch, the epoch ends, and can cancel") {
    Rng rng(6);
    std::vector<uint8_t> images, labels;
    synthetic_data(100, 30, rng, images, labels);
    Mlp mlp = init_mlp({30, 8, 3}, 0);
    TrainConfig config;
    config.epochs = 2;
    config.batch = 32; // 4 batches per epoch, the last of 4 images
    std::vector<TrainProgress> seen;
    const TrainResult full =
        train_mlp(mlp, images.data(), labels.data(), 100, config, [&](const TrainProgress& p) {
          seen.push_back(p);
          return true;
        });
    REQUIRE(seen.size() == 8);
    CHECK(seen[3].epoch_done);
    CHECK(!seen[2].epoch_done);
    CHECK(seen[3].batches == 4);
    CHECK(seen[3].images == 100);
    CHECK(seen[7].images == 200);
    CHECK(seen[7].images_total == 200);
    CHECK(seen[7].epoch == 2);
    CHECK(full.epoch_loss.size() == 2);
    CHECK(!full.cancelled);

    std::size_t calls = 0;
    const TrainResult cut = train_mlp(mlp, images.data(), labels.data(), 100, config,
                                      [&](const TrainProgress&) { return ++calls < 3; });
    CHECK(cut.cancelled);
    CHECK(calls == 3);
    CHECK(cut.epoch_loss.empty());
  }

  TEST_CASE("bad arguments are named") {
    std::vector<uint8_t> images(4 * 10, 0), labels{0, 1, 2, 5};
    Mlp mlp = init_mlp({10, 4, 3}, 0);
    TrainConfig config;
    CHECK_THROWS_WITH_AS(train_mlp(mlp, images.data(), labels.data(), 4, config),
                         "train_mlp: label 3 is 5 but the model has 3 outputs",
                         std::invalid_argument);
    labels[3] = 0;
    config.batch = 0;
    CHECK_THROWS_WITH_AS(train_mlp(mlp, images.data(), labels.data(), 4, config),
                         doctest::Contains("batch size"), std::invalid_argument);
    config.batch = 2;
    CHECK_THROWS_WITH_AS(train_mlp(mlp, images.data(), labels.data(), 0, config),
                         doctest::Contains("no training images"), std::invalid_argument);
    config.lr = 1e30;
    std::fill(images.begin(), images.end(), uint8_t(255));
    CHECK_THROWS_WITH_AS(train_mlp(mlp, images.data(), labels.data(), 4, config),
                         doctest::Contains("training diverged"), std::runtime_error);
  }

#ifdef LMUL_SOURCE_DIR
  TEST_CASE("one epoch on 2000 MNIST images reaches > 85 % test accuracy") {
    const std::string dir = std::string(LMUL_MNIST_DIR);
    const MnistSet train = load_mnist(dir, true), test = load_mnist(dir, false);
    // 250 Adam steps: batch 8, else the seed recipe.
    TrainConfig config;
    config.epochs = 1;
    config.batch = 8;
    config.seed = 1;
    Mlp mlp = init_mlp({784, 128, 10}, config.seed);
    train_mlp(mlp, train.images.pixels.data(), train.labels.data(), 2000, config);
    const MlpInference net(mlp, kExact);
    const EvalResult r =
        evaluate(net, test.images.pixels.data(), test.labels.data(), test.images.count);
    CHECK(r.accuracy > 0.85);
  }
#endif
}
