// Proves that a sanitizer build really runs its sanitizers: each mode commits one error that
// the build must report (ctest expects the report, see CMakeLists.txt). A build whose
// sanitizers were silently disabled, or a run with leak detection turned off, fails these.
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
void* volatile sink;
volatile int big = INT_MAX;
volatile int index_past_end = 8;
} // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (std::strcmp(mode, "leak") == 0) {
    sink = std::malloc(77); // LeakSanitizer: "detected memory leaks"
    sink = nullptr;
  } else if (std::strcmp(mode, "overflow") == 0) {
    // AddressSanitizer: heap-buffer-overflow (volatile: the store must not be optimized away)
    volatile char* p = static_cast<char*>(std::malloc(8));
    p[index_past_end] = 1;
    std::free(const_cast<char*>(p));
  } else if (std::strcmp(mode, "undefined") == 0) {
    const int x = big + argc; // UBSan: signed integer overflow
    std::printf("%d\n", x);
  } else {
    std::fprintf(stderr, "usage: sanitizer_canary leak|overflow|undefined\n");
    return 2;
  }
  std::printf("canary: the error went undetected\n");
  return 0;
}
