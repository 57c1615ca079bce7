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

  TEST_CASE("MNIST pixels take each method's packed path in the first layer, every row") {
    // Pixels are in [0, 1] and the seed model's weights are small and nonzero, so each policy's
    // fastest product applies to every image; a fast path that silently stopped being taken
    // fails here.
    const Mlp mlp = load_mlp_file(kSeedModel);
    const LinearParams& l = mlp.layers().front();
    const std::size_t n = 1000;
    std::vector<float> X(n * l.in), y(l.out);
    for (std::size_t k = 0; k < X.size(); ++k)
      X[k] = pixel_to_input(test_set().images.pixels[k]);
    struct Case {
      Method method;
      int E, M;
      const char* path;
    };
    const Case cases[] = {
        {Method::lmul, 8, 7, "pure/pure-unsigned"},
        {Method::lmul, 8, 1, "pure/pure-unsigned"},
        {Method::lmul, 4, 3, "masked/masked"}, // small weights flush in E4M3
        {Method::mitchell, 8, 7, "pure/pure-unsigned"},
        {Method::mitchell, 8, 3, "pure/pure-unsigned"},
        {Method::mitchell, 5, 2, "masked/masked"},
        {Method::lmul_formula, 8, 7, "exact-sum/exact-sum"},
        {Method::lmul_formula, 4, 3, "saturating/saturating"},
        {Method::floating, 8, 7, "quantized/narrow-e8"},
        {Method::floating, 8, 23, "quantized/fp32"},
        {Method::floating, 4, 3, "quantized/narrow"},
        {Method::floating, 8, 16, "quantized/wide"},
        {Method::exact, 8, 23, "general"},
    };
    for (const Case& c : cases) {
      const MulSpec spec{c.method, FloatFormat(c.E, c.M), Rounding::nearest};
      const DenseLayer layer(spec, l.weight.data(), l.bias.data(), l.in, l.out);
      for (std::size_t r = 0; r < n; ++r)
        layer.forward(X.data() + r * l.in, y.data());
      uint64_t taken = 0;
      for (const PathCount& p : layer.path_counts())
        if (p.name == c.path)
          taken = p.rows;
      CHECK_MESSAGE(taken == n, spec.describe() << ": " << taken << " of " << n << " rows took "
                                                << std::string(c.path));
    }
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
         {kExact, kLMul7, MulSpec{Method::floating, FloatFormat(4, 3), Rounding::nearest},
          MulSpec{Method::lmul_formula, FloatFormat(8, 2), Rounding::truncate}}) {
      const EvalResult a = accuracy(original, spec), b = accuracy(back, spec);
      CHECK_MESSAGE(a.predictions == b.predictions, spec.describe());
    }
  }
}

#endif
