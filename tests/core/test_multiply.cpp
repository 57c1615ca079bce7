#include <doctest/doctest.h>

#include "helpers.hpp"
#include "lmul/kernels.hpp"
#include "lmul/multiply.hpp"
#include "reference.hpp"

using namespace lmul;
using testing::same;

namespace {
const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

MulSpec spec(Method m, int E, int M, Rounding r = Rounding::nearest) {
  return MulSpec{m, FloatFormat(E, M), r};
}

// The product of one pair through the SIMD kernel (lane 0 of a full batch).
float simd_multiply(float a, float b, const MulSpec& s) {
  float av[kLanes], bv[kLanes], out[kLanes];
  for (std::size_t k = 0; k < kLanes; ++k)
    av[k] = a, bv[k] = b;
  multiply_elementwise(s, av, bv, out, kLanes);
  return out[0];
}

// Checks scalar and SIMD paths against an expected value.
void expect(float a, float b, const MulSpec& s, float want) {
  INFO(s.describe() << ": " << a << " * " << b);
  CHECK(same(multiply(a, b, s), want));
  CHECK(same(simd_multiply(a, b, s), want));
}
} // namespace

TEST_SUITE("multiply") {

  TEST_CASE("golden values of NUMERICS.md (E = 8, M = 23), both roundings") {
    struct Row {
      float a, b, exact, adder, formula, mitchell;
    };
    const Row rows[] = {{1, 1, 1, 1.0625f, 1.0625f, 1},
                        {5, 8, 40, 42, 42, 40},
                        {1.5f, 1.5f, 2.25f, 2.125f, 2.0625f, 2},
                        {3, 3, 9, 8.5f, 8.25f, 8},
                        {-3, 0.5f, -1.5f, -1.5625f, -1.5625f, -1.5f},
                        {0, 7, 0, 0, 0, 0},
                        {-0.0f, 7, -0.0f, -0.0f, -0.0f, -0.0f},
                        {kInf, 0, kNaN, kNaN, kNaN, kNaN}};
    for (Rounding r : testing::kRoundings)
      for (const Row& row : rows) {
        expect(row.a, row.b, spec(Method::exact, 8, 23, r), row.exact);
        expect(row.a, row.b, spec(Method::lmul, 8, 23, r), row.adder);
        expect(row.a, row.b, spec(Method::lmul_formula, 8, 23, r), row.formula);
        expect(row.a, row.b, spec(Method::mitchell, 8, 23, r), row.mitchell);
      }
  }

  TEST_CASE("M = 3: l = 3, lmul(1.5, 1.5) = 2.25 and the fp32 magic constant") {
    expect(1.5f, 1.5f, spec(Method::lmul, 8, 3), 2.25f);
    // For operands whose low 20 mantissa bits are zero, the adder is one integer addition:
    // bits(a) + bits(b) - (0x3F800000 - 2^(23-3)).
    const uint32_t magic = 0x3F800000u - (1u << 20);
    std::mt19937 rng(7);
    for (int k = 0; k < 100000; ++k) {
      const uint32_t ua = 0x3c000000u + ((rng() % 0x07000000u) & ~0xfffffu);
      const uint32_t ub = 0x3c000000u + ((rng() % 0x07000000u) & ~0xfffffu);
      REQUIRE(bits_of(multiply(float_of(ua), float_of(ub), spec(Method::lmul, 8, 3))) ==
              ua + ub - magic);
    }
  }

  TEST_CASE("l(M) follows the paper") {
    CHECK(lmul_offset_exponent(1) == 1);
    CHECK(lmul_offset_exponent(2) == 2);
    CHECK(lmul_offset_exponent(3) == 3);
    CHECK(lmul_offset_exponent(4) == 3);
    for (int M = 5; M <= 23; ++M)
      CHECK(lmul_offset_exponent(M) == 4);
  }

  TEST_CASE("special values, in the order of NUMERICS.md") {
    const float sub = 0x1p-128f; // an fp32 subnormal, also F(8, 3)-subnormal
    for (Method m : {Method::lmul, Method::lmul_formula})
      for (int E : {8, 5, 4}) {
        const MulSpec s = spec(m, E, 3);
        // 1. NaN wins over everything
        CHECK(std::isnan(multiply(kNaN, 0.0f, s)));
        CHECK(std::isnan(multiply(kInf, kNaN, s)));
        CHECK(std::isnan(simd_multiply(-kNaN, 2.0f, s)));
        // 2. inf times zero is NaN, inf times anything else is inf with the XOR sign
        expect(kInf, 0.0f, s, kNaN);
        expect(-0.0f, -kInf, s, kNaN);
        expect(kInf, -2.0f, s, -kInf);
        expect(-kInf, -kInf, s, kInf);
        // 3. zero or subnormal operands flush to a zero with the XOR sign
        expect(0.0f, -3.0f, s, -0.0f);
        expect(-0.0f, -3.0f, s, 0.0f);
        const float f_sub = E == 8 ? sub : FloatFormat(E, 3).min_normal() / 2; // F-subnormal
        expect(f_sub, 3.0f, s, 0.0f);
        expect(-f_sub, 3.0f, s, -0.0f);
        expect(f_sub, kInf, s, kInf); // a subnormal is not zero: rule 2 gives inf
      }
    // 4. underflow of the result exponent -> zero with XOR sign
    expect(0x1p-100f, -0x1p-100f, spec(Method::lmul, 8, 7), -0.0f);
    expect(0x1p-63f, 0x1p-64f, spec(Method::lmul, 8, 7), 0.0f);        // exponent field 0
    expect(0x1p-63f, 0x1p-63f, spec(Method::lmul, 8, 7), 0x1.1p-126f); // exponent field 1
    expect(0x1p-4f, 0x1p-4f, spec(Method::lmul, 4, 3), 0.0f);          // exponent -8 < emin = -6
    expect(0x1p-3f, 0x1p-3f, spec(Method::lmul, 4, 3), 0x1.2p-6f);
    // 5. overflow -> inf for E = 8, max finite for E < 8
    expect(0x1p100f, -0x1p100f, spec(Method::lmul, 8, 7), -kInf);
    expect(0x1p100f, 0x1p100f, spec(Method::lmul_formula, 8, 7), kInf);
    expect(16.0f, 16.0f, spec(Method::lmul, 4, 3), 240.0f);
    expect(-16.0f, 16.0f, spec(Method::lmul_formula, 4, 3), -240.0f);
    expect(0x1.ep7f, 1.0f, spec(Method::lmul, 4, 3), 240.0f); // 1.875*2^7 * 1: carry overflows
    // float follows IEEE before quantize: inf * 0 = NaN, overflow saturates or goes to inf
    expect(kInf, 0.0f, spec(Method::floating, 8, 7), kNaN);
    expect(kInf, -1.0f, spec(Method::floating, 4, 3), -kInf);
    expect(200.0f, 200.0f, spec(Method::floating, 4, 3), 240.0f);
    expect(0x1p100f, 0x1p100f, spec(Method::floating, 8, 7), kInf);
    expect(0x1p50f, 0x1p50f, spec(Method::floating, 7, 3), FloatFormat(7, 3).max_finite());
    expect(0x1p-100f, 0x1p-29f, spec(Method::floating, 8, 3), 0x1p-129f); // F(8,3)-subnormal kept
    expect(0x1p-100f, 0x1p-30f, spec(Method::floating, 8, 3), 0.0f);      // half a quantum: even
    // The exact product is 2^-138 + 2^-150 - 2^-161, just above half of F(8,11)'s smallest
    // subnormal; the fp32 product rounds it to exactly half (a tie that would go to 0).
    expect(0x1.002p-69f, 0x1.ffep-70f, spec(Method::floating, 8, 11), 0x1p-137f);
  }

  // Exhaustive comparison with the slow reference for formats with at most 9 bits: every
  // pair of values (operands are already in F, so both roundings must agree too).
  TEST_CASE("exhaustive: every operand pair of F(4,3), F(5,2) and all formats up to 9 bits") {
    std::vector<std::pair<int, int>> formats;
    for (int E = 2; E <= 7; ++E)
      for (int M = 1; E + M <= 8; ++M)
        formats.emplace_back(E, M);
    for (auto [E, M] : formats) {
      const ref::Format rf{E, M};
      const ref::Table table(rf);
      std::vector<float> vals;
      for (unsigned c = 0; c < rf.codes(); ++c)
        vals.push_back(static_cast<float>(rf.decode(c)));
      const std::size_t n = vals.size();
      std::vector<float> a(n * n), b(n * n), out(n * n);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
          a[i * n + j] = vals[i], b[i * n + j] = vals[j];
      for (Method m : testing::kApproxMethods)
        for (Rounding r : testing::kRoundings) {
          const MulSpec s{m, FloatFormat(E, M), r};
          multiply_elementwise(s, a.data(), b.data(), out.data(), a.size());
          std::size_t bad = 0;
          for (std::size_t k = 0; k < a.size(); ++k) {
            const double want = ref::product(m, table, a[k], b[k]);
            if (!same(out[k], want) || !same(multiply(a[k], b[k], s), want)) {
              if (++bad <= 5)
                FAIL_CHECK(s.describe() << ": " << testing::hex(a[k]) << " * " << testing::hex(b[k])
                                        << " = " << testing::hex(out[k]) << " (lane " << k % kLanes
                                        << "; scalar " << testing::hex(multiply(a[k], b[k], s))
                                        << "), want " << testing::hex(want));
            }
          }
          CHECK_MESSAGE(bad == 0, s.describe() << ": " << bad << " mismatches of " << a.size());
        }
    }
  }

  TEST_CASE("float at every M, E = 8: random pairs against the reference (exact double rounding)") {
    // Covers both SIMD paths (fp32 for M <= 11, per-lane double above) and products that fall
    // below 2^-126, where the fp32 product itself would round.
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> mant(1.0, 2.0);
    for (int M = 1; M <= 23; ++M) {
      const MulSpec s = spec(Method::floating, 8, M);
      const ref::Format rf{8, M};
      std::vector<float> a, b;
      for (int k = 0; k < 20000; ++k) {
        const int ea = int(rng() % 260) - 130, eb = int(rng() % 260) - 130;
        a.push_back(quantize(std::ldexp(float(mant(rng)), ea), s.format));
        b.push_back(
            quantize(std::ldexp(float(mant(rng)), eb) * (rng() % 2 ? 1.f : -1.f), s.format));
      }
      std::vector<float> out(a.size());
      multiply_elementwise(s, a.data(), b.data(), out.data(), a.size());
      std::size_t bad = 0;
      for (std::size_t k = 0; k < a.size(); ++k) {
        // Reference rounding by the definition: the nearest value of F, ties to even.
        const double p = double(a[k]) * double(b[k]);
        double want;
        if (p == 0 || !std::isfinite(p)) {
          want = p;
        } else {
          const int e = std::max(std::ilogb(p), rf.emin());
          const double q = std::ldexp(1.0, e - M);
          double n = std::fabs(p) / q, fl = std::floor(n);
          double r = (n - fl > 0.5 || (n - fl == 0.5 && std::fmod(fl, 2.0) == 1.0)) ? fl + 1 : fl;
          want = std::copysign(r * q, p);
          if (std::fabs(want) > rf.max_finite())
            want = std::copysign(std::numeric_limits<double>::infinity(), p);
        }
        if (!same(out[k], want) || !same(multiply(a[k], b[k], s), want))
          if (++bad <= 3)
            FAIL_CHECK("M=" << M << " " << a[k] << " * " << b[k] << " = " << out[k] << " want "
                            << want);
      }
      CHECK(bad == 0);
    }
  }

  TEST_CASE("SIMD products equal scalar products for every method, format and rounding") {
    const auto a = testing::mixed_values(4096, 21), b = testing::mixed_values(4096, 22);
    std::vector<float> out(a.size());
    for (const FloatFormat& f : testing::all_formats())
      for (Method m : testing::kAllMethods)
        for (Rounding r : testing::kRoundings) {
          const MulSpec s{m, f, r};
          multiply_elementwise(s, a.data(), b.data(), out.data(), a.size());
          std::size_t bad = 0;
          for (std::size_t k = 0; k < a.size(); ++k)
            if (!same(out[k], multiply(a[k], b[k], s)) && ++bad <= 3)
              FAIL_CHECK(s.describe()
                         << ": " << testing::hex(a[k]) << " * " << testing::hex(b[k]) << ", lane "
                         << k % kLanes << ": SIMD " << testing::hex(out[k]) << ", scalar "
                         << testing::hex(multiply(a[k], b[k], s)));
          REQUIRE(bad == 0);
        }
  }

  TEST_CASE("method and rounding names") {
    for (Method m : testing::kAllMethods)
      CHECK(parse_method(to_string(m)) == m);
    CHECK_THROWS_WITH_AS(
        parse_method("fast"),
        "method must be one of 'exact', 'float', 'lmul', 'lmul-formula', 'mitchell', got 'fast'",
        std::invalid_argument);
    CHECK(parse_rounding("truncate") == Rounding::truncate);
    CHECK_THROWS_AS(parse_rounding("up"), std::invalid_argument);
  }

} // TEST_SUITE
