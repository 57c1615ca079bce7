// float: ordinary multiplication in F (fp8 / bf16 style, NUMERICS.md section 2): the exact
// product of the quantized operands, rounded once to F, nearest-even.
#pragma once

#include <limits>
#include <tuple>

#include "lmul/mul_spec.hpp"
#include "lmul/simd.hpp"

namespace lmul {

class FloatMul : public QuantizedOperands {
public:
  static constexpr Method kMethod = Method::floating;
  static constexpr const char* kName = "float";
  explicit FloatMul(const MulSpec& spec);

  // The scalar reference: both operands have at most 24 significant bits, so their product is
  // exact in double; round that once.
  float product(float a, float b) const;
  template <class A>
  xsimd::batch<float, A> product(const xsimd::batch<float, A>& a,
                                 const xsimd::batch<float, A>& b) const;
  template <class F> auto skips(const F& x) const { return x == F(0.0f); }

  const FloatFormat& format() const { return round_.format(); }

  // Dense layers keep the quantized weights as they are; the product forms differ by format.
  struct Quantized {
    static constexpr const char* kName = "quantized";
    using Weight = float;
    static constexpr bool kIdentity = true; // pack(w) == w: the kernel keeps one copy
    static bool fits(const FloatMul&, const OperandRange&) { return true; }
    static Weight pack(const FloatMul&, float w) { return w; }

