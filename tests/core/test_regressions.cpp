// Regression tests for bugs found by the reliability work of issue 6: the fuzz targets of
// tests/fuzz (each crashing input is also kept in tests/fuzz/corpus/<target>/regress-*, which
// the sanitizer build replays) and the bad-input tests of tests/cli/bad-input.test.mjs.
#include <doctest/doctest.h>

#include <filesystem>
#include <limits>
#include <random>
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

TEST_SUITE("kernels") {

  // fuzz_numerics, corpus/numerics/regress-dense-subnormal-weight-packed-float: float E8M13,
  // weight 0x1p-135 (a subnormal of F and of fp32), input 2.0039. The packed paths bounded a
  // product's exponent by the operands' exponent fields, and a subnormal's field (0) is not a
  // lower bound of its exponent, so the dense kernel took the fast path and returned the
  // unrounded product 0x1.004p-134 where F holds 0x1p-134.
  TEST_CASE("dense: weights and inputs below fp32's normal range take the exact path") {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
    const std::size_t in = 19, out = 5, rows = 3;
    std::vector<float> W(in * out), bias(out), X(in * rows);
    // Output 1's weights are normal (so the weights' range spans both); the others' subnormal,
    // so their sums are made of subnormal products alone.
    for (std::size_t k = 0; k < W.size(); ++k)
      W[k] = std::ldexp(mantissa(rng), k / in == 1 ? int(rng() % 4) : -128 - int(rng() % 16)) *
             (rng() % 2 ? 1.0f : -1.0f);
    for (auto& b : bias)
      b = std::ldexp(mantissa(rng), -140);
    // Row 0 in [2, 128): products of subnormal weights stay subnormal; row 1 with subnormal
    // inputs; row 2 O(2^20): products normal.
    for (std::size_t i = 0; i < X.size(); ++i)
      X[i] = std::ldexp(mantissa(rng), i / in == 0   ? 1 + int(i % 6)
                                       : i / in == 1 ? -130 * int(i % 2)
                                                     : 20);
    for (Method m : testing::kAllMethods)
      for (int M : {3, 7, 11, 12, 13, 16, 22, 23})
        for (Rounding r : {Rounding::nearest, Rounding::truncate}) {
          const MulSpec spec{m, FloatFormat(8, M), r};
          std::vector<float> Y(out * rows), want(out);
          DenseLayer(spec, W.data(), bias.data(), in, out).forward_batch(X.data(), rows, Y.data());
          with_policy(spec, [&](const auto& p) {
            for (std::size_t row = 0; row < rows; ++row) {
              scalar::dense(p, W.data(), bias.data(), in, out, X.data() + row * in, want.data());
              for (std::size_t o = 0; o < out; ++o)
                REQUIRE_MESSAGE(same(Y[row * out + o], want[o]),
                                spec.describe() << " row " << row << " output " << o);
            }
          });
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
