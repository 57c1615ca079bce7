// lmul/decimal.hpp against the C library it replaces: strtod/strtof and printf's "%.*g" are
// correctly rounded in glibc (native builds) and musl (the WebAssembly build), so every result
// must match them bit for bit and character for character: random numbers, random decimal
// texts, exact midpoints between neighbouring floats and doubles (ties to even) and their
// neighbours, texts longer than the 800 digits the conversion keeps, and the range's edges.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "lmul/decimal.hpp"

namespace {

uint64_t bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// What the C library reads; std::nullopt where lmul's grammar has no number.
void same_as_libc(const std::string& text) {
  INFO("text: " << text);
  const auto d = lmul::parse_double(text);
  const auto f = lmul::parse_float(text);
  REQUIRE(d.has_value());
  REQUIRE(f.has_value());
  const double want_d = std::strtod(text.c_str(), nullptr);
  const float want_f = std::strtof(text.c_str(), nullptr);
  INFO("double expected " << want_d << " got " << *d << "; float expected " << want_f << " got "
                          << *f);
  CHECK(bits(*d) == bits(want_d));
  CHECK(bits(*f) == bits(want_f));
}

// The formatting code this replaced: the fewest "%.*g" digits that read back.
template <class T> std::string libc_shortest(T v, int max_digits) {
  char buf[64];
  for (int digits = 1; digits <= max_digits; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, double(v));
    if (sizeof(T) == 8 ? std::strtod(buf, nullptr) == double(v) : std::strtof(buf, nullptr) == v)
      break;
  }
  return buf;
}

// The exact decimal of a long double (which holds every midpoint of two doubles exactly), with
// `extra` inserted after its last significant digit.
std::string exact_text(long double v, const std::string& extra = "") {
  static char buf[1200];
  std::snprintf(buf, sizeof buf, "%.1000Le", v);
  std::string s = buf;
  const auto e = s.find('e');
  auto last = s.find_last_not_of('0', e - 1);
  return s.substr(0, last + 1) + extra + s.substr(e);
}

// v's exact decimal followed by zeros and a 1 as its `digits`-th significant digit: just above
// v, with no digit dropped on reading (800 are kept) but some in the scaling that follows.
std::string just_above(long double v, int digits) {
  const std::string exact = exact_text(v);
  const auto significant = int(exact.find('e')) - 1 - (exact[0] == '-' ? 1 : 0);
  return exact_text(v, std::string(std::size_t(std::max(0, digits - significant - 1)), '0') + "1");
}

} // namespace

