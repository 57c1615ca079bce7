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
#include <type_traits>

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

// What a set of (quantized) operands can be: the range of fp32 exponent fields of its nonzero
// members, whether it holds inf or NaN, zeros, negative values. Dense kernels use it to prove
// that a policy's packed fast path cannot meet a special case (see packed_variant below), so
// min_exp must bound every member from below: a subnormal (field 0) counts as
// kSubnormalField, the field its leading bit would have if it were the lowest (2^-149).
struct OperandRange {
  static constexpr int kSubnormalField = -22;
  int min_exp = 255, max_exp = 0;
  bool special = false, zero = false, negative = false;
  void add(float q) {
    negative = negative || std::signbit(q);
    const uint32_t m = bits_of(q) & kAbsMask;
    if (m == 0) {
      zero = true;
      return;
    }
    const int e = static_cast<int>(m >> 23);
    if (e == 255)
      special = true;
    const int lowest = e == 0 ? kSubnormalField : e;
    min_exp = lowest < min_exp ? lowest : min_exp;
    max_exp = e > max_exp ? e : max_exp;
  }
};

// Besides operand/product/skips, each policy offers packed paths for dense layers, where
// per-weight work is done once when the layer is prepared and per-input work once per input:
//   Packed                        the per-weight type the kernel stores (float or int32_t)
//   packing(wr)                   the packing mode for weights of range wr (0: none)
//   pack_weight(wq, mode)         precomputed once per weight
//   packed_variant(mode, wr, xr)  which product variant V is exact for weights of range wr and
//                                 an input vector of range xr (0: none, use product())
//   input_term<V, A>(xq)          computed once per input, broadcast over outputs
//   packed_product<V>(w, t)       the product, bit-identical to product() for such ranges,
//                                 except that zero products may come out as +0 instead of -0
//                                 (a dense sum that starts at +0 cannot tell them apart).

// a * b in fp32, operands untouched.
class ExactMul {
public:
  static constexpr bool kQuantizes = false; // operand() is the identity
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
  template <class A> xsimd::batch_bool<float, A> skips(const xsimd::batch<float, A>& x) const {
    return x == xsimd::batch<float, A>(0.0f);
  }

  using Packed = float; // product() already is the fast path
  int packing(const OperandRange&) const { return 0; }
  float pack_weight(float w, int) const { return w; }
  template <int Mode, class A> xsimd::batch<float, A> input_term(float x) const { return x; }
  int packed_variant(int, const OperandRange&, const OperandRange&) const { return 0; }
  template <int Mode, class A>
  xsimd::batch<float, A> packed_product(const xsimd::batch<float, A>& w,
                                        const xsimd::batch<float, A>& x) const {
    return w * x;
  }
};

// What FloatMul and both L-Mul variants share: operands are rounded to F with the spec's
// rounding.
class QuantizedOperands {
public:
  static constexpr bool kQuantizes = true;
  explicit QuantizedOperands(const MulSpec& spec) : quantize_(spec.format, spec.rounding) {}
  float operand(float x) const { return quantize_(x); }
  template <class A> xsimd::batch<float, A> operand(const xsimd::batch<float, A>& x) const {
    return quantize_(x);
  }

protected:
  Quantizer quantize_;
};

// A float batch's low and high halves as double batches, and back: widen, then narrow values
// that are exact in fp32 (or overflow to inf). Only for the SSE and AVX register layouts (also
// WebAssembly SIMD, through Emscripten's SSE mapping: f64x2.promote_low_f32x4 and demote).
template <class A>
constexpr bool kHasDoubleHalves = std::is_base_of<xsimd::sse2, A>::value
#if XSIMD_WITH_AVX
                                  || std::is_base_of<xsimd::avx, A>::value
#endif
    ;
template <class A> xsimd::batch<double, A> low_half_as_double(const xsimd::batch<float, A>& x) {
#if XSIMD_WITH_AVX
  if constexpr (std::is_base_of<xsimd::avx, A>::value)
    return _mm256_cvtps_pd(_mm256_castps256_ps128(x));
  else
#endif
    return _mm_cvtps_pd(x);
}
template <class A> xsimd::batch<double, A> high_half_as_double(const xsimd::batch<float, A>& x) {
#if XSIMD_WITH_AVX
  if constexpr (std::is_base_of<xsimd::avx, A>::value)
    return _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
  else
#endif
    return _mm_cvtps_pd(_mm_movehl_ps(x, x));
}
template <class A>
xsimd::batch<float, A> halves_as_float(const xsimd::batch<double, A>& lo,
                                       const xsimd::batch<double, A>& hi) {
#if XSIMD_WITH_AVX
  if constexpr (std::is_base_of<xsimd::avx, A>::value)
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi),
                                1);
  else
