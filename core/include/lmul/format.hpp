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

#include "lmul/simd.hpp"

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

// fp32 bit layout: sign (bit 31), exponent field (bits 23..30, bias 127), mantissa (0..22).
constexpr uint32_t kSignBit = 0x80000000u;  // the sign
constexpr uint32_t kAbsMask = 0x7fffffffu;  // everything but the sign: the magnitude's pattern
constexpr uint32_t kInfBits = 0x7f800000u;  // exponent field all ones: inf, and the field's mask
constexpr uint32_t kQuietBit = 0x00400000u; // the top mantissa bit marks a quiet NaN
constexpr uint32_t kMantissaMask = 0x007fffffu;
constexpr uint32_t kImplicitOne = 0x00800000u; // one unit of the exponent field (2^23)
constexpr uint32_t kBiasField = 127u << 23;    // the exponent bias in the fp32 layout

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

// ---- rounding rules, each written once for scalar and SIMD lanes (simd.hpp) -------------------

// Round-to-nearest-even of non-negative integer lanes q (Int32, batches of int32, or uint64_t
// holding double bits) to multiples of lsb = 2^k, k >= 1: add half an lsb minus one, plus one
// more where the kept bit is odd (so ties go to even), then clear the dropped bits. A carry runs
// into the exponent field, as it should. The odd test is a compare, not a shift by a run-time
// count, which WebAssembly SIMD compilers scalarize.
template <class I, class K> I round_half_even_bits(const I& q, K lsb) {
  const I odd = ones_where<I>((q & I(lsb)) == I(lsb)); // all ones where odd
  return (q + I(lsb / 2 - 1) - odd) & I(~(lsb - 1));
}

// Magic-number rounding: for non-negative x below magic, x + magic has the ulp magic / 2^(P-1)
// (P = 24 significant bits for float lanes, 53 for double), so the hardware's addition rounds x
// to a multiple of that quantum, nearest-even, and removing magic again is exact.
template <class T> T round_with_magic(const T& x, const T& magic) { return (x + magic) - magic; }

// 2^(P - 1) for float and double lanes: magic = quantum * kMagicScale<T>.
template <class T> inline constexpr double kMagicScale = 8388608.0;           // 2^23
template <> inline constexpr double kMagicScale<double> = 4503599627370496.0; // 2^52

// The magic number that rounds a non-negative lane m to M significant bits in its own binade,
// but never to a finer step than F's subnormal quantum (the binade of min_normal):
// quantum 2^(e - M) with e = max(exponent of m, exponent of min_normal). `exponent_of_m` is m
// with its mantissa bits cleared; `scale` is 2^(P - 1 - M).
template <class T> T binade_magic(const T& exponent_of_m, const T& min_normal, const T& scale) {
  return max(exponent_of_m, min_normal) * scale;
}

// Rounds a finite, infinite or NaN double to F. Used by the scalar paths for fp32 inputs
// (exact in double) and for exact products (float method, lmul-formula).
float round_to_format(double x, const FloatFormat& f, Rounding rounding);

// quantize(x, F, rounding) of NUMERICS.md section 1, scalar reference.
float quantize(float x, const FloatFormat& f, Rounding rounding = Rounding::nearest);

// quantize for batches, with integer tricks in the fp32 layout (no float<->int conversions, which
// WebAssembly SIMD emulates slowly). Constants are computed once per format so the per-batch cost
// is a handful of integer operations. Tests prove it equals quantize() bit for bit.
class Quantizer {
public:
  Quantizer(const FloatFormat& f, Rounding r);

  const FloatFormat& format() const { return format_; }
  Rounding rounding() const { return rounding_; }

  float operator()(float x) const { return quantize(x, format_, rounding_); }

  template <class A> xsimd::batch<float, A> operator()(const xsimd::batch<float, A>& x) const {
    // Magnitudes are below 2^31, so signed int32 lanes compare them correctly.
    using I = xsimd::batch<int32_t, A>;
    using F = xsimd::batch<float, A>;
    if (format_.E() == 8 && drop_ == 0)
      return x; // fp32 itself
    const I u = as_int(x);
    const I sign = u & I(int32_t(kSignBit));
    const I mag = u & I(int32_t(kAbsMask));
    I q = mag;
    if (drop_ > 0)
      q = rounding_ == Rounding::nearest ? round_half_even_bits(q, low_mask_ + 1)
                                         : q & I(~low_mask_);
    if (format_.E() < 8) {
      // Saturate (satfinite), then redo values below F's normal range on F's subnormal grid,
      // where the quantum is fixed.
      q = min(q, I(int32_t(format_.max_finite_bits())));
      const F a = as_float(mag);
      F r = round_with_magic(a, F(subnormal_magic_));
      if (rounding_ == Rounding::truncate)
        r = select(r > a, r - F(subnormal_quantum_), r);
      q = select(mag < I(int32_t(format_.min_normal_bits())), as_int(r), q);
    }
    // inf stays inf, NaN stays a (quiet) NaN that F can represent.
    const I inf = I(int32_t(kInfBits));
    const I nan = (mag | I(int32_t(kQuietBit))) & I(~low_mask_);
    q = select(mag > inf, nan, select(mag == inf, inf, q));
    return as_float(q | sign);
  }

private:
  FloatFormat format_;
  Rounding rounding_;
  int drop_;
  int32_t low_mask_;
  float subnormal_magic_, subnormal_quantum_; // F's subnormal quantum 2^(emin - M), and its magic
};

// Parses "nearest" / "truncate"; throws std::invalid_argument otherwise.
Rounding parse_rounding(const std::string& s);
const char* to_string(Rounding r);

} // namespace lmul
