// What differs between the native `lmul` and the same tool built with Emscripten to run under
// Node (build/wasm/lmul-cli.cjs): implemented by platform_native.cpp natively and by
// wasm/cli_platform.cpp in the WebAssembly build (CMakeLists.txt picks one).
#pragma once

#include <string>

namespace lmul::cli {

// The build the numbers come from, e.g. "native (AVX2)" or "wasm (xsimd sse4.1 on
// WebAssembly SIMD128)".
std::string target_name();

// Peak memory of the process so far in MiB: the resident set natively, the heap in wasm.
double peak_memory_mib();

} // namespace lmul::cli
