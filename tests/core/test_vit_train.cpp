// ViT training (vit_train.hpp): the hand-written backward pass against finite differences of
// the same network in double, the training forward pass against inference (bit for bit, any
// plan, any thread count), determinism, and the loop.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "helpers.hpp"
#include "lmul/vit_train.hpp"
#include "vit_reference.hpp"

using namespace lmul;
using testing::same;

namespace {
// 4x4 images of 2x2 patches: 4 patches, 5 tokens; 2 heads of 2; 2 blocks; 3 classes.
VitConfig tiny_config(Activation activation) {
  VitConfig c;
  c.image = 4;
  c.patch = 2;
  c.width = 4;
  c.heads = 2;
  c.depth = 2;
  c.mlp_hidden = 6;
  c.classes = 3;
  c.activation = activation;
  return c;
}

Vit random_vit(const VitConfig& c, uint64_t seed, float spread) {
  Vit vit(c);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for_each_tensor(vit, [&](const std::string& name, const std::vector<std::size_t>&,
                           std::vector<float>& v) {
    const bool norm_weight =
        name.find("norm") != std::string::npos && name.compare(name.size() - 6, 6, "weight") == 0;
    for (float& x : v)
      x = (norm_weight ? 1.0f : 0.0f) + spread * normal(rng);
  });
  return vit;
}

std::vector<float> random_inputs(std::size_t n, std::mt19937_64& rng) {
  std::vector<float> x(n);
  for (float& v : x)
    v = rng() % 4 == 0 ? 0.0f : pixel_to_input(uint8_t(rng() % 256));
  return x;
}

// Every parameter tensor of a model, for walking two models side by side.
std::vector<std::pair<std::string, std::vector<float>*>> tensors(Vit& vit) {
  std::vector<std::pair<std::string, std::vector<float>*>> out;
  for_each_tensor(vit, [&](const std::string& name, const std::vector<std::size_t>&,
                           std::vector<float>& v) { out.emplace_back(name, &v); });
  return out;
}

// Central differences of loss() over every parameter of `vit` (perturbed in place, restored)
// against backprop's gradient in g. Returns "" when every parameter is within
// |got - fd| <= 1e-5 + 1e-3 |fd|, else the worst one.
template <class Loss> std::string gradient_check(Vit& vit, const VitGradients& g, Loss loss) {
  Vit gradient = g.gradient;
  auto params = tensors(vit);
  auto grads = tensors(gradient);
  double worst = 1.0;
  std::string where;
  for (std::size_t t = 0; t < params.size(); ++t)
    for (std::size_t i = 0; i < params[t].second->size(); ++i) {
      float& p = (*params[t].second)[i];
      const float saved = p;
      p = saved + 1e-3f;
      const double up = p, loss_up = loss();
      p = saved - 1e-3f;
      const double down = p, loss_down = loss();
      p = saved;
      const double fd = (loss_up - loss_down) / (up - down);
      const double got = (*grads[t].second)[i];
      const double violation = std::abs(got - fd) / (1e-5 + 1e-3 * std::abs(fd));
      if (violation > worst) {
        worst = violation;
        where = params[t].first + "[" + std::to_string(i) + "]: backprop " + std::to_string(got) +
                ", finite differences " + std::to_string(fd);
      }
    }
  return where;
}

// Images whose label is their brightness level, with noise: a task for the whole pipeline
// (patch embedding, attention to the class token, MLP, head) that a tiny model learns in a few
// epochs from any seed.
void synthetic_data(std::size_t n, std::size_t pixels, std::size_t classes, std::mt19937_64& rng,
                    std::vector<uint8_t>& images, std::vector<uint8_t>& labels) {
  images.resize(n * pixels);
  labels.resize(n);
  const unsigned level = 256 / unsigned(classes);
  for (std::size_t k = 0; k < n; ++k) {
    labels[k] = uint8_t(rng() % classes);
    for (std::size_t i = 0; i < pixels; ++i)
      images[k * pixels + i] = uint8_t(labels[k] * level + rng() % level);
  }
}
} // namespace

