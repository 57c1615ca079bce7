// Checks on the models shipped in models/ against the MNIST test set (native builds only: they
// read files from the source tree).
#include <doctest/doctest.h>

#ifdef LMUL_SOURCE_DIR

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "lmul/idx.hpp"
#include "lmul/safetensors.hpp"

using namespace lmul;

namespace {
const std::string kSource = LMUL_SOURCE_DIR;
const std::string kSeedModel = kSource + "/models/mlp-784-128-10.safetensors";
const std::string kDeepModel = kSource + "/models/mlp-784-128-128-128-128-10.safetensors";

const MnistSet& test_set() {
  static const MnistSet set = load_mnist(LMUL_MNIST_DIR, false);
  return set;
}

EvalResult accuracy(const Mlp& mlp, const MulSpec& spec) {
  const MlpInference net(mlp, spec);
  return evaluate(net, test_set().images.pixels.data(), test_set().labels.data(),
                  test_set().images.count);
}

const MulSpec kExact{Method::exact, FloatFormat(8, 23), Rounding::nearest};
const MulSpec kLMul7{Method::lmul, FloatFormat(8, 7), Rounding::nearest};
} // namespace

TEST_SUITE("models") {

  TEST_CASE("the seed MLP reaches 97 % exact, and L-Mul at M = 7 stays within 0.3 points") {
    const Mlp mlp = load_mlp_file(kSeedModel);
    CHECK(mlp.sizes() == std::vector<std::size_t>{784, 128, 10});
    const double exact = accuracy(mlp, kExact).accuracy;
    const double lmul7 = accuracy(mlp, kLMul7).accuracy;
    CHECK(exact >= 0.970);
    CHECK(std::abs(lmul7 - exact) <= 0.003);
  }

  TEST_CASE("the deeper MLP loads, and beats 97 % exact") {
    const Mlp mlp = load_mlp_file(kDeepModel);
    CHECK(mlp.sizes() == std::vector<std::size_t>{784, 128, 128, 128, 128, 10});
    CHECK(accuracy(mlp, kExact).accuracy >= 0.970);
  }

  TEST_CASE("shipped files carry their recipe") {
    const auto bytes = read_file_bytes(kSeedModel);
    const SafetensorsContent c = parse_safetensors(bytes.data(), bytes.size());
    CHECK(c.metadata.at("seed") == "0");
    CHECK(c.metadata.at("epochs") == "5");
    CHECK(c.metadata.at("sizes") == "784-128-10");
    CHECK(c.metadata.count("recipe") == 1);
  }

  TEST_CASE("a model file round-trips: save, load, identical predictions for every method") {
    const Mlp original = load_mlp_file(kSeedModel);
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("lmul-roundtrip-" + std::to_string(getpid()) + ".safetensors"))
                                 .string();
    save_mlp_file(original, path, {{"note", "round-trip test"}});
    const Mlp back = load_mlp_file(path);
    std::remove(path.c_str());
    for (const MulSpec& spec :
         {kExact, kLMul7, MulSpec{Method::float_, FloatFormat(4, 3), Rounding::nearest},
          MulSpec{Method::lmul_formula, FloatFormat(8, 2), Rounding::truncate}}) {
      const EvalResult a = accuracy(original, spec), b = accuracy(back, spec);
      CHECK_MESSAGE(a.predictions == b.predictions, spec.describe());
    }
  }
}

#endif
