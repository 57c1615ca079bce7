// Shared helpers for the core tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lmul/format.hpp"
#include "lmul/mlp.hpp"
#include "lmul/multiply.hpp"

namespace testing {

// Equal bit for bit, except that all NaNs are equal (NaN payloads are not part of the
// contract: x86 and WebAssembly produce different ones for a * b).
inline bool same(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return lmul::bits_of(a) == lmul::bits_of(b);
}
inline bool same(float a, double b) { return same(a, static_cast<float>(b)); }

// Two MLPs with the same shapes and bit-identical parameters.
inline bool same_bits(const lmul::Mlp& a, const lmul::Mlp& b) {
  if (a.sizes() != b.sizes())
    return false;
  for (std::size_t k = 0; k < a.layers().size(); ++k)
    if (std::memcmp(a.layers()[k].weight.data(), b.layers()[k].weight.data(),
                    4 * a.layers()[k].weight.size()) != 0 ||
        std::memcmp(a.layers()[k].bias.data(), b.layers()[k].bias.data(),
                    4 * a.layers()[k].bias.size()) != 0)
      return false;
  return true;
}

// Special fp32 values every test should see.
inline std::vector<float> special_values() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f,
                          -0.0f,
                          inf,
                          -inf,
                          std::numeric_limits<float>::quiet_NaN(),
                          lmul::float_of(0x7f800001u),
                          lmul::float_of(0xffc00123u),
                          std::numeric_limits<float>::max(),
                          -std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::min(),
                          std::numeric_limits<float>::denorm_min(),
                          -std::numeric_limits<float>::denorm_min(),
                          1.0f,
                          -1.0f,
                          1.5f,
                          240.0f,
                          57344.0f,
                          65504.0f,
                          3.0e38f,
                          1e-40f,
                          1e-30f,
                          1e-20f,
                          1e20f};
  return v;
}

// Random fp32 values: a mix of arbitrary bit patterns (all exponents, NaNs, subnormals),
// standard-normal values and values near powers of two.
inline std::vector<float> mixed_values(std::size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v = special_values();
  while (v.size() < n) {
    switch (rng() % 4) {
    case 0: v.push_back(lmul::float_of(static_cast<uint32_t>(rng()))); break;
    case 1: v.push_back(normal(rng)); break;
    case 2: v.push_back(std::ldexp(normal(rng), int(rng() % 300) - 150)); break;
    default: v.push_back(normal(rng) * 100.0f); break;
    }
  }
  v.resize(n);
  return v;
}

inline std::vector<lmul::FloatFormat> all_formats() {
  std::vector<lmul::FloatFormat> f;
  for (int E = 2; E <= 8; ++E)
    for (int M = 1; M <= 23; ++M)
      f.emplace_back(E, M);
  return f;
}

// Every method of the registry, and every one but exact.
inline const std::vector<lmul::Method> kAllMethods = lmul::all_methods();
inline const std::vector<lmul::Method> kApproxMethods = lmul::approximate_methods();

// A float as "0x3fc00000 (1.5)", for failure messages.
inline std::string hex(float x) {
  char s[48];
  std::snprintf(s, sizeof s, "0x%08x (%.9g)", lmul::bits_of(x), double(x));
  return s;
}
inline std::string hex(double x) { return hex(static_cast<float>(x)); }
constexpr lmul::Rounding kRoundings[] = {lmul::Rounding::nearest, lmul::Rounding::truncate};

} // namespace testing
