// L-Mul (NUMERICS.md section 2): the integer adder of the paper ("lmul"), its exact formula
// ("lmul-formula"), and what they share with every adder-style method: the special values and
// the flush, underflow and overflow rules.
//
// The adder works on packed fields in the fp32 layout. An F value's pattern, read as an integer,
// is its packed magnitude P = e * 2^23 + f (f in the top M mantissa bits), so for operand
// magnitudes ma, mb the result pattern is ma + mb + offset - bias: the paper's
// Pa + Pb - B * 2^M + 2^(M - l(M)), scaled to the fp32 layout. The sums need 32 unsigned bits.
#pragma once

#include <cstdint>
#include <tuple>

#include "lmul/mul_spec.hpp"
#include "lmul/simd.hpp"

namespace lmul {

// Constants and rules every L-Mul-style method shares.
class LMulRules : public QuantizedOperands {
public:
  LMulRules(const MulSpec& spec, uint32_t offset_bits);

  // Zero or F-subnormal operands flush the product to +-0 (special-value rule 3).
  template <class F> auto skips(const F& x) const {
    using I = IntLanes<F>;
    return float_mask((as_int(x) & I(int32_t(kAbsMask))) < I(int32_t(min_normal_bits_)));
  }

  // Special values 1-3 of NUMERICS.md, applied to r, the result the method computed for normal
  // operands of magnitudes ma, mb (patterns) with the product's sign bit in `sign`:
  // 1. a NaN operand gives NaN; 2. an inf operand gives NaN with a zero, else inf;
  // 3. a zero or F-subnormal operand gives zero. Signs XOR, except for NaN.
  template <class I> I special_values(const I& ma, const I& mb, const I& sign, const I& r) const {
    const I inf = I(int32_t(kInfBits)), zero = I(0), nan = I(int32_t(kCanonicalNaN));
    const I min_normal = I(int32_t(min_normal_bits_));
    const auto any_inf = either(ma == inf, mb == inf);
    const auto any_zero = either(ma == zero, mb == zero);
    I out = select(either(ma < min_normal, mb < min_normal), zero, r);                    // 3
    out = select(any_inf, inf, out) | sign;                                               // 2
    return select(either(either(ma > inf, mb > inf), both(any_inf, any_zero)), nan, out); // 1, 2
  }

  // Rules 4 and 5 for a packed sum s = ma + mb + offset (unsigned): the bias removed, or zero
  // below F's normal range (underflow), or the overflow value above its largest finite (inf for
  // E = 8, max finite for E < 8). Flipping the top bit orders unsigned sums as signed lanes.
  template <class I> I packed_result(const I& s) const {
    const I flip = I(int32_t(kSignBit));
    const I sf = s ^ flip;
    I r = s - I(int32_t(kBiasField));
    r = select(sf < I(int32_t(underflow_sum_ ^ kSignBit)), I(0), r);
    return select(sf > I(int32_t(overflow_sum_ ^ kSignBit)), I(int32_t(overflow_bits_)), r);
  }

  // Range proofs for packed paths. A product's exponent field lies in
  // [w.min + x.min - 127, w.max + x.max - 127 + 2]: the mantissa sum can carry twice.
  bool no_overflow(const OperandRange& w, const OperandRange& x) const {
    return w.max_exp + x.max_exp - 127 + 2 <= max_field_;
  }
  bool no_underflow(const OperandRange& w, const OperandRange& x) const {
    return w.min_exp + x.min_exp - 127 >= min_field_;
  }
  bool all_normal(const OperandRange& r) const { return !r.zero && r.min_exp >= min_field_; }

  int drop() const { return drop_; }
  uint32_t offset_bits() const { return offset_bits_; }
  uint32_t min_normal_bits() const { return min_normal_bits_; }
  uint32_t overflow_bits() const { return overflow_bits_; }
  bool saturates() const { return overflow_bits_ != kInfBits; } // E < 8

protected:
  int drop_;             // fp32 mantissa bits F does not keep
  uint32_t offset_bits_; // the offset 2^(M - l(M)) in F's mantissa units, in the fp32 layout
  uint32_t min_normal_bits_;
  uint32_t overflow_bits_;                // inf for E = 8, max finite for E < 8 (satfinite)
  uint32_t underflow_sum_, overflow_sum_; // thresholds on ma + mb + offset
  int min_field_, max_field_; // fp32 exponent fields of F's smallest normal, largest finite
};

// The integer adder: P = Pa + Pb - B * 2^M + offset, carries running into the exponent. lmul
// and mitchell differ only in the offset.
class IntegerAdder : public LMulRules {
public:
  using LMulRules::LMulRules;

