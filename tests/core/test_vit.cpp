// The vision transformer (vit.hpp, vit_safetensors.hpp): its layers, inference under plans
// against a plain scalar reference (bit for bit), traces, evaluation and its files.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "helpers.hpp"
#include "lmul/load_network.hpp"
#include "lmul/session.hpp"
#include "lmul/vit_safetensors.hpp"
#include "lmul/vit_train.hpp"
#include "vit_reference.hpp"

using namespace lmul;
using testing::same;

namespace {
const MulSpec kExact{Method::exact, FloatFormat(8, 23), Rounding::nearest};

// 12x12 images of 4x4 patches: 9 patches, 10 tokens; 3 heads of 4; 2 blocks.
VitConfig small_config(Activation activation = Activation::gelu) {
  VitConfig c;
  c.image = 12;
  c.patch = 4;
  c.width = 12;
  c.heads = 3;
  c.depth = 2;
  c.mlp_hidden = 20;
  c.classes = 5;
  c.activation = activation;
  return c;
}

// Parameters of trained-model size and spread, LayerNorm weights around one.
Vit random_vit(const VitConfig& c, uint64_t seed) {
  Vit vit(c);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for_each_tensor(vit, [&](const std::string& name, const std::vector<std::size_t>&,
                           std::vector<float>& v) {
    const bool norm_weight =
        name.find("norm") != std::string::npos && name.compare(name.size() - 6, 6, "weight") == 0;
    for (float& x : v)
      x = norm_weight ? 1.0f + 0.2f * normal(rng) : 0.3f * normal(rng);
  });
  return vit;
}

// Pixel inputs in [0, 1], about a third of them zero (as the dark parts of digits).
std::vector<float> random_image(std::size_t pixels, std::mt19937_64& rng) {
  std::vector<float> x(pixels);
  for (float& v : x)
    v = rng() % 3 == 0 ? 0.0f : pixel_to_input(uint8_t(rng() % 256));
  return x;
}

std::vector<MulPlan> test_plans() {
  std::vector<MulPlan> plans{exact_plan(),
                             MulPlan(MulSpec{Method::lmul, FloatFormat(8, 3), Rounding::nearest})};
  MulPlan attention_only = exact_plan();
  attention_only.attention = MulSpec{Method::floating, FloatFormat(4, 3), Rounding::nearest};
  plans.push_back(attention_only);
  MulPlan linear_only = exact_plan();
  linear_only.linear = MulSpec{Method::lmul_formula, FloatFormat(8, 2), Rounding::truncate};
  plans.push_back(linear_only);
  MulPlan layers(MulSpec{Method::lmul, FloatFormat(5, 2), Rounding::nearest});
  layers.layers[vit_layer_index(1, BlockLayer::scores)] =
      MulSpec{Method::lmul, FloatFormat(8, 1), Rounding::truncate};
  layers.layers[vit_layer_index(0, BlockLayer::fc2)] = kExact;
  layers.layers[0] = MulSpec{Method::floating, FloatFormat(8, 2), Rounding::nearest};
  plans.push_back(layers);
  return plans;
}

std::string plan_name(const MulPlan& p) {
  return "linear " + p.linear.describe() + ", attention " + p.attention.describe() + ", " +
         std::to_string(p.layers.size()) + " layer overrides";
}
} // namespace

