// The four multipliers of NUMERICS.md section 2, as small policy types.
//
// Every policy has the same shape so one kernel template serves all of them:
//   operand(x)      quantize an input to the policy's format (identity for exact)
//   product(a, b)   the product of two operands that operand() already produced
//   skips(x)        true when every product with operand x is exactly +-0, so a dense layer
//                   may skip that input (NUMERICS.md section 3)
// each in a scalar (float) and a batch (xsimd::batch<float, A>) overload. The scalar overloads
// are the reference the SIMD overloads are tested against, bit for bit.
#pragma once

#include <string>

#include "lmul/format.hpp"

namespace lmul {

enum class Method { exact, float_, lmul, lmul_formula };

Method parse_method(const std::string& s); // "exact" | "float" | "lmul" | "lmul-formula"
const char* to_string(Method m);

// l(M) of the paper: the offset is 2^-l(M).
inline int lmul_offset_exponent(int M) { return M <= 3 ? M : (M == 4 ? 3 : 4); }

struct MulSpec {
  Method method = Method::lmul;
  FloatFormat format{8, 7};
  Rounding rounding = Rounding::nearest;

  std::string describe() const; // "lmul E8M7 nearest"
};

constexpr uint32_t kCanonicalNaN = 0x7fc00000u;

// a * b in fp32, operands untouched.
class ExactMul {
public:
  explicit ExactMul(const MulSpec&) {}
  float operand(float x) const { return x; }
  template <class A> xsimd::batch<float, A> operand(const xsimd::batch<float, A>& x) const {
    return x;
  }
  float product(float a, float b) const { return a * b; }
  template <class A>
  xsimd::batch<float, A> product(const xsimd::batch<float, A>& a,
                                 const xsimd::batch<float, A>& b) const {
    return a * b;
  }
  bool skips(float x) const { return x == 0; }
};

// Ordinary multiplication in F: the exact product of the quantized operands, rounded once to F
// (nearest-even).
class FloatMul {
public:
  explicit FloatMul(const MulSpec& spec);
  float operand(float x) const { return quantize_(x); }
  template <class A> xsimd::batch<float, A> operand(const xsimd::batch<float, A>& x) const {
    return quantize_(x);
  }
  float product(float a, float b) const;
  template <class A>
  xsimd::batch<float, A> product(const xsimd::batch<float, A>& a,
                                 const xsimd::batch<float, A>& b) const;
  bool skips(float x) const { return x == 0; }

private:
  Quantizer quantize_; // operands, with the chosen rounding
  Quantizer round_;    // products, always nearest-even
  float tiny_magic_;   // for E = 8 products below 2^-126, see product()
};

// L-Mul, both variants: the integer adder (default) and the exact formula.
// The adder works on packed fields in the fp32 layout: for operand magnitudes ma, mb (bit
// patterns) the result pattern is ma + mb + offset - (127 << 23). The sums need 32 unsigned
// bits; SIMD lanes compare them as signed after flipping the top bit.
template <bool Formula> class LMulT {
public:
  explicit LMulT(const MulSpec& spec);
  float operand(float x) const { return quantize_(x); }
  template <class A> xsimd::batch<float, A> operand(const xsimd::batch<float, A>& x) const {
    return quantize_(x);
  }
  float product(float a, float b) const;
  template <class A>
  xsimd::batch<float, A> product(const xsimd::batch<float, A>& a,
                                 const xsimd::batch<float, A>& b) const;
  // Zero or F-subnormal operands flush the product to +-0 (special-value rule 3).
  bool skips(float x) const { return (bits_of(x) & kAbsMask) < min_normal_bits_; }

private:
  Quantizer quantize_;
  int drop_;
  uint32_t offset_bits_; // 2^(M - l(M)) in F's mantissa units, in the fp32 layout
  uint32_t min_normal_bits_;
  uint32_t overflow_bits_;                // inf for E = 8, max finite for E < 8 (satfinite)
  uint32_t underflow_sum_, overflow_sum_; // thresholds on ma + mb + offset
};

using LMul = LMulT<false>;
using LMulFormula = LMulT<true>;

// Calls f(policy) with the policy object for spec (one instantiation per method).
template <class F> decltype(auto) with_policy(const MulSpec& spec, F&& f) {
  switch (spec.method) {
  case Method::exact: return f(ExactMul(spec));
  case Method::float_: return f(FloatMul(spec));
  case Method::lmul: return f(LMul(spec));
  default: return f(LMulFormula(spec));
  }
}

// The scalar reference of one multiplication: quantize both operands, then multiply.
float multiply(float a, float b, const MulSpec& spec);

// ---------------------------------------------------------------------------------------------
// Batch implementations

template <class A>
xsimd::batch<float, A> FloatMul::product(const xsimd::batch<float, A>& a,
                                         const xsimd::batch<float, A>& b) const {
  using F = xsimd::batch<float, A>;
  const FloatFormat& f = round_.format();
  if (f.M() > 11) {
    // Significands of up to 24 bits each: the fp32 product would round before F does, and
    // double rounding is not single rounding. Use the scalar (double) path per lane.
    alignas(64) float av[F::size], bv[F::size];
    a.store_aligned(av);
    b.store_aligned(bv);
    for (std::size_t i = 0; i < F::size; ++i)
      av[i] = product(av[i], bv[i]);
    return F::load_aligned(av);
  }
  // With M <= 11 the product of two F values has at most 24 significant bits, so the fp32
  // product is exact unless it falls below 2^-126 (or overflows, which quantize handles).
  const F p = a * b;
  F r = round_(p);
  if (f.E() == 8) {
    // Below 2^-126 the fp32 product itself was rounded. Redo it scaled by 2^24 (exact now) and
    // round on F's subnormal grid, quantum 2^(-126 - M), scaled alike. (For E < 8 such
    // products round to zero in F anyway, and no product of two F values overflows fp32.)
    const F ap = xsimd::abs(p);
    const auto tiny = (ap < F(std::numeric_limits<float>::min())) & (ap != F(0.0f));
    const F ps = xsimd::abs((a * F(16777216.0f)) * b);
    const F rs = ((ps + F(tiny_magic_)) - F(tiny_magic_)) * F(1.0f / 16777216.0f);
    r = xsimd::select(tiny, xsimd::copysign(rs, p), r);
  }
  return r;
}

template <bool Formula>
template <class A>
xsimd::batch<float, A> LMulT<Formula>::product(const xsimd::batch<float, A>& a,
                                               const xsimd::batch<float, A>& b) const {
  using I = xsimd::batch<int32_t, A>;
  using F = xsimd::batch<float, A>;
  const I ua = xsimd::bitwise_cast<I>(a), ub = xsimd::bitwise_cast<I>(b);
  const I abs_mask = I(int32_t(kAbsMask));
  const I sign = (ua ^ ub) & I(int32_t(kSignBit));
  const I ma = ua & abs_mask, mb = ub & abs_mask;
  const I flip = I(int32_t(kSignBit));

  I s = ma + mb + I(int32_t(offset_bits_)); // uint32 arithmetic, wraps as intended
  if (Formula) {
    // Where the mantissa sum carries, the formula halves it (round half even to F's grid)
    // instead of letting it run into the exponent.
    const I frac_mask = I(0x007fffff);
    const I t = (ma & frac_mask) + (mb & frac_mask) + I(int32_t(offset_bits_));
    const I m2 = (t - I(0x00800000)) >> drop_;
    const I q = (m2 >> 1) + (m2 & (m2 >> 1) & I(1));
    s = s - xsimd::select(t > I(0x007fffff), (m2 - q) << drop_, I(0));
  }
  const I sf = s ^ flip; // unsigned order as signed order
  I r = s - I(int32_t(127u << 23));
  r = xsimd::select(sf < I(int32_t(underflow_sum_ ^ kSignBit)), I(0), r);
  r = xsimd::select(sf > I(int32_t(overflow_sum_ ^ kSignBit)), I(int32_t(overflow_bits_)), r);

  // Special values, in the order of NUMERICS.md (later selects take precedence).
  const I inf = I(int32_t(kInfBits));
  const I mnb = I(int32_t(min_normal_bits_));
  r = xsimd::select((ma < mnb) | (mb < mnb), I(0), r); // 3. flush to zero
  const I zero = I(0);
  const auto any_inf = (ma == inf) | (mb == inf);
  const auto any_zero = (ma == zero) | (mb == zero);
  r = xsimd::select(any_inf, xsimd::select(any_zero, I(int32_t(kCanonicalNaN)), inf), r); // 2.
  r = r | sign;
  r = xsimd::select((ma > inf) | (mb > inf), I(int32_t(kCanonicalNaN)), r); // 1. NaN
  r = xsimd::select(any_inf & any_zero, I(int32_t(kCanonicalNaN)), r);
  return xsimd::bitwise_cast<F>(r);
}

} // namespace lmul
