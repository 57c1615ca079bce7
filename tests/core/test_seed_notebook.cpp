// The project started from a notebook whose L-Mul returned twice the correct value. This file
// documents that, with the notebook's formula reimplemented here as it was written, and shows
// the library's values instead. (The library has no mode that reproduces the factor of two.)
#include <doctest/doctest.h>

#include <cmath>

#include "lmul/multiply.hpp"

namespace {
// The seed notebook's L-Mul: frexp gives x = fr * 2^ex with fr in [0.5, 1), so the true
// exponent is ex - 1; the notebook subtracted a bias of 1 from the already offset sum
// ex_a + ex_b, leaving the result one exponent too high. Operands were never rounded to M bits;
// M only chose the offset 2^-l(M).
double seed_notebook_lmul(double a, double b, int M) {
  int ea, eb;
  const double fa = std::frexp(std::fabs(a), &ea), fb = std::frexp(std::fabs(b), &eb);
  const double xm = 2 * fa - 1, ym = 2 * fb - 1;
  const double v = (1 + xm + ym + std::ldexp(1.0, -lmul::lmul_offset_exponent(M))) *
                   std::ldexp(1.0, ea + eb - 1);
  return (std::signbit(a) != std::signbit(b)) ? -v : v;
}
} // namespace

TEST_SUITE("seed_notebook") {
  TEST_CASE(
      "seed notebook: lmul(5, 8) = 84 is twice the correct 42; lmul(1, 1) = 2.125 vs 1.0625") {
    const lmul::MulSpec spec{lmul::Method::lmul, lmul::FloatFormat(8, 23), lmul::Rounding::nearest};
    CHECK(seed_notebook_lmul(5, 8, 23) == 84.0);
    CHECK(lmul::multiply(5, 8, spec) == 42.0f);
    CHECK(seed_notebook_lmul(1, 1, 23) == 2.125);
    CHECK(lmul::multiply(1, 1, spec) == 1.0625f);
    // The factor is exactly two wherever the mantissa sum does not carry.
    for (float a : {1.0f, 1.25f, 3.0f, 0.3f})
      for (float b : {1.0f, 2.5f, 7.0f}) {
        int e;
        const double mantissa_sum = (2 * std::frexp(a, &e) - 1) + (2 * std::frexp(b, &e) - 1);
        if (mantissa_sum + 1.0 / 16 < 1)
          CHECK(seed_notebook_lmul(a, b, 23) == 2.0 * lmul::multiply(a, b, spec));
      }
  }
} // TEST_SUITE
