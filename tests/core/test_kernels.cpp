#include <doctest/doctest.h>

#include "helpers.hpp"
#include "lmul/kernels.hpp"
#include "lmul/kernels_scalar.hpp"

using namespace lmul;
using testing::same;

namespace {
// Operands with zeros (to exercise skipping), negatives and a spread of magnitudes.
std::vector<float> operands(std::size_t n, uint64_t seed, bool with_specials) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) {
    const unsigned kind = rng() % 10;
    x = kind < 3 ? 0.0f : kind < 4 ? -0.0f : normal(rng) * std::ldexp(1.0f, int(rng() % 20) - 10);
  }
  if (with_specials && n > 3) {
    v[rng() % n] = std::numeric_limits<float>::infinity();
    v[rng() % n] = 1e-41f;
  }
  return v;
}

// Runs one row through the kernel and returns the name of the path it took.
template <class K> std::string path_of_row(const K& k, const float* x, float* y) {
  const std::vector<PathCount> before = k.path_counts();
  k.forward(x, y);
  const std::vector<PathCount> after = k.path_counts();
  for (std::size_t i = 0; i < after.size(); ++i)
    if (after[i].rows != before[i].rows)
      return after[i].name;
  return "none";
}

std::vector<MulSpec> kernel_specs() {
  std::vector<MulSpec> specs;
  for (Method m : testing::kAllMethods)
    for (auto [E, M] : {std::pair{8, 23}, {8, 7}, {8, 3}, {8, 1}, {4, 3}, {5, 2}, {5, 10}, {8, 14}})
      for (Rounding r : testing::kRoundings)
        specs.push_back(MulSpec{m, FloatFormat(E, M), r});
  return specs;
}
} // namespace

