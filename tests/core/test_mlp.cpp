#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "helpers.hpp"
#include "lmul/kernels_scalar.hpp"
#include "lmul/mlp.hpp"
#include "lmul/predict.hpp"
#include "lmul/random.hpp"

using namespace lmul;
using testing::same;

namespace {
LinearParams random_layer(std::size_t in, std::size_t out, Rng& rng) {
  LinearParams l;
  l.in = in;
  l.out = out;
  const double bound = 1.0 / std::sqrt(double(in));
  for (std::size_t k = 0; k < in * out; ++k)
    l.weight.push_back(float(rng.uniform(-bound, bound)));
  for (std::size_t k = 0; k < out; ++k)
    l.bias.push_back(float(rng.uniform(-bound, bound)));
  return l;
}

Mlp random_mlp(const std::vector<std::size_t>& sizes, uint64_t seed) {
  Rng rng(seed);
  std::vector<LinearParams> layers;
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k)
    layers.push_back(random_layer(sizes[k], sizes[k + 1], rng));
  return Mlp(std::move(layers));
}

// Inputs like MNIST pixels: mostly zeros, the rest in (0, 1].
std::vector<float> sparse_input(std::size_t n, Rng& rng) {
  std::vector<float> x(n);
  for (auto& v : x)
    v = rng.uniform() < 0.6 ? 0.0f : pixel_to_input(uint8_t(1 + rng.below(255)));
  return x;
}

// The scalar reference forward pass: scalar dense layers, ReLU between them.
std::vector<float> reference_logits(const Mlp& mlp, const MulSpec& spec, std::vector<float> x) {
  return with_policy(spec, [&](const auto& p) {
    for (std::size_t k = 0; k < mlp.layers().size(); ++k) {
      const LinearParams& l = mlp.layers()[k];
      std::vector<float> y(l.out);
      scalar::dense(p, l.weight.data(), l.bias.data(), l.in, l.out, x.data(), y.data());
      if (k + 1 < mlp.layers().size())
        for (auto& v : y)
          v = std::max(v, 0.0f);
      x = y;
    }
    return x;
  });
}

std::vector<MulSpec> specs() {
  std::vector<MulSpec> s;
  for (Method m : testing::kAllMethods)
    for (auto [E, M] : {std::pair{8, 7}, {8, 2}, {4, 3}, {5, 2}})
      for (Rounding r : testing::kRoundings)
        s.push_back(MulSpec{m, FloatFormat(E, M), r});
  return s;
}
} // namespace

