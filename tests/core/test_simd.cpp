// Which instruction set this build's kernels were compiled for. CMakeLists.txt chooses it
// (LMUL_SIMD: best, sse4.1 or baseline natively; sse4.1 mapped onto SIMD128 in WebAssembly)
// and passes the xsimd arch it expects; CI runs the whole core suite in each configuration, so
// this test is what shows that a configuration did not silently compile for another arch.
#include <doctest/doctest.h>

#include <string>

#include "lmul/kernels.hpp"

TEST_SUITE("simd") {
  TEST_CASE("xsimd compiled for the arch the build configuration chose") {
    const std::string arch = xsimd::default_arch::name();
    MESSAGE("xsimd arch " << arch << ", " << lmul::kLanes << " float lanes");
    CHECK(arch == LMUL_XSIMD_ARCH);
    CHECK(lmul::kLanes == (arch == "avx2" ? 8u : 4u));
  }
}
