// What every multiplier policy shares: the method names, the spec (method, format, rounding),
// the operand ranges kernels prove fast paths with, and the shape a policy has.
#pragma once

#include <cmath>
#include <string>

#include "lmul/format.hpp"

namespace lmul {

// The multipliers of NUMERICS.md section 2. The registry in multiply.hpp maps each to its
// policy type and its name; every list of methods (CLI tables, the package) comes from there.
enum class Method { exact, floating, lmul, lmul_formula, mitchell };

struct MulSpec {
  Method method = Method::lmul;
  FloatFormat format{8, 7};
  Rounding rounding = Rounding::nearest;

  std::string describe() const; // "lmul E8M7 nearest", or "exact"
  // Same multiplier: exact ignores format and rounding.
  bool operator==(const MulSpec& o) const {
    return method == o.method &&
           (method == Method::exact || (format == o.format && rounding == o.rounding));
  }
  bool operator!=(const MulSpec& o) const { return !(*this == o); }
};

// l(M) of the paper: the offset is 2^-l(M).
inline int lmul_offset_exponent(int M) { return M <= 3 ? M : (M == 4 ? 3 : 4); }

// The NaN the approximate multipliers return (its payload is not part of the contract).
constexpr uint32_t kCanonicalNaN = 0x7fc00000u;

// What a set of (quantized) operands can be: the range of fp32 exponent fields of its nonzero
// members, whether it holds inf or NaN, zeros, negative values. Dense kernels use it to prove
// that a packed path cannot meet a special case, so min_exp must bound every member from below:
// a subnormal (field 0) counts as kSubnormalField, the field its leading bit would have if it
// were the lowest (2^-149).
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

// What every method but exact shares: operands are rounded to F with the spec's rounding.
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

// The shape of a multiplier policy P (one per method; see multiply.hpp for the registry):
//
//   static constexpr Method kMethod; static constexpr const char* kName;
//   static constexpr bool kQuantizes    operand() is not the identity
//   explicit P(const MulSpec&)
//   F operand(F x)                      x rounded to the policy's format
//   F product(F a, F b)                 the product of two operands operand() produced
//   auto skips(F x)                     true where every product with x is exactly +-0, so a
//                                       dense layer may leave input x out (NUMERICS.md section 3)
//   using Packings = std::tuple<...>    packed paths for dense layers (may be empty)
//
// for F = float (the scalar reference) and F = xsimd::batch<float, A>; tests prove the two equal
// bit for bit. A Packing is how a dense layer stores its weights for fast products:
//
//   static constexpr const char* kName
//   using Weight = float | int32_t      what is stored per weight
//   static bool fits(const P&, const OperandRange& weights)
//   static Weight pack(const P&, float w)            once per weight (w already operand()ed)
//   static constexpr bool kIdentity     (optional) pack(w) == w: the kernel keeps no second copy
//   using Products = std::tuple<...>    the products that read this packing, in order of preference
//
// and a Product is one loop body of the dense kernel:
//
//   static constexpr const char* kName
//   static bool proves(const P&, const OperandRange& weights, const OperandRange& inputs)
//   template <class F> static Term<F> term(const P&, float x)    once per input, broadcast
//   template <class F> static F product(const P&, WeightLanes w, const Term<F>& t)
//
// The kernel takes a packed path only for finite weights and finite input vectors. For ranges a
// product proves, its result equals product() bit for bit, except that zero products may come
// out as +0 instead of -0 (a dense sum that starts at +0 cannot tell them apart).

} // namespace lmul
