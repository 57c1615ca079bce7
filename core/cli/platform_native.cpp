// The native side of platform.hpp.
#include "platform.hpp"

#include <cctype>
#include <sys/resource.h>

#include <xsimd/xsimd.hpp>

namespace lmul::cli {

std::string target_name() {
  std::string arch = xsimd::default_arch::name(); // "avx2", "sse4.1", "sse2"
  for (char& c : arch)
    c = char(std::toupper(static_cast<unsigned char>(c)));
  return "native (" + arch + ")";
}

double peak_memory_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0; // peak resident set, KiB on Linux
}

} // namespace lmul::cli
