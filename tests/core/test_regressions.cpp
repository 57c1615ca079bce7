// Regression tests for bugs found by the reliability work of issue 6: the fuzz targets of
// tests/fuzz (each crashing input is also kept in tests/fuzz/corpus/<target>/regress-*, which
// the sanitizer build replays) and the bad-input tests of tests/cli/bad-input.test.mjs.
#include <doctest/doctest.h>

#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "lmul/idx.hpp"
#include "lmul/kernels.hpp"
#include "lmul/kernels_scalar.hpp"
#include "lmul/safetensors.hpp"

using namespace lmul;
using testing::same;

TEST_SUITE("kernels") {

  // fuzz_numerics, corpus/numerics/regress-dense-nan-inputs-skipped-avx: the dense kernel's
  // input scan skipped a whole SIMD batch of inputs when `any(v != 0)` was false. xsimd 8.1
  // compiles float != on AVX as an ordered compare (_CMP_NEQ_OQ), so NaN != 0 was false there
  // and a batch holding only NaNs and zeros was dropped: native AVX2 builds returned the bias
  // where the scalar reference (and the SSE / WebAssembly build) return NaN.
  TEST_CASE("dense: inputs that are NaN (with zeros) in a whole SIMD batch are not skipped") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (Method m : testing::kAllMethods)
      for (std::size_t in : {std::size_t(8), std::size_t(16), std::size_t(19)}) {
        const MulSpec spec{m, FloatFormat(4, 3), Rounding::truncate};
        const std::size_t out = 3;
        std::vector<float> W(out * in, 0.5f), bias = {0.25f, -1.0f, 2.0f};
        for (std::size_t pattern = 0; pattern < 3; ++pattern) {
          std::vector<float> x(in, 0.0f);
          for (std::size_t i = 0; i < in; ++i)
            x[i] = pattern == 0 ? nan : (i % 3 == pattern ? nan : (i % 2 ? -0.0f : 0.0f));
          std::vector<float> y(out), expected(out);
          DenseLayer(spec, W.data(), bias.data(), in, out).forward(x.data(), y.data());
          with_policy(spec, [&](const auto& p) {
            scalar::dense(p, W.data(), bias.data(), in, out, x.data(), expected.data());
          });
          for (std::size_t o = 0; o < out; ++o) {
            CAPTURE(spec.describe());
            CAPTURE(in);
            CAPTURE(pattern);
            CHECK(std::isnan(expected[o]));
            CHECK(same(y[o], expected[o]));
          }
        }
      }
  }
}

TEST_SUITE("safetensors") {

  // tests/cli/bad-input.test.mjs (`lmul eval --model <a folder>`): read_file_bytes let
  // libstdc++'s "basic_filebuf::underflow error reading the file: Is a directory" escape, a
  // message that does not name the file.
  TEST_CASE("reading a folder as a file names the path") {
    const std::string folder = std::filesystem::temp_directory_path().string();
    const std::string quoted = "'" + folder + "'";
    CHECK_THROWS_WITH_AS(read_file_bytes(folder), doctest::Contains(quoted.c_str()),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(load_mlp_file(folder), doctest::Contains(quoted.c_str()),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(read_idx_images(folder), doctest::Contains(quoted.c_str()),
                         std::runtime_error);
  }
}
