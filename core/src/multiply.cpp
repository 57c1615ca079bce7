#include "lmul/multiply.hpp"

#include <cmath>
#include <stdexcept>

namespace lmul {

const char* to_string(Method m) {
  const char* name = detail::name_of(m, static_cast<Policies*>(nullptr));
  if (!name)
    throw std::logic_error("multiplier registry: no policy for method " +
                           std::to_string(static_cast<int>(m)));
  return name;
}

std::string method_names() {
  std::string names;
  for (Method m : all_methods())
    names += std::string(names.empty() ? "" : ", ") + "'" + to_string(m) + "'";
  return names;
}

Method parse_method(const std::string& s) {
  for (Method m : all_methods())
    if (s == to_string(m))
      return m;
  throw std::invalid_argument("method must be one of " + method_names() + ", got '" + s + "'");
}

std::string MulSpec::describe() const {
  if (method == Method::exact)
    return "exact";
  return std::string(to_string(method)) + " " + format.name() + " " + to_string(rounding);
}

float multiply(float a, float b, const MulSpec& spec) {
  return with_policy(spec, [&](const auto& p) { return p.product(p.operand(a), p.operand(b)); });
}

// ---- float --------------------------------------------------------------------------------

FloatMul::FloatMul(const MulSpec& spec)
    : QuantizedOperands(spec), round_(spec.format, Rounding::nearest),
      tiny_magic_(std::ldexp(1.0f, spec.format.min_exponent() - spec.format.M()) * kTinyScale *
                  float(kMagicScale<float>)),
      mantissa_magic_scale_(std::ldexp(1.0f, 23 - spec.format.M())),
      wide_magic_scale_(std::ldexp(1.0, 52 - spec.format.M())) {}

float FloatMul::product(float a, float b) const {
  return round_to_format(static_cast<double>(a) * static_cast<double>(b), round_.format(),
                         Rounding::nearest);
}

// ---- L-Mul ---------------------------------------------------------------------------------

LMulRules::LMulRules(const MulSpec& spec, uint32_t offset_bits)
    : QuantizedOperands(spec), drop_(spec.format.dropped_bits()), offset_bits_(offset_bits),
      min_normal_bits_(spec.format.min_normal_bits()),
      overflow_bits_(spec.format.E() < 8 ? spec.format.max_finite_bits() : kInfBits),
      underflow_sum_(kBiasField + spec.format.min_normal_bits()),
      overflow_sum_(kBiasField + spec.format.max_finite_bits()),
      min_field_(spec.format.min_exponent() + 127), max_field_(spec.format.max_exponent() + 127) {}

// 2^(M - l(M)) in F's mantissa units is 2^(23 - l(M)) in the fp32 layout.
LMul::LMul(const MulSpec& spec)
    : IntegerAdder(spec, 1u << (23 - lmul_offset_exponent(spec.format.M()))) {}

LMulFormula::LMulFormula(const MulSpec& spec)
    : LMulRules(spec, 1u << (23 - lmul_offset_exponent(spec.format.M()))),
      offset_value_(std::ldexp(1.0f, -lmul_offset_exponent(spec.format.M()))) {}

} // namespace lmul
