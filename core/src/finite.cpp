#include "lmul/finite.hpp"

#include <cmath>
#include <stdexcept>

#include "lmul/decimal.hpp"

namespace lmul {

// A function of its own, not inlined into the loaders: in WebAssembly, V8 recompiles a function
// whose loops run long with its optimizing compiler, and with this loop inside it that was the
// whole of mlp_from_tensors (~79 ms in Chromium, on every page load).
void check_finite(const float* values, std::size_t n, const std::string& what) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(values[i]))
      throw std::invalid_argument(what + " has a non-finite value (" + shortest_decimal(values[i]) +
                                  ") at index " + std::to_string(i));
}

} // namespace lmul