    template <class F> static F term(const FloatMul&, float x) { return F(x); }
    // F(8, 23) is fp32 itself: one multiplication, rounded by the hardware, for any range.
    struct Fp32 {
      static constexpr const char* kName = "fp32";
      static bool proves(const FloatMul& p, const OperandRange&, const OperandRange&) {
        return p.format().E() == 8 && p.format().M() == 23;
      }
      template <class F> static F term(const FloatMul& p, float x) {
        return Quantized::term<F>(p, x);
      }
      template <class F> static F product(const FloatMul&, const F& w, const F& x) { return w * x; }
    };
    // E = 8, M <= 11: the fp32 product of two F values is exact (at most 24 bits); rounding it to
    // M bits is one integer add and mask, while no product can overflow or fall below 2^-126
    // (fields 1..254 for every product: 128 <= w.min + x.min and w.max + x.max <= 378).
    struct NarrowE8 {
      static constexpr const char* kName = "narrow-e8";
      static bool proves(const FloatMul& p, const OperandRange& w, const OperandRange& x) {
        return p.format().E() == 8 && p.format().M() <= 11 && w.min_exp + x.min_exp >= 128 &&
               w.max_exp + x.max_exp <= 378;
      }
      template <class F> static F term(const FloatMul& p, float x) {
        return Quantized::term<F>(p, x);
      }
      template <class F> static F product(const FloatMul& p, const F& w, const F& x) {
        return as_float(
            round_half_even_bits(as_int(w * x), int32_t(1) << p.format().dropped_bits()));
      }
    };
    // E < 8, M <= 11: F's normal range is far inside fp32's, so every product is exact where it
    // matters (below 2^-126 it rounds to zero in F either way): saturate, then round with the
    // magic number of the product's own binade (F's subnormal quantum below F's normal range).
    // Saturating first gives the same result: max finite is on F's grid. No range proof needed.
    struct Narrow {
      static constexpr const char* kName = "narrow";
      static bool proves(const FloatMul& p, const OperandRange&, const OperandRange&) {
        return p.format().E() < 8 && p.format().M() <= 11;
      }
      template <class F> static F term(const FloatMul& p, float x) {
        return Quantized::term<F>(p, x);
      }
      template <class F> static F product(const FloatMul& p, const F& w, const F& x) {
        using I = IntLanes<F>;
        const FloatFormat& f = p.format();
        const I u = as_int(w * x);
        const F m = as_float(min(u & I(int32_t(kAbsMask)), I(int32_t(f.max_finite_bits()))));
        const F exponent_of_m = as_float(as_int(m) & I(int32_t(kInfBits)));
        const F r = round_with_magic(
            m, binade_magic(exponent_of_m, F(f.min_normal()), F(p.mantissa_magic_scale_)));
        return as_float(as_int(r) | (u & I(int32_t(kSignBit))));
      }
    };
    // M > 11 except fp32: the double product is exact; rounding it with a magic number that
    // carries the product's own sign and binade, 2^(e + 52 - M), is one add and one subtract,
    // while no product is below F's smallest normal and, for E < 8, none saturates. (For E = 8
    // the conversion to float makes overflow inf.) Needs the float <-> double halves of simd.hpp.
    struct Wide {
      static constexpr const char* kName = "wide";
      static bool proves(const FloatMul& p, const OperandRange& w, const OperandRange& x) {
        const FloatFormat& f = p.format();
        if (!kHasDoubleHalves<xsimd::default_arch> || f.M() <= 11 || (f.E() == 8 && f.M() == 23))
          return false;
        // Product exponent fields lie in [lo - 127, hi - 127 + 1].
        const int lo = w.min_exp + x.min_exp, hi = w.max_exp + x.max_exp;
        const bool no_saturation = hi - 127 + 1 < f.max_exponent() + 127;
        return lo - 127 >= f.min_exponent() + 127 && (f.E() == 8 || no_saturation);
      }
      template <class F> static DoubleLanes<F> term(const FloatMul&, float x) {
        return DoubleLanes<F>(double(x));
      }
      template <class F> static F product(const FloatMul& p, const F& w, const DoubleLanes<F>& x) {
        using D = DoubleLanes<F>;
        using L = typename LaneTypes<F>::Int64;
        const L sign_and_binade = L(int64_t(0xfff0000000000000u));
        const L scale_bits = L(int64_t(52 - p.format().M()) << 52); // times 2^(52 - M)
        return widen_apply(w, [&](const D& wd) {
          const D product = wd * x;
          return round_with_magic(product,
                                  as_double((as_int64(product) & sign_and_binade) + scale_bits));
        });
      }
    };
    using Products = std::tuple<Fp32, NarrowE8, Narrow, Wide>;
  };
  using Packings = std::tuple<Quantized>;

private:
  Quantizer round_;            // products, always nearest-even
  float tiny_magic_;           // rounds products below 2^-126, scaled by kTinyScale, see product()
  float mantissa_magic_scale_; // 2^(23 - M): binade_magic's scale for float lanes
  double wide_magic_scale_;    // 2^(52 - M): the same for double lanes
  template <class D> D round_wide(const D& p) const;
  template <class A>
  xsimd::batch<float, A> wide_product(const xsimd::batch<float, A>& a,
                                      const xsimd::batch<float, A>& b) const;
};

// Products below 2^-126 are rounded by the fp32 multiplication itself; scaled by 2^24 they are
// exact, so they can be rounded on F's subnormal grid (quantum 2^(-126 - M)), scaled alike.
constexpr float kTinyScale = 16777216.0f; // 2^24

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
    // (For E < 8 such products round to zero in F anyway, and no product of two F values
    // overflows fp32.)
    const F ap = abs(p);
    const auto tiny = (ap < F(std::numeric_limits<float>::min())) & (ap != F(0.0f));
    const F ps = abs((a * F(kTinyScale)) * b);
    const F rs = round_with_magic(ps, F(tiny_magic_)) * F(1.0f / kTinyScale);
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
    const F r = halves_as_float(round_wide(low_half_as_double(a) * low_half_as_double(b)),
                                round_wide(high_half_as_double(a) * high_half_as_double(b)));
    const I sign = (as_int(a) ^ as_int(b)) & I(int32_t(kSignBit));
    // inf and NaN products (round_wide makes NaN of them) pass through, as in the scalar path;
    // finite fp32 products do not overflow for E < 8, and for E = 8 overflow means inf.
    const F p = a * b;
    return xsimd::select(abs(p) < F(std::numeric_limits<float>::infinity()),
                         as_float(as_int(r) | sign), p);
  } else {
    alignas(64) float av[F::size], bv[F::size];
    a.store_aligned(av);
    b.store_aligned(bv);
    for (std::size_t i = 0; i < F::size; ++i)
      av[i] = product(av[i], bv[i]);
    return F::load_aligned(av);
  }
}

// The magnitude of an exact double product p rounded to F, nearest-even, saturated for E < 8.
// Overflow for E = 8 is left to the conversion to float, where anything above F's largest
// finite is at least 2^128 and becomes inf.
template <class D> D FloatMul::round_wide(const D& p) const {
  using L = xsimd::batch<int64_t, typename D::arch_type>;
  D m = as_double(as_int64(p) & L(int64_t(0x7fffffffffffffff)));
  const FloatFormat& f = round_.format();
  if (f.E() < 8)
    m = min(m, D(f.max_finite())); // satfinite
  const D exponent_of_m = as_double(as_int64(m) & L(int64_t(0x7ff0000000000000)));
  return round_with_magic(m, binade_magic(exponent_of_m, D(f.min_normal()), D(wide_magic_scale_)));
}

} // namespace lmul
