// The WebAssembly side of core/cli/platform.hpp, for the CLI built to run under Node.
#include "../core/cli/platform.hpp"

namespace lmul::cli {

std::string target_name() { return "wasm (xsimd sse4.1 on WebAssembly SIMD128)"; }

double peak_memory_mib() {
  return double(__builtin_wasm_memory_size(0)) * 65536.0 / (1 << 20); // the wasm heap only grows
}

} // namespace lmul::cli
