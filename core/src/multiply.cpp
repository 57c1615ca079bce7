#include "lmul/multiply.hpp"

#include <stdexcept>

namespace lmul {

Method parse_method(const std::string& s) {
  if (s == "exact")
    return Method::exact;
  if (s == "float")
    return Method::float_;
  if (s == "lmul")
    return Method::lmul;
  if (s == "lmul-formula")
    return Method::lmul_formula;
  throw std::invalid_argument(
      "method must be one of 'exact', 'float', 'lmul', 'lmul-formula', got '" + s + "'");
}

const char* to_string(Method m) {
  switch (m) {
  case Method::exact: return "exact";
  case Method::float_: return "float";
  case Method::lmul: return "lmul";
  default: return "lmul-formula";
  }
}

std::string MulSpec::describe() const {
  if (method == Method::exact)
    return "exact";
  return std::string(to_string(method)) + " " + format.name() + " " + to_string(rounding);
}

FloatMul::FloatMul(const MulSpec& spec)
    : QuantizedOperands(spec), round_(spec.format, Rounding::nearest),
      tiny_magic_(std::ldexp(1.0f, -79 - spec.format.M())) {}

float FloatMul::product(float a, float b) const {
  // Both operands have at most 24 significant bits: their product is exact in double.
  return round_to_format(static_cast<double>(a) * static_cast<double>(b), round_.format(),
                         Rounding::nearest);
}

template <bool Formula>
LMulT<Formula>::LMulT(const MulSpec& spec)
    : QuantizedOperands(spec), drop_(spec.format.dropped_bits()),
      offset_bits_(1u << (23 - lmul_offset_exponent(spec.format.M()))),
      min_normal_bits_(spec.format.min_normal_bits()),
      overflow_bits_(spec.format.E() < 8 ? spec.format.max_finite_bits() : kInfBits),
      underflow_sum_((127u << 23) + spec.format.min_normal_bits()),
      overflow_sum_((127u << 23) + spec.format.max_finite_bits()),
      min_field_(spec.format.min_exponent() + 127), max_field_(spec.format.max_exponent() + 127),
      offset_value_(std::ldexp(1.0f, -lmul_offset_exponent(spec.format.M()))) {}

template <bool Formula> float LMulT<Formula>::product(float a, float b) const {
  const uint32_t ua = bits_of(a), ub = bits_of(b);
  const uint32_t sign = (ua ^ ub) & kSignBit;
  const uint32_t ma = ua & kAbsMask, mb = ub & kAbsMask;
  if (ma > kInfBits || mb > kInfBits)
    return float_of(kCanonicalNaN);
  if (ma == kInfBits || mb == kInfBits)
    return (ma == 0 || mb == 0) ? float_of(kCanonicalNaN) : float_of(sign | kInfBits);
  if (ma < min_normal_bits_ || mb < min_normal_bits_)
    return float_of(sign);

  // Pa + Pb - B * 2^M + 2^(M - l): in the fp32 layout the bias to remove is 127 << 23.
  uint32_t s = ma + mb + offset_bits_;
  if (Formula) {
    const uint32_t t = (ma & 0x007fffffu) + (mb & 0x007fffffu) + offset_bits_;
    if (t >= 0x00800000u) {
      // (1 + xm + ym + 2^-l) >= 2: the exponent gains one and the mantissa field is
      // (t - 2^23) / 2, rounded half to even on F's grid (this never carries further).
      const uint32_t m2 = (t - 0x00800000u) >> drop_;
      const uint32_t q = (m2 >> 1) + (m2 & (m2 >> 1) & 1u);
      s -= (m2 - q) << drop_;
    }
  }
  if (s < underflow_sum_)
    return float_of(sign);
  if (s > overflow_sum_)
    return float_of(sign | overflow_bits_);
  return float_of(sign | (s - (127u << 23)));
}

template class LMulT<false>;
template class LMulT<true>;

float multiply(float a, float b, const MulSpec& spec) {
  return with_policy(spec, [&](const auto& p) { return p.product(p.operand(a), p.operand(b)); });
}

} // namespace lmul