#endif
    return _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
}

// Ordinary multiplication in F: the exact product of the quantized operands, rounded once to F
// (nearest-even).
class FloatMul : public QuantizedOperands {
public:
  explicit FloatMul(const MulSpec& spec);
  float product(float a, float b) const;
  template <class A>
  xsimd::batch<float, A> product(const xsimd::batch<float, A>& a,
                                 const xsimd::batch<float, A>& b) const;
  bool skips(float x) const { return x == 0; }
  template <class A> xsimd::batch_bool<float, A> skips(const xsimd::batch<float, A>& x) const {
    return x == xsimd::batch<float, A>(0.0f);
  }

  // Packed paths. For M <= 11 the fp32 product of two F values is exact (24 bits) unless it
  // falls below 2^-126.
  // Mode 1, E = 8, M <= 11: rounding is one integer add and mask, valid while no product can
  //   overflow or fall below 2^-126 (the input ranges decide). For fp32 itself (M = 23) the
  //   product is w * x, valid for every input.
  // Mode 2, E < 8, M <= 11: F's normal range is far inside fp32's, so every product is exact
  //   where it matters (below 2^-126 it rounds to zero in F either way) and no range check is
  //   needed: saturate, then round with a magic number scaled to the product's own quantum
  //   (F's subnormal quantum below F's normal range).
  // Mode 3, M > 11 except fp32 itself: the double product is exact; round it with the magic
  //   number 2^(e + 52 - M) that carries the product's sign and exponent e (an integer add),
  //   valid while no product is below F's smallest normal and, for E < 8, none saturates. For
  //   E = 8 the conversion to float makes overflow inf.
  using Packed = float;
  int packing(const OperandRange& w) const {
    const FloatFormat& f = round_.format();
    if (w.special)
      return 0;
    if (f.M() > 11 && !(f.E() == 8 && f.M() == 23))
      return kHasDoubleHalves<xsimd::default_arch> ? 3 : 0;
    return f.E() == 8 ? 1 : 2;
  }
  float pack_weight(float w, int) const { return w; }
  template <int Mode, class A> auto input_term(float x) const {
    if constexpr (Mode == 3)
      return xsimd::batch<double, A>(x);
    else
      return xsimd::batch<float, A>(x);
  }
  int packed_variant(int mode, const OperandRange& w, const OperandRange& x) const {
    if (x.special)
      return 0;
    if (mode == 2)
      return 2;
    // Products have exponent fields in [lo - 127, hi - 127 + 1].
    const int lo = w.min_exp + x.min_exp, hi = w.max_exp + x.max_exp;
    if (mode == 3) {
      const FloatFormat& f = round_.format();
      const bool no_saturation = hi - 127 + 1 < f.max_exponent() + 127;
      return lo - 127 >= f.min_exponent() + 127 && (f.E() == 8 || no_saturation) ? 3 : 0;
    }
    const bool fp32 = round_.format().dropped_bits() == 0 && round_.format().E() == 8;
    return mode == 1 && (fp32 || (lo >= 128 && hi <= 378)) ? 1 : 0;
  }
  template <int Mode, class A, class T>
  xsimd::batch<float, A> packed_product(const xsimd::batch<float, A>& w, const T& x) const {
    using I = xsimd::batch<int32_t, A>;
    using F = xsimd::batch<float, A>;
    if constexpr (Mode == 3) {
      using D = xsimd::batch<double, A>;
      using L = xsimd::batch<int64_t, A>;
      const L shift(int64_t(52 - round_.format().M()) << 52);
      const auto round = [&shift](const D& p) {
        const D k = xsimd::bitwise_cast<D>(
            (xsimd::bitwise_cast<L>(p) & L(int64_t(0xfff0000000000000u))) + shift);
        return (p + k) - k;
      };
      return halves_as_float(round(low_half_as_double(w) * x), round(high_half_as_double(w) * x));
    } else {
      const I u = xsimd::bitwise_cast<I>(w * x);
      if (Mode == 1 && round_.format().dropped_bits() == 0)
        return w * x;
      if (Mode == 1)
        return xsimd::bitwise_cast<F>(
            round_half_even_lanes(u, 1 << round_.format().dropped_bits()));
      // Saturating first gives the same result: max finite is on F's grid. Adding the magic
      // number 2^(e + 23 - M), e the exponent of the magnitude m (at least F's smallest normal's),
      // leaves F's quantum 2^(e - M) as the sum's ulp, so the hardware rounds m to nearest-even.
      const I m =
          xsimd::min(u & I(int32_t(kAbsMask)), I(int32_t(round_.format().max_finite_bits())));
      const I magic =
          xsimd::max(m & I(int32_t(kInfBits)), I(int32_t(round_.format().min_normal_bits()))) +
          I(int32_t(round_.format().dropped_bits()) << 23);
      const F k = xsimd::bitwise_cast<F>(magic);
      const F r = (xsimd::bitwise_cast<F>(m) + k) - k;
      return xsimd::bitwise_cast<F>(xsimd::bitwise_cast<I>(r) | (u & I(int32_t(kSignBit))));
    }
  }

private:
  Quantizer round_;  // products, always nearest-even
  float tiny_magic_; // for E = 8 products below 2^-126, see product()
  template <class D> D round_wide(const D& p) const;
  template <class A>
  xsimd::batch<float, A> wide_product(const xsimd::batch<float, A>& a,
                                      const xsimd::batch<float, A>& b) const;
  // |a * b| rounded to F, for b given as its double halves.
  template <class A>
  xsimd::batch<float, A> round_wide(const xsimd::batch<float, A>& a,
                                    const xsimd::batch<double, A>& b_lo,
                                    const xsimd::batch<double, A>& b_hi) const {
    return halves_as_float(round_wide(low_half_as_double(a) * b_lo),
                           round_wide(high_half_as_double(a) * b_hi));
  }
};

