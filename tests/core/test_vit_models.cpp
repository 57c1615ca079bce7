// Checks on the ViTs shipped in models/ (native builds only: they read files from the source
// tree): accuracy on the MNIST test set, their metadata, and the logits PyTorch computed for the
// same weights (tests/core/fixtures/vit-torch-logits.json, from scripts/vit_torch_check.py).
#include <doctest/doctest.h>

#ifdef LMUL_SOURCE_DIR

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "lmul/idx.hpp"
#include "lmul/vit_safetensors.hpp"

using namespace lmul;

namespace {
const std::string kSource = LMUL_SOURCE_DIR;
const std::string kVit = kSource + "/models/vit-p7-w48-d3.safetensors";
const std::string kTuned = kSource + "/models/vit-p7-w48-d3-ft-lmul-E8M1.safetensors";

const MnistSet& test_set() {
  static const MnistSet set = load_mnist(LMUL_MNIST_DIR, false);
  return set;
}

EvalResult accuracy(const Vit& vit, const MulPlan& plan) {
  const VitInference net(vit, plan);
  return evaluate(net, test_set().images.pixels.data(), test_set().labels.data(),
                  test_set().images.count);
}
} // namespace

TEST_SUITE("vit_models") {

  TEST_CASE("the shipped ViT reaches 98 % exact on the 10,000 test images") {
    const Vit vit = load_vit_file(kVit);
    CHECK(vit.config.width == 48);
    CHECK(vit.config.depth == 3);
    CHECK(accuracy(vit, exact_plan()).accuracy >= 0.980);
  }

  TEST_CASE("the shipped ViT carries its architecture and recipe") {
    const auto bytes = read_file_bytes(kVit);
    const SafetensorsContent c = parse_safetensors(bytes.data(), bytes.size());
    CHECK(is_vit(c));
    CHECK(c.metadata.at("seed") == "0");
    CHECK(c.metadata.count("recipe") == 1);
    CHECK(c.metadata.count("test_accuracy_exact") == 1);
  }

  TEST_CASE("the L-Mul-aware fine-tune recovers what its base loses at the tuned multiplier") {
    const auto bytes = read_file_bytes(kTuned);
    const SafetensorsContent c = parse_safetensors(bytes.data(), bytes.size());
    const Vit tuned = vit_from_safetensors(c);
    const MulSpec spec{parse_method(c.metadata.at("method")),
                       FloatFormat(std::stoi(c.metadata.at("E")), std::stoi(c.metadata.at("M"))),
                       parse_rounding(c.metadata.at("rounding"))};
    CHECK(spec.describe() == "lmul E8M1 nearest");
    CHECK(c.metadata.count("plan") == 0); // every product, not a plan
    CHECK(c.metadata.at("base_fingerprint") == fingerprint(read_file_bytes(kVit)));
    const double base = accuracy(load_vit_file(kVit), MulPlan(spec)).accuracy;
    const double after = accuracy(tuned, MulPlan(spec)).accuracy;
    CHECK(base < 0.85);
    CHECK(after >= 0.98);
  }

  TEST_CASE("the core's exact logits match PyTorch's for the same weights to 1e-4") {
    std::ifstream in(kSource + "/tests/core/fixtures/vit-torch-logits.json");
    REQUIRE(in);
    const nlohmann::json fixture = nlohmann::json::parse(in);
    const std::string model = kSource + "/" + fixture.at("model").get<std::string>();
    REQUIRE_MESSAGE(fingerprint(read_file_bytes(model)) == fixture.at("model_fingerprint"),
                    model << " changed since the fixture was written: rerun "
                          << fixture.at("command").get<std::string>());
    const Vit vit = load_vit_file(model);
    const VitInference net(vit, exact_plan());
    const auto& rows = fixture.at("logits");
    REQUIRE(rows.size() >= 20);
    std::vector<float> x(vit.config.pixels()), logits(vit.config.classes);
    double worst = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      CHECK(test_set().labels[k] == fixture.at("labels")[k].get<int>());
      for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = pixel_to_input(test_set().images.pixels[k * x.size() + i]);
      net.logits(x.data(), logits.data());
      for (std::size_t c = 0; c < logits.size(); ++c)
        worst = std::max(worst, std::abs(double(logits[c]) - rows[k][c].get<double>()));
    }
    CHECK(worst <= 1e-4);
  }
}

#endif