TEST_SUITE("mlp") {

  TEST_CASE("Mlp rejects malformed layers with a message naming the layer") {
    Rng rng(1);
    const LinearParams a = random_layer(6, 4, rng), b = random_layer(4, 3, rng);
    CHECK_THROWS_WITH_AS(Mlp(std::vector<LinearParams>{}), doctest::Contains("at least one layer"),
                         std::invalid_argument);
    CHECK_NOTHROW(Mlp({a, b}));

    LinearParams short_weight = a;
    short_weight.weight.pop_back();
    CHECK_THROWS_WITH_AS(Mlp({short_weight, b}), doctest::Contains("layer 1 weight has 23 values"),
                         std::invalid_argument);
    LinearParams long_bias = b;
    long_bias.bias.push_back(0.0f);
    CHECK_THROWS_WITH_AS(Mlp({a, long_bias}), doctest::Contains("layer 2 bias has 4 values"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(Mlp({a, a}),
                         doctest::Contains("layer 2 takes 6 inputs but layer 1 has 4 outputs"),
                         std::invalid_argument);
    LinearParams empty = a;
    empty.in = 0;
    empty.weight.clear();
    CHECK_THROWS_WITH_AS(Mlp({empty}), doctest::Contains("zero size"), std::invalid_argument);
    LinearParams nan_weight = a;
    nan_weight.weight[5] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH_AS(Mlp({nan_weight, b}), doctest::Contains("layer 1 weight has a non-finite"),
                         std::invalid_argument);
    LinearParams inf_bias = b;
    inf_bias.bias[2] = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS(Mlp({a, inf_bias}), doctest::Contains("index 2"), std::invalid_argument);
  }

  TEST_CASE("sizes describe the chain") {
    const Mlp mlp = random_mlp({7, 5, 4, 3}, 2);
    CHECK(mlp.sizes() == std::vector<std::size_t>{7, 5, 4, 3});
    CHECK(mlp.input_size() == 7);
    CHECK(mlp.output_size() == 3);
    CHECK(Mlp().sizes().empty());
  }

  TEST_CASE("logits equal the scalar reference bit for bit, for every method") {
    const Mlp mlp = random_mlp({37, 19, 12, 10}, 3);
    Rng rng(4);
    for (int trial = 0; trial < 5; ++trial) {
      const auto x = sparse_input(37, rng);
      for (const MulSpec& s : specs()) {
        const MlpInference net(mlp, s);
        std::vector<float> got(10);
        net.logits(x.data(), got.data());
        const auto want = reference_logits(mlp, s, x);
        for (std::size_t o = 0; o < 10; ++o)
          REQUIRE_MESSAGE(same(got[o], want[o]), s.describe() << " output " << o);
      }
    }
  }

  TEST_CASE("logits_batch equals logits row by row") {
    const Mlp mlp = random_mlp({30, 16, 10}, 5);
    Rng rng(6);
    std::vector<float> X;
    for (int r = 0; r < 7; ++r) {
      const auto x = sparse_input(30, rng);
      X.insert(X.end(), x.begin(), x.end());
    }
    const MlpInference net(mlp, MulSpec{Method::lmul, FloatFormat(8, 3), Rounding::nearest});
    std::vector<float> batch(70), row(10);
    net.logits_batch(X.data(), 7, batch.data());
    for (std::size_t r = 0; r < 7; ++r) {
      net.logits(X.data() + r * 30, row.data());
      for (std::size_t o = 0; o < 10; ++o)
        REQUIRE(same(batch[r * 10 + o], row[o]));
    }
  }

  TEST_CASE("logits_traced records every layer's output and every product of the pass") {
    const Mlp mlp = random_mlp({40, 24, 10}, 7);
    Rng rng(8);
    const auto x = sparse_input(40, rng);
    for (const MulSpec& s : specs()) {
      const MlpInference net(mlp, s);
      ForwardTrace trace;
      std::vector<float> logits(10), plain(10);
      net.logits_traced(x.data(), logits.data(), trace, true);
      net.logits(x.data(), plain.data());
      for (std::size_t o = 0; o < 10; ++o)
        REQUIRE(same(logits[o], plain[o]));
      REQUIRE(trace.layers.size() == 2);

      // Reference: scalar products over the network's own activations, same visiting order.
      std::vector<float> act = x;
      for (std::size_t k = 0; k < mlp.layers().size(); ++k) {
        const LinearParams& l = mlp.layers()[k];
        ErrorAccumulator want(true);
        for (std::size_t i = 0; i < l.in; ++i)
          for (std::size_t o = 0; o < l.out; ++o) {
            const float w = l.weight[o * l.in + i];
            if (act[i] == 0.0f)
              want.add_zeros(1);
            else
              want.add(multiply(w, act[i], s), w * act[i]);
          }
        std::vector<float> y(l.out);
        dense_forward(s, l.weight.data(), l.bias.data(), l.in, l.out, act.data(), 1, y.data());
        CAPTURE(s.describe());
        CAPTURE(k);
        REQUIRE(trace.layers[k].output.size() == l.out);
        for (std::size_t o = 0; o < l.out; ++o)
          REQUIRE(same(trace.layers[k].output[o], y[o])); // before the ReLU
        const ErrorStats g = trace.layers[k].products.finish(), w = want.finish();
        CHECK(g.count + g.zeros + g.nonfinite == l.in * l.out);
        CHECK(g.count == w.count);
        CHECK(g.zeros == w.zeros);
        CHECK(g.mean == w.mean);
        CHECK(g.median == w.median);
        CHECK(g.max == w.max);
        CHECK(g.bias == w.bias);
        CHECK(g.histogram.counts == w.histogram.counts);
        if (s.method == Method::exact)
          CHECK(g.max == 0.0);
        if (k + 1 < mlp.layers().size())
          for (auto& v : y)
            v = std::max(v, 0.0f);
        act = y;
      }
    }
  }

  TEST_CASE("a plan gives each layer its own multiplier") {
    const Mlp mlp = random_mlp({30, 20, 16, 10}, 21);
    Rng rng(22);
    const auto x = sparse_input(30, rng);
    const MulSpec exact{Method::exact, FloatFormat(8, 23), Rounding::nearest};
    const MulSpec lmul2{Method::lmul, FloatFormat(8, 2), Rounding::nearest};
    const MulSpec fp8{Method::floating, FloatFormat(4, 3), Rounding::truncate};
    MulPlan plan(lmul2);
    plan.layers[1] = fp8;
    plan.layers[2] = exact;
    const MlpInference net(mlp, plan);
    CHECK(net.layer(0).spec() == lmul2);
    CHECK(net.layer(1).spec() == fp8);
    CHECK(net.layer(2).spec() == exact);
    // The same network composed by hand from single-multiplier layers.
    std::vector<float> act = x;
    const MulSpec per_layer[] = {lmul2, fp8, exact};
    for (std::size_t k = 0; k < 3; ++k) {
      const LinearParams& l = mlp.layers()[k];
      std::vector<float> y(l.out);
      dense_forward(per_layer[k], l.weight.data(), l.bias.data(), l.in, l.out, act.data(), 1,
                    y.data());
      if (k < 2)
        for (auto& v : y)
          v = std::max(v, 0.0f);
      act = y;
    }
    std::vector<float> logits(10);
    net.logits(x.data(), logits.data());
    for (std::size_t o = 0; o < 10; ++o)
      CHECK(same(logits[o], act[o]));
    // The attention entry does not matter to an MLP.
    plan.attention = fp8;
    std::vector<float> again(10);
    MlpInference(mlp, plan).logits(x.data(), again.data());
    CHECK(again == logits);

    MulPlan bad(lmul2);
    bad.layers[3] = exact;
    CHECK_THROWS_WITH_AS(MlpInference(mlp, bad),
                         "plan: there is no layer 3; this network's layers are 0..2",
                         std::invalid_argument);
    const std::vector<LayerInfo> layers = mlp.describe();
    REQUIRE(layers.size() == 3);
    CHECK(layers[0].name == "fc1");
    CHECK(layers[2].name == "fc3");
    CHECK(layers[1].products == 20 * 16);
    CHECK(layers[1].kind == ProductKind::linear);
  }

  TEST_CASE("an overflowing forward pass is not a prediction: predict and evaluate say so") {
    // Finite weights: the first layer's sums reach inf (3e38 + 3e38 in fp32), the second layer
    // adds +inf and -inf: NaN logits (NUMERICS.md section 3). Before, argmax of all-NaN logits
    // said 0, and evaluate counted such passes as correct for label 0.
    LinearParams l1{2, 2, {3e38f, 3e38f, 3e38f, 3e38f}, {0, 0}};
    LinearParams l2{2, 3, {1, -1, -1, 1, 1, -1}, {0, 0, 0}};
    const Mlp mlp({l1, l2});
    for (const MulSpec& s : {MulSpec{Method::exact, FloatFormat(8, 23), Rounding::nearest},
                             MulSpec{Method::lmul, FloatFormat(8, 7), Rounding::nearest},
                             MulSpec{Method::floating, FloatFormat(8, 3), Rounding::nearest}}) {
      CAPTURE(s.describe());
      const MlpInference net(mlp, s);
      const float x[2] = {1.0f, 1.0f};
      float logits[3];
      net.logits(x, logits);
      CHECK(std::isnan(logits[0]));
      CHECK(std::isnan(logits[1]));
      CHECK(std::isnan(logits[2]));
      CHECK(predicted_class(logits, 3) == -1);

      const Prediction p = predict(mlp.describe(), net, nullptr, x, 3, PredictOptions{false});
      CHECK(p.digit == -1);
      CHECK(p.nonfinite_layer == 0); // the first layer's outputs are already inf
      CHECK(p.nonfinite_logits == std::vector<int>{0, 1, 2});

      // evaluate: a non-finite pass is wrong even where NaN logits would have "won" digit 0.
      const uint8_t images[4] = {255, 255, 0, 0};
      const uint8_t labels[2] = {0, 0};
      const EvalResult r = evaluate(net, images, labels, 2);
      CHECK(r.nonfinite == 1);
      CHECK(r.correct == 1); // only the blank image (all-zero logits: digit 0)
      CHECK(r.predictions[0] == kNonFinitePrediction);
      CHECK(r.predictions[1] == 0);
    }
  }

  TEST_CASE("softmax is normalized and stable; argmax takes the first maximum") {
    const float big[3] = {1000.0f, 0.0f, 999.0f};
    float p[3];
    softmax(big, 3, p);
    CHECK(p[0] + p[1] + p[2] == doctest::Approx(1.0));
    CHECK(p[0] == doctest::Approx(1.0 / (1.0 + std::exp(-1.0))));
    CHECK(p[1] == 0.0f);

    const float shifted[3] = {1.0f, 2.0f, 3.0f}, base[3] = {-2.0f, -1.0f, 0.0f};
    float q[3], r[3];
    softmax(shifted, 3, q);
    softmax(base, 3, r);
    for (int i = 0; i < 3; ++i)
      CHECK(q[i] == doctest::Approx(r[i]));

    const float inf = std::numeric_limits<float>::infinity();
    const float with_inf[3] = {inf, 1.0f, inf};
    softmax(with_inf, 3, p);
    CHECK(p[0] == 0.5f);
    CHECK(p[1] == 0.0f);
    const float with_nan[2] = {std::numeric_limits<float>::quiet_NaN(), 1.0f};
    softmax(with_nan, 2, p);
    CHECK(std::isnan(p[0]));
    CHECK(std::isnan(p[1]));

    const float v[5] = {1.0f, 3.0f, -2.0f, 3.0f, 0.0f};
    CHECK(argmax(v, 5) == 1);
    CHECK(argmax(v, 0) == -1);
    const float nan_first[3] = {std::numeric_limits<float>::quiet_NaN(), -5.0f, -7.0f};
    CHECK(argmax(nan_first, 3) == 1);
  }

  TEST_CASE("evaluate counts correct predictions, reports progress and can be cancelled") {
    // One layer that copies pixel k of the first ten to logit k: the prediction is the
    // brightest of the first ten pixels.
    LinearParams l;
    l.in = 16;
    l.out = 10;
    l.weight.assign(160, 0.0f);
    l.bias.assign(10, 0.0f);
    for (std::size_t k = 0; k < 10; ++k)
      l.weight[k * 16 + k] = 1.0f;
    const Mlp mlp({l});
    const std::size_t n = 1000;
    std::vector<uint8_t> images(n * 16, 0), labels(n);
    Rng rng(9);
    for (std::size_t k = 0; k < n; ++k) {
      const auto bright = rng.below(10);
      images[k * 16 + bright] = 200;
      labels[k] = uint8_t(k % 3 == 0 ? (bright + 1) % 10 : bright); // a third are wrong
    }
    const MlpInference net(mlp, MulSpec{Method::exact, FloatFormat(8, 23), Rounding::nearest});
    std::size_t calls = 0, last_done = 0;
    const EvalResult all =
        evaluate(net, images.data(), labels.data(), n, [&](std::size_t done, std::size_t total) {
          CHECK(total == n);
          CHECK(done >= last_done);
          last_done = done;
          ++calls;
          return true;
        });
    CHECK(all.total == n);
    CHECK(all.correct == n - (n + 2) / 3);
    CHECK(all.accuracy == doctest::Approx(double(all.correct) / n));
    CHECK(all.predictions.size() == n);
    CHECK(last_done == n);
    CHECK(calls >= 2);
    for (std::size_t k = 0; k < n; ++k)
      REQUIRE(images[k * 16 + all.predictions[k]] == 200);

    const EvalResult cut = evaluate(net, images.data(), labels.data(), n,
                                    [](std::size_t done, std::size_t) { return done < 500; });
    CHECK(cut.total == 500);
    CHECK(cut.predictions.size() == 500);
    CHECK(cut.correct == 500 - (500 + 2) / 3);
  }
}