TEST_SUITE("kernels") {

  TEST_CASE(
      "elementwise, rounded and dot: SIMD equals scalar for lengths 0..67 at unaligned offsets") {
    const auto a = operands(80, 1, true), b = operands(80, 2, true);
    std::vector<float> out(80), want(80);
    for (const MulSpec& s : kernel_specs())
      with_policy(s, [&](const auto& p) {
        for (std::size_t n = 0; n <= 67; ++n)
          for (std::size_t off = 0; off < 4; ++off) {
            multiply_elementwise(p, a.data() + off, b.data() + off + 1, out.data() + (3 - off), n);
            scalar::multiply_elementwise(p, a.data() + off, b.data() + off + 1, want.data(), n);
            for (std::size_t i = 0; i < n; ++i)
              REQUIRE_MESSAGE(same(out[3 - off + i], want[i]), s.describe()
                                                                   << " n=" << n << " i=" << i);
            // Operands rounded once, then multiplied: the same products.
            std::vector<float> ra(n), rb(n), rounded(n);
            quantize_operands(p, a.data() + off, ra.data(), n);
            quantize_operands(p, b.data() + off + 1, rb.data(), n);
            multiply_quantized(p, ra.data(), rb.data(), rounded.data(), n);
            for (std::size_t i = 0; i < n; ++i) {
              REQUIRE_MESSAGE(same(ra[i], p.operand(a[off + i])), s.describe() << " i=" << i);
              REQUIRE_MESSAGE(same(rounded[i], want[i]), s.describe()
                                                             << " rounded n=" << n << " i=" << i);
            }
            const float d = dot(p, a.data() + off, b.data() + off + 1, n);
            const float ds = scalar::dot(p, a.data() + off, b.data() + off + 1, n);
            REQUIRE_MESSAGE(same(d, ds), s.describe() << " dot n=" << n << " off=" << off);
          }
      });
  }

  TEST_CASE("elementwise output may alias its inputs") {
    auto a = operands(37, 5, false);
    const auto b = operands(37, 6, false);
    std::vector<float> want(37);
    const MulSpec s{Method::lmul, FloatFormat(8, 4), Rounding::nearest};
    multiply_elementwise(s, a.data(), b.data(), want.data(), 37);
    multiply_elementwise(s, a.data(), b.data(), a.data(), 37);
    for (std::size_t i = 0; i < 37; ++i)
      CHECK(same(a[i], want[i]));
  }

  TEST_CASE("dot uses the documented order: 16 interleaved partial sums and a fixed tree") {
    // 1e8 + 1 - 1e8 style cancellations make the order visible.
    std::vector<float> a(40, 1.0f), b(40);
    for (std::size_t i = 0; i < b.size(); ++i)
      b[i] = (i % 3 == 0) ? 1e8f : (i % 3 == 1 ? 1.0f : -1e8f);
    float partial[16] = {};
    for (std::size_t i = 0; i < b.size(); ++i)
      partial[i % 16] += a[i] * b[i];
    const MulSpec s{Method::exact, FloatFormat(8, 23), Rounding::nearest};
    CHECK(same(dot(s, a.data(), b.data(), a.size()), reduce_partials(partial)));
  }

  TEST_CASE("dense: SIMD kernel equals the scalar reference, all methods, odd shapes") {
    for (const MulSpec& s : kernel_specs())
      with_policy(s, [&](const auto& p) {
        for (auto shape : {std::pair<std::size_t, std::size_t>{1, 1},
                           {7, 3},
                           {17, 9},
                           {33, 16},
                           {67, 35},
                           {0, 5},
                           {64, 1}}) {
          const std::size_t in = shape.first, out = shape.second;
          const auto W = operands(in * out, in * 31 + out, false);
          const auto bias = operands(out, 77, false);
          const auto X = operands(in * 3, in + 5, true);
          const DenseKernel<std::decay_t<decltype(p)>> k(p, W.data(), bias.data(), in, out);
          std::vector<float> Y(out * 3), want(out);
          k.forward_batch(X.data(), 3, Y.data());
          for (std::size_t r = 0; r < 3; ++r) {
            scalar::dense(p, W.data(), bias.data(), in, out, X.data() + r * in, want.data());
            for (std::size_t o = 0; o < out; ++o)
              REQUIRE_MESSAGE(same(Y[r * out + o], want[o]), s.describe()
                                                                 << " in=" << in << " out=" << out
                                                                 << " r=" << r << " o=" << o);
          }
        }
      });
  }

  TEST_CASE("dense: every packed path equals the scalar reference, and falls back when it must") {
    // Weights without zeros select the adder's "pure" path (mode 1), weights with zeros the
    // masked one (mode 2); float E8M<=11 and lmul-formula E8M<=21 have mode 1, float E<8 M<=11
    // and lmul-formula E<8 M<=21 mode 2, float M>11 mode 3 (fp32 itself: mode 1). Inputs are chosen
    // so that some rows can take the packed path and others (huge or tiny values, inf) must fall
    // back; rows 6 and 7 straddle F's subnormal range.
    std::mt19937_64 rng(99);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    // 48 inputs: whole SIMD batches only; 45: a scalar tail too.
    for (const std::size_t in : {std::size_t(48), std::size_t(45)}) {
      const std::size_t out = 21, rows = 8;
      std::vector<float> W(in * out), Wz(in * out), Wbig(in * out), W4(in * out), Wtiny(in * out),
          bias(out), X(in * rows);
      for (std::size_t k = 0; k < W.size(); ++k) {
        W[k] = normal(rng) * 0.1f;
        Wz[k] = k % 7 == 0 ? 0.0f : W[k];
        Wbig[k] = W[k] * 1e20f;   // with row 4 (1e36) products overflow fp32
        W4[k] = W[k] * 40.0f;     // with row 4, E4M3 products overflow (saturate)
        Wtiny[k] = W[k] * 1e-19f; // E7M11: F-subnormal weights, products below 2^-126
      }
      for (auto& b : bias)
        b = normal(rng);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < in; ++i) {
          // Overflow and underflow rows, then a row of tiny values and one of mixed scales.
          const float scale = r == 4   ? 1e36f
                              : r == 5 ? 1e-36f
                              : r == 6 ? 1e-21f
                              : r == 7 ? std::ldexp(1.0f, int(rng() % 40) - 20)
                                       : 1.0f;
          X[r * in + i] = rng() % 3 == 0 ? 0.0f
                                         : std::fabs(normal(rng)) * scale *
                                               (r == 3 || (r >= 6 && i % 2) ? -1.f : 1.f);
        }
      X[7 * in + 5] = std::numeric_limits<float>::infinity(); // row 7 must fall back
      struct Case {
        MulSpec spec;
        const std::vector<float>* weights;
        const char* packing; // the packing its weights get ("": none)
        const char* row0;    // the path of row 0 (ordinary non-negative inputs)
      };
      const Case cases[] = {
          {{Method::lmul, FloatFormat(8, 7), Rounding::nearest}, &W, "pure", "pure/pure-unsigned"},
          {{Method::lmul, FloatFormat(8, 3), Rounding::truncate}, &Wz, "masked", "masked/masked"},
          {{Method::lmul, FloatFormat(8, 7), Rounding::nearest},
           &Wbig,
           "pure",
           "pure/pure-unsigned"},
          {{Method::lmul, FloatFormat(4, 3), Rounding::nearest},
           &W,
           "masked",
           "masked/masked"}, // E4M3: small weights flush
          {{Method::lmul, FloatFormat(4, 3), Rounding::nearest}, &W4, "masked", "masked/masked"},
          {{Method::floating, FloatFormat(8, 7), Rounding::nearest},
           &Wbig,
           "quantized",
           "quantized/narrow-e8"},
          {{Method::lmul, FloatFormat(8, 23), Rounding::nearest},
           &Wz,
           "",
           "general"}, // no spare bit for the sign
          {{Method::lmul_formula, FloatFormat(8, 7), Rounding::nearest},
           &Wz,
           "exact-sum",
           "exact-sum/exact-sum"},
          {{Method::lmul_formula, FloatFormat(8, 21), Rounding::nearest},
           &Wbig,
           "exact-sum",
           "exact-sum/exact-sum"},
          {{Method::lmul_formula, FloatFormat(8, 22), Rounding::nearest},
           &W,
           "",
           "general"}, // v not exact
          {{Method::lmul_formula, FloatFormat(4, 3), Rounding::nearest},
           &W,
           "saturating",
           "saturating/saturating"}, // flushing w
          {{Method::lmul_formula, FloatFormat(4, 3), Rounding::truncate},
           &W4,
           "saturating",
           "saturating/saturating"}, // saturates
          {{Method::lmul_formula, FloatFormat(5, 2), Rounding::nearest},
           &Wz,
           "saturating",
           "saturating/saturating"},
          {{Method::lmul_formula, FloatFormat(7, 11), Rounding::nearest},
           &Wtiny,
           "saturating",
           "saturating/saturating"},
          {{Method::lmul_formula, FloatFormat(2, 1), Rounding::nearest},
           &W4,
           "saturating",
           "saturating/saturating"},
          {{Method::lmul_formula, FloatFormat(5, 21), Rounding::nearest},
           &W,
           "saturating",
           "saturating/saturating"},
          {{Method::lmul_formula, FloatFormat(5, 22), Rounding::nearest},
           &W,
           "",
           "general"}, // v not exact
          {{Method::floating, FloatFormat(8, 10), Rounding::nearest},
           &Wz,
           "quantized",
           "quantized/narrow-e8"},
          {{Method::floating, FloatFormat(8, 12), Rounding::nearest},
           &W,
           "quantized",
           "quantized/wide"},
          {{Method::floating, FloatFormat(8, 22), Rounding::truncate},
           &Wbig,
           "quantized",
           "quantized/wide"}, // overflows
          {{Method::floating, FloatFormat(8, 16), Rounding::nearest},
           &Wtiny,
           "quantized",
           "quantized/wide"}, // underflows
          {{Method::floating, FloatFormat(7, 20), Rounding::nearest},
           &Wtiny,
           "quantized",
           "general"},
          {{Method::floating, FloatFormat(4, 23), Rounding::nearest},
           &W4,
           "quantized",
           "general"}, // saturates
          {{Method::floating, FloatFormat(8, 23), Rounding::nearest},
           &Wz,
           "quantized",
           "quantized/fp32"}, // w * x
          {{Method::floating, FloatFormat(8, 23), Rounding::truncate},
           &Wbig,
           "quantized",
           "quantized/fp32"},
          {{Method::floating, FloatFormat(5, 2), Rounding::nearest},
           &W,
           "quantized",
           "quantized/narrow"},
          {{Method::floating, FloatFormat(4, 3), Rounding::truncate},
           &W,
           "quantized",
           "quantized/narrow"},
          {{Method::floating, FloatFormat(4, 3), Rounding::nearest},
           &W4,
           "quantized",
           "quantized/narrow"}, // saturates
          {{Method::floating, FloatFormat(5, 10), Rounding::nearest},
           &Wz,
           "quantized",
           "quantized/narrow"},
          {{Method::floating, FloatFormat(7, 11), Rounding::nearest},
           &Wtiny,
           "quantized",
           "quantized/narrow"},
          {{Method::floating, FloatFormat(2, 1), Rounding::nearest},
           &W4,
           "quantized",
           "quantized/narrow"},
          {{Method::floating, FloatFormat(5, 12), Rounding::nearest}, &Wz, "quantized", "general"},
          {{Method::exact, FloatFormat(8, 23), Rounding::nearest}, &W, "", "general"},
      };
      for (const Case& c : cases)
        with_policy(c.spec, [&](const auto& p) {
          const DenseKernel<std::decay_t<decltype(p)>> k(p, c.weights->data(), bias.data(), in,
                                                         out);
          CHECK_MESSAGE(k.packing() == c.packing, c.spec.describe());
          std::vector<float> Y(out * rows), want(out);
          std::vector<std::string> paths;
          for (std::size_t r = 0; r < rows; ++r)
            paths.push_back(path_of_row(k, X.data() + r * in, Y.data() + r * out));
          CHECK_MESSAGE(paths[0] == c.row0, c.spec.describe());
          CHECK_MESSAGE(paths[7] == "general", c.spec.describe()
                                                   << ": an inf input took " << paths[7]);
          for (std::size_t r = 0; r < rows; ++r) {
            scalar::dense(p, c.weights->data(), bias.data(), in, out, X.data() + r * in,
                          want.data());
            for (std::size_t o = 0; o < out; ++o)
              REQUIRE_MESSAGE(same(Y[r * out + o], want[o]), c.spec.describe()
                                                                 << " row " << r << " o " << o);
          }
        });
    }
  }

  TEST_CASE("dense with exact products is W x + b") {
    const std::size_t in = 5, out = 3;
    const float W[] = {1, 2, 3, 4, 5, -1, -2, -3, -4, -5, 0.5f, 0, 0, 0, 2};
    const float bias[] = {0.5f, 1, -1};
    const float x[] = {1, 0, 2, 0, -1};
    float y[3];
    dense_forward(MulSpec{Method::exact, FloatFormat(8, 23), Rounding::nearest}, W, bias, in, out,
                  x, 1, y);
    CHECK(y[0] == 0.5f + 1 + 6 - 5);
    CHECK(y[1] == 1 - 1 - 6 + 5);
    CHECK(y[2] == -1 + 0.5f - 2);
  }

} // TEST_SUITE