TEST_SUITE("vit_train") {

  TEST_CASE("backprop equals finite differences of the network in double, every parameter") {
    for (Activation a : {Activation::gelu, Activation::relu}) {
      CAPTURE(to_string(a));
      Vit vit = random_vit(tiny_config(a), a == Activation::gelu ? 31 : 32, 0.5f);
      std::mt19937_64 rng(33);
      const std::vector<float> X = random_inputs(3 * vit.config.pixels(), rng);
      const std::vector<uint8_t> labels = {0, 2, 1};
      const VitGradients g = vit_batch_gradients(vit, exact_plan(), X.data(), labels.data(), 3);
      // The fp32 loss agrees with the double network's.
      CHECK(g.loss / 3 == doctest::Approx(testing::reference_loss(vit, X, labels)).epsilon(1e-5));
      const std::string worst =
          gradient_check(vit, g, [&] { return testing::reference_loss(vit, X, labels); });
      CHECK_MESSAGE(worst.empty(), worst);
    }
  }

  TEST_CASE("with approximate products, backprop is the straight-through gradient") {
    // Finite differences of the surrogate of vit_reference.hpp, whose value at the current point
    // is the approximate network's and whose products differentiate as exact products of the
    // quantized operands: what vit_train.hpp says backprop computes.
    const MulSpec lmul2{Method::lmul, FloatFormat(8, 2), Rounding::nearest};
    MulPlan attention_only = exact_plan();
    attention_only.attention = MulSpec{Method::floating, FloatFormat(5, 2), Rounding::truncate};
    MulPlan mixed(lmul2);
    mixed.layers[vit_layer_index(1, BlockLayer::scores)] =
        MulSpec{Method::lmul_formula, FloatFormat(8, 3), Rounding::nearest};
    for (const MulPlan& plan : {MulPlan(lmul2), attention_only, mixed}) {
      CAPTURE(plan.linear.describe());
      CAPTURE(plan.attention.describe());
      Vit vit = random_vit(tiny_config(Activation::gelu), 37, 0.5f);
      std::mt19937_64 rng(38);
      const std::vector<float> X = random_inputs(3 * vit.config.pixels(), rng);
      const std::vector<uint8_t> labels = {1, 0, 2};
      const VitGradients g = vit_batch_gradients(vit, plan, X.data(), labels.data(), 3);
      std::vector<std::vector<testing::Product>> tapes(3);
      for (std::size_t r = 0; r < 3; ++r) {
        testing::TapeOps ops;
        ops.plan = plan;
        ops.tape = &tapes[r];
        testing::reference_logits<float>(vit, X.data() + r * vit.config.pixels(), ops);
      }
      CHECK(g.loss / 3 ==
            doctest::Approx(testing::surrogate_loss(vit, X, labels, tapes)).epsilon(1e-5));
      const std::string worst =
          gradient_check(vit, g, [&] { return testing::surrogate_loss(vit, X, labels, tapes); });
      CHECK_MESSAGE(worst.empty(), worst);
    }
  }

  TEST_CASE("the training forward pass computes inference's logits bit for bit, any plan") {
    const MulSpec lmul2{Method::lmul, FloatFormat(8, 2), Rounding::nearest};
    std::vector<MulPlan> plans{exact_plan(), MulPlan(lmul2)};
    MulPlan attention_only = exact_plan();
    attention_only.attention = MulSpec{Method::floating, FloatFormat(4, 3), Rounding::nearest};
    plans.push_back(attention_only);
    MulPlan mixed(MulSpec{Method::lmul_formula, FloatFormat(8, 1), Rounding::truncate});
    mixed.layers[vit_layer_index(0, BlockLayer::mix)] = lmul2;
    mixed.layers[0] = MulSpec{Method::floating, FloatFormat(5, 2), Rounding::nearest};
    plans.push_back(mixed);

    VitConfig c = tiny_config(Activation::gelu);
    c.image = 12;
    c.patch = 4;
    c.width = 12;
    c.heads = 3;
    const Vit vit = random_vit(c, 34, 0.3f);
    std::mt19937_64 rng(35);
    const std::size_t rows = 7;
    const std::vector<float> X = random_inputs(rows * c.pixels(), rng);
    const std::vector<uint8_t> labels = {0, 1, 2, 0, 1, 2, 0};
    WorkerPool pool(2);
    for (const MulPlan& plan : plans) {
      const VitInference net(vit, plan);
      const VitGradients one = vit_batch_gradients(vit, plan, X.data(), labels.data(), rows);
      const VitGradients two = vit_batch_gradients(vit, plan, X.data(), labels.data(), rows, &pool);
      std::vector<float> logits(c.classes);
      for (std::size_t r = 0; r < rows; ++r) {
        net.logits(X.data() + r * c.pixels(), logits.data());
        for (std::size_t k = 0; k < c.classes; ++k) {
          REQUIRE(same(one.logits[r * c.classes + k], logits[k]));
          REQUIRE(same(two.logits[r * c.classes + k], logits[k]));
        }
      }
      // The gradient does not depend on the thread count either.
      Vit g1 = one.gradient, g2 = two.gradient;
      const auto t1 = tensors(g1), t2 = tensors(g2);
      for (std::size_t t = 0; t < t1.size(); ++t)
        CHECK_MESSAGE(*t1[t].second == *t2[t].second, t1[t].first);
    }
  }

  TEST_CASE("the learning rate warms up linearly, then decays along a cosine to min_lr") {
    VitTrainConfig c;
    c.lr = 1e-3;
    c.min_lr = 1e-5;
    CHECK(vit_learning_rate(c, 1, 10, 100) == doctest::Approx(1e-4));
    CHECK(vit_learning_rate(c, 10, 10, 100) == doctest::Approx(1e-3));
    CHECK(vit_learning_rate(c, 55, 10, 100) == doctest::Approx((1e-3 + 1e-5) / 2));
    CHECK(vit_learning_rate(c, 100, 10, 100) == doctest::Approx(1e-5));
    CHECK(vit_learning_rate(c, 1, 0, 100) < 1e-3);
  }

  TEST_CASE("training learns a synthetic task, deterministically for a seed and any thread count") {
    VitConfig c = tiny_config(Activation::gelu);
    c.image = 8;
    c.classes = 4;
    c.width = 8;
    std::mt19937_64 rng(36);
    std::vector<uint8_t> images, labels;
    synthetic_data(256, c.pixels(), c.classes, rng, images, labels);
    VitTrainConfig config;
    config.epochs = 8;
    config.batch = 32;
    config.lr = 1e-2;
    config.warmup = 1;
    config.shift = 1;
    config.seed = 5;
    Vit a = init_vit(c, 5), b = init_vit(c, 5);
    config.threads = 1;
    const TrainResult ra = train_vit(a, images.data(), labels.data(), 256, config);
    config.threads = 2;
    const TrainResult rb = train_vit(b, images.data(), labels.data(), 256, config);
    CHECK(ra.epoch_loss == rb.epoch_loss);
    const auto ta = tensors(a), tb = tensors(b);
    for (std::size_t t = 0; t < ta.size(); ++t)
      CHECK_MESSAGE(*ta[t].second == *tb[t].second, ta[t].first);
    CHECK(ra.epoch_loss.back() < 0.5 * ra.epoch_loss.front());
    const EvalResult r = evaluate(VitInference(a, exact_plan()), images.data(), labels.data(), 256);
    CHECK(r.accuracy > 0.7); // chance: 0.25

    std::size_t calls = 0;
    Vit d = init_vit(c, 5);
    const TrainResult cut = train_vit(d, images.data(), labels.data(), 256, config,
                                      [&](const TrainProgress&) { return ++calls < 3; });
    CHECK(cut.cancelled);
    CHECK(calls == 3);
  }

  TEST_CASE("bad training arguments are refused, naming them") {
    const VitConfig c = tiny_config(Activation::relu);
    Vit vit = init_vit(c, 1);
    std::vector<uint8_t> images(4 * c.pixels()), labels = {0, 1, 2, 3};
    VitTrainConfig config;
    CHECK_THROWS_WITH_AS(train_vit(vit, images.data(), labels.data(), 4, config),
                         doctest::Contains("label 3 is 3 but the model has 3 outputs"),
                         std::invalid_argument);
    labels[3] = 0;
    config.batch = 0;
    CHECK_THROWS_WITH_AS(train_vit(vit, images.data(), labels.data(), 4, config),
                         doctest::Contains("batch size"), std::invalid_argument);
    config = VitTrainConfig{};
    config.shift = 4;
    CHECK_THROWS_WITH_AS(train_vit(vit, images.data(), labels.data(), 4, config),
                         doctest::Contains("shift must be below the image size 4"),
                         std::invalid_argument);
    config = VitTrainConfig{};
    config.lr = 0;
    CHECK_THROWS_AS(train_vit(vit, images.data(), labels.data(), 4, config), std::invalid_argument);
    std::vector<float> X(c.pixels());
    CHECK_THROWS_WITH_AS(vit_batch_gradients(vit, exact_plan(), X.data(), labels.data(), 0),
                         doctest::Contains("empty batch"), std::invalid_argument);
  }
}
