// The check that a model's parameters hold no NaN or infinity, one place for every loader.
#pragma once

#include <cstddef>
#include <string>

namespace lmul {

// Throws std::invalid_argument("<what> has a non-finite value (<v>) at index <i>") for the first
// NaN or infinity among values[0..n).
void check_finite(const float* values, std::size_t n, const std::string& what);

} // namespace lmul