TEST_SUITE("decimal") {

  TEST_CASE("decimal: the grammar, signs, zeros and the range's edges") {
    for (const char* text : {"", "-", "+", ".", "e5", "1e", "1e+", "1..2", "1.2.3", " 1", "1 ",
                             "0x10", "inf", "nan", "1,5", "--1", "1e5.5", "1f"}) {
      INFO("text: '" << text << "'");
      CHECK_FALSE(lmul::parse_double(text).has_value());
      CHECK_FALSE(lmul::parse_float(text).has_value());
    }
    for (const char* text :
         {"0",
          "-0",
          "+0",
          "0.0",
          "000",
          "1",
          "-1",
          "3.",
          ".25",
          "+.5e1",
          "1e-05",
          "0.1",
          "1E+3",
          "0.30000000000000004",
          "123456789012345678901234567890",
          "1e308",
          "1.7976931348623157e308",
          "1.7976931348623158e308",
          "1.797693134862315807e308",
          "1e309",
          "1e-320",
          "4.9406564584124654e-324",
          "2.4703282292062327e-324",
          "2.4703282292062328e-324",
          "1e-400",
          "3.4028235e38",
          "3.4028236e38",
          "1.4e-45",
          "7e-46",
          "1.1754942e-38",
          "0.000000000000000000000000000000000000000000001401298464324817070923729583289916131280",
          "1e99999999999",
          "1e-99999999999",
          "00000000000000000000000000000000001.5"})
      same_as_libc(text);
    CHECK(std::signbit(*lmul::parse_double("-0")));
    CHECK(std::signbit(*lmul::parse_float("-0.0e7")));
    CHECK(*lmul::parse_float("1e-05") == 1e-05f);
    CHECK(std::isinf(*lmul::parse_double("-1e400")));
    CHECK(*lmul::parse_double("-1e400") < 0);
  }

  TEST_CASE("decimal: random texts read as strtod and strtof read them") {
    std::mt19937_64 rng(20261130);
    for (int n = 0; n < 20000; ++n) {
      std::string text = rng() % 4 == 0 ? "-" : "";
      const int digits = 1 + int(rng() % 25);
      const int point = int(rng() % (digits + 1));
      for (int i = 0; i < digits; ++i) {
        if (i == point)
          text += '.';
        text += char('0' + rng() % 10);
      }
      if (rng() % 4 != 0)
        text += "e" + std::to_string(int(rng() % 700) - 360);
      same_as_libc(text);
    }
  }

  TEST_CASE("decimal: every double and float reads back from 17 and 9 digits") {
    std::mt19937_64 rng(17);
    char buf[64];
    for (int n = 0; n < 20000; ++n) {
      const uint64_t b = rng();
      double d;
      std::memcpy(&d, &b, sizeof d);
      if (!std::isfinite(d))
        continue;
      std::snprintf(buf, sizeof buf, "%.17g", d);
      INFO("double " << buf);
      CHECK(bits(*lmul::parse_double(buf)) == bits(d));
      const auto b32 = uint32_t(b);
      float f;
      std::memcpy(&f, &b32, sizeof f);
      if (!std::isfinite(f))
        continue;
      std::snprintf(buf, sizeof buf, "%.9g", double(f));
      INFO("float " << buf);
      CHECK(bits(*lmul::parse_float(buf)) == bits(f));
    }
  }

  TEST_CASE("decimal: exact midpoints round to even, their neighbours to the nearest") {
    std::mt19937_64 rng(5);
    for (int n = 0; n < 1500; ++n) {
      // Doubles of every magnitude, subnormals included; the midpoint with the next one up, the
      // nearest long doubles on either side, and the midpoint followed by digits beyond the 800
      // the conversion keeps (a tie, and just above one).
      const uint64_t b = rng() >> 1;
      double d;
      std::memcpy(&d, &b, sizeof d);
      if (!std::isfinite(d) || d == std::numeric_limits<double>::max())
        continue;
      const long double mid = (static_cast<long double>(d) + std::nextafter(d, INFINITY)) / 2;
      for (const auto& text :
           {exact_text(mid), exact_text(std::nextafterl(mid, 0)),
            exact_text(std::nextafterl(mid, INFINITY)), exact_text(mid, std::string(900, '0')),
            exact_text(mid, std::string(900, '0') + "1"), just_above(mid, 790),
            just_above(mid, 800)})
        same_as_libc(text);
      // The same for floats, whose midpoints doubles hold.
      const auto b32 = uint32_t(rng() >> 33);
      float f;
      std::memcpy(&f, &b32, sizeof f);
      if (!std::isfinite(f) || f == std::numeric_limits<float>::max())
        continue;
      const double fmid = (double(f) + double(std::nextafter(f, INFINITY))) / 2;
      for (const auto& text : {exact_text(fmid), exact_text(std::nextafter(fmid, 0.0)),
                               exact_text(std::nextafter(fmid, INFINITY))})
        same_as_libc(text);
    }
  }

  TEST_CASE("decimal: the shortest text that reads back, as %.*g writes it") {
    CHECK(lmul::shortest_decimal(1e-05f) == "1e-05");
    CHECK(lmul::shortest_decimal(0.001) == "0.001");
    CHECK(lmul::shortest_decimal(100.0) == "1e+02");
    CHECK(lmul::shortest_decimal(123456.0) == "123456");
    CHECK(lmul::shortest_decimal(0.1f) == "0.1");
    CHECK(lmul::shortest_decimal(-0.0) == "-0");
    CHECK(lmul::shortest_decimal(0.0f) == "0");
    CHECK(lmul::shortest_decimal(1.5e300) == "1.5e+300");
    CHECK(lmul::shortest_decimal(std::nanf("")) == "nan");
    CHECK(lmul::shortest_decimal(-INFINITY) == "-inf");
    CHECK(lmul::shortest_decimal(double(INFINITY)) == "inf");
    std::mt19937_64 rng(3);
    for (int n = 0; n < 20000; ++n) {
      const uint64_t b = rng();
      double d;
      std::memcpy(&d, &b, sizeof d);
      // Small magnitudes too, where %g switches between fixed and exponent notation.
      if (n % 2)
        d = std::ldexp(double(b >> 11), -int(rng() % 120)) * (n % 4 == 1 ? 1 : -1);
      if (!std::isfinite(d))
        continue;
      INFO("double bits " << b);
      CHECK(lmul::shortest_decimal(d) == libc_shortest(d, 17));
      const float f = float(d);
      if (std::isfinite(f))
        CHECK(lmul::shortest_decimal(f) == libc_shortest(f, 9));
    }
  }
}
