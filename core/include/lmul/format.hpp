// Float formats F(E, M) and quantization (NUMERICS.md section 1).
//
// This is the only header that knows bit layouts. Every value of F(E, M) with E <= 8 and
// M <= 23 is also an fp32 value, so F values are stored as plain floats and all bit work
// happens in the fp32 layout: an F normal is an fp32 number whose low (23 - M) mantissa bits
// are zero and whose exponent lies in F's range.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include <xsimd/xsimd.hpp>

namespace lmul {

enum class Rounding { nearest, truncate };

inline uint32_t bits_of(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline float float_of(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
inline uint64_t bits_of(double x) {
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline double double_of(uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

constexpr uint32_t kSignBit = 0x80000000u;
constexpr uint32_t kAbsMask = 0x7fffffffu;
constexpr uint32_t kInfBits = 0x7f800000u;
constexpr uint32_t kQuietBit = 0x00400000u;

// F(E, M): E exponent bits (2..8), M mantissa bits (1..23), IEEE-style inf/NaN, subnormals.
class FloatFormat {
public:
  static constexpr int kMinE = 2, kMaxE = 8, kMinM = 1, kMaxM = 23;

  // Throws std::invalid_argument naming the parameter and the allowed range.
  FloatFormat(int exponent_bits = 8, int mantissa_bits = 23);

  int E() const { return E_; }
  int M() const { return M_; }
  int bias() const { return (1 << (E_ - 1)) - 1; }
  int min_exponent() const { return 1 - bias(); }             // exponent of the smallest normal
  int max_exponent() const { return (1 << E_) - 2 - bias(); } // exponent of the largest finite
  int dropped_bits() const { return 23 - M_; }                // fp32 mantissa bits F does not keep

  // fp32 bit patterns (magnitudes) of F's smallest normal and largest finite value.
  uint32_t min_normal_bits() const { return uint32_t(min_exponent() + 127) << 23; }
  uint32_t max_finite_bits() const {
    return (uint32_t(max_exponent() + 127) << 23) | (((1u << M_) - 1) << dropped_bits());
  }
  float min_normal() const { return float_of(min_normal_bits()); }
  float max_finite() const { return float_of(max_finite_bits()); }

  std::string name() const; // "E8M7"

  bool operator==(const FloatFormat& o) const { return E_ == o.E_ && M_ == o.M_; }
  bool operator!=(const FloatFormat& o) const { return !(*this == o); }

private:
  int E_, M_;
};

// Rounds a finite, infinite or NaN double to F. Used by the scalar paths for fp32 inputs
// (exact in double) and for exact products (float method, lmul-formula).
float round_to_format(double x, const FloatFormat& f, Rounding rounding);

// quantize(x, F, rounding) of NUMERICS.md section 1, scalar reference.
float quantize(float x, const FloatFormat& f, Rounding rounding = Rounding::nearest);

// The lane masks of xsimd 8.1 (SSE/AVX registers) reinterpreted between float and int32
// lanes, which that version has no cast for.
template <class A> xsimd::batch_bool<int32_t, A> int_mask(const xsimd::batch_bool<float, A>& b) {
  return xsimd::bitwise_cast<xsimd::batch<int32_t, A>>(xsimd::batch<float, A>(b.data)).data;
}
template <class A> xsimd::batch_bool<float, A> float_mask(const xsimd::batch_bool<int32_t, A>& b) {
  return xsimd::bitwise_cast<xsimd::batch<float, A>>(xsimd::batch<int32_t, A>(b.data)).data;
}

// Round-to-nearest-even of non-negative integer lanes q to multiples of 2^drop (drop >= 1),
// given lsb = 2^drop: q + (2^(drop-1) - 1) + (bit drop of q), masked. The bit test uses a
// compare, not a shift by a run-time count, which WebAssembly SIMD compilers scalarize.
template <class I> I round_half_even_lanes(const I& q, int32_t lsb) {
  // All-ones lanes where the kept LSB is set (the SSE/AVX mask register used as integers).
  const I odd(((q & I(lsb)) == I(lsb)).data);
  return (q + I((lsb >> 1) - 1) - odd) & I(-lsb);
}

// The same rule vectorized with integer tricks in the fp32 layout (no float<->int
// conversions, which WebAssembly SIMD emulates slowly). Constants are computed once per
// format so the per-batch cost is a handful of integer operations.
class Quantizer {
public:
  Quantizer(const FloatFormat& f, Rounding r);

  const FloatFormat& format() const { return format_; }
  Rounding rounding() const { return rounding_; }

  float operator()(float x) const { return quantize(x, format_, rounding_); }

  template <class A> xsimd::batch<float, A> operator()(const xsimd::batch<float, A>& x) const {
    // Magnitudes are below 2^31, so signed int32 lanes compare them correctly (xsimd 8.1
    // has no fast unsigned compares on SSE).
    using I = xsimd::batch<int32_t, A>;
    using F = xsimd::batch<float, A>;
    if (format_.E() == 8 && drop_ == 0)
      return x; // fp32 itself
    const I u = xsimd::bitwise_cast<I>(x);
    const I sign = u & I(int32_t(kSignBit));
    const I mag = u & I(int32_t(kAbsMask));
    I q = mag;
    if (drop_ > 0) // the carry of a rounding up runs into the exponent, as it should
      q = rounding_ == Rounding::nearest ? round_half_even_lanes(q, low_mask_ + 1)
                                         : q & I(~low_mask_);
    if (format_.E() < 8) {
      // Saturate (satfinite), then redo values below F's normal range on F's subnormal grid:
      // there the quantum is fixed, so adding and removing 2^(emin - M + 23) rounds to it.
      q = xsimd::min(q, I(int32_t(format_.max_finite_bits())));
      const F a = xsimd::bitwise_cast<F>(mag);
      F r = (a + F(sub_magic_)) - F(sub_magic_);
      if (rounding_ == Rounding::truncate)
        r = xsimd::select(r > a, r - F(sub_quantum_), r);
      q = xsimd::select(mag < I(int32_t(format_.min_normal_bits())), xsimd::bitwise_cast<I>(r), q);
    }
    // inf stays inf, NaN stays a (quiet) NaN that F can represent.
    const I inf = I(int32_t(kInfBits));
    const I nan = (mag | I(int32_t(kQuietBit))) & I(~low_mask_);
    q = xsimd::select(mag > inf, nan, xsimd::select(mag == inf, inf, q));
    return xsimd::bitwise_cast<F>(q | sign);
  }

private:
  FloatFormat format_;
  Rounding rounding_;
  int drop_;
  int32_t low_mask_;
  float sub_magic_, sub_quantum_;
};

// Parses "nearest" / "truncate"; throws std::invalid_argument otherwise.
Rounding parse_rounding(const std::string& s);
const char* to_string(Rounding r);

} // namespace lmul