  template <class F> F product(const F& a, const F& b) const {
    using I = IntLanes<F>;
    const I ua = as_int(a), ub = as_int(b);
    const I sign = (ua ^ ub) & I(int32_t(kSignBit));
    const I ma = ua & I(int32_t(kAbsMask)), mb = ub & I(int32_t(kAbsMask));
    const I s = ma + mb + I(int32_t(offset_bits_)); // wraps as unsigned, as intended
    const I r = packed_result(s);
    // When every lane's operands are normal and finite in F (almost always), the special values
    // leave r | sign as it is: skip them.
    const I min_normal = I(int32_t(min_normal_bits_)), inf = I(int32_t(kInfBits));
    const auto normal = both(both(ma >= min_normal, ma < inf), both(mb >= min_normal, mb < inf));
    if (lane_mask(float_mask(normal)) == (1u << LaneTypes<F>::size) - 1)
      return as_float(r | sign);
    return as_float(special_values(ma, mb, sign, r));
  }

  // Weights of an E = 8 model where none flushes: stored as sign << 31 | (magnitude + offset),
  // so with an input's magnitude - bias a product is one integer add and one XOR, the
  // algorithm's actual cost.
  struct Pure {
    static constexpr const char* kName = "pure";
    using Weight = int32_t;
    static bool fits(const IntegerAdder& p, const OperandRange& w) { return p.all_normal(w); }
    static Weight pack(const IntegerAdder& p, float w) {
      const uint32_t u = bits_of(w);
      return static_cast<int32_t>((u & kSignBit) | ((u & kAbsMask) + p.offset_bits()));
    }
    template <class F> struct Term { IntLanes<F> magnitude, sign; };
    template <class F> static Term<F> make_term(float x) {
      const uint32_t u = bits_of(x);
      return {IntLanes<F>(int32_t((u & kAbsMask) - kBiasField)),
              IntLanes<F>(int32_t(u & kSignBit))};
    }

    // Inputs without negative values (MNIST pixels, ReLU outputs): the XOR is the identity.
    struct Unsigned {
      static constexpr const char* kName = "pure-unsigned";
      static bool proves(const IntegerAdder& p, const OperandRange& w, const OperandRange& x) {
        return !x.negative && p.no_overflow(w, x) && p.no_underflow(w, x);
      }
      template <class F> static Term<F> term(const IntegerAdder&, float x) {
        return make_term<F>(x);
      }
      template <class F>
      static F product(const IntegerAdder&, const IntLanes<F>& w, const Term<F>& t) {
        return as_float(w + t.magnitude);
      }
    };
    struct Signed {
      static constexpr const char* kName = "pure";
      static bool proves(const IntegerAdder& p, const OperandRange& w, const OperandRange& x) {
        return p.no_overflow(w, x) && p.no_underflow(w, x);
      }
      template <class F> static Term<F> term(const IntegerAdder&, float x) {
        return make_term<F>(x);
      }
      template <class F>
      static F product(const IntegerAdder&, const IntLanes<F>& w, const Term<F>& t) {
        return as_float((w + t.magnitude) ^ t.sign);
      }
    };
    using Products = std::tuple<Unsigned, Signed>;
  };

  // Any weights, M < 23: stored as magnitude + offset - bias with the sign in the (always zero)
  // lowest mantissa bit, or INT32_MIN when they flush; underflow is masked per product.
  struct Masked {
    static constexpr const char* kName = "masked";
    using Weight = int32_t;
    static bool fits(const IntegerAdder& p, const OperandRange&) { return p.drop() > 0; }
    static Weight pack(const IntegerAdder& p, float w) {
      const uint32_t u = bits_of(w), m = u & kAbsMask;
      if (m < p.min_normal_bits())
        return INT32_MIN;
      return static_cast<int32_t>((m + p.offset_bits() - kBiasField) | (u >> 31));
    }
    struct Product {
      static constexpr const char* kName = "masked";
      static bool proves(const IntegerAdder& p, const OperandRange& w, const OperandRange& x) {
        return p.no_overflow(w, x);
      }
      template <class F> struct Term { IntLanes<F> magnitude, sign; };
      template <class F> static Term<F> term(const IntegerAdder&, float x) {
        const uint32_t u = bits_of(x);
        return {IntLanes<F>(int32_t(u & kAbsMask)), IntLanes<F>(int32_t(u >> 31))};
      }
      template <class F>
      static F product(const IntegerAdder& p, const IntLanes<F>& w, const Term<F>& t) {
        using I = IntLanes<F>;
        const I r = (w + t.magnitude) ^ t.sign; // bit 0 now holds the product's sign
        const I v = (r & I(~1)) | (r << 31);
        return as_float(select(r > I(int32_t(p.min_normal_bits()) - 1), v, I(0)));
      }
    };
    using Products = std::tuple<Product>;
  };
  using Packings = std::tuple<Pure, Masked>;
};

// lmul, the paper's L-Mul: the adder with the offset 2^(M - l(M)).
class LMul : public IntegerAdder {
public:
  static constexpr Method kMethod = Method::lmul;
  static constexpr const char* kName = "lmul";
  explicit LMul(const MulSpec& spec);
};

// lmul-formula: v = (1 + xm + ym + 2^-l(M)) 2^(xe+ye) computed exactly, then rounded to F
// (nearest-even), zero below F's normal range.
class LMulFormula : public LMulRules {
public:
  static constexpr Method kMethod = Method::lmul_formula;
  static constexpr const char* kName = "lmul-formula";
  explicit LMulFormula(const MulSpec& spec);

