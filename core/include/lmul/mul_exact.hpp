// exact: a * b in fp32, operands untouched (NUMERICS.md section 2).
#pragma once

#include <tuple>

#include "lmul/mul_spec.hpp"
#include "lmul/simd.hpp"

namespace lmul {

class ExactMul {
public:
  static constexpr Method kMethod = Method::exact;
  static constexpr const char* kName = "exact";
  static constexpr bool kQuantizes = false;
  explicit ExactMul(const MulSpec&) {}

  template <class F> F operand(const F& x) const { return x; }
  template <class F> F product(const F& a, const F& b) const { return a * b; }
  template <class F> auto skips(const F& x) const { return x == F(0.0f); }

  using Packings = std::tuple<>; // product() already is one multiplication
};

} // namespace lmul
