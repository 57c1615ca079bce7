#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "helpers.hpp"
#include "lmul/format.hpp"
#include "lmul/kernels.hpp"
#include "reference.hpp"

using namespace lmul;
using testing::same;

TEST_SUITE("format") {

  TEST_CASE("every (E, M) outside 2..8 x 1..23 is rejected with a message naming it") {
    for (int E = -2; E <= 12; ++E)
      for (int M = -2; M <= 30; ++M) {
        const bool valid = E >= 2 && E <= 8 && M >= 1 && M <= 23;
        if (valid) {
          CHECK_NOTHROW(FloatFormat(E, M));
          continue;
        }
        try {
          FloatFormat f(E, M);
          FAIL("accepted E=" << E << " M=" << M);
        } catch (const std::invalid_argument& e) {
          const std::string msg = e.what();
          if (E < 2 || E > 8)
            CHECK(msg == "E (exponent bits) must be an integer in 2..8, got " + std::to_string(E));
          else
            CHECK(msg == "M (mantissa bits) must be an integer in 1..23, got " + std::to_string(M));
        }
      }
  }

  TEST_CASE("format constants") {
    CHECK(FloatFormat(4, 3).max_finite() == 240.0f);
    CHECK(FloatFormat(5, 2).max_finite() == 57344.0f);
    CHECK(FloatFormat(5, 10).max_finite() == 65504.0f);
    CHECK(FloatFormat(8, 7).max_finite() == 0x1.fep127f);
    CHECK(FloatFormat(8, 23).max_finite() == std::numeric_limits<float>::max());
    CHECK(FloatFormat(4, 3).min_normal() == 0x1p-6f);
    CHECK(FloatFormat(2, 1).max_finite() == 3.0f);
    CHECK(FloatFormat(8, 7).name() == "E8M7");
  }

  TEST_CASE("quantize at F(8,23) is the identity for every kind of fp32 value") {
    const FloatFormat fp32(8, 23);
    for (float x : testing::mixed_values(200000, 1))
      for (Rounding r : testing::kRoundings) {
        REQUIRE(bits_of(quantize(x, fp32, r)) == bits_of(x)); // NaN payloads included
        REQUIRE(bits_of(Quantizer(fp32, r)(Batch(x)).get(0)) == bits_of(x));
      }
  }

  TEST_CASE("quantize: nearest-even ties, truncation, NaN, inf and signed zeros") {
    const FloatFormat m3(8, 3);
    CHECK(quantize(1.0625f, m3) == 1.0f);  // tie between 1 and 1.125: even mantissa 000
    CHECK(quantize(1.1875f, m3) == 1.25f); // tie between 1.125 and 1.25: even mantissa 010
    CHECK(quantize(-1.1875f, m3) == -1.25f);
    CHECK(quantize(1.0626f, m3) == 1.125f);
    CHECK(quantize(1.2f, m3, Rounding::truncate) == 1.125f);
    CHECK(quantize(-1.99f, m3, Rounding::truncate) == -1.875f);
    CHECK(quantize(1.99f, m3) == 2.0f); // rounding carries into the exponent
    CHECK(std::signbit(quantize(-0.0f, m3)));
    CHECK(quantize(-0.0f, m3) == 0.0f);
    CHECK(std::isnan(quantize(std::numeric_limits<float>::quiet_NaN(), m3)));
    CHECK(std::isnan(quantize(float_of(0x7f800001u), m3))); // a NaN whose payload F drops
    CHECK(std::isinf(quantize(-std::numeric_limits<float>::infinity(), FloatFormat(4, 3))));
  }

  TEST_CASE("quantize: subnormal boundaries") {
    const FloatFormat e4m3(4, 3); // min normal 2^-6, min subnormal 2^-9
    CHECK(quantize(0x1p-9f, e4m3) == 0x1p-9f);
    CHECK(quantize(0x1p-10f, e4m3) == 0.0f);           // tie with 0: even
    CHECK(quantize(0x1.000002p-10f, e4m3) == 0x1p-9f); // just above the tie
    CHECK(quantize(0x3p-10f, e4m3) == 0x2p-9f);        // tie between 1 and 2 quanta: even (2)
    CHECK(quantize(0x1.fp-7f, e4m3) == 0x1p-6f);       // rounds up into the normal range
    CHECK(quantize(0x1.fp-7f, e4m3, Rounding::truncate) == 0x7p-9f);
    CHECK(quantize(0x1p-140f, e4m3, Rounding::truncate) == 0.0f);
    const FloatFormat bf16(8, 7); // subnormals of F(8, M) are fp32 subnormals
    CHECK(quantize(0x1p-133f, bf16) == 0x1p-133f);
    CHECK(quantize(0x1p-134f, bf16) == 0.0f);
    CHECK(quantize(0x1.8p-134f, bf16) == 0x1p-133f);
    CHECK(quantize(0x1.fep-127f, bf16) == 0x1p-126f); // 127.5 quanta: tie, even is 128
  }

  TEST_CASE("quantize: saturation for E < 8, IEEE overflow for E = 8") {
    const FloatFormat e4m3(4, 3), e5m2(5, 2), bf16(8, 7);
    for (Rounding r : testing::kRoundings) {
      CHECK(quantize(1000.0f, e4m3, r) == 240.0f);
      CHECK(quantize(-1e30f, e4m3, r) == -240.0f);
      CHECK(quantize(3e38f, e5m2, r) == 57344.0f);
      CHECK(quantize(248.0f, e4m3, r) == 240.0f);
    }
    CHECK(std::isinf(quantize(std::numeric_limits<float>::max(), bf16)));
    CHECK(quantize(std::numeric_limits<float>::max(), bf16, Rounding::truncate) ==
          bf16.max_finite());
    CHECK(quantize(0x1.fe8p127f, bf16) == bf16.max_finite()); // below the midpoint to 2^128
    CHECK(std::isinf(quantize(0x1.ffp127f, bf16)));           // at the midpoint: even is 2^128
  }

  TEST_CASE("quantize agrees with the table-search reference for small formats") {
    const auto values = testing::mixed_values(40000, 2);
    for (auto [E, M] : {std::pair{4, 3},
                        {5, 2},
                        {2, 1},
                        {3, 4},
                        {5, 10},
                        {6, 5},
                        {7, 2},
                        {8, 7},
                        {8, 1},
                        {8, 10}}) {
      const ref::Table table(ref::Format{E, M});
      const FloatFormat f(E, M);
      // Every value of F, every midpoint between neighbours and its two fp32 neighbours.
      std::vector<float> xs = values;
      for (std::size_t k = 0; k + 1 < table.v.size(); ++k) {
        const float mid = static_cast<float>((table.v[k] + table.v[k + 1]) / 2);
        for (float x : {float(table.v[k]), mid, std::nextafter(mid, 0.0f),
                        std::nextafter(mid, std::numeric_limits<float>::infinity())})
          xs.push_back(x), xs.push_back(-x);
      }
      for (Rounding r : testing::kRoundings)
        for (float x : xs) {
          const double want = table.round(x, r == Rounding::nearest);
          const float got = quantize(x, f, r);
          if (!same(got, want))
            FAIL_CHECK(f.name() << " " << to_string(r) << " x=" << x << " got " << got << " want "
                                << want);
        }
    }
  }

  TEST_CASE("SIMD quantize equals scalar quantize for every format and rounding") {
    const auto values = testing::mixed_values(1 << 14, 3);
    std::vector<float> xs = values;
    for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 65521) // a stride through all fp32 patterns
      xs.push_back(float_of(static_cast<uint32_t>(u)));
    xs.resize(xs.size() / kLanes * kLanes);
    for (const FloatFormat& f : testing::all_formats())
      for (Rounding r : testing::kRoundings) {
        const Quantizer q(f, r);
        for (std::size_t i = 0; i < xs.size(); i += kLanes) {
          const Batch b = q(Batch::load_unaligned(xs.data() + i));
          for (std::size_t k = 0; k < kLanes; ++k)
            if (bits_of(b.get(k)) != bits_of(quantize(xs[i + k], f, r))) // NaN payloads too
              FAIL_CHECK(f.name() << " " << to_string(r) << " x bits " << std::hex
                                  << bits_of(xs[i + k]));
        }
      }
  }

} // TEST_SUITE
