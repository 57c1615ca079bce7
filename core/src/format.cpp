#include "lmul/format.hpp"

#include <stdexcept>

namespace lmul {

FloatFormat::FloatFormat(int exponent_bits, int mantissa_bits)
    : E_(exponent_bits), M_(mantissa_bits) {
  if (E_ < kMinE || E_ > kMaxE)
    throw std::invalid_argument("E (exponent bits) must be an integer in 2..8, got " +
                                std::to_string(E_));
  if (M_ < kMinM || M_ > kMaxM)
    throw std::invalid_argument("M (mantissa bits) must be an integer in 1..23, got " +
                                std::to_string(M_));
}

std::string FloatFormat::name() const {
  return "E" + std::to_string(E_) + "M" + std::to_string(M_);
}

float round_to_format(double x, const FloatFormat& f, Rounding rounding) {
  if (!std::isfinite(x) || x == 0)
    return static_cast<float>(x); // inf, NaN and signed zeros pass through
  double a = std::fabs(x);
  if (a >= static_cast<double>(f.min_normal())) {
    // Normal range of F: keep M of double's 52 fraction bits (an integer carry is exact).
    const uint64_t lsb = uint64_t(1) << (52 - f.M());
    const uint64_t u = bits_of(a);
    a = double_of(rounding == Rounding::nearest ? round_half_even_bits(u, lsb) : u & ~(lsb - 1));
    if (a > static_cast<double>(f.max_finite()))
      a = (f.E() == 8 && rounding == Rounding::nearest) ? std::numeric_limits<double>::infinity()
                                                        : static_cast<double>(f.max_finite());
  } else {
    // Subnormal range of F: a fixed quantum 2^(emin - M); truncation steps back when the
    // nearest-even rounding went up.
    const double quantum = std::ldexp(1.0, f.min_exponent() - f.M());
    double r = round_with_magic(a, quantum * kMagicScale<double>);
    if (rounding == Rounding::truncate && r > a)
      r -= quantum;
    a = r;
  }
  return static_cast<float>(std::copysign(a, x)); // exact: a is a value of F
}

float quantize(float x, const FloatFormat& f, Rounding rounding) {
  const uint32_t u = bits_of(x);
  if ((u & kAbsMask) > kInfBits) { // NaN stays NaN: quiet, with the bits F keeps
    if (f.E() == 8 && f.M() == 23)
      return x;
    const uint32_t low = (1u << f.dropped_bits()) - 1;
    return float_of((u | kQuietBit) & ~low);
  }
  return round_to_format(static_cast<double>(x), f, rounding);
}

Quantizer::Quantizer(const FloatFormat& f, Rounding r)
    : format_(f), rounding_(r), drop_(f.dropped_bits()), low_mask_(int32_t((1u << drop_) - 1)),
      subnormal_magic_(std::ldexp(1.0f, f.min_exponent() - f.M()) * float(kMagicScale<float>)),
      subnormal_quantum_(std::ldexp(1.0f, f.min_exponent() - f.M())) {}

Rounding parse_rounding(const std::string& s) {
  if (s == "nearest")
    return Rounding::nearest;
  if (s == "truncate")
    return Rounding::truncate;
  throw std::invalid_argument("rounding must be 'nearest' or 'truncate', got '" + s + "'");
}

const char* to_string(Rounding r) { return r == Rounding::nearest ? "nearest" : "truncate"; }

} // namespace lmul