  template <class F> F product(const F& a, const F& b) const {
    using I = IntLanes<F>;
    const I ua = as_int(a), ub = as_int(b);
    const I sign = (ua ^ ub) & I(int32_t(kSignBit));
    const I ma = ua & I(int32_t(kAbsMask)), mb = ub & I(int32_t(kAbsMask));
    // As the adder, except where the mantissa sum t = xm + ym + offset carries: there the formula
    // halves it (1 + t) = 2 (1 + (t - 1) / 2) instead of letting it run into the exponent, and
    // (t - 1) / 2 is rounded half to even on F's grid.
    const I t = (ma & I(int32_t(kMantissaMask))) + (mb & I(int32_t(kMantissaMask))) +
                I(int32_t(offset_bits_));
    const I m2 = t - I(int32_t(kImplicitOne)); // the mantissa field after the carry
    const I q = round_half_even_bits(m2, int32_t(2) << drop_) >> 1;
    const I s =
        ma + mb + I(int32_t(offset_bits_)) - select(t > I(int32_t(kMantissaMask)), m2 - q, I(0));
    return as_float(special_values(ma, mb, sign, packed_result(s)));
  }

  // With W2 = 2^xe and X2 = 2^ye, v = |w| X2 + W2 (ym + 2^-l) X2 is exact in fp32 for M <= 21
  // (at most M + 2 significant bits, power-of-two scalings), so one rounding gives the result.
  template <class F> struct Term {
    F scale, shifted; // 2^ye, and (ym + 2^-l) 2^ye
    IntLanes<F> sign;
  };
  template <class F> static Term<F> make_term(const LMulFormula& p, float x) {
    const uint32_t u = bits_of(x), m = u & kAbsMask;
    const float scale = float_of(m & kInfBits);
    return {F(scale), F(float_of(m) - scale + p.offset_value_ * scale),
            IntLanes<F>(int32_t(u & kSignBit))};
  }
  template <class F> F exact_sum_rounded(const F& w, const Term<F>& t) const {
    using I = IntLanes<F>;
    const I wi = as_int(w);
    const F magnitude = as_float(wi & I(int32_t(kAbsMask)));
    const F scale = as_float(wi & I(int32_t(kInfBits))); // 2^xe
    const F v = magnitude * t.scale + scale * t.shifted; // exact
    return as_float(round_half_even_bits(as_int(v), int32_t(1) << drop_) |
                    ((wi ^ t.sign) & I(int32_t(kSignBit))));
  }

  // E = 8, no F-subnormal weights (zeros are fine): exact while no product under- or overflows.
  struct Fp32Range {
    static constexpr const char* kName = "exact-sum";
    using Weight = float;
    static constexpr bool kIdentity = true; // pack(w) == w: the kernel keeps one copy
    static bool fits(const LMulFormula& p, const OperandRange& w) {
      return p.drop() >= 2 && !p.saturates() && w.min_exp >= p.min_field_;
    }
    static Weight pack(const LMulFormula&, float w) { return w; }
    struct Product {
      static constexpr const char* kName = "exact-sum";
      static bool proves(const LMulFormula& p, const OperandRange& w, const OperandRange& x) {
        return p.no_overflow(w, x) && p.no_underflow(w, x);
      }
      template <class F> static Term<F> term(const LMulFormula& p, float x) {
        return make_term<F>(p, x);
      }
      template <class F> static F product(const LMulFormula& p, const F& w, const Term<F>& t) {
        return p.exact_sum_rounded(w, t);
      }
    };
    using Products = std::tuple<Product>;
  };

  // E < 8: F's whole range lies inside fp32's normal range, so v stays exact; weights that flush
  // are stored as zero, and saturation and underflow are applied to the rounded value as the
  // scalar path does. No range proof needed.
  struct Narrow {
    static constexpr const char* kName = "saturating";
    using Weight = float;
    static bool fits(const LMulFormula& p, const OperandRange&) {
      return p.drop() >= 2 && p.saturates();
    }
    static Weight pack(const LMulFormula& p, float w) {
      return (bits_of(w) & kAbsMask) < p.min_normal_bits() ? float_of(bits_of(w) & kSignBit) : w;
    }
    struct Product {
      static constexpr const char* kName = "saturating";
      static bool proves(const LMulFormula&, const OperandRange&, const OperandRange&) {
        return true;
      }
      template <class F> static Term<F> term(const LMulFormula& p, float x) {
        return make_term<F>(p, x);
      }
      template <class F> static F product(const LMulFormula& p, const F& w, const Term<F>& t) {
        using I = IntLanes<F>;
        const F v = p.exact_sum_rounded(w, t);
        const I sign = as_int(v) & I(int32_t(kSignBit));
        I r = min(as_int(v) & I(int32_t(kAbsMask)), I(int32_t(p.overflow_bits())));
        r = r & ones_where<I>(r > I(int32_t(p.min_normal_bits()) - 1));
        return as_float(r | sign);
      }
    };
    using Products = std::tuple<Product>;
  };
  using Packings = std::tuple<Fp32Range, Narrow>;

private:
  float offset_value_; // 2^-l(M)
};

} // namespace lmul
