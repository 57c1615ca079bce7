// mitchell: Mitchell's 1962 logarithmic multiplication on the packed fields (NUMERICS.md
// section 2): P = Pa + Pb - B * 2^M, the integer adder without the paper's offset. Set beside
// lmul it shows what the offset buys. Same special values, underflow and overflow rules as lmul,
// and the same packed paths for dense layers.
#pragma once

#include "lmul/mul_lmul.hpp"

namespace lmul {

class Mitchell : public IntegerAdder {
public:
  static constexpr Method kMethod = Method::mitchell;
  static constexpr const char* kName = "mitchell";
  explicit Mitchell(const MulSpec& spec) : IntegerAdder(spec, 0) {}
};

} // namespace lmul