// L-Mul, both variants: the integer adder (default) and the exact formula.
// The adder works on packed fields in the fp32 layout: for operand magnitudes ma, mb (bit
// patterns) the result pattern is ma + mb + offset - (127 << 23). The sums need 32 unsigned
// bits; SIMD lanes compare them as signed after flipping the top bit.
template <bool Formula> class LMulT : public QuantizedOperands {
public:
  explicit LMulT(const MulSpec& spec);
  float product(float a, float b) const;
  template <class A>
  xsimd::batch<float, A> product(const xsimd::batch<float, A>& a,
                                 const xsimd::batch<float, A>& b) const;
  // Zero or F-subnormal operands flush the product to +-0 (special-value rule 3).
  bool skips(float x) const { return (bits_of(x) & kAbsMask) < min_normal_bits_; }
  template <class A> xsimd::batch_bool<float, A> skips(const xsimd::batch<float, A>& x) const {
    using I = xsimd::batch<int32_t, A>;
    const I m = xsimd::bitwise_cast<I>(x) & I(int32_t(kAbsMask));
    return float_mask(m < I(int32_t(min_normal_bits_)));
  }

  // Packed paths. Each turns a product into a few operations on precomputed weight terms.
  // Adder, mode 1 "pure", when no weight flushes (E = 8 models): weights store
  //   sign << 31 | (magnitude + offset) and inputs magnitude - (127 << 23), so a product is
  //   (w + x_magnitude) ^ x_sign: two integer operations, the algorithm's actual cost.
  // Adder, mode 2 "masked", M < 23: weights store magnitude + offset - bias with the sign in
  //   the (always zero) lowest mantissa bit, or INT32_MIN when they flush; underflow is masked.
  // Formula, mode 1, M <= 21, no F-subnormal weights: with W2 = 2^xe and X2 = 2^ye the value
  //   (1 + xm + ym + 2^-l) 2^(xe+ye) = |w| X2 + W2 (ym + 2^-l) X2 is exact in fp32 (at most
  //   M + 2 bits, power-of-two scalings), so one rounding gives the result.
  // Formula, mode 2, M <= 21, E < 8: as mode 1, with weights that flush stored as zero, and
  //   underflow and saturation applied to the rounded value like the scalar path does (F's
  //   whole range lies inside fp32's normal range there, so v stays exact).
  // Every other mode needs the exponent ranges to rule out overflow; modes 1 also underflow.
  using Packed = std::conditional_t<Formula, float, int32_t>;
  int packing(const OperandRange& w) const {
    if (w.special)
      return 0;
    if (Formula) {
      if (drop_ < 2)
        return 0;
      if (overflow_bits_ != kInfBits) // E < 8
        return 2;
      return w.min_exp >= min_field_ ? 1 : 0; // zero weights are fine here
    }
    if (!w.zero && w.min_exp >= min_field_)
      return 1;
    return drop_ > 0 ? 2 : 0;
  }
  Packed pack_weight(float w, int mode) const {
    if constexpr (Formula) {
      return mode == 2 && (bits_of(w) & kAbsMask) < min_normal_bits_
                 ? float_of(bits_of(w) & kSignBit)
                 : w;
    } else {
      const uint32_t u = bits_of(w), m = u & kAbsMask;
      if (mode == 1)
        return static_cast<int32_t>((u & kSignBit) | (m + offset_bits_));
      if (m < min_normal_bits_)
        return INT32_MIN;
      return static_cast<int32_t>((m + offset_bits_ - (127u << 23)) | (u >> 31));
    }
  }
  template <class A> struct AdderTerm { xsimd::batch<int32_t, A> magnitude, sign; };
  template <class A> struct FormulaTerm {
    xsimd::batch<float, A> scale, shifted;
    xsimd::batch<int32_t, A> sign;
  };
  template <class A> using Term = std::conditional_t<Formula, FormulaTerm<A>, AdderTerm<A>>;
  template <int Mode, class A> Term<A> input_term(float x) const {
    using I = xsimd::batch<int32_t, A>;
    const uint32_t u = bits_of(x), m = u & kAbsMask;
    if constexpr (Formula) {
      using F = xsimd::batch<float, A>;
      const float scale = float_of(m & kInfBits); // 2^ye
      return {F(scale), F(float_of(m) - scale + offset_value_ * scale),
              I(static_cast<int32_t>(u & kSignBit))};
    } else {
      if (Mode == 2)
        return {I(static_cast<int32_t>(m)), I(static_cast<int32_t>(u >> 31))};
      return {I(static_cast<int32_t>(m - (127u << 23))), I(static_cast<int32_t>(u & kSignBit))};
    }
  }
  // Variants: 1 and 2 are modes 1 and 2; 3 is mode 1 for inputs without negative values,
  // where the sign XOR is the identity and a product is one integer add.
  int packed_variant(int mode, const OperandRange& w, const OperandRange& x) const {
    const bool no_overflow = w.max_exp + x.max_exp - 127 + 2 <= max_field_; // 2 carries
    const bool no_underflow = w.min_exp + x.min_exp - 127 >= min_field_;
    if (x.special)
      return 0;
    if (Formula && mode == 2)
      return 2; // saturates and flushes itself
    if (!no_overflow)
      return 0;
    if (mode == 2)
      return 2;
    if (mode != 1 || !no_underflow)
      return 0;
    return !Formula && !x.negative ? 3 : 1;
  }
  template <int Mode, class A>
  xsimd::batch<float, A> packed_product(const xsimd::batch<Packed, A>& w, const Term<A>& x) const {
    using I = xsimd::batch<int32_t, A>;
    using F = xsimd::batch<float, A>;
    if constexpr (Formula) {
      const I wi = xsimd::bitwise_cast<I>(w);
      const F magnitude = xsimd::bitwise_cast<F>(wi & I(int32_t(kAbsMask)));
      const F scale = xsimd::bitwise_cast<F>(wi & I(int32_t(kInfBits))); // 2^xe
      const F v = magnitude * x.scale + scale * x.shifted;               // exact
      I r = round_half_even_lanes(xsimd::bitwise_cast<I>(v), 1 << drop_);
      if (Mode == 2) {
        r = xsimd::min(r, I(int32_t(overflow_bits_)));
        r = r & I((r > I(int32_t(min_normal_bits_) - 1)).data);
      }
      return xsimd::bitwise_cast<F>(r | ((wi ^ x.sign) & I(int32_t(kSignBit))));
    } else {
      if (Mode == 3)
        return xsimd::bitwise_cast<F>(w + x.magnitude);
      if (Mode == 1)
        return xsimd::bitwise_cast<F>((w + x.magnitude) ^ x.sign);
      const I r = (w + x.magnitude) ^ x.sign; // bit 0 now holds the product's sign
      const I v = (r & I(~1)) | (r << 31);
      return xsimd::bitwise_cast<F>(
          xsimd::select(r > I(static_cast<int32_t>(min_normal_bits_) - 1), v, I(0)));
    }
  }

private:
  int drop_;
  uint32_t offset_bits_; // 2^(M - l(M)) in F's mantissa units, in the fp32 layout
  uint32_t min_normal_bits_;
  uint32_t overflow_bits_;                // inf for E = 8, max finite for E < 8 (satfinite)
  uint32_t underflow_sum_, overflow_sum_; // thresholds on ma + mb + offset
  int min_field_, max_field_; // fp32 exponent fields of F's smallest normal, largest finite
  float offset_value_;        // 2^-l(M)
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
    // fp32 multiplication rounds once, to nearest-even, with IEEE overflow: F(8, 23) itself.
    if (f.E() == 8 && f.M() == 23)
      return a * b;
    return wide_product(a, b);
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

// Significands of up to 24 bits each: the fp32 product would round before F does, and double
// rounding is not single rounding. The double product is exact: round that. Not inlined: the
// dense kernels have packed paths for these formats, and the wasm module a size budget.
template <class A>
[[gnu::noinline]] xsimd::batch<float, A>
FloatMul::wide_product(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b) const {
  using F = xsimd::batch<float, A>;
  if constexpr (kHasDoubleHalves<A>) {
    using I = xsimd::batch<int32_t, A>;
    const F r = round_wide(a, low_half_as_double(b), high_half_as_double(b));
    const I sign = (xsimd::bitwise_cast<I>(a) ^ xsimd::bitwise_cast<I>(b)) & I(int32_t(kSignBit));
    // inf and NaN products (round_wide makes NaN of them) pass through, as in the scalar path;
    // finite fp32 products do not overflow for E < 8, and for E = 8 overflow means inf.
    const F p = a * b;
    return xsimd::select(xsimd::abs(p) < F(std::numeric_limits<float>::infinity()),
                         xsimd::bitwise_cast<F>(xsimd::bitwise_cast<I>(r) | sign), p);
  } else {
    alignas(64) float av[F::size], bv[F::size];
    a.store_aligned(av);
    b.store_aligned(bv);
    for (std::size_t i = 0; i < F::size; ++i)
      av[i] = product(av[i], bv[i]);
    return F::load_aligned(av);
  }
}

// Rounds the magnitude of an exact double product p to F, nearest-even: adding the magic number
// 2^(e + 52 - M), e the exponent of the magnitude (at least F's smallest normal's), leaves F's
// quantum as the sum's ulp. Overflow for E = 8 is left to the conversion to float, where
// anything above F's largest finite is at least 2^128 and becomes inf.
template <class D> D FloatMul::round_wide(const D& p) const {
  using L = xsimd::batch<int64_t, typename D::arch_type>;
  D m = xsimd::bitwise_cast<D>(xsimd::bitwise_cast<L>(p) & L(int64_t(0x7fffffffffffffff)));
  const FloatFormat& f = round_.format();
  if (f.E() < 8)
    m = xsimd::min(m, D(f.max_finite())); // satfinite
  const D e = xsimd::bitwise_cast<D>(xsimd::bitwise_cast<L>(m) & L(int64_t(0x7ff0000000000000)));
  const D k = xsimd::max(e, D(f.min_normal())) * D(double_of(uint64_t(1023 + 52 - f.M()) << 52));
  return (m + k) - k;
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
    const I m2 = t - I(0x00800000); // the mantissa field after the carry, fp32 layout
    I q;
    if (drop_ == 0) // M = 23: halve and round half even at bit 0
      q = (m2 >> 1) + (m2 & (m2 >> 1) & I(1));
    else // m2 / 2 is exact; round it to F's grid
      q = round_half_even_lanes(m2 >> 1, 1 << drop_);
    s = s - xsimd::select(t > I(0x007fffff), m2 - q, I(0));
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