TEST_SUITE("vit") {

  TEST_CASE("describe(): layers in forward order with their kinds and product counts") {
    VitConfig config; // 28x28, 7x7 patches, width 48, 4 heads, MLP 96
    config.depth = 4;
    const Vit vit(config);
    const std::vector<LayerInfo> layers = vit.describe();
    REQUIRE(layers.size() == 2 + 6 * 4);
    CHECK(layers[0].name == "patch_embed");
    CHECK(layers[0].products == 16 * 49 * 48);
    const char* names[] = {"attn.qkv",  "attn.scores", "attn.mix",
                           "attn.proj", "mlp.fc1",     "mlp.fc2"};
    for (std::size_t b = 0; b < 4; ++b) {
      const std::size_t Tq = b == 3 ? 1 : 17; // the last block computes the class token only
      const std::size_t counts[] = {17 * 48 * 144, Tq * 17 * 48, Tq * 17 * 48,
                                    Tq * 48 * 48,  Tq * 48 * 96, Tq * 96 * 48};
      for (std::size_t l = 0; l < 6; ++l) {
        const LayerInfo& info = layers[vit_layer_index(b, BlockLayer(l))];
        CHECK(info.name == "blocks." + std::to_string(b) + "." + names[l]);
        CHECK(info.products == counts[l]);
        CHECK(info.kind == (l == 1 || l == 2 ? ProductKind::attention : ProductKind::linear));
      }
    }
    CHECK(layers.back().name == "head");
    CHECK(layers.back().products == 480);
    CHECK(vit_head_index(vit.config) == layers.size() - 1);
  }

  TEST_CASE("a config is checked, naming the field and its allowed range") {
    const auto fails = [](VitConfig c, const char* message) {
      CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains(message), std::invalid_argument);
    };
    VitConfig c;
    c.patch = 5;
    fails(c, "patch 5 must divide image 28");
    c = VitConfig{};
    c.heads = 5;
    fails(c, "heads 5 must divide width 48");
    c = VitConfig{};
    c.width = 0;
    fails(c, "width must be in 1..4096, got 0");
    c = VitConfig{};
    c.classes = 256;
    fails(c, "classes must be in 1..255, got 256");
    c = VitConfig{};
    c.depth = 0;
    fails(c, "depth must be in 1..64");
    c = VitConfig{};
    c.norm_eps = 0.0f;
    fails(c, "norm_eps must be positive");
    CHECK_NOTHROW(VitConfig{}.validate());
  }

  TEST_CASE("a model is checked: parameter sizes and finite values") {
    Vit vit(small_config());
    CHECK_NOTHROW(vit.validate());
    vit.blocks[1].fc1.bias.pop_back();
    CHECK_THROWS_WITH_AS(vit.validate(), doctest::Contains("blocks.1.mlp.fc1.bias has 19 values"),
                         std::invalid_argument);
    vit = Vit(small_config());
    vit.pos_embed[7] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS(vit.validate(),
                         doctest::Contains("pos_embed has a non-finite value (inf) at index 7"),
                         std::invalid_argument);
    CHECK_THROWS_AS(VitInference(vit, exact_plan()), std::invalid_argument);
  }

  TEST_CASE("inference equals the scalar reference bit for bit under every kind of plan") {
    std::mt19937_64 rng(21);
    for (Activation a : {Activation::gelu, Activation::relu}) {
      const Vit vit = random_vit(small_config(a), 22);
      for (const MulPlan& plan : test_plans()) {
        const VitInference net(vit, plan);
        const testing::FloatOps ops{plan};
        for (int k = 0; k < 4; ++k) {
          const std::vector<float> x = random_image(vit.config.pixels(), rng);
          std::vector<float> got(vit.config.classes);
          net.logits(x.data(), got.data());
          const std::vector<float> want = testing::reference_logits<float>(vit, x.data(), ops);
          for (std::size_t c = 0; c < got.size(); ++c)
            REQUIRE_MESSAGE(same(got[c], want[c]),
                            plan_name(plan) << " " << to_string(a) << " image " << k << " logit "
                                            << c << ": " << got[c] << " vs " << want[c]);
        }
      }
    }
  }

  TEST_CASE("a traced pass gives the same logits and records every layer and product") {
    const Vit vit = random_vit(small_config(), 23);
    std::mt19937_64 rng(24);
    const std::vector<float> x = random_image(vit.config.pixels(), rng);
    const std::vector<LayerInfo> layers = vit.describe();
    const std::size_t T = vit.config.tokens(), D = vit.config.width;
    for (const MulPlan& plan : test_plans()) {
      CAPTURE(plan_name(plan));
      const VitInference net(vit, plan);
      std::vector<float> plain(vit.config.classes), traced(vit.config.classes);
      net.logits(x.data(), plain.data());
      ForwardTrace trace;
      trace.attention.resize(9); // reset by the call
      net.logits_traced(x.data(), traced.data(), trace, true);
      for (std::size_t c = 0; c < plain.size(); ++c)
        CHECK(same(plain[c], traced[c]));
      REQUIRE(trace.layers.size() == layers.size());
      for (std::size_t i = 0; i < layers.size(); ++i) {
        CAPTURE(layers[i].name);
        const ErrorStats e = trace.layers[i].products.finish();
        CHECK(e.count + e.zeros + e.nonfinite == layers[i].products);
        const MulSpec& spec = plan.spec_for(i, layers[i].kind);
        if (spec.method == Method::exact)
          CHECK(e.max == 0.0);
        else
          CHECK(e.mean > 0.0);
      }
      // Outputs: one row per computed token.
      CHECK(trace.layers[0].output.size() == 9 * D);
      CHECK(trace.layers[vit_layer_index(0, BlockLayer::qkv)].output.size() == T * 3 * D);
      CHECK(trace.layers[vit_layer_index(0, BlockLayer::scores)].output.size() == 3 * T * T);
      CHECK(trace.layers[vit_layer_index(1, BlockLayer::scores)].output.size() == 3 * T);
      CHECK(trace.layers[vit_layer_index(1, BlockLayer::fc1)].output.size() == 20);
      CHECK(trace.layers.back().output == plain);
      // The class token's attention over the 9 patches, per block and head.
      CHECK(trace.heads == 3);
      CHECK(trace.patches == 9);
      REQUIRE(trace.attention.size() == 2);
      for (const auto& block : trace.attention) {
        REQUIRE(block.size() == 3 * 9);
        for (std::size_t h = 0; h < 3; ++h) {
          double sum = 0;
          for (std::size_t j = 0; j < 9; ++j) {
            CHECK(block[h * 9 + j] >= 0.0f);
            sum += block[h * 9 + j];
          }
          CHECK(sum <= 1.0 + 1e-6); // the class token's weight on itself is left out
          CHECK(sum > 0.0);
        }
      }
    }
  }

  TEST_CASE("evaluate: accuracy against labels, no prediction for a pass that overflows") {
    VitConfig c = small_config();
    Vit vit = random_vit(c, 25);
    std::mt19937_64 rng(26);
    const std::size_t n = 500; // evaluate() reports progress every 250 images
    std::vector<uint8_t> images(n * c.pixels()), labels(n);
    for (auto& p : images)
      p = uint8_t(rng() % 256);
    const VitInference net(vit, exact_plan());
    std::vector<float> x(c.pixels()), logits(c.classes);
    for (std::size_t k = 0; k < n; ++k) {
      for (std::size_t i = 0; i < c.pixels(); ++i)
        x[i] = pixel_to_input(images[k * c.pixels() + i]);
      net.logits(x.data(), logits.data());
      labels[k] = uint8_t(k % 2 ? argmax(logits.data(), c.classes) : (k / 2) % c.classes);
    }
    const EvalResult r = evaluate(net, images.data(), labels.data(), n);
    CHECK(r.total == n);
    CHECK(r.correct >= n / 2);
    for (std::size_t k = 1; k < n; k += 2)
      CHECK(r.predictions[k] == labels[k]);

    std::size_t calls = 0;
    const EvalResult cut = evaluate(net, images.data(), labels.data(), n,
                                    [&](std::size_t, std::size_t) { return ++calls < 1; });
    CHECK(cut.total < n);

    // Head weights near fp32's limit: the logits' sums overflow.
    for (float& w : vit.head.weight)
      w = w > 0 ? 3e38f : -3e38f;
    const VitInference huge(vit, exact_plan());
    const EvalResult bad = evaluate(huge, images.data(), labels.data(), n);
    CHECK(bad.correct == 0);
    for (uint8_t p : bad.predictions)
      CHECK(p == 255);
  }

  TEST_CASE("a ViT file round-trips with its architecture") {
    const Vit vit = random_vit(small_config(Activation::relu), 27);
    const std::vector<uint8_t> bytes = save_vit(vit, {{"note", "test"}});
    const SafetensorsContent content = parse_safetensors(bytes.data(), bytes.size());
    CHECK(is_vit(content));
    CHECK(content.metadata.at("note") == "test");
    CHECK(content.metadata.at("width") == "12");
    CHECK(content.metadata.at("activation") == "relu");
    CHECK(content.metadata.at("norm_eps") == "1e-05");
    CHECK(content.tensors.at("blocks.1.attn.qkv.weight").shape == std::vector<std::size_t>{36, 12});
    CHECK(content.tensors.at("patch_embed.weight").shape == std::vector<std::size_t>{12, 1, 4, 4});
    CHECK(content.tensors.at("pos_embed").shape == std::vector<std::size_t>{1, 10, 12});
    const Vit back = load_vit(bytes.data(), bytes.size());
    CHECK(back.config.activation == Activation::relu);
    CHECK(back.config.norm_eps == vit.config.norm_eps);
    for_each_tensor(back, [&](const std::string& name, const std::vector<std::size_t>&,
                              const std::vector<float>& v) {
      CHECK_MESSAGE(v == content.tensors.at(name).values, name);
    });
    std::mt19937_64 rng(28);
    const std::vector<float> x = random_image(vit.config.pixels(), rng);
    std::vector<float> a(5), b(5);
    VitInference(vit, exact_plan()).logits(x.data(), a.data());
    VitInference(back, exact_plan()).logits(x.data(), b.data());
    CHECK(a == b);
  }

  TEST_CASE("loading checks every tensor against the metadata, with clear errors") {
    const Vit vit = random_vit(small_config(), 29);
    const std::vector<uint8_t> bytes = save_vit(vit);
    const SafetensorsContent good = parse_safetensors(bytes.data(), bytes.size());
    const auto fails = [](const SafetensorsContent& c, const char* message) {
      CHECK_THROWS_WITH_AS(vit_from_safetensors(c), doctest::Contains(message),
                           std::invalid_argument);
    };
    SafetensorsContent c = good;
    c.metadata.erase("heads");
    fails(c, "a ViT file needs the __metadata__ key 'heads'");
    c = good;
    c.metadata["width"] = "12.5";
    fails(c, "__metadata__ 'width' must be a decimal integer, got '12.5'");
    c = good;
    c.metadata["heads"] = "5";
    fails(c, "heads 5 must divide width 12");
    c = good;
    c.metadata["activation"] = "tanh";
    fails(c, "'activation' must be 'gelu' or 'relu', got 'tanh'");
    c = good;
    c.metadata["arch"] = "mlp";
    fails(c, "'arch' is 'mlp', not 'vit'");
    c = good;
    c.metadata["depth"] = "3";
    fails(c, "no tensor 'blocks.2.norm1.weight'");
    c = good;
    c.metadata["mlp_hidden"] = "21";
    fails(c, "tensor 'blocks.0.mlp.fc1.weight' has shape [20, 12] but the metadata");
    c = good;
    c.tensors.erase("cls_token");
    fails(c, "no tensor 'cls_token'");
    c = good;
    c.tensors["blocks.0.attn.q_bias"] = F32Tensor{{12}, std::vector<float>(12)};
    fails(c, "tensor 'blocks.0.attn.q_bias' is not a parameter of a ViT");
    c = good;
    c.tensors["head.bias"].values[2] = std::numeric_limits<float>::quiet_NaN();
    fails(c, "head.bias has a non-finite value (nan) at index 2");
    CHECK_NOTHROW(vit_from_safetensors(good));
  }

  TEST_CASE("load_network picks the network by the metadata's arch, with clear errors") {
    const Vit vit = random_vit(small_config(), 30);
    const std::vector<uint8_t> bytes = save_vit(vit);
    const std::unique_ptr<Network> net = load_network(bytes.data(), bytes.size());
    REQUIRE(dynamic_cast<const Vit*>(net.get()) != nullptr);
    CHECK(net->arch() == "vit");
    CHECK(net->sizes() == std::vector<std::size_t>{144, 5});
    CHECK(net->describe().size() == vit.describe().size());

    Mlp mlp({LinearParams{144, 5, std::vector<float>(720, 0.5f), std::vector<float>(5)}});
    const std::vector<uint8_t> mlp_bytes = save_mlp(mlp);
    const std::unique_ptr<Network> m = load_network(mlp_bytes.data(), mlp_bytes.size());
    CHECK(m->arch() == "mlp");
    CHECK(m->sizes() == std::vector<std::size_t>{144, 5});

    SafetensorsContent c = parse_safetensors(bytes.data(), bytes.size());
    c.metadata["arch"] = "resnet";
    CHECK_THROWS_WITH_AS(network_from_safetensors(c),
                         "safetensors: __metadata__ 'arch' is 'resnet'; this version reads "
                         "'mlp' (or no 'arch' key) and 'vit'",
                         std::invalid_argument);
    c.metadata["arch"] = "mlp"; // a ViT's tensors are not an MLP's
    CHECK_THROWS_AS(network_from_safetensors(c), std::invalid_argument);
    c = parse_safetensors(bytes.data(), bytes.size());
    c.tensors["blocks.1.attn.proj.weight"].shape = {12, 6};
    CHECK_THROWS_WITH_AS(network_from_safetensors(c),
                         doctest::Contains("tensor 'blocks.1.attn.proj.weight' has shape [12, 6]"),
                         std::invalid_argument);
  }

  TEST_CASE("a session predicts a ViT: attention maps, statistics only for approximate kinds") {
    ModelSession session(std::make_unique<Vit>(random_vit(small_config(), 31)));
    std::mt19937_64 rng(32);
    const std::vector<float> x = random_image(144, rng);
    PredictOptions with_maps;
    with_maps.attention = true;
    const Prediction exact = session.predict(x.data(), exact_plan(), with_maps);
    CHECK_FALSE(exact.has_errors);
    CHECK(exact.has_linear);
    CHECK(exact.has_attention);
    REQUIRE(exact.attention_maps.size() == 2);
    CHECK(exact.heads == 3);
    CHECK(exact.patches == 9);
    CHECK(exact.attention_maps[1].size() == 27);

    MulPlan attention_only = exact_plan();
    attention_only.attention = MulSpec{Method::lmul, FloatFormat(8, 1), Rounding::nearest};
    const Prediction a = session.predict(x.data(), attention_only, with_maps);
    REQUIRE(a.has_errors);
    CHECK(a.approx_attention);
    CHECK_FALSE(a.approx_linear);
    CHECK(a.attention.max > 0);
    CHECK(a.attention.count + a.linear.count == a.products.count);
    CHECK(a.attention_maps != exact.attention_maps);
    CHECK(a.layers.size() == session.layers().size());

    MulPlan linear_only = exact_plan();
    linear_only.linear = MulSpec{Method::lmul, FloatFormat(8, 3), Rounding::nearest};
    const Prediction l = session.predict(x.data(), linear_only);
    CHECK(l.approx_linear);
    CHECK_FALSE(l.approx_attention);
    CHECK(l.attention_maps.empty()); // not asked for
  }
}
